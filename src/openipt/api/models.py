"""Personal access tokens for the JSON API.

A token acts with exactly its owner's permissions (every endpoint goes through
the same selectors and services as the pages). Only a SHA-256 digest of the
token is stored: the token itself is shown once, when it is created.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from openipt.core.models import PublicModel


class ApiToken(PublicModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the token, kept so that people can tell their tokens apart.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API token {self.public_id}"
