"""Appointments: read the ones the token's owner may see (booking stays in the pages)."""

from __future__ import annotations

import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema

from openipt.api.errors import errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.appointments.models import Appointment
from openipt.appointments.selectors import appointment_get_for_actor, appointments_visible_to

router = Router(tags=["appointments"])


class AppointmentOut(Schema):
    id: UUID
    client_id: UUID
    course_id: UUID | None
    session_id: UUID | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    kind: str
    location: str
    status: str
    cancelled_at: datetime.datetime | None
    version: int
    created_at: datetime.datetime


def appointment_out(row: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=row.public_id,
        client_id=row.client.public_id,
        course_id=row.course.public_id if row.course else None,
        session_id=row.session.public_id if row.session else None,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        kind=row.kind,
        location=row.location,
        status=row.status,
        cancelled_at=row.cancelled_at,
        version=row.version,
        created_at=row.created_at,
    )


@router.get(
    "/appointments",
    response={200: Page[AppointmentOut], **errors(422)},
    url_name="appointment_list",
)
def appointment_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    queryset = appointments_visible_to(actor=actor_of(request)).select_related(
        "client", "course", "session"
    )
    return paginate(queryset, page, appointment_out)


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, **errors(404, 422)},
    url_name="appointment_get",
)
def appointment_get(request: HttpRequest, appointment_id: UUID) -> AppointmentOut:
    row = appointment_get_for_actor(actor=actor_of(request), public_id=appointment_id)
    audit_read(
        request,
        object_type="appointment",
        public_id=row.public_id,
        practice=row.practice,
        client_public_id=row.client.public_id,
    )
    return appointment_out(row)
