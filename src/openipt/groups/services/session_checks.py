"""A group session's input and the checks it must pass before anything is written.

`MemberEntry` is what the facilitator entered for one member. The checks
collect every problem into one dict of messages keyed by form field (a
member's fields as "<member>:<field>", see `member_error_key`), so the form
can show them all at once; `group_session_record` raises them as one
ValidationError. A group in the wrong state is refused at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils import timezone

from openipt.groups.models import (
    Group,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberTask,
    TaskOutcome,
)
from openipt.groups.selectors.sessions import SessionEntries, previous_tasks_for
from openipt.groups.services.scoring import score_member_answers
from openipt.measures.engine.scoring import InvalidAnswers, Score
from openipt.protocol.errors import ProtocolError
from openipt.protocol.group import FIDELITY_SCALE, adherence_score, group_adherence_items_for
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.problem_areas import ProblemAreaCode

REVIEW_OUTCOMES = frozenset(o.value for o in TaskOutcome if o.value)
TASK_MAX_CHARS = 1000
NOTES_MAX_CHARS = 10000


@dataclass(frozen=True)
class MemberEntry:
    """What the facilitator entered for one member (answers empty when absent)."""

    member_public_id: UUID
    present: bool
    answers: Mapping[str, object] = field(default_factory=dict)
    task_text: str = ""
    previous_task_outcome: str = ""  # a TaskOutcome value for the task agreed last time
    problem_area: str = ""


def plan_of(group: Group) -> PhasePlan:
    return PhasePlan(
        initial_last=group.initial_last, middle_last=group.middle_last, total=group.planned_sessions
    )


def member_error_key(member_public_id: UUID | str, name: str) -> str:
    """The ValidationError key for one member's field or PHQ-9 item ("<id>:<linkId>")."""
    return f"{member_public_id}:{name}"


@dataclass
class _Checked:
    """An entry that passed validation, ready to write."""

    member: GroupMember
    entry: MemberEntry
    score: Score | None
    previous_task: MemberTask | None


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _check_new(group: Group, number: int, held_on: datetime.date) -> dict[str, list[str]]:
    if group.status == GroupStatus.FORMING:
        raise ValidationError({"group": "Start the group first: it has not started yet."})
    if group.status != GroupStatus.RUNNING:
        raise ValidationError({"group": "This group has ended: no more sessions can be added."})
    errors: dict[str, list[str]] = {}
    last = GroupSession.objects.filter(group=group).order_by("-number").first()
    expected = (last.number if last else 0) + 1
    if expected > group.planned_sessions:
        _add(errors, "number", f"All {group.planned_sessions} sessions of this group are recorded.")
    elif number != expected:
        _add(errors, "number", f"The next session to record is session {expected}.")
    _check_date(errors, held_on, earliest=last.held_on if last else None, latest=None)
    return errors


def _check_edit(
    group: Group, session: GroupSession, number: int, held_on: datetime.date
) -> dict[str, list[str]]:
    if group.status not in (GroupStatus.RUNNING, GroupStatus.COMPLETED):
        raise ValidationError({"group": "This group's sessions can no longer be changed."})
    errors: dict[str, list[str]] = {}
    if number != session.number:
        _add(errors, "number", "A session keeps its number.")
    around = {
        s.number: s.held_on
        for s in GroupSession.objects.filter(
            group=group, number__in=[session.number - 1, session.number + 1]
        )
    }
    _check_date(
        errors,
        held_on,
        earliest=around.get(session.number - 1),
        latest=around.get(session.number + 1),
    )
    return errors


def _check_date(
    errors: dict[str, list[str]],
    held_on: datetime.date,
    *,
    earliest: datetime.date | None,
    latest: datetime.date | None,
) -> None:
    if held_on > timezone.localdate():
        _add(errors, "held_on", "The session date cannot be in the future.")
    if earliest is not None and held_on < earliest:
        _add(
            errors,
            "held_on",
            f"The previous session was on {earliest:%-d %b %Y}: pick that day or later.",
        )
    if latest is not None and held_on > latest:
        _add(
            errors,
            "held_on",
            f"The next session was on {latest:%-d %b %Y}: pick that day or earlier.",
        )


def _answer_errors(member_id: UUID, exc: InvalidAnswers) -> dict[str, str]:
    """The engine's messages in a lay facilitator's words, keyed "<member>:<linkId>"."""
    found: dict[str, str] = {}
    for link_id, message in exc.errors.items():
        number = link_id.rsplit("-", 1)[-1]
        if message.endswith("has no answer") and number.isdigit():
            message = f"Choose an answer for question {number}."
        found[member_error_key(member_id, link_id)] = message
    return found


def _given(answers: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in answers.items() if v is not None and str(v).strip() != ""}


def _check_entries(
    errors: dict[str, list[str]],
    group: Group,
    members: dict[UUID, GroupMember],
    entries: Sequence[MemberEntry],
    number: int,
    *,
    session: GroupSession | None,
    stored: SessionEntries | None,
    alerted: set[UUID],
) -> list[_Checked]:
    """Check every entry; a new session needs every enrolled member, an edit the ones it changes."""
    seen: set[UUID] = set()
    checked: list[_Checked] = []
    previous = previous_tasks_for(
        group=group, members=members.values(), before_number=number, session=session
    )
    for entry in entries:
        member = members.get(entry.member_public_id)
        if member is None:
            _add(
                errors,
                "entries",
                "Someone in the form is not a member of this group "
                "(they may have left it): reload the page.",
            )
            continue
        if entry.member_public_id in seen:
            _add(errors, "entries", "A member is listed twice.")
            continue
        seen.add(entry.member_public_id)
        pid = entry.member_public_id
        score: Score | None = None
        if entry.present:
            try:
                score = score_member_answers(practice=group.practice, answers=entry.answers)
            except InvalidAnswers as exc:
                for key, message in _answer_errors(pid, exc).items():
                    _add(errors, key, message)
            else:
                if score.prorated:  # every item counts here: a group score is never estimated
                    for link_id in score.missing:
                        _add(errors, member_error_key(pid, link_id), "Choose an answer.")
        else:
            if _given(entry.answers):
                _add(
                    errors,
                    member_error_key(pid, "present"),
                    "Marked as not here, but answers were given.",
                )
            old = stored.scores.get(member.pk) if stored else None
            if old is not None and old.public_id in alerted:
                _add(
                    errors,
                    member_error_key(pid, "present"),
                    "This member's answers raised a safety alert: they stay on the record.",
                )
        if len(entry.task_text) > TASK_MAX_CHARS:
            _add(
                errors,
                member_error_key(pid, "task_text"),
                f"Keep the task under {TASK_MAX_CHARS} characters.",
            )
        if not entry.task_text.strip() and stored is not None:
            old_task = stored.tasks.get(member.pk)
            if old_task is not None and old_task.outcome:
                _add(
                    errors,
                    member_error_key(pid, "task_text"),
                    "This task was already reviewed at a later session: it cannot be removed.",
                )
        outcome = entry.previous_task_outcome
        if outcome and outcome not in REVIEW_OUTCOMES:
            _add(
                errors,
                member_error_key(pid, "previous_task_outcome"),
                "Choose done, partly or not done.",
            )
        elif outcome and member.pk not in previous:
            _add(
                errors,
                member_error_key(pid, "previous_task_outcome"),
                "This member has no task from an earlier session to review.",
            )
        if entry.problem_area and entry.problem_area not in set(ProblemAreaCode):
            _add(errors, member_error_key(pid, "problem_area"), "Choose one of the problem areas.")
        checked.append(_Checked(member, entry, score, previous.get(member.pk)))
    if session is None:
        missing = [m for pid, m in members.items() if pid not in seen]
        if missing:
            _add(
                errors,
                "entries",
                f"Say for every member whether they were here "
                f"({len(missing)} missing): reload the page if someone joined meanwhile.",
            )
    return checked


def _check_session_fields(
    errors: dict[str, list[str]],
    group: Group,
    number: int,
    adherence_checked: Sequence[str],
    self_fidelity: int | None,
    notes: str,
) -> tuple[int, list[str]]:
    """The adherence share (0–100) and the ticked codes of the session's phase."""
    percent, codes = 0, []
    phase = Phase.INITIAL
    if 1 <= number <= group.planned_sessions:
        phase = plan_of(group).phase_of(number)
    try:
        share = adherence_score(adherence_checked, phase)
    except ProtocolError as exc:
        _add(errors, "adherence_checked", str(exc))
    else:
        percent = round(share * 100)
        ticked = set(adherence_checked)
        codes = [item.code for item in group_adherence_items_for(phase) if item.code in ticked]
    low, high = FIDELITY_SCALE
    if self_fidelity is not None and not low <= self_fidelity <= high:
        _add(errors, "self_fidelity", f"Rate the session from {low} to {high}.")
    if len(notes) > NOTES_MAX_CHARS:
        _add(errors, "notes", f"Keep the notes under {NOTES_MAX_CHARS} characters.")
    return percent, codes
