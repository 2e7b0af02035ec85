"""Antidepressant and other medication alongside the course (protocol note §1)."""

from __future__ import annotations

from django.db import models

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel


class MedicationAdherence(models.TextChoices):
    GOOD = "good", "Takes as prescribed"
    PARTIAL = "partial", "Sometimes misses"
    POOR = "poor", "Rarely takes"
    UNKNOWN = "unknown", "Not known"


class Medication(PublicModel):
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="medications"
    )
    agent = models.CharField(max_length=100)
    dose = models.CharField(max_length=100)
    prescriber = models.CharField(max_length=200, blank=True)
    start_date = models.DateField()
    stop_date = models.DateField(null=True, blank=True)
    adherence = models.CharField(
        max_length=16, choices=MedicationAdherence.choices, default=MedicationAdherence.UNKNOWN
    )
    side_effects = EncryptedTextField(blank=True)
    notes = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["start_date", "created_at"]

    def __str__(self) -> str:
        return f"Medication {self.public_id}"


class MedicationChange(PublicModel):
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="changes")
    date = models.DateField()
    dose = models.CharField(max_length=100, blank=True)
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["date", "created_at"]

    def __str__(self) -> str:
        return f"Medication change {self.public_id}"
