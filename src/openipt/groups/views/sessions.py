"""The facilitator's group session pages: record a session on a phone, read it, correct it.

Only the group's own facilitator records and corrects (403 for their
supervisor, who reads; 404 for everyone else). A refused save re-draws the
form with everything typed and each message beside its member and question
(422), or says what clashed (409). Members never reach these pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.forms_sessions import Initial, SessionForm, question_items, question_number
from openipt.groups.forms_supervision import fidelity_form_for
from openipt.groups.models import (
    FidelityRater,
    Group,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberTask,
)
from openipt.groups.selectors.access import can_run_group, group_session_get_for_actor
from openipt.groups.selectors.members import problem_area_words
from openipt.groups.selectors.sessions import (
    agenda_context,
    group_for_recording,
    last_session,
    members_for_form,
    previous_tasks_for,
    session_alerts,
    session_entries,
    session_for_editing,
)
from openipt.groups.services.scoring import GROUP_INSTRUMENT
from openipt.groups.services.session_checks import plan_of
from openipt.groups.services.sessions import (
    GroupSessionResult,
    SessionNumberTaken,
    StaleGroupSession,
    group_session_record,
)
from openipt.groups.views._common import actor_of
from openipt.measures.engine.definition import Instrument
from openipt.measures.selectors import instrument_for_practice
from openipt.protocol.errors import ProtocolError
from openipt.protocol.group import group_adherence_items_for, group_agenda_for
from openipt.protocol.phases import Phase

OFFLINE_PREFIX = "openipt.groups.offline"


def _phase(group: Group, number: int) -> Phase | None:
    try:
        return plan_of(group).phase_of(number)
    except ProtocolError:
        return None


def _instrument(group: Group) -> Instrument:
    return instrument_for_practice(group.practice, GROUP_INSTRUMENT)


def _posted_int(data: Mapping[str, Any], name: str) -> int | None:
    try:
        return int(str(data.get(name, "")).strip())
    except ValueError:
        return None


def _blocked(group: Group, number: int) -> str:
    """Why no new session can be recorded now (empty when one can)."""
    if group.status == GroupStatus.FORMING:
        return "This group has not started yet: start the group first, then record its sessions."
    if group.status != GroupStatus.RUNNING:
        return "This group has ended: its sessions can be read and corrected, not added to."
    if number > group.planned_sessions:
        return f"All {group.planned_sessions} sessions of this group are recorded."
    return ""


def _build_form(
    group: Group,
    members: list[GroupMember],
    number: int,
    *,
    session: GroupSession | None,
    data: Mapping[str, Any] | None = None,
    initial: Initial | None = None,
) -> SessionForm:
    phase = _phase(group, number) or Phase.INITIAL
    return SessionForm(
        members=members,
        instrument=_instrument(group),
        previous_tasks=previous_tasks_for(
            group=group, members=members, before_number=number, session=session
        ),
        adherence_items=group_adherence_items_for(phase),
        number=number,
        area_overrides=group.practice.problem_area_labels or None,
        data=data,
        initial=initial,
        version=session.version if session is not None else None,
    )


def _success_prefix() -> str:
    """The path every session page starts with; the offline script checks where it landed."""
    zero = uuid.UUID(int=0)
    return reverse("groups:session_detail", kwargs={"public_id": zero}).split(str(zero))[0]


def _render_form(
    request: HttpRequest,
    group: Group,
    form: SessionForm | None,
    *,
    session: GroupSession | None,
    number: int,
    status: int = 200,
    blocked: str = "",
    conflict: GroupSession | None = None,
) -> HttpResponse:
    members = form.members if form is not None else []
    previous = (
        GroupSession.objects.filter(group=group, number=number - 1).first()
        if session is not None
        else last_session(group=group)
    )
    agenda: tuple[Any, ...] = ()
    if not blocked:
        try:
            agenda = group_agenda_for(
                agenda_context(group=group, number=number, members=members, previous=previous)
            )
        except ProtocolError:
            agenda = ()
    instrument = _instrument(group)
    items = question_items(instrument)
    scope = f"{OFFLINE_PREFIX}.{group.public_id}." + (
        f"edit-{session.public_id}" if session is not None else f"new-{number}"
    )
    record(
        actor=actor_of(request),
        action=AuditAction.VIEW,
        object_type="group_session_form",
        object_public_id=session.public_id if session is not None else group.public_id,
        practice=group.practice,
    )
    return render(
        request,
        "groups/session_form.html",
        {
            "group": group,
            "session": session,
            "number": number,
            "phase": _phase(group, number),
            "agenda": agenda,
            "form": form,
            "blocked": blocked,
            "conflict": conflict,
            "questions": [(question_number(i), i.text, i.is_risk) for i in items],
            "answer_labels": [(str(o.ordinal), o.display) for o in items[0].options]
            if items
            else [],
            "instrument": instrument,
            "offline_scope": scope,
            "success_prefix": _success_prefix(),
        },
        status=status,
    )


def _announce(request: HttpRequest, result: GroupSessionResult) -> None:
    # Flash messages may travel in a cookie: no names and no scores in them.
    number = result.session.number
    if result.created:
        text = f"Session {number} saved."
    else:
        text = f"Session {number} was already saved: nothing was stored twice."
    if result.alerts:
        count = len(result.alerts)
        who = "A member" if count == 1 else f"{count} members"
        text += (
            f" {who} answered the self-harm question positively: your supervisor has been "
            "told. Follow the safety steps with them before they leave."
        )
        messages.warning(request, text)
    else:
        messages.success(request, text)


@login_required
@require_http_methods(["GET", "POST"])
def session_record(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    group = group_for_recording(actor=actor, public_id=public_id)
    members = members_for_form(group=group, session=None)
    last = last_session(group=group)
    number = (last.number if last else 0) + 1
    if request.method != "POST":
        blocked = _blocked(group, number)
        form = None if blocked else _build_form(group, members, number, session=None)
        return _render_form(request, group, form, session=None, number=number, blocked=blocked)

    number = _posted_int(request.POST, "number") or number
    form = _build_form(group, members, number, session=None, data=request.POST)
    parsed = form.parse()
    if parsed is None:
        return _render_form(request, group, form, session=None, number=number, status=422)
    try:
        result = group_session_record(actor=actor, group=group, number=number, **parsed)
    except SessionNumberTaken as exc:
        form.errors.setdefault("number", []).append(str(exc))
        return _render_form(
            request, group, form, session=None, number=number, status=409, conflict=exc.session
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        status = 409 if "group" in exc.message_dict else 422
        return _render_form(request, group, form, session=None, number=number, status=status)
    _announce(request, result)
    return redirect("groups:session_detail", public_id=result.session.public_id)


def _initial_from(session: GroupSession) -> Initial:
    stored = session_entries(session=session)
    self_rating = next((f for f in stored.fidelity if f.rater == FidelityRater.SELF), None)
    return Initial(
        held_on=session.held_on,
        present={member_id: a.present for member_id, a in stored.attendance.items()},
        answers={member_id: s.answers for member_id, s in stored.scores.items()},
        tasks={member_id: t.text for member_id, t in stored.tasks.items()},
        reviews={member_id: t.outcome for member_id, t in stored.reviewed.items()},
        notes=session.notes,
        adherence=list(session.adherence_checked),
        self_fidelity=self_rating.score if self_rating else None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    session = session_for_editing(actor=actor, public_id=public_id)
    group = session.group
    members = members_for_form(group=group, session=session)
    if request.method != "POST":
        form = _build_form(
            group, members, session.number, session=session, initial=_initial_from(session)
        )
        return _render_form(request, group, form, session=session, number=session.number)

    form = _build_form(group, members, session.number, session=session, data=request.POST)
    form.version = _posted_int(request.POST, "version")
    parsed = form.parse()
    if parsed is None:
        return _render_form(
            request, group, form, session=session, number=session.number, status=422
        )
    try:
        result = group_session_record(
            actor=actor,
            group=group,
            number=session.number,
            session=session,
            version=form.version,
            **parsed,
        )
    except StaleGroupSession as exc:
        form.errors.setdefault("version", []).append(
            f"{exc} What you typed is still below: check the saved session (open it in another "
            "tab), then save again to replace it."
        )
        # Offer the newest version, so that a deliberate second save succeeds.
        form.version = exc.session.version
        return _render_form(
            request, group, form, session=session, number=session.number, status=409
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        status = 409 if "group" in exc.message_dict else 422
        return _render_form(
            request, group, form, session=session, number=session.number, status=status
        )
    _announce(request, result)
    return redirect("groups:session_detail", public_id=result.session.public_id)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class MemberRow:
    member: GroupMember
    present: bool
    score: MemberScore | None
    band: str
    change: int | None  # since screening; negative is better
    alert: bool
    task: MemberTask | None
    reviewed: MemberTask | None
    area: str

    @property
    def change_text(self) -> str:
        if self.change is None:
            return ""
        if self.change == 0:
            return "no change"
        points = "point" if abs(self.change) == 1 else "points"
        if self.change < 0:
            return f"{-self.change} {points} lower (better)"
        return f"{self.change} {points} higher (worse)"


@login_required
@require_http_methods(["GET"])
def session_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    session = group_session_get_for_actor(actor=actor, public_id=public_id)
    group = session.group
    stored = session_entries(session=session)
    alerted = {alert.source_public_id for alert in session_alerts(session=session)}
    bands = {band.code: band.label for band in _instrument(group).bands}
    overrides = group.practice.problem_area_labels or None
    rows = []
    for member_id, attendance in stored.attendance.items():
        member = attendance.member
        score = stored.scores.get(member_id)
        rows.append(
            MemberRow(
                member=member,
                present=attendance.present,
                score=score,
                band=bands.get(score.band_code, score.band_code) if score else "",
                change=score.total - member.screening.phq9_total if score else None,
                alert=score is not None and score.public_id in alerted,
                task=stored.tasks.get(member_id),
                reviewed=stored.reviewed.get(member_id),
                area=problem_area_words(member.problem_area, overrides)
                if member.problem_area
                else "",
            )
        )
    rows.sort(key=lambda r: (r.member.client.family_name, r.member.client.given_name, r.member.pk))
    phase = _phase(group, session.number)
    done = set(session.adherence_checked)
    fidelity = {f.rater: f for f in stored.fidelity}
    fidelity_form = fidelity_form_for(
        actor=actor, session=session, next_url=request.get_full_path()
    )
    # The facilitator gave their own rating in the session form: show it with a
    # "change" link rather than asking for it a second time.
    change_own_rating = (
        fidelity_form is not None
        and fidelity_form.rater == FidelityRater.SELF
        and FidelityRater.SELF in fidelity
    )
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="group_session",
        object_public_id=session.public_id,
        practice=group.practice,
    )
    return render(
        request,
        "groups/session_detail.html",
        {
            "group": group,
            "session": session,
            "phase": phase,
            "rows": rows,
            "present_count": sum(1 for r in rows if r.present),
            "adherence": [
                (item.text, item.code in done)
                for item in (group_adherence_items_for(phase) if phase else ())
            ],
            "fidelity": fidelity,
            "can_edit": can_run_group(actor=actor, group=group),
            "alert_count": sum(1 for r in rows if r.alert),
            "fidelity_form": None if change_own_rating else fidelity_form,
            "change_own_rating": change_own_rating,
            "is_last_session": session.number == group.planned_sessions,
        },
    )
