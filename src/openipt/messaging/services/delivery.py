"""Sending the new-message outbox: each e-mail on its own, retried with backoff, never lost.

The same three steps as the safety loop's alert e-mails (see
`openipt.safety.services.delivery`, whose backoff and report this reuses): a
row is *claimed* in a transaction of its own (attempts + 1, next attempt a
short lease ahead), the e-mail is sent outside any transaction, and the row is
closed in a third. Two workers never send one row at once; a worker that dies
mid-send leaves the row pending for the next run (the e-mail may then arrive
twice, which is harmless: it carries no information). A send that raises is
retried after 1, 2, 4 … minutes; after MAX_ATTEMPTS the row is marked failed.

Before sending, the row is checked again: an e-mail about a message the
recipient has already read, or to someone no longer in the thread, is not sent.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.messaging.emails import notification_message
from openipt.messaging.models import (
    Message,
    MessageNotification,
    NotificationStatus,
    SenderKind,
)
from openipt.practice.models import CareTeamMember, CareTeamRole, Membership, Role
from openipt.safety.services.delivery import DeliveryReport, Outcome, backoff_after

logger = logging.getLogger("openipt.messaging")

MAX_ATTEMPTS = 8
CLAIM_LEASE = datetime.timedelta(minutes=2)
BATCH_LIMIT = 200


def enqueue_delivery(run_after: datetime.datetime | None = None) -> None:
    """Ask the worker to send the outbox once the current transaction commits.

    If queueing fails, the rows are still there and `messaging_sweep` sends
    them; so a failure here is logged by Django, never raised to the sender.
    """
    from openipt.messaging.tasks import deliver_message_notifications

    def enqueue() -> None:
        task = deliver_message_notifications
        if run_after is not None:
            task = task.using(run_after=run_after)
        task.enqueue()

    transaction.on_commit(enqueue, robust=True)


def message_notifications_deliver_pending(
    *, now: datetime.datetime | None = None, limit: int = BATCH_LIMIT
) -> DeliveryReport:
    """Send every due outbox row, one at a time. Not atomic on purpose: each row commits alone."""
    now = now or timezone.now()
    report = DeliveryReport()
    due = list(
        MessageNotification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        report.add(_deliver_one(pk, now=now))
    if report.retrying:
        next_due = (
            MessageNotification.objects.filter(status=NotificationStatus.PENDING)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        enqueue_delivery(run_after=next_due)
    return report


def _claim(pk: int, *, now: datetime.datetime) -> bool:
    with transaction.atomic():
        return bool(
            MessageNotification.objects.filter(
                pk=pk, status=NotificationStatus.PENDING, next_attempt_at__lte=now
            ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, updated_at=now)
        )


@transaction.atomic
def _close(
    notification: MessageNotification,
    status: NotificationStatus,
    *,
    now: datetime.datetime,
    error: str = "",
) -> None:
    MessageNotification.objects.filter(pk=notification.pk).update(
        status=status,
        sent_at=now if status == NotificationStatus.SENT else None,
        last_error=error,
        updated_at=now,
    )
    client = notification.message.thread.client
    record(
        actor=None,
        action=AuditAction.UPDATE,
        object_type="message_notification",
        object_public_id=notification.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=["status", "sent_at"] if status == NotificationStatus.SENT else ["status"],
    )


def _still_in_thread(notification: MessageNotification) -> bool:
    """Whether the recipient still belongs to the thread (care team changes, accounts end)."""
    client = notification.message.thread.client
    recipient = notification.recipient
    if notification.message.sender_kind == SenderKind.CARE_TEAM:
        role = Role.CLIENT
        if client.user_id != recipient.pk:
            return False
    else:
        role = Role.CLINICIAN
        on_team = CareTeamMember.objects.filter(
            client=client, user=recipient, role=CareTeamRole.CLINICIAN
        ).exists()
        if not on_team:
            return False
    return Membership.objects.filter(
        user=recipient, practice_id=client.practice_id, role=role, is_active=True
    ).exists()


def _anything_unread(notification: MessageNotification) -> bool:
    """Whether the recipient still has an unread message from this one on.

    One row stands for every message that came after it while it waited, so
    it is only "no longer needed" once the recipient has read all of them.
    """
    message = notification.message
    return (
        Message.objects.filter(thread_id=message.thread_id, created_at__gte=message.created_at)
        .exclude(author=notification.recipient)
        .exclude(reads__user=notification.recipient)
        .exists()
    )


def _deliver_one(pk: int, *, now: datetime.datetime) -> Outcome:
    if not _claim(pk, now=now):
        return Outcome.SKIPPED
    notification = MessageNotification.objects.select_related(
        "message", "message__thread", "message__thread__client__practice", "recipient"
    ).get(pk=pk)
    recipient = notification.recipient
    if not _anything_unread(notification) or not _still_in_thread(notification):
        _close(notification, NotificationStatus.CANCELLED, now=now)
        return Outcome.CANCELLED
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
            "Message notification %s not sent on attempt %s: %s",
            notification.public_id,
            notification.attempts,
            error,
        )
        if notification.attempts >= MAX_ATTEMPTS:
            _close(notification, NotificationStatus.FAILED, now=now, error=error)
            return Outcome.FAILED
        with transaction.atomic():
            MessageNotification.objects.filter(pk=pk).update(
                next_attempt_at=now + backoff_after(notification.attempts),
                last_error=error,
                updated_at=now,
            )
        return Outcome.RETRYING
    _close(notification, NotificationStatus.SENT, now=now)
    return Outcome.SENT
