"""Dated life events with the people involved (protocol note §5.3)."""

from __future__ import annotations

from django.db import models

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel


class LifeEventKind(models.TextChoices):
    DEATH = "death", "Death"
    CONFLICT = "conflict", "Conflict"
    SEPARATION = "separation", "Separation"
    MOVE = "move", "Move"
    JOB = "job", "Work or study"
    BIRTH = "birth", "Birth"
    ILLNESS = "illness", "Illness"
    RETIREMENT = "retirement", "Retirement"
    MIGRATION = "migration", "Migration"
    RELATIONSHIP = "relationship", "New relationship"
    MOOD = "mood", "Change in mood"
    OTHER = "other", "Other"


class LifeEvent(PublicModel):
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="life_events"
    )
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=LifeEventKind.choices)
    title = EncryptedTextField()
    description = EncryptedTextField(blank=True)
    people = models.ManyToManyField("courses.InventoryPerson", blank=True, related_name="events")
    linked_to_onset = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "created_at"]

    def __str__(self) -> str:
        return f"Life event {self.public_id}"
