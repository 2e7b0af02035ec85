"""Access to questionnaire pages (clinician, practice admin and portal).

Course pages follow the course rules: the client's care-team clinicians read
and write, supervisors of the practice read (403 on writes), everyone else,
the client included, gets the same 404 as for a missing id. Instrument pages
are for practice admins only. Portal pages show a client their own
questionnaires; staff have no client record there (404).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from openipt.measures.models import MeasureAdministration, MeasureRequest
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World

READERS = outcomes(404, clinician=200, supervisor=200)
WRITERS_GET = outcomes(404, clinician=200, supervisor=403)
WRITERS_POST = outcomes(404, clinician=REDIRECT, supervisor=403)
ADMIN_ONLY = outcomes(403, admin=200)


def _course(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id}


def _administration(world: World) -> dict[str, Any]:
    answers = {f"phq9-{n}": 1 for n in range(1, 9)} | {"phq9-9": 0, "phq9-difficulty": 1}
    administration = MeasureAdministration.objects.create(
        course=world.course_1,
        client=world.client_1,
        practice=world.practice_a,
        instrument_code="phq9",
        instrument_version="1.0",
        answers=answers,
        total=8,
        band_code="mild",
        administered_at=timezone.now() - datetime.timedelta(days=1),
        mode="in_session",
        entered_by=world.clinician,
    )
    return {"public_id": administration.public_id}


def _open_request(world: World) -> dict[str, Any]:
    now = timezone.now()
    request = MeasureRequest.objects.create(
        course=world.course_1,
        instrument_code="gad7",
        requested_at=now,
        expires_at=now + datetime.timedelta(days=7),
        requested_by=world.clinician,
    )
    return {"public_id": request.public_id}


ENTRIES: dict[str, Entry] = {
    "measures:history": Entry(READERS, args=_course),
    "measures:record": Entry(WRITERS_GET, args=_course),
    "measures:schedule": Entry(READERS, args=_course),
    "measures:send": Entry(WRITERS_GET, args=_course),
    "measures:request_cancel": Entry(WRITERS_POST, method="POST", args=_open_request),
    "measures:result": Entry(READERS, args=_administration),
    "measures:correct": Entry(WRITERS_GET, args=_administration),
    "measures:instruments": Entry(ADMIN_ONLY),
    "measures:instrument_upload": Entry(ADMIN_ONLY),
    "measures:licensed_text": Entry(ADMIN_ONLY),
    "measures:client_scores_setting": Entry(
        outcomes(403, admin=REDIRECT),
        method="POST",
        data=lambda _world: {"clients_see_own_scores": "on"},
    ),
    "portal:questionnaires": Entry(outcomes(404, client=200, client_b=200)),
    "portal:questionnaire": Entry(outcomes(404, client=200), args=_open_request),
}
