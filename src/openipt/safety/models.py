"""The safety loop: risk alerts, their notification outbox, safety plans, crisis resources.

A risk alert is written in the same transaction as the answers that raised it,
together with one outbox row (`AlertNotification`) per person to tell. The
e-mails are sent later, by the background worker or the `safety_sweep`
command, from those rows: a worker that dies mid-send leaves the row pending,
and the next run sends it. Nothing here holds an answer value: an alert names
the risk items by their ids only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel

DEFAULT_ACK_DEADLINE_HOURS = 4
DEFAULT_REPLY_TIME_STATEMENT = (
    "We read messages during the practice's working hours. We do not read them at night, "
    "at weekends or on public holidays. If you need help now, use the numbers on this page."
)


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ESCALATED = "escalated", "Escalated"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


# Statuses that still need someone to act.
UNACKNOWLEDGED = (AlertStatus.OPEN, AlertStatus.ESCALATED)


class AlertAction(models.TextChoices):
    CONTACTED_CLIENT = "contacted_client", "Contacted the client"
    RISK_ASSESSMENT = "risk_assessment", "Risk assessment done"
    SAFETY_PLAN_REVIEWED = "safety_plan_reviewed", "Safety plan reviewed"
    EMERGENCY_SERVICES = "emergency_services", "Emergency services involved"
    OTHER = "other", "Other (describe)"


class RiskAlert(PublicModel):
    """A positive answer on a risk item that a clinician must follow up and acknowledge."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="risk_alerts"
    )
    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="risk_alerts"
    )
    course = models.ForeignKey(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_alerts",
    )
    # What raised the alert, e.g. ("measure_administration", <its public id>).
    source_type = models.CharField(max_length=64)
    source_public_id = models.UUIDField()
    instrument_code = models.CharField(max_length=32)
    # Item ids only (e.g. ["phq9-9"]), never the answers given.
    risk_link_ids = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ack_deadline = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=32, choices=AlertAction.choices, blank=True)
    action_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["practice", "status", "raised_at"]),
            models.Index(fields=["status", "ack_deadline"]),
        ]
        constraints = [
            # Raising twice for the same answers (a retried request) gives one alert.
            models.UniqueConstraint(
                fields=["source_type", "source_public_id"], name="risk_alert_unique_source"
            ),
            models.CheckConstraint(
                name="risk_alert_acknowledged_has_action",
                condition=~Q(status="acknowledged")
                | (Q(acknowledged_at__isnull=False) & ~Q(action="")),
            ),
        ]

    def __str__(self) -> str:
        return f"Risk alert {self.public_id}"

    @property
    def is_acknowledged(self) -> bool:
        return self.status == AlertStatus.ACKNOWLEDGED


class AlertEventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    NOTIFIED = "notified", "E-mail sent"
    DELIVERY_FAILED = "delivery_failed", "E-mail could not be sent"
    ESCALATED = "escalated", "Escalated"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class RiskAlertEvent(models.Model):
    """One state change of an alert, for the history on its page (the audit trail has its own)."""

    alert = models.ForeignKey(RiskAlert, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=AlertEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Whom an e-mail went to (notified / delivery_failed events).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField()

    class Meta:
        # In the order they were written (a clock may be passed in; the order is the truth).
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Risk alert event {self.pk}"


class NotificationKind(models.TextChoices):
    INITIAL = "initial", "New alert"
    ESCALATION = "escalation", "Escalation"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    # The alert was acknowledged before this e-mail went out; it is no longer needed.
    CANCELLED = "cancelled", "Not needed"


class AlertNotification(PublicModel):
    """An outbox row: one e-mail to one person about one alert.

    Written in the alert's transaction; sending marks it sent in a transaction
    of its own. `last_error` holds an exception class name, never a message
    (messages can quote addresses).
    """

    alert = models.ForeignKey(RiskAlert, on_delete=models.PROTECT, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient", "kind"], name="alert_notification_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Alert notification {self.public_id}"


class SafetySettings(PublicModel):
    """A practice's safety choices. Made lazily, with defaults, the first time one is needed."""

    practice = models.OneToOneField(
        "practice.Practice", on_delete=models.PROTECT, related_name="safety_settings"
    )
    ack_deadline_hours = models.PositiveSmallIntegerField(default=DEFAULT_ACK_DEADLINE_HOURS)
    on_call = models.ForeignKey(
        "practice.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A clinician or supervisor told of every alert, and of every escalation.",
    )
    # An operational statement, not clinical text: shown to clients on the crisis page.
    reply_time_statement = models.TextField(default=DEFAULT_REPLY_TIME_STATEMENT)

    class Meta:
        verbose_name_plural = "safety settings"

    def __str__(self) -> str:
        return f"Safety settings {self.public_id}"


class CrisisResource(PublicModel):
    """A number or service a client can turn to, in one language, set by the practice."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="crisis_resources"
    )
    language = models.CharField(max_length=16, default="en")
    name = models.CharField(max_length=120)
    contact = models.CharField(max_length=120, help_text="A phone number, or how to text them.")
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["language", "order", "name", "id"]
        indexes = [models.Index(fields=["practice", "language", "archived"])]

    def __str__(self) -> str:
        return f"Crisis resource {self.public_id}"

    @property
    def language_label(self) -> str:
        return dict(settings.CLIENT_LANGUAGES).get(self.language, self.language)


class SafetyPlan(PublicModel):
    """A client's safety plan. Its content lives in versions; a save never overwrites one."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="safety_plans"
    )
    client = models.OneToOneField(
        "practice.Client", on_delete=models.PROTECT, related_name="safety_plan"
    )

    def __str__(self) -> str:
        return f"Safety plan {self.public_id}"


# The six sections, in the order the plan is worked through with the client.
PLAN_SECTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "warning_signs",
        "Warning signs",
        "Thoughts, feelings, situations or behaviours that show a crisis may be building.",
    ),
    (
        "internal_coping",
        "Things I can do on my own",
        "Ways to take my mind off things without contacting anyone.",
    ),
    (
        "distraction",
        "People and places that take my mind off things",
        "Company and settings that help, without having to talk about the crisis.",
    ),
    (
        "people_to_ask",
        "People I can ask for help",
        "Family or friends I can tell that I am struggling, with how to reach them.",
    ),
    (
        "professionals",
        "Professionals and crisis lines",
        "My clinician, the practice, out-of-hours and crisis numbers.",
    ),
    (
        "safe_environment",
        "Making my surroundings safe",
        "What I will do to keep away from means of harming myself.",
    ),
)
PLAN_SECTION_NAMES = tuple(name for name, _, _ in PLAN_SECTIONS)


class SafetyPlanVersion(PublicModel):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    warning_signs = EncryptedTextField(blank=True)
    internal_coping = EncryptedTextField(blank=True)
    distraction = EncryptedTextField(blank=True)
    people_to_ask = EncryptedTextField(blank=True)
    professionals = EncryptedTextField(blank=True)
    safe_environment = EncryptedTextField(blank=True)
    reviewed_with_client = models.BooleanField(default=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="safety_plan_unique_number")
        ]

    def __str__(self) -> str:
        return f"Safety plan version {self.public_id}"

    def sections(self) -> list[tuple[str, str, str]]:
        """(name, heading, text) for each section, in plan order."""
        return [(name, heading, getattr(self, name)) for name, heading, _ in PLAN_SECTIONS]
