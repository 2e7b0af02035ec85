"""Helpers shared by the safety services: events, audit entries, recipients, queueing."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import transaction

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice.models import CareTeamRole, Client, Role
from openipt.safety.models import (
    AlertEventKind,
    AlertNotification,
    NotificationKind,
    RiskAlert,
    RiskAlertEvent,
    SafetySettings,
)

if TYPE_CHECKING:
    from openipt.practice.models import Practice

logger = logging.getLogger("openipt.safety")


def add_event(
    alert: RiskAlert,
    kind: AlertEventKind,
    *,
    at: datetime.datetime,
    actor: User | None = None,
    recipient: User | None = None,
) -> RiskAlertEvent:
    return RiskAlertEvent.objects.create(
        alert=alert, kind=kind, actor=actor, recipient=recipient, occurred_at=at
    )


def audit_alert(
    alert: RiskAlert,
    *,
    actor: User | None,
    action: AuditAction,
    fields: Iterable[str],
    object_type: str = "risk_alert",
    object_public_id: object = None,
) -> None:
    record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_public_id=object_public_id or alert.public_id,  # type: ignore[arg-type]
        practice=alert.practice,
        subject_client_public_id=alert.client.public_id,
        changed_fields=fields,
    )


def care_team_clinicians(client: Client) -> list[User]:
    """The client's clinicians who can act now: on the care team, with an active clinician role."""
    return list(
        User.objects.filter(
            is_active=True,
            care_assignments__client=client,
            care_assignments__role=CareTeamRole.CLINICIAN,
            memberships__practice_id=client.practice_id,
            memberships__role=Role.CLINICIAN,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "id")
    )


def practice_supervisors(practice: Practice) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__practice=practice,
            memberships__role=Role.SUPERVISOR,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "id")
    )


def on_call_user(settings: SafetySettings) -> User | None:
    """The practice's on-call person, if one is named and their role is still active."""
    membership = settings.on_call
    if (
        membership is None
        or not membership.is_active
        or membership.practice_id != settings.practice_id
        or not membership.user.is_active
    ):
        return None
    return membership.user


def unique_users(*groups: Sequence[User | None]) -> list[User]:
    seen: set[int] = set()
    users: list[User] = []
    for group in groups:
        for user in group:
            if user is not None and user.pk not in seen:
                seen.add(user.pk)
                users.append(user)
    return users


def queue_notifications(
    alert: RiskAlert, users: Sequence[User], kind: NotificationKind, *, at: datetime.datetime
) -> int:
    """One outbox row per person; an existing row is kept (escalating twice is a no-op)."""
    made = 0
    for user in users:
        _, created = AlertNotification.objects.get_or_create(
            alert=alert, recipient=user, kind=kind, defaults={"next_attempt_at": at}
        )
        made += int(created)
    return made


def enqueue_delivery(run_after: datetime.datetime | None = None) -> None:
    """Ask the worker to send what is in the outbox (after the current transaction commits).

    If queueing fails, the outbox rows are still there and the `safety_sweep`
    command sends them; so a failure here is logged, never raised to the user.
    """
    from openipt.safety.tasks import deliver_alert_notifications

    def enqueue() -> None:
        task = deliver_alert_notifications
        if run_after is not None:
            task = task.using(run_after=run_after)
        task.enqueue()

    transaction.on_commit(enqueue, robust=True)


def enqueue_escalation(alert: RiskAlert) -> None:
    from openipt.safety.tasks import escalate_alert

    public_id, deadline = str(alert.public_id), alert.ack_deadline

    def enqueue() -> None:
        escalate_alert.using(run_after=deadline).enqueue(public_id)

    transaction.on_commit(enqueue, robust=True)
