"""The course itself: variant, plan, phase, and the record of how it moved."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel
from openipt.protocol.phases import Phase
from openipt.protocol.tasks import TaskCode
from openipt.protocol.variants import Frequency

PHASE_CHOICES = [(p.value, p.label) for p in Phase]
FREQUENCY_CHOICES = [(f.value, f.value.capitalize()) for f in Frequency]
TASK_CHOICES = [(t.value, t.value.replace("_", " ").capitalize()) for t in TaskCode]


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Course(PublicModel):
    """One IPT course for one client, from the first session to the closing review."""

    client = models.ForeignKey("practice.Client", on_delete=models.PROTECT, related_name="courses")
    # Denormalised from the client so that every course query can be scoped by
    # practice without a join; services keep the two equal.
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="courses"
    )
    variant = models.CharField(max_length=32)
    planned_sessions = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty for an open-ended (maintenance) course."
    )
    frequency = models.CharField(max_length=16, choices=FREQUENCY_CHOICES)
    session_minutes = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    initial_last = models.PositiveSmallIntegerField()
    middle_last = models.PositiveSmallIntegerField()
    phase = models.CharField(max_length=16, choices=PHASE_CHOICES, default=Phase.INITIAL)
    status = models.CharField(
        max_length=16, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    # Perinatal variants track the pregnancy or the weeks since birth.
    expected_delivery_date = models.DateField(null=True, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["practice", "status"])]
        constraints = [
            models.CheckConstraint(
                name="course_phase_boundaries_in_order",
                condition=Q(initial_last__gte=1) & Q(middle_last__gt=F("initial_last")),
            ),
        ]

    def __str__(self) -> str:
        return f"Course {self.public_id}"


class PhaseBoundaryChange(PublicModel):
    """A change to the planned sessions or phase boundaries, with the reason given."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="boundary_changes")
    planned_sessions_before = models.PositiveSmallIntegerField(null=True, blank=True)
    planned_sessions_after = models.PositiveSmallIntegerField(null=True, blank=True)
    initial_last_before = models.PositiveSmallIntegerField()
    initial_last_after = models.PositiveSmallIntegerField()
    middle_last_before = models.PositiveSmallIntegerField()
    middle_last_after = models.PositiveSmallIntegerField()
    reason = EncryptedTextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Boundary change {self.public_id}"


class PhaseTransition(PublicModel):
    """The course moved from one phase to the next (possibly overriding the gate)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="transitions")
    from_phase = models.CharField(max_length=16, choices=PHASE_CHOICES)
    to_phase = models.CharField(max_length=16, choices=PHASE_CHOICES)
    after_session = models.PositiveSmallIntegerField()
    overridden = models.BooleanField(default=False)
    override_reason = EncryptedTextField(blank=True)
    missing_tasks = models.JSONField(default=list, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Phase transition {self.public_id}"


class CourseTaskMark(PublicModel):
    """A phase task the clinician marked done that the record cannot show by itself
    (diagnosis given, sick role given, ending raised…)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="task_marks")
    task = models.CharField(max_length=32, choices=TASK_CHOICES)
    in_session = models.ForeignKey(
        "courses.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "task"], name="course_task_mark_unique")
        ]

    def __str__(self) -> str:
        return f"Task mark {self.public_id}"
