"""Sessions, techniques used, between-session experiments, process notes and autosaved drafts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel
from openipt.courses.models.course import PHASE_CHOICES
from openipt.courses.models.formulation import PROBLEM_AREA_CHOICES


class Attendance(models.TextChoices):
    ATTENDED = "attended", "Attended"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Did not attend"


class Session(PublicModel):
    """One numbered session of a course. The number is unique within the course."""

    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    date = models.DateField()
    attendance = models.CharField(
        max_length=16, choices=Attendance.choices, default=Attendance.ATTENDED
    )
    phase = models.CharField(max_length=16, choices=PHASE_CHOICES)
    interval_history = EncryptedTextField(blank=True)
    mood_event_links = EncryptedTextField(blank=True)
    problem_area_work = EncryptedTextField(blank=True)
    summary = EncryptedTextField(blank=True)
    adherence = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_unique_number"),
            models.CheckConstraint(name="session_number_positive", condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return f"Session {self.public_id}"


class TechniqueUse(PublicModel):
    """A technique used in a session; `details` holds its structured fields as encrypted JSON."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="techniques")
    technique = models.CharField(max_length=32)
    details = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Technique use {self.public_id}"


class ProcessNote(PublicModel):
    """The clinician's process note: visible to the clinical team only, never to the client."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="process_note")
    text = EncryptedTextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Process note {self.public_id}"


class NoteDraft(PublicModel):
    """Text being typed, autosaved, so that a timeout or a lost connection loses nothing."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100, help_text="Which form and field the text belongs to.")
    text = EncryptedTextField(blank=True)
    base_version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "course", "key"], name="note_draft_unique")
        ]

    def __str__(self) -> str:
        return f"Draft {self.public_id}"


class ExperimentStatus(models.TextChoices):
    ASSIGNED = "assigned", "To try"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"
    REVIEWED = "reviewed", "Reviewed"


class Experiment(PublicModel):
    """An interpersonal experiment agreed in session, tried by the client, reviewed next time."""

    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="experiments"
    )
    assigned_in = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="experiments")
    reviewed_in = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = EncryptedTextField()
    problem_area = models.CharField(max_length=32, choices=PROBLEM_AREA_CHOICES, blank=True)
    person = models.ForeignKey(
        "courses.InventoryPerson", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=ExperimentStatus.choices, default=ExperimentStatus.ASSIGNED
    )
    report_what_happened = EncryptedTextField(blank=True)
    report_what_was_said = EncryptedTextField(blank=True)
    report_how_it_felt = EncryptedTextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Experiment {self.public_id}"
