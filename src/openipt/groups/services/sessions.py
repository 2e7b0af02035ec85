"""Recording a group session: attendance, every present member's PHQ-9, tasks, notes, adherence.

One call stores the whole meeting in one transaction, so a facilitator on a
phone either has the session saved or nothing at all. The form carries an
idempotency key made when it was drawn: sending it again (a double tap, a
dropped connection after the server committed) returns the stored session and
stores nothing twice. A positive self-harm answer raises the safety loop's
alert inside the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.models import (
    Attendance,
    FidelityRater,
    FidelityRating,
    Group,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberStatus,
    MemberTask,
    TaskOutcome,
)
from openipt.groups.selectors.access import can_run_group
from openipt.groups.selectors.sessions import (
    SessionEntries,
    members_for_form,
    previous_tasks_for,
    session_alerts,
    session_entries,
)
from openipt.groups.services.scoring import (
    SESSION_SCORE_SOURCE,
    member_risk_alert_raise,
    score_member_answers,
)
from openipt.measures.engine.scoring import InvalidAnswers, Score
from openipt.protocol.errors import ProtocolError
from openipt.protocol.group import FIDELITY_SCALE, adherence_score, group_adherence_items_for
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.problem_areas import ProblemAreaCode
from openipt.safety.models import RiskAlert

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


@dataclass(frozen=True)
class GroupSessionResult:
    session: GroupSession
    created: bool
    alerts: list[RiskAlert]  # alerts this call raised (or, on a replay, the session's alerts)


class GroupSessionConflict(Exception):
    """The request clashes with what is stored (HTTP 409); the message is for the facilitator."""


class SessionNumberTaken(GroupSessionConflict):
    def __init__(self, session: GroupSession) -> None:
        self.session = session
        super().__init__(f"Session {session.number} is already recorded.")


class StaleGroupSession(GroupSessionConflict):
    def __init__(self, session: GroupSession) -> None:
        self.session = session
        super().__init__(
            f"Session {session.number} was changed by someone else while you were editing it."
        )


def plan_of(group: Group) -> PhasePlan:
    return PhasePlan(
        initial_last=group.initial_last, middle_last=group.middle_last, total=group.planned_sessions
    )


def member_error_key(member_public_id: UUID | str, name: str) -> str:
    """The ValidationError key for one member's field or PHQ-9 item ("<id>:<linkId>")."""
    return f"{member_public_id}:{name}"


def _moment_of(held_on: datetime.date) -> datetime.datetime:
    """When a session's questionnaires were taken: midday of the day, never in the future."""
    midday = timezone.make_aware(datetime.datetime.combine(held_on, datetime.time(12, 0)))
    return min(midday, timezone.now())


def _replay(session: GroupSession) -> GroupSessionResult:
    """The stored session for a repeated request, with the alerts its scores raised."""
    return GroupSessionResult(
        session=session, created=False, alerts=session_alerts(session=session)
    )


def _already_stored(group: Group, number: int, key: str | None) -> GroupSessionResult | None:
    """A repeat of a stored request (same key) gives its session; a taken number is a 409."""
    if key is not None:
        found = GroupSession.objects.filter(idempotency_key=key).first()
        if found is not None:
            if found.group_id != group.pk:
                raise ValidationError({"idempotency_key": "This form belongs to another group."})
            return _replay(found)
    taken = GroupSession.objects.filter(group=group, number=number).first()
    if taken is not None:
        raise SessionNumberTaken(taken)
    return None


@dataclass
class _Checked:
    """An entry that passed validation, ready to write."""

    member: GroupMember
    entry: MemberEntry
    score: Score | None
    previous_task: MemberTask | None


@transaction.atomic
def group_session_record(
    *,
    actor: User,
    group: Group,
    number: int,
    held_on: datetime.date,
    entries: Sequence[MemberEntry],
    notes: str = "",
    adherence_checked: Sequence[str] = (),
    self_fidelity: int | None = None,
    idempotency_key: str | None = None,
    version: int | None = None,
    session: GroupSession | None = None,
) -> GroupSessionResult:
    """Record a new session of `group`, or (with `session` and `version`) correct one.

    GIVEN the group's own facilitator and a running group WHEN they save
    session N (the next one) with every enrolled member present or absent and
    a complete PHQ-9 for each present member THEN attendance, scores, tasks,
    notes, adherence and the self-rating commit together, a positive item 9
    raises an alert told to the facilitator's supervisors, and the last planned
    session completes the group and its members. The same idempotency key again
    returns the stored session and writes nothing, even if the first answer
    never reached the phone.
    """
    if not can_run_group(actor=actor, group=group):
        raise PermissionDenied("Only the group's facilitator records its sessions.")
    key = (idempotency_key or "").strip() or None
    if session is None:
        if (done := _already_stored(group, number, key)) is not None:
            return done
        # One recorder per group at a time: a second request with the same key
        # waits here, then finds the first one's session (PostgreSQL; SQLite's
        # IMMEDIATE transactions already serialise every writer).
        group = Group.objects.select_for_update().select_related("practice").get(pk=group.pk)
        if (done := _already_stored(group, number, key)) is not None:
            return done
        errors = _check_new(group, number, held_on)
    else:
        if session.group_id != group.pk:
            raise ValidationError({"session": "This session belongs to another group."})
        session = GroupSession.objects.select_for_update().get(pk=session.pk)
        if key is not None and session.idempotency_key == key:
            return _replay(session)  # this very edit was saved already
        if version is None or version != session.version:
            raise StaleGroupSession(session)
        errors = _check_edit(group, session, number, held_on)
    stored = session_entries(session=session) if session is not None else None
    alerted = {a.source_public_id for a in session_alerts(session=session)} if session else set()
    members = {m.public_id: m for m in members_for_form(group=group, session=session)}
    checked = _check_entries(
        errors, group, members, entries, number, session=session, stored=stored, alerted=alerted
    )
    percent, codes = _check_session_fields(
        errors, group, number, adherence_checked, self_fidelity, notes
    )
    if errors:
        raise ValidationError(errors)

    created = session is None
    values = {
        "held_on": held_on,
        "notes": notes.strip(),
        "adherence_checked": codes,
        "adherence_percent": percent,
    }
    try:
        with transaction.atomic():
            if session is None:
                session = GroupSession.objects.create(
                    group=group, number=number, recorded_by=actor, idempotency_key=key, **values
                )
            else:
                for name, value in values.items():
                    setattr(session, name, value)
                session.version += 1
                # The edit's own key, so that resending this edit changes nothing.
                session.idempotency_key = key or session.idempotency_key
                session.save(update_fields=[*values, "version", "idempotency_key", "updated_at"])
    except IntegrityError:
        if not created:
            raise ValidationError({"idempotency_key": "This form was already used."}) from None
        # A race this transaction could not see coming: the winner is stored.
        if (done := _already_stored(group, number, key)) is not None:
            return done
        raise
    alerts = _write_entries(actor, group, session, checked, held_on, stored=stored, known=alerted)
    _write_fidelity(actor, session, self_fidelity)
    record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        object_type="group_session",
        object_public_id=session.public_id,
        practice=group.practice,
        changed_fields=_session_fields(notes, self_fidelity),
    )
    if created and number == group.planned_sessions:
        _complete_group(actor, group, held_on)
    return GroupSessionResult(session=session, created=created, alerts=alerts)


# --------------------------------------------------------------------------- validation


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


# --------------------------------------------------------------------------- writing


def _write_entries(
    actor: User,
    group: Group,
    session: GroupSession,
    checked: list[_Checked],
    held_on: datetime.date,
    *,
    stored: SessionEntries | None,
    known: set[UUID],
) -> list[RiskAlert]:
    """Attendance, score, task, review and problem area per member; the alerts newly raised."""
    at = _moment_of(held_on)
    alerts: list[RiskAlert] = []
    for item in checked:
        member, entry = item.member, item.entry
        fields = ["attendance"]
        old_attendance = stored.attendance.get(member.pk) if stored else None
        if old_attendance is None:
            Attendance.objects.create(session=session, member=member, present=entry.present)
        elif old_attendance.present != entry.present:
            old_attendance.present = entry.present
            old_attendance.save(update_fields=["present", "updated_at"])
        old_score = stored.scores.get(member.pk) if stored else None
        if item.score is not None:
            row = old_score or MemberScore(session=session, member=member, practice=group.practice)
            row.instrument_code = item.score.instrument_code
            row.instrument_version = item.score.version
            row.answers = dict(item.score.ordinals)
            row.total = item.score.total
            row.band_code = item.score.band.code
            row.risk_link_ids = list(item.score.risk_link_ids)
            row.administered_at = at
            row.entered_by = actor
            row.save()
            fields.append("score")
            alert = member_risk_alert_raise(
                practice=group.practice,
                client=member.client,
                facilitator=group.facilitator,
                source_type=SESSION_SCORE_SOURCE,
                source_public_id=row.public_id,
                score=item.score,
                raised_by=actor,
            )
            # An edit never withdraws an alert, and one already raised is not news.
            if alert is not None and alert.source_public_id not in known:
                alerts.append(alert)
        elif old_score is not None:
            old_score.delete()
            fields.append("score")
        fields += _write_task(session, member, entry, stored)
        if entry.previous_task_outcome or stored is not None:
            fields += _write_review(session, member, entry, item.previous_task, stored)
        if entry.problem_area and entry.problem_area != member.problem_area:
            member.problem_area = entry.problem_area
            member.version += 1
            member.save(update_fields=["problem_area", "version", "updated_at"])
            fields.append("problem_area")
        record(
            actor=actor,
            action=AuditAction.CREATE if stored is None else AuditAction.UPDATE,
            object_type="group_session_member",
            object_public_id=session.public_id,
            practice=group.practice,
            subject_client_public_id=member.client.public_id,
            changed_fields=fields,
        )
    return alerts


def _write_task(
    session: GroupSession, member: GroupMember, entry: MemberEntry, stored: SessionEntries | None
) -> list[str]:
    text = entry.task_text.strip()
    old = stored.tasks.get(member.pk) if stored else None
    if text:
        if old is None:
            MemberTask.objects.create(session=session, member=member, text=text)
        elif old.text != text:
            old.text = text
            old.save(update_fields=["text", "updated_at"])
        else:
            return []
        return ["task"]
    if old is not None:
        old.delete()
        return ["task"]
    return []


def _write_review(
    session: GroupSession,
    member: GroupMember,
    entry: MemberEntry,
    task: MemberTask | None,
    stored: SessionEntries | None,
) -> list[str]:
    """Mark last time's task done / partly / not done at this session (an edit re-marks it)."""
    before = stored.reviewed.get(member.pk) if stored else None
    if before is not None and (
        before.pk != getattr(task, "pk", None) or not entry.previous_task_outcome
    ):
        before.outcome = TaskOutcome.NOT_REVIEWED
        before.reviewed_at_session = None
        before.save(update_fields=["outcome", "reviewed_at_session", "updated_at"])
    if task is None or not entry.previous_task_outcome:
        return ["task_review"] if before is not None else []
    if task.outcome == entry.previous_task_outcome and task.reviewed_at_session_id == session.pk:
        return []
    task.outcome = entry.previous_task_outcome
    task.reviewed_at_session = session
    task.save(update_fields=["outcome", "reviewed_at_session", "updated_at"])
    return ["task_review"]


def _write_fidelity(actor: User, session: GroupSession, score: int | None) -> None:
    if score is None:
        FidelityRating.objects.filter(session=session, rater=FidelityRater.SELF).delete()
        return
    FidelityRating.objects.update_or_create(
        session=session,
        rater=FidelityRater.SELF,
        defaults={"score": score, "rated_by": actor},
    )


def _session_fields(notes: str, self_fidelity: int | None) -> list[str]:
    names = ["number", "held_on", "adherence_checked", "adherence_percent", "attendance"]
    if notes.strip():
        names.append("notes")
    if self_fidelity is not None:
        names.append("self_fidelity")
    return names


def _complete_group(actor: User, group: Group, held_on: datetime.date) -> None:
    """The last planned session ends the group and every member still in it."""
    group.status = GroupStatus.COMPLETED
    group.completed_on = held_on
    group.save(update_fields=["status", "completed_on", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="group",
        object_public_id=group.public_id,
        practice=group.practice,
        changed_fields=["status", "completed_on"],
    )
    ended = _moment_of(held_on)
    finishing = GroupMember.objects.filter(
        group=group, status=MemberStatus.ENROLLED
    ).select_related("client")
    for member in finishing:
        member.status = MemberStatus.COMPLETED
        member.ended_at = ended
        member.version += 1
        member.save(update_fields=["status", "ended_at", "version", "updated_at"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="group_member",
            object_public_id=member.public_id,
            practice=group.practice,
            subject_client_public_id=member.client.public_id,
            changed_fields=["status", "ended_at"],
        )
