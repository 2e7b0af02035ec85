"""Demo appointments, written through the services: a past appointment for every session held
(marked held, linked to its session), the next two for every active course, and one client's
request to move an appointment.

Called by `seed_demo` after the courses exist. Each clinician's week is spread
over different hours so that the demo's own bookings never conflict.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from openipt.appointments.models import AppointmentKind
from openipt.appointments.services import (
    AppointmentConflict,
    appointment_change_request,
    appointment_create,
    appointment_mark_held,
)
from openipt.courses.models import Course, CourseStatus
from openipt.practice.models import Client

# Where demo appointments happen: practical directions only.
_ROOMS = ("Room 2", "Room 3", "")
_KINDS = (AppointmentKind.IN_PERSON, AppointmentKind.IN_PERSON, AppointmentKind.VIDEO)
_HOURS = (9, 10, 11, 14, 15, 16, 17)
# The demo client who has asked to move their next appointment.
REQUESTING_CLIENT = ("Jordan", "Ellis")


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def seed_demo_appointments(*, clients: Iterable[Client]) -> None:
    now = timezone.now()
    today = timezone.localdate()
    courses = (
        Course.objects.filter(client__in=list(clients), status=CourseStatus.ACTIVE)
        .select_related("client", "created_by")
        .order_by("client__family_name", "id")
    )
    for index, course in enumerate(courses):
        clinician, client = course.created_by, course.client
        hour = _HOURS[index % len(_HOURS)]
        kind, room = _KINDS[index % 3], _ROOMS[index % 3]
        minutes = datetime.timedelta(minutes=course.session_minutes)
        for session in course.sessions.order_by("number"):
            starts_at = _at(session.date, hour)
            try:
                held = appointment_create(
                    actor=clinician,
                    client=client,
                    course=course,
                    starts_at=starts_at,
                    ends_at=starts_at + minutes,
                    kind=kind,
                    location=room,
                    now=starts_at - datetime.timedelta(days=2),
                )
            except AppointmentConflict:
                continue
            appointment_mark_held(
                actor=clinician, appointment=held, session=session, now=starts_at + minutes
            )
        upcoming = []
        for week in range(2):
            day = today + datetime.timedelta(days=1 + index % 5 + 7 * week)
            starts_at = _at(day, hour)
            try:
                upcoming.append(
                    appointment_create(
                        actor=clinician,
                        client=client,
                        course=course,
                        starts_at=starts_at,
                        ends_at=starts_at + minutes,
                        kind=kind,
                        location=room,
                        now=now,
                    )
                )
            except AppointmentConflict:
                continue
        asks = (client.given_name, client.family_name) == REQUESTING_CLIENT
        if asks and client.user and upcoming:
            appointment_change_request(
                actor=client.user,
                appointment=upcoming[0],
                kind="reschedule",
                note="Could we meet a little later that day? I finish work at four.",
                now=now,
            )
