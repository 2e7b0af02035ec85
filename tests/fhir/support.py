"""A course with every kind of record the FHIR export maps, and the checks the
fhir.resources models do not make (status values, codes, references)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from openipt.courses.models import (
    Attendance,
    Contract,
    FocusArea,
    Formulation,
    Goal,
    ProcessNote,
    Session,
)
from openipt.courses.models.termination import ProblemReview, TerminationReview
from openipt.fhir.bundle import references
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_submit
from tests.measures.helpers import gad7_answers, submit_phq9
from tests.world import World

Json = dict[str, Any]

# Typed text that must never leave: each one is written into the fixture below.
PROCESS_NOTE = "PROCESS-NOTE-Xq7 she was guarded about her mother"
SESSION_SUMMARY = "SESSION-SUMMARY-Kp2 talked about work"
INTERVAL_HISTORY = "INTERVAL-HISTORY-Zz9 a hard week"
FOCUS_DETAIL = "FOCUS-DETAIL-Mm4 argues about money"
CONTRACT_NOTE = "CONTRACT-NOTE-Rr5 fees waived"
WARNING_SIGNS = "WARNING-SIGNS-Tt6 stops sleeping"
ACCESS_NEEDS = "ACCESS-NEEDS-Yy8 needs an interpreter"
SECRETS = (
    PROCESS_NOTE,
    SESSION_SUMMARY,
    INTERVAL_HISTORY,
    FOCUS_DETAIL,
    CONTRACT_NOTE,
    WARNING_SIGNS,
    ACCESS_NEEDS,
)
GOAL_TEXT = "Talk with Sam about sharing the chores"
FORMULATION_TEXT = "Your low mood began when the arguments with Sam grew."


@dataclass
class Records:
    focus: FocusArea
    ended_focus: FocusArea
    goal: Goal
    no_show: Session
    phq9: MeasureAdministration
    gad7: MeasureAdministration


def build_records(world: World) -> Records:
    course, clinician = world.course_1, world.clinician
    client = world.client_1
    client.access_needs = ACCESS_NEEDS
    client.address = "1 River Road"
    client.save()
    session = world.session_1
    session.summary = SESSION_SUMMARY
    session.interval_history = INTERVAL_HISTORY
    session.save()
    ProcessNote.objects.create(session=session, text=PROCESS_NOTE, author=clinician)
    no_show = Session.objects.create(
        course=course,
        number=2,
        date=datetime.date(2026, 9, 8),
        phase="initial",
        attendance=Attendance.NO_SHOW,
        recorded_by=clinician,
    )
    focus = FocusArea.objects.create(
        course=course,
        area="role_dispute",
        detail=FOCUS_DETAIL,
        dispute_person=world.person_1,
        dispute_stage="impasse",
        chosen_by=clinician,
    )
    ended = FocusArea.objects.create(
        course=course, area="grief", chosen_by=clinician, ended_at=timezone.now()
    )
    goal = Goal.objects.create(course=course, focus_area=focus, text=GOAL_TEXT, rating_at_start=3)
    Formulation.objects.create(course=course, number=1, text=FORMULATION_TEXT, written_by=clinician)
    Contract.objects.create(
        course=course,
        number=1,
        sessions=16,
        frequency="weekly",
        session_minutes=50,
        focus_areas=["role_dispute"],
        notes=CONTRACT_NOTE,
        proposed_by=clinician,
        agreed_at=timezone.now(),
        agreed_via="in_session",
    )
    review = TerminationReview.objects.create(
        course=course, warning_signs=WARNING_SIGNS, recorded_by=clinician
    )
    ProblemReview.objects.create(review=review, goal=goal, rating_at_start=3, rating_now=7)
    # Item 9 positive: the submission raises a risk alert (an open Flag).
    phq9 = submit_phq9(clinician, course, (2, 2, 1, 1, 1, 1, 1, 1, 1), session=session)
    gad7 = measure_submit(
        actor=clinician,
        course=course,
        instrument_code="gad7",
        answers=gad7_answers((1, 2, 1, 0, 0, 1, 1)),
        administered_at=timezone.now(),
    )
    return Records(focus=focus, ended_focus=ended, goal=goal, no_show=no_show, phq9=phq9, gad7=gad7)


# --- checks the library does not make --------------------------------------------------------

ALLOWED_STATUS: dict[str, tuple[str, set[str]]] = {
    "EpisodeOfCare": (
        "status",
        {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"},
    ),
    "Encounter": (
        "status",
        {
            "planned",
            "arrived",
            "triaged",
            "in-progress",
            "onleave",
            "finished",
            "cancelled",
            "entered-in-error",
            "unknown",
        },
    ),
    "CarePlan": (
        "status",
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ),
    "Goal": (
        "lifecycleStatus",
        {
            "proposed",
            "planned",
            "accepted",
            "active",
            "on-hold",
            "completed",
            "cancelled",
            "entered-in-error",
            "rejected",
        },
    ),
    "QuestionnaireResponse": (
        "status",
        {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    ),
    "Observation": (
        "status",
        {
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        },
    ),
    "Flag": ("status", {"active", "inactive", "entered-in-error"}),
    "CareTeam": ("status", {"proposed", "active", "suspended", "inactive", "entered-in-error"}),
    "Questionnaire": ("status", {"draft", "active", "retired", "unknown"}),
}
CONDITION_CLINICAL = {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}


def validate(resource: Json) -> None:
    """Parse with the fhir.resources R4B model of its type (raises on anything invalid)."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)


def check_status(resource: Json) -> None:
    kind = resource["resourceType"]
    if kind in ALLOWED_STATUS:
        field, allowed = ALLOWED_STATUS[kind]
        assert resource[field] in allowed, (kind, resource[field])
    if kind == "Condition":
        assert resource["clinicalStatus"]["coding"][0]["code"] in CONDITION_CLINICAL


def unresolved(resources: Iterable[Json]) -> list[str]:
    items = list(resources)
    present = {f"{r['resourceType']}/{r['id']}" for r in items}
    return sorted({ref for r in items for ref in references(r) if ref not in present})


def of_type(resources: Iterable[Json], kind: str) -> list[Json]:
    return [r for r in resources if r["resourceType"] == kind]


def codes(concept: Json) -> Iterator[tuple[str, str]]:
    for c in concept.get("coding", []):
        yield c.get("system", ""), c["code"]
