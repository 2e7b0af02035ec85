"""Build the protocol engine's snapshot of a course from the database."""

from __future__ import annotations

import datetime

from django.utils import timezone

from openipt.courses.models import Course, ExperimentStatus, FocusArea, Session
from openipt.measures.models import MeasureAdministration
from openipt.protocol.engine import CourseState
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.tasks import TaskCode


def plan_of(course: Course) -> PhasePlan:
    return PhasePlan(
        initial_last=course.initial_last,
        middle_last=course.middle_last,
        total=course.planned_sessions,
    )


def course_state(course: Course) -> CourseState:
    """Everything the engine needs, in a fixed, small number of queries."""
    done = {TaskCode(mark) for mark in course.task_marks.values_list("task", flat=True)}
    if course.formulations.exists():
        done.add(TaskCode.FORMULATION)
    focus = tuple(
        FocusArea.objects.filter(course=course, ended_at__isnull=True)
        .order_by("created_at")
        .values_list("area", flat=True)
    )
    if focus:
        done.add(TaskCode.FOCUS_CHOSEN)
    contract = course.contracts.order_by("-number").first()
    if contract is not None and contract.is_agreed:
        done.add(TaskCode.CONTRACT_AGREED)
    # A saved closeness circle (required in IPT-A) is the record of that task.
    if course.circle_versions.exists():
        done.add(TaskCode.CLOSENESS_CIRCLE)
    last_session = course.sessions.order_by("-number").values_list("number", flat=True).first()
    measured_for = latest_measure_session(course)
    if measured_for is not None:
        # A questionnaire in the record is the baseline measure.
        done.add(TaskCode.BASELINE_MEASURE)
        sessions_since_measure: int | None = max((last_session or 0) - measured_for, 0)
    elif TaskCode.BASELINE_MEASURE in done:
        # Ticked by hand (a baseline taken outside OpenIPT, or before measures
        # were recorded here): the engine is told it is current, as before.
        sessions_since_measure = 0
    else:
        sessions_since_measure = None
    return CourseState(
        variant_code=course.variant,
        plan=plan_of(course),
        phase=Phase(course.phase),
        last_session_number=last_session or 0,
        done=frozenset(done),
        focus_areas=focus,
        contract_sessions=contract.sessions if contract is not None else None,
        sessions_since_measure=sessions_since_measure,
        gate_overridden=course.transitions.filter(overridden=True).exists(),
        open_experiments=course.experiments.filter(
            status__in=[ExperimentStatus.ASSIGNED, ExperimentStatus.DONE, ExperimentStatus.NOT_DONE]
        ).count(),
        area_labels=dict(course.practice.problem_area_labels or {}),
    )


def latest_measure_session(course: Course) -> int | None:
    """The session the course's latest questionnaire counts for, or None when there is none.

    A questionnaire linked to a session counts for it; one completed between
    sessions counts for the first session on or after its date, or the next
    one when none is recorded yet (the rule `measures.selectors.score_series`
    uses). Corrected questionnaires count through their correction. One or two
    queries.
    """
    latest = (
        MeasureAdministration.objects.filter(course=course, superseded=False)
        .order_by("-administered_at", "-id")
        .values_list("session__number", "administered_at")
        .first()
    )
    if latest is None:
        return None
    number, at = latest
    if number is not None:
        return int(number)
    return _session_on_or_after(course, timezone.localdate(at))


def _session_on_or_after(course: Course, day: datetime.date) -> int:
    numbers = list(
        Session.objects.filter(course=course).order_by("number").values_list("number", "date")
    )
    for number, date in numbers:
        if date >= day:
            return int(number)
    return (numbers[-1][0] + 1) if numbers else 1
