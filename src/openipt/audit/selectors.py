"""Reads of the audit trail, scoped like everything else."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from openipt.audit.models import AuditEvent

if TYPE_CHECKING:
    from openipt.practice.models import Client, Practice


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
    if since:
        events = events.filter(occurred_at__date__gte=since)
    if until:
        events = events.filter(occurred_at__date__lte=until)
    return events.order_by("-sequence")


def access_events_for_client(*, client: Client) -> QuerySet[AuditEvent]:
    """Everything recorded about one client's record, newest first."""
    return (
        AuditEvent.objects.filter(subject_client_public_id=client.public_id)
        .select_related("actor")
        .order_by("-sequence")
    )
