"""Access to session, experiment, medication and draft pages.

The clinicians on the client's care team read and write; supervisors of the
practice read (and get 403 on every write); everyone else, the client
included, gets the same 404 as for a missing id.
"""

from __future__ import annotations

import datetime
from typing import Any

from openipt.courses.models import Experiment, Medication, Session
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World

READERS = outcomes(404, clinician=200, supervisor=200)
WRITERS_GET = outcomes(404, clinician=200, supervisor=403)
WRITERS_POST = outcomes(404, clinician=REDIRECT, supervisor=403)


def _course(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id}


def _session_1(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id, "session_id": world.session_1.public_id}


def _experiment_to_review(world: World) -> dict[str, Any]:
    experiment = Experiment.objects.create(
        course=world.course_1, assigned_in=world.session_1, description="Call Sam."
    )
    session_2 = Session.objects.create(
        course=world.course_1,
        number=2,
        date=datetime.date(2026, 9, 8),
        phase="initial",
        recorded_by=world.clinician,
    )
    return {
        "public_id": world.course_1.public_id,
        "session_id": session_2.public_id,
        "experiment_id": experiment.public_id,
    }


def _medication(world: World) -> dict[str, Any]:
    medication = Medication.objects.create(
        course=world.course_1,
        agent="Sertraline",
        dose="50 mg",
        start_date=datetime.date(2026, 8, 1),
    )
    return {"public_id": world.course_1.public_id, "medication_id": medication.public_id}


ENTRIES: dict[str, Entry] = {
    "courses:sessions": Entry(READERS, args=_course),
    "courses:session_new": Entry(WRITERS_GET, args=_course),
    "courses:session_detail": Entry(READERS, args=_session_1),
    "courses:experiment_assign": Entry(
        WRITERS_POST,
        method="POST",
        args=_session_1,
        data=lambda w: {"description": "Ask Sam for a walk on Sunday."},
    ),
    "courses:experiment_review": Entry(
        WRITERS_POST,
        method="POST",
        args=_experiment_to_review,
        data=lambda w: {"status": "done", "review_note": "It went well."},
    ),
    "courses:experiments": Entry(READERS, args=_course),
    "courses:medication": Entry(READERS, args=_course),
    "courses:medication_new": Entry(WRITERS_GET, args=_course),
    "courses:medication_edit": Entry(WRITERS_GET, args=_medication),
    "courses:medication_change": Entry(
        WRITERS_POST,
        method="POST",
        args=_medication,
        data=lambda w: {"date": "2026-09-10", "dose": "100 mg", "note": ""},
    ),
    "courses:draft_save": Entry(
        outcomes(404, clinician=200, supervisor=403),
        method="POST",
        args=_course,
        data=lambda w: {"key": "session:new:summary", "text": "Typed, not saved."},
    ),
    # Discarding touches only one's own drafts, so every reader may press it.
    "courses:draft_discard": Entry(
        outcomes(404, clinician=REDIRECT, supervisor=REDIRECT),
        method="POST",
        args=_course,
        data=lambda w: {"key_prefix": "session:new:"},
    ),
}
