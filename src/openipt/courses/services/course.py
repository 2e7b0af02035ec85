"""Starting a course, changing its plan, marking tasks and moving between phases."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses import policies
from openipt.courses.models import (
    Course,
    CourseStatus,
    CourseTaskMark,
    PhaseBoundaryChange,
    PhaseTransition,
    TerminationReview,
)
from openipt.courses.selectors import can_write_course
from openipt.courses.state import course_state
from openipt.practice.models import CareTeamMember, CareTeamRole, Client
from openipt.practice.roles import roles_for
from openipt.protocol.engine import advance_decision, gate_status
from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.tasks import TaskCode
from openipt.protocol.variants import get_variant

if TYPE_CHECKING:
    from openipt.accounts.models import User


class StaleEdit(Exception):
    """Someone else saved this record after the edit began; the caller keeps the typed text."""


# Tasks the record shows by itself; a clinician does not tick them.
DERIVED_TASKS = frozenset(
    {
        TaskCode.FORMULATION,
        TaskCode.FOCUS_CHOSEN,
        TaskCode.CONTRACT_AGREED,
        TaskCode.CLOSENESS_CIRCLE,
        # Set by completing the progress review.
        TaskCode.PROGRESS_REVIEWED,
        TaskCode.ENDING_FEELINGS,
        TaskCode.WARNING_SIGNS,
        TaskCode.NEXT_STEP_AGREED,
    }
)


def _audit(
    actor: User,
    course: Course,
    action: AuditAction,
    what: str,
    fields: list[str],
    object_public_id: object = None,
) -> None:
    record(
        actor=actor,
        action=action,
        object_type=what,
        object_public_id=object_public_id or course.public_id,  # type: ignore[arg-type]
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
        changed_fields=fields,
    )


def require_writer(actor: User, course: Course) -> None:
    if not can_write_course(actor=actor, course=course):
        raise PermissionDenied
    if course.status == CourseStatus.CLOSED:
        raise ValidationError("This course is closed.")


def _validated_plan(initial_last: int, middle_last: int, total: int | None) -> PhasePlan:
    plan = PhasePlan(initial_last=initial_last, middle_last=middle_last, total=total)
    try:
        plan.validate()
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from exc
    return plan


@transaction.atomic
def course_start(
    *,
    actor: User,
    client: Client,
    variant_code: str,
    planned_sessions: int | None,
    frequency: str,
    session_minutes: int,
    start_date: datetime.date,
    initial_last: int | None = None,
    middle_last: int | None = None,
    expected_delivery_date: datetime.date | None = None,
    delivery_date: datetime.date | None = None,
) -> Course:
    """Start a course for a client on the actor's care team. One active course at a time."""
    roles = roles_for(actor).in_practice(client.practice_id)
    on_team = CareTeamMember.objects.filter(
        client=client, user=actor, role=CareTeamRole.CLINICIAN
    ).exists()
    if not (policies.can_start_course(roles) and on_team):
        raise PermissionDenied
    if client.is_archived:
        raise ValidationError("Restore this client record before starting a course.")
    if Course.objects.filter(client=client, status=CourseStatus.ACTIVE).exists():
        raise ValidationError("This client already has an active course. Close it first.")
    try:
        variant = get_variant(variant_code)
        default = variant.plan_for(planned_sessions)
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from exc
    plan = _validated_plan(
        initial_last if initial_last is not None else default.initial_last,
        middle_last if middle_last is not None else default.middle_last,
        planned_sessions,
    )
    course = Course.objects.create(
        client=client,
        practice=client.practice,
        variant=variant.code,
        planned_sessions=plan.total,
        frequency=frequency,
        session_minutes=session_minutes,
        start_date=start_date,
        initial_last=plan.initial_last,
        middle_last=plan.middle_last,
        expected_delivery_date=expected_delivery_date,
        delivery_date=delivery_date,
        created_by=actor,
    )
    _audit(
        actor,
        course,
        AuditAction.CREATE,
        "course",
        [
            "variant",
            "planned_sessions",
            "frequency",
            "session_minutes",
            "start_date",
            "initial_last",
            "middle_last",
        ],
    )
    return course


@transaction.atomic
def course_change_plan(
    *,
    actor: User,
    course: Course,
    planned_sessions: int | None,
    initial_last: int,
    middle_last: int,
    reason: str,
) -> Course:
    """Change planned sessions or phase boundaries; the reason is kept with the change."""
    require_writer(actor, course)
    if not reason.strip():
        raise ValidationError("Give a reason for changing the plan.")
    locked = Course.objects.select_for_update().get(pk=course.pk)
    plan = _validated_plan(initial_last, middle_last, planned_sessions)
    last = locked.sessions.order_by("-number").values_list("number", flat=True).first() or 0
    if plan.total is not None and plan.total < last:
        raise ValidationError(
            f"Session {last} has already been recorded: plan at least {last} sessions."
        )
    PhaseBoundaryChange.objects.create(
        course=locked,
        planned_sessions_before=locked.planned_sessions,
        planned_sessions_after=plan.total,
        initial_last_before=locked.initial_last,
        initial_last_after=plan.initial_last,
        middle_last_before=locked.middle_last,
        middle_last_after=plan.middle_last,
        reason=reason.strip(),
        changed_by=actor,
    )
    locked.planned_sessions = plan.total
    locked.initial_last = plan.initial_last
    locked.middle_last = plan.middle_last
    locked.version += 1
    locked.save()
    _audit(
        actor,
        locked,
        AuditAction.UPDATE,
        "course_plan",
        ["planned_sessions", "initial_last", "middle_last", "reason"],
    )
    return locked


@transaction.atomic
def course_mark_task(*, actor: User, course: Course, task: str, done: bool = True) -> None:
    """Tick (or untick) a phase task that the record cannot show by itself."""
    require_writer(actor, course)
    try:
        code = TaskCode(task)
    except ValueError as exc:
        raise ValidationError("Unknown task.") from exc
    if code in DERIVED_TASKS:
        raise ValidationError("This task is done by recording it, not by ticking it.")
    if (
        done
        and code == TaskCode.INVENTORY
        and not course.inventory.filter(removed_at__isnull=True).exists()
    ):
        raise ValidationError("Add at least one person to the inventory first.")
    if done:
        _, created = CourseTaskMark.objects.get_or_create(
            course=course, task=code, defaults={"by": actor}
        )
        if not created:
            return
    else:
        deleted, _ = CourseTaskMark.objects.filter(course=course, task=code).delete()
        if not deleted:
            return
    _audit(actor, course, AuditAction.UPDATE, "course_task", [code.value])


@transaction.atomic
def course_advance_phase(*, actor: User, course: Course, override_reason: str = "") -> Course:
    """Move to the next phase. Into the middle phase only through the gate, or with a reason."""
    require_writer(actor, course)
    locked = (
        Course.objects.select_for_update().select_related("client", "practice").get(pk=course.pk)
    )
    state = course_state(locked)
    decision = advance_decision(state)
    if decision.to_phase is None:
        raise ValidationError(" ".join(decision.reasons) or "This course cannot move on.")
    overridden = False
    if not decision.allowed:
        if not decision.needs_override:
            raise ValidationError(" ".join(decision.reasons))
        if not override_reason.strip():
            raise ValidationError(
                "The gate into the middle phase is not complete: "
                + " ".join(decision.reasons)
                + " To move on anyway, give a reason for overriding it."
            )
        overridden = True
    missing = [task.code.value for task in gate_status(state).missing] if overridden else []
    PhaseTransition.objects.create(
        course=locked,
        from_phase=locked.phase,
        to_phase=decision.to_phase,
        after_session=state.last_session_number,
        overridden=overridden,
        override_reason=override_reason.strip() if overridden else "",
        missing_tasks=missing,
        by=actor,
    )
    locked.phase = Phase(decision.to_phase)
    locked.version += 1
    locked.save(update_fields=["phase", "version", "updated_at"])
    _audit(
        actor,
        locked,
        AuditAction.UPDATE,
        "course_phase",
        ["phase", "gate_override"] if overridden else ["phase"],
    )
    return locked


@transaction.atomic
def course_close(*, actor: User, course: Course) -> Course:
    """Close a course after its progress review. Closed courses are read-only."""
    require_writer(actor, course)
    review = TerminationReview.objects.filter(course=course).first()
    if review is None or review.completed_at is None:
        raise ValidationError("Complete the progress review before closing the course.")
    course.status = CourseStatus.CLOSED
    course.closed_at = timezone.now()
    course.version += 1
    course.save(update_fields=["status", "closed_at", "version", "updated_at"])
    _audit(actor, course, AuditAction.UPDATE, "course", ["status"])
    return course
