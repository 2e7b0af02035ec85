"""Access to the appointment pages.

Clinician side: the client's care-team clinicians read and change an
appointment; supervisors of the practice read it (403 on changes); everyone
else gets the same 404 as for a missing id. The calendar list and the booking
form are for clinicians (and, for the list, supervisors) of the current
practice, 403 for other roles. Client side: a client sees only their own
appointments (404 for anyone else's, and for staff, who have no client record).

The private calendar feed is reached WITHOUT signing in: the token in its
address is the key, so every role, anonymous included, gets 200 with a valid
token (an unknown or revoked token is a 404; tests/appointments covers that).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from openipt.appointments.models import Appointment
from openipt.appointments.services import (
    appointment_change_request,
    appointment_create,
    calendar_feed_create,
)
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World


def _book(world: World, *, days: int = 3, started: bool = False) -> Appointment:
    now = timezone.now()
    if started:
        starts_at = now - datetime.timedelta(minutes=30)
        booked_at = now - datetime.timedelta(days=1)
    else:
        starts_at = now + datetime.timedelta(days=days)
        booked_at = now
    return appointment_create(
        actor=world.clinician,
        client=world.client_1,
        course=world.course_1,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=50),
        now=booked_at,
    )


def _appointment(world: World) -> dict[str, Any]:
    return {"public_id": _book(world).public_id}


def _started_appointment(world: World) -> dict[str, Any]:
    return {"public_id": _book(world, started=True).public_id}


def _pending_request(world: World) -> dict[str, Any]:
    change_request, _ = appointment_change_request(
        actor=world.client_user_1, appointment=_book(world), kind="cancel"
    )
    return {"public_id": change_request.public_id}


def _feed_token(world: World) -> dict[str, Any]:
    _, token = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    return {"token": token}


CARE_TEAM_READS = outcomes(404, clinician=200, supervisor=200)
CARE_TEAM_WRITES_POST = outcomes(404, clinician=REDIRECT, supervisor=403)
OWN_CLIENT_ONLY = outcomes(404, client=200)
EVERY_CLIENT = outcomes(404, client=200, client_b=200)

ENTRIES: dict[str, Entry] = {
    "appointments:list": Entry(
        outcomes(403, clinician=200, colleague=200, supervisor=200, clinician_b=200)
    ),
    "appointments:create": Entry(outcomes(403, clinician=200, colleague=200, clinician_b=200)),
    "appointments:detail": Entry(CARE_TEAM_READS, args=_appointment),
    "appointments:move": Entry(outcomes(404, clinician=200, supervisor=403), args=_appointment),
    "appointments:cancel": Entry(
        CARE_TEAM_WRITES_POST, method="POST", args=_appointment, data=lambda w: {"version": 1}
    ),
    "appointments:held": Entry(CARE_TEAM_WRITES_POST, method="POST", args=_started_appointment),
    "appointments:request_accept": Entry(
        CARE_TEAM_WRITES_POST, method="POST", args=_pending_request
    ),
    "appointments:request_decline": Entry(
        CARE_TEAM_WRITES_POST, method="POST", args=_pending_request
    ),
    "appointments:my_list": Entry(EVERY_CLIENT),
    "appointments:my_detail": Entry(OWN_CLIENT_ONLY, args=_appointment),
    "appointments:my_change": Entry(
        outcomes(404, client=REDIRECT),
        method="POST",
        args=_appointment,
        data=lambda w: {"kind": "reschedule", "note": "Thursdays suit me."},
    ),
    "appointments:my_ics": Entry(OWN_CLIENT_ONLY, args=_appointment),
    "appointments:my_feed": Entry(EVERY_CLIENT),
    "appointments:my_feed_create": Entry(
        outcomes(404, client=REDIRECT, client_b=REDIRECT), method="POST"
    ),
    "appointments:my_feed_revoke": Entry(
        outcomes(404, client=REDIRECT, client_b=REDIRECT), method="POST"
    ),
    # Token authentication: anyone holding a valid address gets the feed.
    "appointments:feed": Entry(outcomes(200, anonymous=200), args=_feed_token),
}
