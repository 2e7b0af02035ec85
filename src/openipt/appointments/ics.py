"""iCalendar (.ics) for a client's appointments: for one download and for the private feed.

Each event carries what a calendar needs and nothing clinical: the summary
"Appointment with <practice>", the start and end (in UTC, so no time-zone
tables are needed), where or how (a room, "Video call"), and a stable UID and
SEQUENCE so that a calendar updates a moved appointment instead of adding a
second one. No clinician name, course, phase or note.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from openipt.appointments.models import Appointment, AppointmentKind, AppointmentStatus
from openipt.practice.models import Practice

PRODID = "-//OpenIPT//Appointments//EN"


def _uid_host() -> str:
    return urlsplit(settings.BASE_URL).hostname or "openipt.invalid"


def summary(practice: Practice) -> str:
    return gettext("Appointment with %(practice)s") % {"practice": practice.name}


def _event(appointment: Appointment, *, stamp: datetime.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"appointment-{appointment.public_id}@{_uid_host()}")
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(datetime.UTC))
    event.add("dtend", appointment.ends_at.astimezone(datetime.UTC))
    event.add("summary", summary(appointment.practice))
    where = appointment.location
    if not where and appointment.kind != AppointmentKind.IN_PERSON:
        where = str(AppointmentKind(appointment.kind).label)
    if where:
        event.add("location", where)
    event.add("sequence", appointment.version)
    event.add(
        "status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED"
    )
    event.add("transp", "OPAQUE")
    return event


def calendar_bytes(
    appointments: Iterable[Appointment],
    *,
    name: str | None = None,
    now: datetime.datetime | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per appointment (their `practice` must be loaded)."""
    stamp = (now or timezone.now()).astimezone(datetime.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    for appointment in appointments:
        cal.add_component(_event(appointment, stamp=stamp))
    data: bytes = cal.to_ical()
    return data
