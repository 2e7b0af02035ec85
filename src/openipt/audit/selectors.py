"""Reads of the audit trail, scoped like everything else."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from openipt.audit.models import AuditEvent

if TYPE_CHECKING:
    from openipt.practice.models import Client, Practice

_EARLIEST = date.min + timedelta(days=2)
_LATEST = date.max - timedelta(days=2)


def audit_events_for_practice(
    *,
    practice: Practice,
    action: str = "",
    object_type: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Events of one practice, newest first. The caller checks the actor is its admin."""
    events = AuditEvent.objects.filter(practice=practice).select_related("actor")
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    # Whole days in the current time zone, as a range on the column so that
    # the (practice, -sequence) index still serves the query.
    # (Dates at the very ends of the calendar mean "no limit".)
    if since and since > _EARLIEST:
        events = events.filter(occurred_at__gte=_start_of_day(since))
    if until and until < _LATEST:
        events = events.filter(occurred_at__lt=_start_of_day(until + timedelta(days=1)))
    return events.order_by("-sequence")


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def access_events_for_client(*, client: Client) -> QuerySet[AuditEvent]:
    """Everything recorded about one client's record, newest first."""
    return (
        AuditEvent.objects.filter(subject_client_public_id=client.public_id)
        .select_related("actor")
        .order_by("-sequence")
    )
