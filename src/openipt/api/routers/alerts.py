"""Risk alerts: read the ones the token's owner may see, and acknowledge one.

Acknowledging goes through `safety.services.risk_alert_acknowledge`, the same
rules as the alert page: whoever may see the alert may acknowledge it, once.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from openipt.api.errors import ErrorOut, errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.safety.models import AlertAction, AlertStatus, RiskAlert
from openipt.safety.selectors import alert_get_for_actor, alerts_visible_to
from openipt.safety.services import risk_alert_acknowledge

router = Router(tags=["risk alerts"])


class AlertOut(Schema):
    id: UUID
    client_id: UUID
    course_id: UUID | None
    source_type: str
    source_id: UUID
    instrument: str
    risk_items: list[str]
    status: str
    raised_at: datetime.datetime
    ack_deadline: datetime.datetime
    escalated_at: datetime.datetime | None
    acknowledged_at: datetime.datetime | None
    action: str
    created_at: datetime.datetime


class AlertFilter(PageParams):
    status: AlertStatus | None = Field(None, description="Only alerts with this status.")


class AcknowledgeIn(Schema):
    action: AlertAction
    note: str = Field("", max_length=2000, description="Required when action is 'other'.")


def alert_out(alert: RiskAlert) -> AlertOut:
    return AlertOut(
        id=alert.public_id,
        client_id=alert.client.public_id,
        course_id=alert.course.public_id if alert.course else None,
        source_type=alert.source_type,
        source_id=alert.source_public_id,
        instrument=alert.instrument_code,
        risk_items=list(alert.risk_link_ids or []),
        status=alert.status,
        raised_at=alert.raised_at,
        ack_deadline=alert.ack_deadline,
        escalated_at=alert.escalated_at,
        acknowledged_at=alert.acknowledged_at,
        action=alert.action,
        created_at=alert.created_at,
    )


def _audit(request: HttpRequest, alert: RiskAlert) -> None:
    audit_read(
        request,
        object_type="risk_alert",
        public_id=alert.public_id,
        practice=alert.practice,
        client_public_id=alert.client.public_id,
    )


@router.get("/alerts", response={200: Page[AlertOut], **errors(422)}, url_name="alert_list")
def alert_list(request: HttpRequest, page: Query[AlertFilter]) -> dict[str, object]:
    queryset = alerts_visible_to(actor=actor_of(request)).select_related("client", "course")
    if page.status is not None:
        queryset = queryset.filter(status=page.status)
    return paginate(queryset, page, alert_out)


@router.get(
    "/alerts/{alert_id}", response={200: AlertOut, **errors(404, 422)}, url_name="alert_get"
)
def alert_get(request: HttpRequest, alert_id: UUID) -> AlertOut:
    alert = alert_get_for_actor(actor=actor_of(request), public_id=alert_id)
    _audit(request, alert)
    return alert_out(alert)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, 409: ErrorOut, **errors(403, 404, 422)},
    url_name="alert_acknowledge",
)
def alert_acknowledge(request: HttpRequest, alert_id: UUID, payload: AcknowledgeIn) -> AlertOut:
    """Record what was done about the alert; a second acknowledgement is refused with 409."""
    actor = actor_of(request)
    alert = alert_get_for_actor(actor=actor, public_id=alert_id)
    alert = risk_alert_acknowledge(
        actor=actor, alert=alert, action=payload.action.value, note=payload.note
    )
    return alert_out(alert_get_for_actor(actor=actor, public_id=alert.public_id))
