"""What a client may read of their own courses, for the portal.

Every function takes the client record the portal obtained with
`openipt.practice.selectors.own_client_record` (so it is the signed-in
person's own) and only ever looks inside that client's courses: an id from
another client, or another practice, is a 404 exactly like a missing one.

What the client sees is the client-facing part of the record: the formulation
the clinician wrote for them, the focus, goals, contract, session dates and
the experiments agreed with them. Process notes, session write-ups, review
notes, inventory details and everything else written for the clinical team
are never read here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from openipt.courses.models import (
    Contract,
    Course,
    CourseStatus,
    Experiment,
    ExperimentStatus,
    FocusArea,
    Formulation,
    Goal,
    Session,
)
from openipt.protocol.phases import Phase

if TYPE_CHECKING:
    from openipt.practice.models import Client

# Experiments the client can still write about: once the clinician has gone
# through one in a session, it is closed.
REPORTABLE_STATUSES = (ExperimentStatus.ASSIGNED, ExperimentStatus.DONE, ExperimentStatus.NOT_DONE)


def current_course_for_client(*, client: Client) -> Course | None:
    """The running course, or else the most recent one (None before the first)."""
    courses = Course.objects.filter(client=client).order_by("-start_date", "-id")
    return courses.filter(status=CourseStatus.ACTIVE).first() or courses.first()


def courses_for_client(*, client: Client) -> QuerySet[Course]:
    return Course.objects.filter(client=client).order_by("start_date", "id")


@dataclass(frozen=True)
class FocusForClient:
    """One current focus area, with the person it concerns when there is one."""

    area: str
    person_name: str = ""


@dataclass(frozen=True)
class CourseProgress:
    """Where the client is in their course, as facts the portal puts into words."""

    course: Course
    phase: Phase
    is_closed: bool
    last_session_number: int
    last_session_date: datetime.date | None
    planned_sessions: int | None
    focus: tuple[FocusForClient, ...] = field(default=())


def _focus_for_client(course: Course) -> tuple[FocusForClient, ...]:
    rows = (
        FocusArea.objects.filter(course=course, ended_at__isnull=True)
        .select_related("dispute_person", "grief_person")
        .order_by("created_at")
    )
    result = []
    for row in rows:
        person = row.dispute_person or row.grief_person
        name = person.name if person is not None and person.removed_at is None else ""
        result.append(FocusForClient(area=row.area, person_name=name))
    return tuple(result)


def course_progress_for_client(*, client: Client) -> CourseProgress | None:
    """The client's course position (three queries), or None before their first course."""
    course = current_course_for_client(client=client)
    if course is None:
        return None
    last = (
        Session.objects.filter(course=course)
        .order_by("-number")
        .values_list("number", "date")
        .first()
    )
    return CourseProgress(
        course=course,
        phase=Phase(course.phase),
        is_closed=course.status == CourseStatus.CLOSED,
        last_session_number=last[0] if last else 0,
        last_session_date=last[1] if last else None,
        planned_sessions=course.planned_sessions,
        focus=_focus_for_client(course),
    )


@dataclass(frozen=True)
class ClientPlan:
    """The client's plan: the formulation, focus, goals and contract of one course."""

    course: Course
    formulation: Formulation | None
    focus: tuple[FocusForClient, ...]
    goals: tuple[Goal, ...]
    contract: Contract | None
    # The latest contract, when the clinician has proposed it and it waits for
    # the client's agreement (and the course is still running).
    agreement_asked: bool


def plan_for_client(*, client: Client, course: Course) -> ClientPlan:
    """The plan of one of the client's own courses (four or five queries)."""
    if course.client_id != client.pk:
        raise Http404("No such course.")
    contract = course.contracts.order_by("-number").first()
    return ClientPlan(
        course=course,
        formulation=course.formulations.order_by("-number").first(),
        focus=_focus_for_client(course),
        goals=tuple(course.goals.filter(ended_at__isnull=True).order_by("position", "created_at")),
        contract=contract,
        agreement_asked=(
            contract is not None and not contract.is_agreed and course.status == CourseStatus.ACTIVE
        ),
    )


def contract_get_for_client(*, client: Client, public_id: UUID | str) -> Contract:
    """One contract of one of the client's courses, or a 404."""
    try:
        return Contract.objects.select_related("course", "course__client", "course__practice").get(
            course__client=client, public_id=public_id
        )
    except (Contract.DoesNotExist, ValueError) as exc:
        raise Http404("No such contract.") from exc


def experiments_for_client(*, client: Client) -> list[Experiment]:
    """The experiments of the client's current course, newest first (one query)."""
    course = current_course_for_client(client=client)
    if course is None:
        return []
    return list(
        Experiment.objects.filter(course=course)
        .select_related("person", "assigned_in", "reviewed_in", "course")
        .order_by("-assigned_in__number", "-created_at")
    )


def experiment_get_for_client(*, client: Client, public_id: UUID | str) -> Experiment:
    """One experiment of one of the client's courses, or a 404."""
    try:
        return Experiment.objects.select_related(
            "person", "assigned_in", "course", "course__client", "course__practice"
        ).get(course__client=client, public_id=public_id)
    except (Experiment.DoesNotExist, ValueError) as exc:
        raise Http404("No such experiment.") from exc


def experiment_is_reportable(experiment: Experiment) -> bool:
    return (
        experiment.status in REPORTABLE_STATUSES and experiment.course.status == CourseStatus.ACTIVE
    )


# --- the client's copy of their data -----------------------------------------------------------


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def courses_export_for_client(*, client: Client) -> list[dict[str, object]]:
    """The client-facing part of each of the client's courses, as plain JSON values.

    Included: the plan and phases, session dates and attendance, every
    version of the formulation, the focus areas (which, and when), goals,
    every version of the contract (not its working notes) and the experiments
    with the client's own reports. Excluded: process notes, session
    write-ups, technique details, the inventory's details, review notes and
    every other text written for the clinical team. A fixed number of queries
    per course.
    """
    result: list[dict[str, object]] = []
    for course in courses_for_client(client=client):
        sessions = Session.objects.filter(course=course).order_by("number")
        experiments = (
            Experiment.objects.filter(course=course)
            .select_related("person", "assigned_in")
            .order_by("assigned_in__number", "created_at")
        )
        total = course.planned_sessions
        result.append(
            {
                "id": str(course.public_id),
                "started": _iso(course.start_date),
                "status": course.status,
                "closed_at": _iso(course.closed_at),
                "current_phase": course.phase,
                "planned_sessions": total,
                "frequency": course.frequency,
                "session_minutes": course.session_minutes,
                "phases": [
                    {"phase": Phase.INITIAL.value, "sessions": [1, course.initial_last]},
                    {
                        "phase": Phase.MIDDLE.value,
                        "sessions": [
                            course.initial_last + 1,
                            course.middle_last if total is not None else None,
                        ],
                    },
                    *(
                        [
                            {
                                "phase": Phase.TERMINATION.value,
                                "sessions": [course.middle_last + 1, total],
                            }
                        ]
                        if total is not None
                        else []
                    ),
                ],
                "sessions": [
                    {"number": s.number, "date": _iso(s.date), "attendance": s.attendance}
                    for s in sessions
                ],
                "formulation": [
                    {"version": f.number, "written_at": _iso(f.created_at), "text": f.text}
                    for f in Formulation.objects.filter(course=course).order_by("number")
                ],
                "focus_areas": [
                    {"area": f.area, "chosen_at": _iso(f.created_at), "ended_at": _iso(f.ended_at)}
                    for f in FocusArea.objects.filter(course=course).order_by("created_at")
                ],
                "goals": [
                    {
                        "text": g.text,
                        "rating_at_start": g.rating_at_start,
                        "ended_at": _iso(g.ended_at),
                    }
                    for g in Goal.objects.filter(course=course).order_by("position", "created_at")
                ],
                "contract": [
                    {
                        "version": c.number,
                        "sessions": c.sessions,
                        "frequency": c.frequency,
                        "session_minutes": c.session_minutes,
                        "proposed_at": _iso(c.created_at),
                        "agreed_at": _iso(c.agreed_at),
                        "agreed_via": c.agreed_via,
                    }
                    for c in Contract.objects.filter(course=course).order_by("number")
                ],
                "experiments": [
                    {
                        "agreed_in_session": e.assigned_in.number,
                        "description": e.description,
                        "with": e.person.name if e.person is not None else None,
                        "status": e.status,
                        "my_report": {
                            "what_happened": e.report_what_happened,
                            "what_was_said": e.report_what_was_said,
                            "how_it_felt": e.report_how_it_felt,
                            "reported_at": _iso(e.reported_at),
                        },
                    }
                    for e in experiments
                ],
            }
        )
    return result
