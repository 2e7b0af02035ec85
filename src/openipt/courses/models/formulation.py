"""Formulation, focus, goals and the treatment contract: all versioned, never overwritten."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel
from openipt.protocol.problem_areas import DisputeStage, ProblemAreaCode
from openipt.protocol.variants import Frequency

PROBLEM_AREA_CHOICES = [(c.value, c.value.replace("_", " ").capitalize()) for c in ProblemAreaCode]
DISPUTE_STAGE_CHOICES = [(s.value, s.value.capitalize()) for s in DisputeStage]
FREQUENCY_CHOICES = [(f.value, f.value.capitalize()) for f in Frequency]


class Formulation(PublicModel):
    """The client-facing interpersonal formulation. Each save is a new version."""

    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="formulations"
    )
    number = models.PositiveSmallIntegerField()
    text = EncryptedTextField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="formulation_unique_number")
        ]

    def __str__(self) -> str:
        return f"Formulation {self.public_id}"


class FocusArea(PublicModel):
    """One chosen problem area (at most two are current). A change ends the row, with a reason."""

    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="focus_areas"
    )
    area = models.CharField(max_length=32, choices=PROBLEM_AREA_CHOICES)
    detail = EncryptedTextField(blank=True)
    # Role dispute: the other person and the stage of the dispute.
    dispute_person = models.ForeignKey(
        "courses.InventoryPerson", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispute_stage = models.CharField(max_length=16, choices=DISPUTE_STAGE_CHOICES, blank=True)
    # Role transition: the old and the new role.
    old_role = EncryptedTextField(blank=True)
    new_role = EncryptedTextField(blank=True)
    # Grief: who was lost, and when; whether the loss was a death.
    grief_person = models.ForeignKey(
        "courses.InventoryPerson", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    loss_date = models.DateField(null=True, blank=True)
    loss_is_death = models.BooleanField(default=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["course", "ended_at"])]

    def __str__(self) -> str:
        return f"Focus area {self.public_id}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class Goal(PublicModel):
    """A goal for the course, rated 0–10 at the start and again at the progress review."""

    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="goals")
    focus_area = models.ForeignKey(
        FocusArea, null=True, blank=True, on_delete=models.PROTECT, related_name="goals"
    )
    text = EncryptedTextField()
    position = models.PositiveSmallIntegerField(default=0)
    rating_at_start = models.PositiveSmallIntegerField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "created_at"]
        constraints = [
            models.CheckConstraint(
                name="goal_rating_0_to_10",
                condition=Q(rating_at_start__isnull=True) | Q(rating_at_start__lte=10),
            )
        ]

    def __str__(self) -> str:
        return f"Goal {self.public_id}"


class AgreementChannel(models.TextChoices):
    IN_SESSION = "in_session", "Agreed in session (recorded by the clinician)"
    PORTAL = "portal", "Agreed by the client in the portal"


class Contract(PublicModel):
    """The treatment contract. Renegotiation adds a new version; old ones are kept."""

    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="contracts")
    number = models.PositiveSmallIntegerField()
    sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    frequency = models.CharField(max_length=16, choices=FREQUENCY_CHOICES)
    session_minutes = models.PositiveSmallIntegerField()
    focus_areas = models.JSONField(default=list)
    notes = EncryptedTextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_via = models.CharField(max_length=16, choices=AgreementChannel.choices, blank=True)
    agreement_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    renegotiation_reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="contract_unique_number")
        ]

    def __str__(self) -> str:
        return f"Contract {self.public_id}"

    @property
    def is_agreed(self) -> bool:
        return self.agreed_at is not None
