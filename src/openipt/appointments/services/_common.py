"""Helpers shared by the appointment services: audit entries, the outbox, queueing the worker."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction

from openipt.accounts.models import User
from openipt.appointments.models import (
    Appointment,
    NotificationKind,
    NotificationStatus,
    ReminderNotification,
)
from openipt.audit.models import AuditAction
from openipt.audit.services import record

logger = logging.getLogger("openipt.appointments")


def audit(
    appointment: Appointment,
    *,
    actor: User | None,
    action: AuditAction,
    fields: Iterable[str] = (),
    object_type: str = "appointment",
    object_public_id: object = None,
) -> None:
    record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_public_id=object_public_id or appointment.public_id,  # type: ignore[arg-type]
        practice=appointment.practice,
        subject_client_public_id=appointment.client.public_id,
        changed_fields=fields,
    )


def reminder_due_at(starts_at: datetime.datetime) -> datetime.datetime | None:
    """When the client's reminder goes out; None when reminders are turned off."""
    hours = int(settings.REMINDER_HOURS)
    if hours <= 0:
        return None
    return starts_at - datetime.timedelta(hours=hours)


def queue(
    appointment: Appointment,
    kind: NotificationKind,
    *,
    due_at: datetime.datetime,
    recipients: Sequence[User | None] = (None,),
) -> list[ReminderNotification]:
    """Outbox rows for one e-mail (None: to the client), and a worker run at `due_at`."""
    rows = [
        ReminderNotification.objects.create(
            appointment=appointment,
            recipient=recipient,
            kind=kind,
            due_at=due_at,
            next_attempt_at=due_at,
        )
        for recipient in recipients
    ]
    if rows:
        enqueue_delivery(run_after=due_at)
    return rows


def schedule_reminder(
    appointment: Appointment, *, now: datetime.datetime
) -> ReminderNotification | None:
    """The client's reminder for a booked appointment that has not started yet.

    When the reminder time has already passed (an appointment booked for this
    afternoon), it goes out at once.
    """
    due = reminder_due_at(appointment.starts_at)
    if due is None or appointment.starts_at <= now:
        return None
    (row,) = queue(appointment, NotificationKind.REMINDER, due_at=max(due, now))
    return row


def cancel_pending(appointment: Appointment, *, kinds: Iterable[NotificationKind]) -> int:
    """Mark the appointment's waiting e-mails of these kinds as no longer needed."""
    return ReminderNotification.objects.filter(
        appointment=appointment, status=NotificationStatus.PENDING, kind__in=list(kinds)
    ).update(status=NotificationStatus.CANCELLED)


def enqueue_delivery(run_after: datetime.datetime | None = None) -> None:
    """Ask the worker to send what is due (after the current transaction commits).

    If queueing fails, the outbox rows are still there and `appointments_sweep`
    sends them; so a failure here is logged, never raised to the user.
    """
    from openipt.appointments.tasks import deliver_appointment_notifications

    def enqueue() -> None:
        task = deliver_appointment_notifications
        if run_after is not None:
            task = task.using(run_after=run_after)
        task.enqueue()

    transaction.on_commit(enqueue, robust=True)
