"""Sending the outbox: each alert e-mail on its own, retried with backoff, never lost.

A row is first *claimed* (attempts + 1, and its next attempt moved a short
lease ahead) in a transaction of its own; then the e-mail is sent outside any
transaction; then the row is marked sent in a third transaction. So:
- two workers never send the same row at the same time (the claim is a
  conditional update that only one of them wins);
- a worker that dies while sending leaves the row pending, and the next run
  sends it once the lease has run out. The e-mail may then arrive twice, which
  is harmless (it carries no information); losing it would not be;
- a send that raises is retried after 1, 2, 4 … minutes (at most an hour
  apart); after MAX_ATTEMPTS the row is marked failed, and the alert's home
  entry says that its e-mail could not be sent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.safety.emails import notification_message
from openipt.safety.models import (
    AlertEventKind,
    AlertNotification,
    AlertStatus,
    NotificationStatus,
)
from openipt.safety.services._common import add_event, audit_alert, enqueue_delivery, logger

MAX_ATTEMPTS = 8
BACKOFF_BASE = datetime.timedelta(minutes=1)
BACKOFF_CAP = datetime.timedelta(hours=1)
# How long a claimed row is left alone before another run may try it again.
CLAIM_LEASE = datetime.timedelta(minutes=2)
BATCH_LIMIT = 200


def backoff_after(attempts: int) -> datetime.timedelta:
    """The wait after `attempts` tries: 1, 2, 4, 8 … minutes, at most an hour."""
    factor: int = 2 ** max(attempts - 1, 0)
    return min(BACKOFF_BASE * factor, BACKOFF_CAP)


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


def notifications_deliver_pending(
    *, now: datetime.datetime | None = None, limit: int = BATCH_LIMIT
) -> DeliveryReport:
    """Send every due outbox row, one at a time. Not atomic on purpose: each row commits alone."""
    now = now or timezone.now()
    report = DeliveryReport()
    due = list(
        AlertNotification.objects.filter(
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
            AlertNotification.objects.filter(status=NotificationStatus.PENDING)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        enqueue_delivery(run_after=next_due)
    return report


def _claim(pk: int, *, now: datetime.datetime) -> bool:
    with transaction.atomic():
        return bool(
            AlertNotification.objects.filter(
                pk=pk, status=NotificationStatus.PENDING, next_attempt_at__lte=now
            ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, updated_at=now)
        )


@transaction.atomic
def _close(
    notification: AlertNotification,
    status: NotificationStatus,
    *,
    now: datetime.datetime,
    error: str = "",
) -> None:
    AlertNotification.objects.filter(pk=notification.pk).update(
        status=status,
        sent_at=now if status == NotificationStatus.SENT else None,
        last_error=error,
        updated_at=now,
    )
    alert = notification.alert
    if status == NotificationStatus.SENT:
        add_event(alert, AlertEventKind.NOTIFIED, at=now, recipient=notification.recipient)
    elif status == NotificationStatus.FAILED:
        add_event(alert, AlertEventKind.DELIVERY_FAILED, at=now, recipient=notification.recipient)
    audit_alert(
        alert,
        actor=None,
        action=AuditAction.UPDATE,
        fields=["status", "sent_at"] if status == NotificationStatus.SENT else ["status"],
        object_type="risk_alert_notification",
        object_public_id=notification.public_id,
    )


def _deliver_one(pk: int, *, now: datetime.datetime) -> Outcome:
    if not _claim(pk, now=now):
        return Outcome.SKIPPED
    notification = AlertNotification.objects.select_related(
        "alert", "alert__practice", "alert__client", "recipient"
    ).get(pk=pk)
    if notification.alert.status == AlertStatus.ACKNOWLEDGED:
        _close(notification, NotificationStatus.CANCELLED, now=now)
        return Outcome.CANCELLED
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        _close(notification, NotificationStatus.FAILED, now=now, error="no_active_address")
        return Outcome.FAILED
    if notification.attempts > MAX_ATTEMPTS:
        # Earlier attempts were claimed but never finished: the sender kept dying.
        _close(notification, NotificationStatus.FAILED, now=now, error="worker_stopped")
        return Outcome.FAILED
    try:
        notification_message(notification).send()
    except Exception as exc:
        # The class name only: exception messages can quote addresses.
        error = type(exc).__name__[:100]
        logger.warning(
            "Alert notification %s not sent on attempt %s: %s",
            notification.public_id,
            notification.attempts,
            error,
        )
        if notification.attempts >= MAX_ATTEMPTS:
            _close(notification, NotificationStatus.FAILED, now=now, error=error)
            return Outcome.FAILED
        with transaction.atomic():
            AlertNotification.objects.filter(pk=pk).update(
                next_attempt_at=now + backoff_after(notification.attempts),
                last_error=error,
                updated_at=now,
            )
        return Outcome.RETRYING
    _close(notification, NotificationStatus.SENT, now=now)
    return Outcome.SENT
