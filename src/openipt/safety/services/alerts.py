"""Raising, escalating and acknowledging risk alerts.

Who is told, and when:
- when an alert is raised: the clinicians on the client's care team and the
  practice's on-call person (if one is named); if nobody on the care team can
  be reached, every supervisor of the practice at once. The alert is on the
  home page of all of them, and of every supervisor, from the moment it is
  committed.
- when nobody has acknowledged it by the practice's deadline (default 4
  hours): it becomes "escalated" and every supervisor and the on-call person
  get an escalation e-mail (the care-team clinicians again if the practice has
  neither).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.courses.models import Course
from openipt.practice.models import Client, Practice
from openipt.safety.models import (
    AlertAction,
    AlertEventKind,
    AlertNotification,
    AlertStatus,
    NotificationKind,
    NotificationStatus,
    RiskAlert,
)
from openipt.safety.selectors import can_acknowledge, safety_settings_get
from openipt.safety.services._common import (
    add_event,
    audit_alert,
    care_team_clinicians,
    enqueue_delivery,
    enqueue_escalation,
    logger,
    on_call_user,
    practice_supervisors,
    queue_notifications,
    unique_users,
)


class AlreadyAcknowledged(ValidationError):
    """Someone acknowledged the alert first; nothing was changed."""


@transaction.atomic
def risk_alert_raise(
    *,
    practice: Practice,
    client: Client,
    course: Course | None,
    source_type: str,
    source_public_id: UUID,
    instrument_code: str,
    risk_link_ids: Sequence[str],
    raised_by: User | None,
    notify: Sequence[User] | None = None,
) -> RiskAlert:
    """Write an alert and its outbox e-mails inside the caller's transaction.

    `notify` names who is told first instead of the client's care team (group
    IPT: the supervisors of the member's facilitator); the on-call person is
    told either way, and every supervisor of the practice when nobody named
    can be reached.

    GIVEN answers with a positive risk item WHEN the caller saves them and calls
    this in the same transaction THEN the alert and one pending notification per
    recipient are committed with the answers, or not at all; delivery is queued
    only after the commit. Raising twice for the same source returns the first alert.
    """
    if client.practice_id != practice.pk:
        raise ValueError("The client belongs to another practice.")
    if course is not None and course.client_id != client.pk:
        raise ValueError("The course belongs to another client.")
    link_ids = [str(link_id) for link_id in risk_link_ids]
    if not link_ids or not source_type or not instrument_code:
        raise ValueError("An alert needs its source, its instrument and at least one risk item.")
    existing = RiskAlert.objects.filter(
        source_type=source_type, source_public_id=source_public_id
    ).first()
    if existing is not None:
        return existing

    now = timezone.now()
    settings = safety_settings_get(practice)
    alert = RiskAlert.objects.create(
        practice=practice,
        client=client,
        course=course,
        source_type=source_type,
        source_public_id=source_public_id,
        instrument_code=instrument_code,
        risk_link_ids=link_ids,
        raised_at=now,
        raised_by=raised_by,
        ack_deadline=now + datetime.timedelta(hours=settings.ack_deadline_hours),
    )
    add_event(alert, AlertEventKind.RAISED, at=now, actor=raised_by)
    first = care_team_clinicians(client) if notify is None else list(notify)
    recipients = unique_users(first, [on_call_user(settings)])
    if not recipients:
        # Nobody on the care team can act: the backup is told at once.
        recipients = practice_supervisors(practice)
    queue_notifications(alert, recipients, NotificationKind.INITIAL, at=now)
    audit_alert(
        alert,
        actor=raised_by,
        action=AuditAction.CREATE,
        fields=["status", "risk_link_ids", "ack_deadline"],
    )
    enqueue_delivery()
    enqueue_escalation(alert)
    return alert


def escalation_recipients(alert: RiskAlert) -> list[User]:
    settings = safety_settings_get(alert.practice)
    users = unique_users(practice_supervisors(alert.practice), [on_call_user(settings)])
    return users or care_team_clinicians(alert.client)


@transaction.atomic
def _escalate(alert_pk: int, *, now: datetime.datetime) -> bool:
    # The conditional update is the lock: of two sweeps, only one changes the row.
    changed = RiskAlert.objects.filter(
        pk=alert_pk, status=AlertStatus.OPEN, ack_deadline__lte=now
    ).update(status=AlertStatus.ESCALATED, escalated_at=now, updated_at=now)
    if not changed:
        return False
    alert = RiskAlert.objects.select_related("practice", "client").get(pk=alert_pk)
    add_event(alert, AlertEventKind.ESCALATED, at=now)
    queue_notifications(alert, escalation_recipients(alert), NotificationKind.ESCALATION, at=now)
    audit_alert(alert, actor=None, action=AuditAction.UPDATE, fields=["status", "escalated_at"])
    enqueue_delivery()
    return True


def risk_alerts_escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Escalate every open alert past its deadline; returns how many. Safe to run again.

    GIVEN an alert nobody acknowledged WHEN its deadline has passed THEN it is
    escalated once, with one escalation e-mail per supervisor and on-call person,
    however often this runs.
    """
    now = now or timezone.now()
    due = list(
        RiskAlert.objects.filter(status=AlertStatus.OPEN, ack_deadline__lte=now)
        .order_by("ack_deadline", "id")
        .values_list("pk", "public_id")
    )
    escalated = 0
    for pk, public_id in due:
        # One alert's failure must not stop the others from escalating.
        try:
            escalated += int(_escalate(pk, now=now))
        except Exception:
            logger.exception("Could not escalate risk alert %s", public_id)
    return escalated


def risk_alert_escalate_if_due(
    *, public_id: UUID | str, now: datetime.datetime | None = None
) -> bool:
    """Escalate one alert if it is still open and past its deadline (the deadline task)."""
    now = now or timezone.now()
    pk = RiskAlert.objects.filter(public_id=public_id).values_list("pk", flat=True).first()
    if pk is None:
        return False
    return _escalate(pk, now=now)


@transaction.atomic
def risk_alert_acknowledge(
    *, actor: User, alert: RiskAlert, action: str, note: str = ""
) -> RiskAlert:
    """Record what was done about an alert. Closes it; pending e-mails are no longer sent.

    GIVEN an open or escalated alert WHEN a care-team clinician, a supervisor or
    the on-call person acknowledges it with an action THEN it is acknowledged
    (by them, now). "Other" needs a description. A second acknowledgement is refused.
    """
    locked = (
        RiskAlert.objects.select_for_update(of=("self",))
        .select_related("practice", "client", "acknowledged_by")
        .get(pk=alert.pk)
    )
    if not can_acknowledge(actor=actor, alert=locked):
        raise PermissionDenied
    if locked.status == AlertStatus.ACKNOWLEDGED:
        when = timezone.localtime(locked.acknowledged_at).strftime("%-d %b %Y at %H:%M")
        raise AlreadyAcknowledged(
            f"{locked.acknowledged_by} already acknowledged this alert on {when}. "
            "Nothing was changed."
        )
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if action not in AlertAction.values:
        errors["action"] = "Choose what you did."
    elif action == AlertAction.OTHER and not note:
        errors["note"] = "Describe what you did."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    locked.status = AlertStatus.ACKNOWLEDGED
    locked.acknowledged_at = now
    locked.acknowledged_by = actor
    locked.action = action
    locked.action_note = note
    locked.save(
        update_fields=[
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "action",
            "action_note",
            "updated_at",
        ]
    )
    AlertNotification.objects.filter(alert=locked, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.CANCELLED, updated_at=now
    )
    add_event(locked, AlertEventKind.ACKNOWLEDGED, at=now, actor=actor)
    fields = ["status", "acknowledged_at", "acknowledged_by", "action"]
    audit_alert(
        locked,
        actor=actor,
        action=AuditAction.UPDATE,
        fields=[*fields, "action_note"] if note else fields,
    )
    return locked
