"""Access to IPT course pages: the clinicians on the care team run the course,
supervisors of the practice read it, nobody else sees it (404 like a missing id)."""

from __future__ import annotations

from typing import Any

from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World

# Course pages: care-team clinician and practice supervisor read; the rest 404.
COURSE_READERS = outcomes(404, clinician=200, supervisor=200)
# Course writes: care-team clinician only; the supervisor reads but gets 403.
COURSE_WRITERS_GET = outcomes(404, clinician=200, supervisor=403)
COURSE_WRITERS_POST = outcomes(404, clinician=REDIRECT, supervisor=403)


def course_args(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id}


def chart_args(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id, "instrument_code": "phq9"}


def client_2_args(world: World) -> dict[str, Any]:
    return {"client_id": world.client_2.public_id}


ENTRIES: dict[str, Entry] = {
    "courses:caseload": Entry(
        outcomes(403, clinician=200, colleague=200, supervisor=200, clinician_b=200)
    ),
    # Only a clinician on the client's care team starts a course; others who can
    # see the client record are refused, the rest get 404.
    "courses:start": Entry(
        outcomes(404, clinician=200, supervisor=403, admin=403), args=client_2_args
    ),
    "courses:overview": Entry(COURSE_READERS, args=course_args),
    "courses:formulation": Entry(COURSE_READERS, args=course_args),
    "courses:plan": Entry(COURSE_WRITERS_GET, args=course_args),
    "courses:advance": Entry(COURSE_WRITERS_GET, args=course_args),
    "courses:focus": Entry(COURSE_WRITERS_GET, args=course_args),
    "courses:goals": Entry(COURSE_WRITERS_GET, args=course_args),
    "courses:contract": Entry(COURSE_WRITERS_GET, args=course_args),
    "courses:task": Entry(
        COURSE_WRITERS_POST,
        method="POST",
        args=course_args,
        data=lambda w: {"task": "diagnosis_given", "done": "1"},
    ),
    "courses:close": Entry(COURSE_WRITERS_POST, method="POST", args=course_args),
    # The review opens only in the termination phase: course_1 is in its initial
    # phase, so the clinician is sent back to the overview with a message.
    "courses:termination": Entry(
        outcomes(404, clinician=REDIRECT, supervisor=403), args=course_args
    ),
    "courses:summary": Entry(COURSE_READERS, args=course_args),
    # A course's chart is part of the course record: the same readers.
    "courses:chart": Entry(COURSE_READERS, args=chart_args),
}
