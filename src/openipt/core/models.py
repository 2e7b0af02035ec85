"""Abstract base models shared by every app."""

from __future__ import annotations

import uuid

from django.db import models


class PublicModel(models.Model):
    """A row that is addressed from outside by a random UUID, never its integer key.

    Integer keys leak counts and invite enumeration; every URL, API id and FHIR
    id uses `public_id` instead.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
