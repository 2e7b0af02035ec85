"""Formulation, focus, goals and the contract: each change is a new version, never an overwrite."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.courses.models import (
    AgreementChannel,
    Contract,
    Course,
    FocusArea,
    Formulation,
    Goal,
    InventoryPerson,
    PhaseBoundaryChange,
)
from openipt.courses.services.course import _audit, require_writer
from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.problem_areas import ProblemAreaCode, grief_applies, validate_focus

if TYPE_CHECKING:
    from openipt.accounts.models import User


@transaction.atomic
def formulation_save(*, actor: User, course: Course, text: str) -> Formulation:
    """Save the client-facing formulation as a new version."""
    require_writer(actor, course)
    text = text.strip()
    if not text:
        raise ValidationError("Write the formulation before saving it.")
    latest = course.formulations.aggregate(n=Max("number"))["n"] or 0
    formulation = Formulation.objects.create(
        course=course, number=latest + 1, text=text, written_by=actor
    )
    _audit(actor, course, AuditAction.CREATE, "formulation", ["text"], formulation.public_id)
    return formulation


@dataclass(frozen=True)
class FocusChoice:
    """One problem area as the clinician describes it on the focus form."""

    area: str
    detail: str = ""
    dispute_person: InventoryPerson | None = None
    dispute_stage: str = ""
    old_role: str = ""
    new_role: str = ""
    grief_person: InventoryPerson | None = None
    loss_date: datetime.date | None = None
    loss_is_death: bool = True


def _same_focus(current: Sequence[FocusArea], choices: Sequence[FocusChoice]) -> bool:
    def key_of_row(f: FocusArea) -> tuple[object, ...]:
        return (
            f.area,
            f.detail,
            f.dispute_person_id,
            f.dispute_stage,
            f.old_role,
            f.new_role,
            f.grief_person_id,
            f.loss_date,
            f.loss_is_death,
        )

    def key_of_choice(c: FocusChoice) -> tuple[object, ...]:
        return (
            c.area,
            c.detail,
            c.dispute_person.pk if c.dispute_person else None,
            c.dispute_stage,
            c.old_role,
            c.new_role,
            c.grief_person.pk if c.grief_person else None,
            c.loss_date,
            c.loss_is_death,
        )

    return sorted(map(key_of_row, current), key=repr) == sorted(
        map(key_of_choice, choices), key=repr
    )


@transaction.atomic
def focus_set(
    *, actor: User, course: Course, choices: Sequence[FocusChoice], reason: str = ""
) -> list[FocusArea]:
    """Choose the focus: one problem area, at most two.

    GIVEN a course past its initial phase WHEN the focus changes THEN a reason is
    required; the old focus is kept, ended, with that reason (versioned).
    """
    require_writer(actor, course)
    problems = validate_focus([c.area for c in choices])
    if problems:
        raise ValidationError(problems)
    for choice in choices:
        if choice.area == ProblemAreaCode.GRIEF and not grief_applies(
            loss_is_death=choice.loss_is_death,
            extended_grief=course.practice.grief_includes_non_death_losses,
        ):
            raise ValidationError(
                "This practice treats losses other than a death as a role transition: "
                "choose role transition, or record the loss as a death."
            )
        for person in (choice.dispute_person, choice.grief_person):
            if person is not None and person.course_id != course.pk:
                raise ValidationError("Choose a person from this client's inventory.")
    current = list(FocusArea.objects.select_for_update().filter(course=course, ended_at=None))
    if _same_focus(current, choices):
        return current
    reason = reason.strip()
    if current and course.phase != Phase.INITIAL and not reason:
        raise ValidationError(
            "The focus was agreed in the initial phase: give a reason for changing it."
        )
    now = timezone.now()
    for row in current:
        row.ended_at = now
        row.end_reason = reason or "Revised during the initial phase."
        row.save(update_fields=["ended_at", "end_reason", "updated_at"])
    created = [
        FocusArea.objects.create(
            course=course,
            area=c.area,
            detail=c.detail,
            dispute_person=c.dispute_person,
            dispute_stage=c.dispute_stage,
            old_role=c.old_role,
            new_role=c.new_role,
            grief_person=c.grief_person,
            loss_date=c.loss_date,
            loss_is_death=c.loss_is_death,
            chosen_by=actor,
        )
        for c in choices
    ]
    _audit(
        actor,
        course,
        AuditAction.UPDATE,
        "focus",
        ["focus_areas", *(["change_reason"] if current else [])],
    )
    return created


@transaction.atomic
def goal_add(
    *,
    actor: User,
    course: Course,
    text: str,
    focus_area: FocusArea | None = None,
    rating_at_start: int | None = None,
) -> Goal:
    require_writer(actor, course)
    if not text.strip():
        raise ValidationError("Describe the goal.")
    if rating_at_start is not None and not 0 <= rating_at_start <= 10:
        raise ValidationError("Rate the starting point from 0 to 10.")
    if focus_area is not None and (focus_area.course_id != course.pk or not focus_area.is_current):
        raise ValidationError("Link the goal to one of the current focus areas.")
    position = (course.goals.aggregate(p=Max("position"))["p"] or 0) + 1
    goal = Goal.objects.create(
        course=course,
        focus_area=focus_area,
        text=text.strip(),
        position=position,
        rating_at_start=rating_at_start,
    )
    _audit(actor, course, AuditAction.CREATE, "goal", ["text", "rating_at_start"], goal.public_id)
    return goal


@transaction.atomic
def goal_end(*, actor: User, goal: Goal) -> None:
    """Retire a goal (it stays in the record and in the history)."""
    require_writer(actor, goal.course)
    if goal.ended_at is None:
        goal.ended_at = timezone.now()
        goal.save(update_fields=["ended_at", "updated_at"])
        _audit(actor, goal.course, AuditAction.UPDATE, "goal", ["ended_at"], goal.public_id)


@transaction.atomic
def contract_propose(
    *,
    actor: User,
    course: Course,
    sessions: int | None,
    frequency: str,
    session_minutes: int,
    notes: str = "",
    reason: str = "",
) -> Contract:
    """Write down a (new version of the) treatment contract, to be agreed with the client.

    GIVEN an agreed contract WHEN a new one is proposed THEN it is a renegotiation
    and needs a reason; the agreed one stays on record.
    """
    require_writer(actor, course)
    focus = list(
        FocusArea.objects.filter(course=course, ended_at=None).values_list("area", flat=True)
    )
    if not focus:
        raise ValidationError("Choose the focus before writing the contract.")
    if sessions is not None and sessions < 1:
        raise ValidationError("A contract needs at least one session.")
    if not 10 <= session_minutes <= 180:
        raise ValidationError("Sessions last between 10 and 180 minutes.")
    last_held = course.sessions.aggregate(n=Max("number"))["n"] or 0
    if sessions is not None and sessions < last_held:
        raise ValidationError(f"{last_held} sessions have been held already.")
    previous = course.contracts.order_by("-number").first()
    if previous is not None and previous.is_agreed and not reason.strip():
        raise ValidationError("Say why the agreed contract is being renegotiated.")
    contract = Contract.objects.create(
        course=course,
        number=(previous.number if previous else 0) + 1,
        sessions=sessions,
        frequency=frequency,
        session_minutes=session_minutes,
        focus_areas=focus,
        notes=notes.strip(),
        proposed_by=actor,
        renegotiation_reason=reason.strip(),
    )
    _audit(
        actor,
        course,
        AuditAction.CREATE,
        "contract",
        ["sessions", "frequency", "session_minutes", "focus_areas"],
        contract.public_id,
    )
    return contract


@transaction.atomic
def contract_record_agreement(
    *, actor: User, contract: Contract, channel: str = AgreementChannel.IN_SESSION
) -> Contract:
    """Record the client's agreement (in session, by the clinician; the portal comes later).

    When the agreed number of sessions differs from the course plan, the plan
    follows the contract, keeping the termination phase the same length.
    """
    course = contract.course
    require_writer(actor, course)
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    latest = course.contracts.order_by("-number").first()
    if latest is None or latest.pk != locked.pk:
        raise ValidationError("Only the latest version of the contract can be agreed.")
    if locked.is_agreed:
        return locked
    locked.agreed_at = timezone.now()
    locked.agreed_via = channel
    locked.agreement_recorded_by = actor
    locked.save(update_fields=["agreed_at", "agreed_via", "agreement_recorded_by", "updated_at"])
    _sync_plan_with_contract(actor, course, locked)
    _audit(actor, course, AuditAction.UPDATE, "contract", ["agreed_at"], locked.public_id)
    return locked


def _sync_plan_with_contract(actor: User, course: Course, contract: Contract) -> None:
    if contract.sessions is None or contract.sessions == course.planned_sessions:
        return
    termination_length = (
        course.planned_sessions - course.middle_last if course.planned_sessions else 2
    )
    middle_last = max(course.initial_last + 1, contract.sessions - termination_length)
    plan = PhasePlan(course.initial_last, middle_last, contract.sessions)
    try:
        plan.validate()
    except ProtocolError as exc:
        raise ValidationError(str(exc)) from exc
    PhaseBoundaryChange.objects.create(
        course=course,
        planned_sessions_before=course.planned_sessions,
        planned_sessions_after=contract.sessions,
        initial_last_before=course.initial_last,
        initial_last_after=course.initial_last,
        middle_last_before=course.middle_last,
        middle_last_after=middle_last,
        reason=f"Contract version {contract.number} agreed for {contract.sessions} sessions.",
        changed_by=actor,
    )
    course.planned_sessions = contract.sessions
    course.middle_last = middle_last
    course.version += 1
    course.save(update_fields=["planned_sessions", "middle_last", "version", "updated_at"])
