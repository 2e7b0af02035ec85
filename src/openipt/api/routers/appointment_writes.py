"""Appointments: book, move, cancel and mark held, as the appointment pages allow.

Each operation calls the same service as its page (`appointments.services`),
so the same rules hold: only a clinician on the client's care team books and
changes a client's appointments (supervisors read them, 403; practice admins,
facilitators and programme managers do not schedule, 403); a time that
overlaps another appointment of the clinician or the client is refused with
409; a change made from an out-of-date `version` is refused with 409, like a
page opened before someone else's change. The answer is the appointment as
`GET /appointments/{id}` shows it.

`POST /appointments` shares its path with the list, and ninja serves one path
from one router: so these operations register on the appointments router
(`openipt.api.main` imports this module for that).
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from openipt.api.errors import errors
from openipt.api.routers.appointments import AppointmentOut, appointment_out, router
from openipt.api.routers.common import actor_of
from openipt.api.routers.write_errors import renamed
from openipt.appointments import policies
from openipt.appointments.models import Appointment, AppointmentKind
from openipt.appointments.selectors import (
    appointment_get_for_writing,
    bookable_courses,
    can_book_for_client,
    sessions_to_link,
)
from openipt.appointments.services import (
    AppointmentConflict,
    StaleAppointment,
    appointment_cancel,
    appointment_create,
    appointment_mark_held,
    appointment_move,
)
from openipt.appointments.services.appointments import MAX_MINUTES, MIN_MINUTES
from openipt.courses.models import Course
from openipt.practice.models import Client
from openipt.practice.roles import roles_for
from openipt.practice.selectors import client_get_for_actor

# The booking and move forms' fields are "date"/"time"/"duration"/"course"; the API's differ.
FIELD_NAMES = {"date": "starts_at", "time": "starts_at", "duration": "duration_minutes"}
CREATE_FIELD_NAMES = {**FIELD_NAMES, "course": "course_id", "client": "client_id"}
WHEN = (
    "When it starts (ISO 8601). A time without an offset is read in the practice's time zone; "
    "it may not have passed."
)
NOT_A_COURSE = "Choose one of this client's current courses."
STALE = (
    "Someone changed this appointment after version {sent}: it is now version {now}. "
    "Read it again (GET /appointments/{{id}}), check it, and send the change with that version."
)


class AppointmentIn(Schema):
    client_id: UUID = Field(description="The client: one on your caseload (care team).")
    course_id: UUID | None = Field(
        None, description="One of the client's current (active) IPT courses, to link it to."
    )
    starts_at: datetime.datetime = Field(description=WHEN)
    duration_minutes: int = Field(description=f"{MIN_MINUTES} to {MAX_MINUTES}.")
    kind: str = Field(AppointmentKind.IN_PERSON, description="in_person, video or phone.")
    location: str = Field(
        "", description="Where or how to join, shown to the client (practical directions only)."
    )


class AppointmentMoveIn(Schema):
    version: int = Field(ge=1, description="The `version` you last read; a newer one is a 409.")
    starts_at: datetime.datetime | None = Field(None, description=WHEN + " Left out: unchanged.")
    duration_minutes: int | None = Field(
        None, description=f"{MIN_MINUTES} to {MAX_MINUTES}; left out: unchanged."
    )
    kind: str | None = Field(None, description="in_person, video or phone; left out: unchanged.")
    location: str | None = Field(None, description="Left out: unchanged.")


class AppointmentCancelIn(Schema):
    version: int | None = Field(
        None, ge=1, description="The `version` you last read; if given, a newer one is a 409."
    )


class AppointmentHeldIn(Schema):
    session_id: UUID | None = Field(
        None, description="The course session recorded for it (a session of its course)."
    )


def _times(
    starts_at: datetime.datetime, minutes: int
) -> tuple[datetime.datetime, datetime.datetime]:
    """Start and end, aware; the length checked before any arithmetic (as the form does)."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValidationError(
            {
                "duration_minutes": (
                    f"An appointment lasts between {MIN_MINUTES} and {MAX_MINUTES} minutes."
                )
            }
        )
    try:
        if timezone.is_naive(starts_at):
            starts_at = timezone.make_aware(starts_at)
        starts_at = starts_at.astimezone(datetime.UTC)
        return starts_at, starts_at + datetime.timedelta(minutes=minutes)
    except (OverflowError, ValueError) as exc:
        raise ValidationError({"starts_at": "Choose a date and time within the calendar."}) from exc


def _conflict(exc: AppointmentConflict) -> HttpError:
    return HttpError(409, " ".join(exc.messages))


def _stale(sent: int | None, exc: StaleAppointment) -> HttpError:
    return HttpError(409, STALE.format(sent=sent, now=exc.current.version))


def _writable(request: HttpRequest, appointment_id: UUID) -> Appointment:
    # 404 when the actor cannot see it, 403 when they only read it (supervisors).
    return appointment_get_for_writing(actor=actor_of(request), public_id=appointment_id)


def _course_for(request: HttpRequest, client: Client, course_id: UUID | None) -> Course | None:
    if course_id is None:
        return None
    course = (
        bookable_courses(actor=actor_of(request), practice=client.practice)
        .filter(public_id=course_id, client=client)
        .first()
    )
    if course is None:
        raise ValidationError({"course_id": NOT_A_COURSE})
    return course


@router.post(
    "/appointments",
    response={201: AppointmentOut, **errors(403, 404, 409, 422)},
    url_name="appointment_create",
)
def appointment_create_api(request: HttpRequest, payload: AppointmentIn) -> Status[AppointmentOut]:
    """Book an appointment with yourself as the clinician, for a client on your caseload.

    Only clinicians book (403 for every other role, as on the booking page); a
    client you cannot see is a 404, one you see but do not treat a 403.
    """
    actor = actor_of(request)
    if not any(policies.can_book(held) for held in roles_for(actor).by_practice.values()):
        raise PermissionDenied
    client = client_get_for_actor(actor=actor, public_id=payload.client_id)
    if not can_book_for_client(actor=actor, client=client):
        raise PermissionDenied
    starts_at, ends_at = _times(payload.starts_at, payload.duration_minutes)
    course = _course_for(request, client, payload.course_id)
    try:
        row = appointment_create(
            actor=actor,
            client=client,
            course=course,
            starts_at=starts_at,
            ends_at=ends_at,
            kind=payload.kind,
            location=payload.location,
        )
    except AppointmentConflict as exc:
        raise _conflict(exc) from exc
    except ValidationError as exc:
        raise renamed(exc, CREATE_FIELD_NAMES) from exc
    return Status(201, appointment_out(row))


@router.post(
    "/appointments/{appointment_id}/move",
    response={200: AppointmentOut, **errors(403, 404, 409, 422)},
    url_name="appointment_move",
)
def appointment_move_api(
    request: HttpRequest, appointment_id: UUID, payload: AppointmentMoveIn
) -> AppointmentOut:
    """Move a booked appointment, or change how or where it happens (the client is told).

    Fields left out keep their current value. `version` is required, as on the page.
    """
    appointment = _writable(request, appointment_id)
    starts_at, ends_at = _times(
        payload.starts_at or appointment.starts_at,
        payload.duration_minutes
        if payload.duration_minutes is not None
        else appointment.duration_minutes,
    )
    try:
        row = appointment_move(
            actor=actor_of(request),
            appointment=appointment,
            starts_at=starts_at,
            ends_at=ends_at,
            kind=payload.kind,
            location=payload.location,
            base_version=payload.version,
        )
    except StaleAppointment as exc:
        raise _stale(payload.version, exc) from exc
    except AppointmentConflict as exc:
        raise _conflict(exc) from exc
    except ValidationError as exc:
        raise renamed(exc, FIELD_NAMES) from exc
    return appointment_out(row)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **errors(403, 404, 409, 422)},
    url_name="appointment_cancel",
)
def appointment_cancel_api(
    request: HttpRequest, appointment_id: UUID, payload: AppointmentCancelIn
) -> AppointmentOut:
    """Cancel a booked appointment: its reminders are dropped and the client is told."""
    appointment = _writable(request, appointment_id)
    try:
        row = appointment_cancel(
            actor=actor_of(request), appointment=appointment, base_version=payload.version
        )
    except StaleAppointment as exc:
        raise _stale(payload.version, exc) from exc
    return appointment_out(row)


@router.post(
    "/appointments/{appointment_id}/held",
    response={200: AppointmentOut, **errors(403, 404, 422)},
    url_name="appointment_mark_held",
)
def appointment_mark_held_api(
    request: HttpRequest, appointment_id: UUID, payload: AppointmentHeldIn
) -> AppointmentOut:
    """Record that an appointment that has started took place, optionally with its session."""
    appointment = _writable(request, appointment_id)
    session = None
    if payload.session_id is not None:
        session = (
            sessions_to_link(appointment=appointment).filter(public_id=payload.session_id).first()
        )
        if session is None:
            raise ValidationError(
                {"session_id": "Choose a session of this appointment's course not linked yet."}
            )
    try:
        row = appointment_mark_held(
            actor=actor_of(request), appointment=appointment, session=session
        )
    except ValidationError as exc:
        raise renamed(exc, {"session": "session_id"}) from exc
    return appointment_out(row)
