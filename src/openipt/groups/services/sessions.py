"""Recording a group session: attendance, every present member's PHQ-9, tasks, notes, adherence.

One call stores the whole meeting in one transaction, so a facilitator on a
phone either has the session saved or nothing at all. The form carries an
idempotency key made when it was drawn: sending it again (a double tap, a
dropped connection after the server committed) returns the stored session and
stores nothing twice. A positive self-harm answer raises the safety loop's
alert inside the same transaction. The checks the input must pass before
anything is written are in `session_checks.py`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
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
    session_alerts,
    session_entries,
)
from openipt.groups.services.scoring import SESSION_SCORE_SOURCE, member_risk_alert_raise
from openipt.groups.services.session_checks import (
    MemberEntry,
    _check_edit,
    _check_entries,
    _check_new,
    _check_session_fields,
    _Checked,
)
from openipt.safety.models import RiskAlert


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
