"""Reads for the group session pages: who is in the session, last time's tasks, the agenda counts.

Pages get their group or session through `selectors.access` first (404 for
anything out of reach); the helpers here then read rows of that one group, a
fixed number of queries however many members it has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from openipt.groups.models import (
    Attendance,
    FidelityRating,
    Group,
    GroupMember,
    GroupSession,
    MemberScore,
    MemberStatus,
    MemberTask,
)
from openipt.groups.selectors.access import (
    can_run_group,
    group_get_for_actor,
    group_session_get_for_actor,
)
from openipt.groups.services.scoring import SESSION_SCORE_SOURCE
from openipt.protocol.group import GroupSessionContext
from openipt.protocol.phases import PhasePlan
from openipt.safety.models import RiskAlert

if TYPE_CHECKING:
    from openipt.accounts.models import User


def group_for_recording(*, actor: User, public_id: UUID | str) -> Group:
    """The group, if the actor records its sessions: 404 out of reach, 403 for its supervisor."""
    group = group_get_for_actor(actor=actor, public_id=public_id)
    if not can_run_group(actor=actor, group=group):
        raise PermissionDenied("Only the group's facilitator records its sessions.")
    return group


def session_for_editing(*, actor: User, public_id: UUID | str) -> GroupSession:
    session = group_session_get_for_actor(actor=actor, public_id=public_id)
    if not can_run_group(actor=actor, group=session.group):
        raise PermissionDenied("Only the group's facilitator changes its sessions.")
    return session


def last_session(*, group: Group) -> GroupSession | None:
    return GroupSession.objects.filter(group=group).order_by("-number").first()


def members_for_form(*, group: Group, session: GroupSession | None) -> list[GroupMember]:
    """Who the form lists: the enrolled members, plus (editing) anyone recorded in the session."""
    condition = Q(status=MemberStatus.ENROLLED)
    if session is not None:
        condition |= Q(pk__in=Attendance.objects.filter(session=session).values("member_id"))
    return list(
        GroupMember.objects.filter(group=group)
        .filter(condition)
        .select_related("client", "screening")
        .order_by("client__family_name", "client__given_name", "id")
    )


def previous_tasks_for(
    *,
    group: Group,
    members: Iterable[GroupMember],
    before_number: int,
    session: GroupSession | None = None,
) -> dict[int, MemberTask]:
    """Each member's latest task from an earlier session, if it still waits for review.

    Editing `session`, a task already reviewed at it counts as waiting (its
    outcome is being re-entered). Keyed by member id; one query.
    """
    ids = [m.pk for m in members]
    tasks = (
        MemberTask.objects.filter(
            member_id__in=ids, session__group=group, session__number__lt=before_number
        )
        .select_related("session")
        .order_by("member_id", "-session__number")
    )
    latest: dict[int, MemberTask] = {}
    for task in tasks:
        latest.setdefault(task.member_id, task)
    return {
        member_id: task
        for member_id, task in latest.items()
        if not task.outcome or (session is not None and task.reviewed_at_session_id == session.pk)
    }


def session_alerts(*, session: GroupSession) -> list[RiskAlert]:
    """The alerts raised by this session's scores (for the service and the pages' notices)."""
    scores = MemberScore.objects.filter(session=session).values("public_id")
    return list(
        RiskAlert.objects.filter(source_type=SESSION_SCORE_SOURCE, source_public_id__in=scores)
    )


def agenda_context(
    *, group: Group, number: int, members: list[GroupMember], previous: GroupSession | None
) -> GroupSessionContext:
    """The counts the agenda engine needs for session `number` (never names or scores)."""
    enrolled = [m for m in members if m.status == MemberStatus.ENROLLED]
    positive = 0
    if previous is not None:
        positive = sum(
            1 for risk in previous.scores.values_list("risk_link_ids", flat=True) if risk
        )
    open_tasks = previous_tasks_for(group=group, members=enrolled, before_number=number)
    return GroupSessionContext(
        variant_code=group.programme.variant_code,
        plan=PhasePlan(
            initial_last=group.initial_last,
            middle_last=group.middle_last,
            total=group.planned_sessions,
        ),
        session_number=number,
        members_present=len(enrolled),
        members_with_positive_risk=positive,
        members_without_problem_area=sum(1 for m in enrolled if not m.problem_area),
        open_tasks_to_review=len(open_tasks),
    )


@dataclass(frozen=True)
class SessionEntries:
    """What a stored session holds, keyed by member id."""

    attendance: dict[int, Attendance]
    scores: dict[int, MemberScore]
    tasks: dict[int, MemberTask]  # agreed at this session
    reviewed: dict[int, MemberTask]  # earlier tasks reviewed at this session
    fidelity: list[FidelityRating]


def session_entries(*, session: GroupSession) -> SessionEntries:
    attendance = {
        a.member_id: a
        for a in Attendance.objects.filter(session=session).select_related(
            "member", "member__client", "member__screening"
        )
    }
    return SessionEntries(
        attendance=attendance,
        scores={s.member_id: s for s in MemberScore.objects.filter(session=session)},
        tasks={t.member_id: t for t in MemberTask.objects.filter(session=session)},
        reviewed={
            t.member_id: t
            for t in MemberTask.objects.filter(reviewed_at_session=session).select_related(
                "session"
            )
        },
        fidelity=list(FidelityRating.objects.filter(session=session).select_related("rated_by")),
    )
