"""Appointments, the client's requests to change them, calendar feed tokens and the e-mail outbox.

An appointment is calendar data: who meets whom, when, where and how. It holds
no clinical content; what happened in the meeting is recorded on the course's
session, which the appointment may link to once it has been held. The only
free text a client writes here (a note with a change request) is encrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel


class AppointmentKind(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    PHONE = "phone", _("Phone call")


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Held")


class Appointment(PublicModel):
    """One booked meeting between a client and a clinician."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="appointments"
    )
    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="appointments"
    )
    course = models.ForeignKey(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(
        max_length=16, choices=AppointmentKind.choices, default=AppointmentKind.IN_PERSON
    )
    # Where to go or how to join ("Room 2", "the link the practice sent"): practical
    # directions, shown to the client, never a note about them.
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    # The course session recorded for this appointment, once it has been held.
    session = models.OneToOneField(
        "courses.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointment",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Incremented on every change, so that a move or cancel made from a page that
    # was opened before someone else's change is refused instead of undoing it.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["clinician", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
            models.Index(fields=["practice", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="appointment_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.public_id}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_scheduled(self) -> bool:
        return self.status == AppointmentStatus.SCHEDULED

    @property
    def is_cancelled(self) -> bool:
        return self.status == AppointmentStatus.CANCELLED


class ChangeKind(models.TextChoices):
    CANCEL = "cancel", _("Cancel it")
    RESCHEDULE = "reschedule", _("Move it to another time")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Not possible")


class AppointmentChangeRequest(PublicModel):
    """A client's request to cancel or move an appointment; a clinician accepts or declines it."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="change_requests"
    )
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    # What the client wrote (e.g. times that would suit them). Free text from the
    # client can say anything about them, so it is encrypted like a clinical note.
    note = EncryptedTextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per appointment: a double submit stores one.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(status="pending"),
                name="appointment_one_pending_change_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment change request {self.public_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeStatus.PENDING


class CalendarFeedToken(PublicModel):
    """The secret in a client's private calendar feed address.

    Only a SHA-256 digest of the token is stored (like an invitation's), so a
    copy of the database does not give anyone the client's feed. A client has
    at most one live token; making a new one revokes the old.
    """

    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="calendar_feed_tokens"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_live_token",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed token {self.public_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    MOVED = "moved", "Appointment moved"
    CANCELLED = "cancelled", "Appointment cancelled"
    DECLINED = "declined", "Change request declined"
    # To the clinician: a client asked to change an appointment.
    CHANGE_REQUESTED = "change_requested", "Change requested"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    CANCELLED = "cancelled", "Not needed"


class ReminderNotification(PublicModel):
    """The appointment e-mail outbox: reminders, and the short notices when an appointment changes.

    A reminder row is written with the appointment and sent by the worker at
    `due_at` (the appointment's start minus OPENIPT_REMINDER_HOURS); moving the
    appointment cancels it and writes a new one, cancelling the appointment
    cancels it. `recipient` is empty for e-mails to the client: their address is
    looked up when the e-mail is sent (their portal account's, else the one on
    their record), so a changed address is used and none is copied here.
    """

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # `due_at` at first; moved on by a claim (a short lease) and by retries.
    next_attempt_at = models.DateTimeField()
    # An exception class name, never a message (messages can quote addresses).
    last_error = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"Appointment notification {self.public_id}"

    @property
    def to_client(self) -> bool:
        return self.recipient_id is None
