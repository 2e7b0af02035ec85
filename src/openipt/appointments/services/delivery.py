"""Sending the appointment outbox: each e-mail on its own, retried with backoff, never lost.

The same pattern as the safety loop's outbox (`safety.services.delivery`): a
due row is first *claimed* in a transaction of its own (attempts + 1, its next
attempt moved a short lease ahead, so two workers never send it together);
the e-mail is sent outside any transaction; the row is then closed in a third.
A worker that dies mid-send leaves the row pending for the next run (the
e-mail may then arrive twice, which is harmless). A row that is no longer
needed when its time comes (the appointment was cancelled, moved or has
started) is closed as cancelled instead of being sent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openipt.appointments.emails import notification_message, recipient_address
from openipt.appointments.models import (
    AppointmentStatus,
    ChangeStatus,
    NotificationKind,
    NotificationStatus,
    ReminderNotification,
)
from openipt.appointments.services._common import audit, enqueue_delivery, logger
from openipt.audit.models import AuditAction
from openipt.safety.services import backoff_after

MAX_ATTEMPTS = 8
CLAIM_LEASE = datetime.timedelta(minutes=2)
BATCH_LIMIT = 200


class Outcome(StrEnum):
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # another run claimed it first


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


def appointment_notifications_deliver(
    *, now: datetime.datetime | None = None, limit: int = BATCH_LIMIT
) -> DeliveryReport:
    """Send every due outbox row, one at a time. Not atomic on purpose: each row commits alone."""
    now = now or timezone.now()
    report = DeliveryReport()
    due = list(
        ReminderNotification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        report.add(_deliver_one(pk, now=now))
    if report.retrying:
        # Come back when the earliest retry is due, without waiting for the sweep.
        next_due = (
            ReminderNotification.objects.filter(status=NotificationStatus.PENDING)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        enqueue_delivery(run_after=next_due)
    return report


def _claim(pk: int, *, now: datetime.datetime) -> bool:
    with transaction.atomic():
        return bool(
            ReminderNotification.objects.filter(
                pk=pk, status=NotificationStatus.PENDING, next_attempt_at__lte=now
            ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, updated_at=now)
        )


@transaction.atomic
def _close(
    notification: ReminderNotification,
    status: NotificationStatus,
    *,
    now: datetime.datetime,
    error: str = "",
) -> None:
    ReminderNotification.objects.filter(pk=notification.pk).update(
        status=status,
        sent_at=now if status == NotificationStatus.SENT else None,
        last_error=error,
        updated_at=now,
    )
    audit(
        notification.appointment,
        actor=None,
        action=AuditAction.UPDATE,
        fields=["status", "sent_at"] if status == NotificationStatus.SENT else ["status"],
        object_type="appointment_notification",
        object_public_id=notification.public_id,
    )


def still_needed(notification: ReminderNotification, *, now: datetime.datetime) -> bool:
    """Whether the e-mail still says something true and useful at the time it is sent."""
    appointment = notification.appointment
    kind = NotificationKind(notification.kind)
    if kind == NotificationKind.CANCELLED:
        return appointment.status == AppointmentStatus.CANCELLED
    if appointment.status != AppointmentStatus.SCHEDULED or appointment.starts_at <= now:
        return False
    if kind == NotificationKind.CHANGE_REQUESTED:
        return appointment.change_requests.filter(status=ChangeStatus.PENDING).exists()
    return True


def _deliver_one(pk: int, *, now: datetime.datetime) -> Outcome:
    if not _claim(pk, now=now):
        return Outcome.SKIPPED
    notification = ReminderNotification.objects.select_related(
        "appointment",
        "appointment__practice",
        "appointment__client",
        "appointment__client__user",
        "recipient",
    ).get(pk=pk)
    if not still_needed(notification, now=now):
        _close(notification, NotificationStatus.CANCELLED, now=now)
        return Outcome.CANCELLED
    address = recipient_address(notification)
    if address is None:
        _close(notification, NotificationStatus.FAILED, now=now, error="no_active_address")
        return Outcome.FAILED
    if notification.attempts > MAX_ATTEMPTS:
        # Earlier attempts were claimed but never finished: the sender kept dying.
        _close(notification, NotificationStatus.FAILED, now=now, error="worker_stopped")
        return Outcome.FAILED
    try:
        notification_message(notification, address).send()
    except Exception as exc:
        # The class name only: exception messages can quote addresses.
        error = type(exc).__name__[:100]
        logger.warning(
            "Appointment notification %s not sent on attempt %s: %s",
            notification.public_id,
            notification.attempts,
            error,
        )
        if notification.attempts >= MAX_ATTEMPTS:
            _close(notification, NotificationStatus.FAILED, now=now, error=error)
            return Outcome.FAILED
        with transaction.atomic():
            ReminderNotification.objects.filter(pk=pk).update(
                next_attempt_at=now + backoff_after(notification.attempts),
                last_error=error,
                updated_at=now,
            )
        return Outcome.RETRYING
    _close(notification, NotificationStatus.SENT, now=now)
    return Outcome.SENT
