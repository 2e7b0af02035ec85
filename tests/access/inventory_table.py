"""Access to the inventory, closeness circle and timeline pages of a course.

Same rule as every course page: the clinicians on the client's care team read
and write, supervisors of the practice read (403 on writes), everyone else gets
the 404 of a missing id.
"""

from __future__ import annotations

import datetime
from typing import Any

from openipt.courses.models import LifeEvent, LifeEventKind
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World

READERS = outcomes(404, clinician=200, supervisor=200)
WRITERS_GET = outcomes(404, clinician=200, supervisor=403)
WRITERS_POST = outcomes(404, clinician=REDIRECT, supervisor=403)


def _course(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id}


def _person(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id, "person_id": world.person_1.public_id}


def _event(world: World) -> dict[str, Any]:
    # Called inside each role's rolled-back savepoint, so every role gets a fresh event.
    event = LifeEvent.objects.create(
        course=world.course_1,
        date=datetime.date(2026, 3, 1),
        kind=LifeEventKind.MOVE,
        title="Moved to a new town",
    )
    return {"public_id": world.course_1.public_id, "event_id": event.public_id}


ENTRIES: dict[str, Entry] = {
    "courses:inventory": Entry(READERS, args=_course),
    "courses:inventory_add": Entry(WRITERS_GET, args=_course),
    "courses:inventory_person": Entry(READERS, args=_person),
    "courses:inventory_edit": Entry(WRITERS_GET, args=_person),
    "courses:inventory_remove": Entry(WRITERS_GET, args=_person),
    "courses:circle": Entry(READERS, args=_course),
    "courses:circle_move": Entry(
        WRITERS_POST, method="POST", args=_person, data=lambda w: {"direction": "further"}
    ),
    "courses:circle_version_save": Entry(
        WRITERS_POST, method="POST", args=_course, data=lambda w: {"label": "Start of course"}
    ),
    "courses:circle_compare": Entry(READERS, args=_course),
    "courses:timeline": Entry(READERS, args=_course),
    "courses:timeline_add": Entry(WRITERS_GET, args=_course),
    "courses:timeline_edit": Entry(WRITERS_GET, args=_event),
    "courses:timeline_remove": Entry(WRITERS_GET, args=_event),
}
