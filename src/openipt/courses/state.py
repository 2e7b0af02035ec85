"""Build the protocol engine's snapshot of a course from the database."""

from __future__ import annotations

from openipt.courses.models import Course, ExperimentStatus, FocusArea
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
    # Measures arrive with the measures issue; until then a clinician marks the
    # baseline as done, and the engine is told it is current.
    sessions_since_measure = 0 if TaskCode.BASELINE_MEASURE in done else None
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
