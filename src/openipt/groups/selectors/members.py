"""Reads for the facilitator's pages: home, screenings, members, groups, the portal card.

Every function takes what the access selectors already scoped (a group or
member from `selectors.access`) or the actor itself; each list is built in a
fixed number of queries, whatever the number of members or sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from openipt.groups.models import (
    Attendance,
    Group,
    GroupMember,
    GroupSession,
    GroupSessionStatus,
    MemberScore,
    MemberStatus,
    MemberTask,
    Screening,
    SupervisionAssignment,
)
from openipt.groups.selectors.access import own_group_membership
from openipt.groups.services.members import OPEN_GROUP_STATUSES, composition_refusal
from openipt.groups.services.scoring import GROUP_INSTRUMENT, SCREENING_SOURCE
from openipt.groups.services.screening import age_on, screening_reasons
from openipt.measures.engine import Instrument
from openipt.measures.selectors import instrument_for_practice
from openipt.practice.models import Role
from openipt.practice.roles import ActorRoles, roles_for
from openipt.protocol.group import EXCLUSION_PROMPTS, EligibilityDecision
from openipt.protocol.phases import Phase, PhasePlan
from openipt.safety.models import AlertNotification, NotificationKind, RiskAlert

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

# The problem areas in a lay facilitator's words (the group agenda uses the same ones).
PROBLEM_AREA_WORDS: dict[str, str] = {
    "grief": "Grief: someone close died",
    "role_dispute": "Disputes: a conflict with someone close",
    "role_transition": "Life changes: a change that is hard to live with",
    "interpersonal_deficits": "Loneliness: few people to turn to",
}


def problem_area_words(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """A problem area as the facilitator pages name it: the practice's own label if it
    set one (Practice.problem_area_labels), else the lay words above."""
    custom = (overrides or {}).get(code, "").strip()
    return custom or PROBLEM_AREA_WORDS.get(code, "Not decided yet")


def problem_area_choices(overrides: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(code, words) for every problem area, in the order of PROBLEM_AREA_WORDS."""
    return [(code, problem_area_words(code, overrides)) for code in PROBLEM_AREA_WORDS]


# Scores in the order they were given: the screening (no session) first, then by
# session number. Not by time: a session's scores are stamped midday of its day,
# so a screening later that day, or two sessions on one day, would sort wrongly.
SCORE_ORDER = (F("session__number").asc(nulls_first=True), "administered_at", "id")
LATEST_FIRST = (F("session__number").desc(nulls_last=True), "-administered_at", "-id")


# --------------------------------------------------------------------------- screenings


def _practices_with(roles: ActorRoles, role: str) -> list[int]:
    return [pid for pid, held in roles.by_practice.items() if role in held]


def _screening_filter(actor: User) -> Q:
    """Screenings by the actor (a facilitator at the site) or by a facilitator they supervise.

    Like `access.supervised_facilitator_q`, but for the `screened_by` field, whose
    name does not end in "facilitator" (that helper derives the practice field from it).
    """
    roles = roles_for(actor)
    condition = Q(pk__in=[])
    facilitated = _practices_with(roles, Role.FACILITATOR)
    if facilitated:
        condition |= Q(practice_id__in=facilitated, screened_by=actor)
    supervised = _practices_with(roles, Role.SUPERVISOR)
    if supervised:
        pairs = SupervisionAssignment.objects.filter(
            supervisor=actor, is_active=True, practice_id__in=supervised
        ).values_list("practice_id", "facilitator_id")
        for practice_id, facilitator_id in pairs:
            condition |= Q(practice_id=practice_id, screened_by_id=facilitator_id)
    return condition


def screening_get_for_actor(*, actor: User, public_id: UUID | str) -> Screening:
    """A screening the actor made or supervises; 404 exactly like a missing id otherwise."""
    try:
        return (
            Screening.objects.filter(_screening_filter(actor))
            .select_related("programme", "practice", "client", "screened_by")
            .get(public_id=public_id)
        )
    except (Screening.DoesNotExist, ValueError) as exc:
        raise Http404("No such screening.") from exc


@dataclass(frozen=True)
class ScreeningPage:
    screening: Screening
    decision: EligibilityDecision
    band_label: str
    member: GroupMember | None
    alert_raised: bool
    told: list[str]  # names of the people the alert went to first
    answers: list[tuple[str, str]]  # (question, answer given)
    exclusions: list[str]  # the referral questions answered yes


def screening_page(*, screening: Screening) -> ScreeningPage:
    member = GroupMember.objects.filter(screening=screening).first()
    alert = RiskAlert.objects.filter(
        source_type=SCREENING_SOURCE, source_public_id=screening.public_id
    ).first()
    told: list[str] = []
    if alert is not None:
        told = [
            n.recipient.full_name or n.recipient.email
            for n in AlertNotification.objects.filter(
                alert=alert, kind=NotificationKind.INITIAL
            ).select_related("recipient")
        ]
    instrument = instrument_for_practice(screening.practice, GROUP_INSTRUMENT)
    answers: list[tuple[str, str]] = []
    for item in instrument.items:
        ordinal = screening.phq9_answers.get(item.link_id)
        option = item.option_for_ordinal(ordinal) if isinstance(ordinal, int) else None
        if option is not None:
            answers.append((item.text, option.display))
    prompts = {code.value: text for code, text in EXCLUSION_PROMPTS.items()}
    return ScreeningPage(
        screening=screening,
        decision=screening_reasons(screening, date_of_birth=screening.client.date_of_birth),
        band_label=_band_label(instrument, screening.phq9_band),
        member=member,
        alert_raised=alert is not None,
        told=told,
        answers=answers,
        exclusions=[prompts[code] for code in screening.exclusions if code in prompts],
    )


def _band_label(instrument: Instrument, code: str) -> str:
    try:
        return instrument.band(code).label
    except KeyError:
        return code


# --------------------------------------------------------------------------- groups


def _annotate_progress(groups: QuerySet[Group]) -> QuerySet[Group]:
    """Enrolled count, the last session held, the next number and who came last time."""
    held = GroupSession.objects.filter(group=OuterRef("pk"), status=GroupSessionStatus.HELD)
    any_session = GroupSession.objects.filter(group=OuterRef("pk"))
    present_last = (
        Attendance.objects.filter(session_id=OuterRef("last_session_id"), present=True)
        .order_by()
        .values("session_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return groups.annotate(
        enrolled=Count("members", filter=Q(members__status=MemberStatus.ENROLLED), distinct=True),
        last_held=Coalesce(Subquery(held.order_by("-number").values("number")[:1]), Value(0)),
        last_session_id=Subquery(held.order_by("-number").values("pk")[:1]),
        highest_number=Coalesce(
            Subquery(any_session.order_by("-number").values("number")[:1]), Value(0)
        ),
    ).annotate(
        # A second step: the subquery refers to the last session found above.
        present_last=Coalesce(Subquery(present_last, output_field=IntegerField()), Value(0)),
    )


@dataclass(frozen=True)
class GroupRow:
    group: Group
    enrolled: int
    last_held: int
    next_number: int | None  # None once every planned session has a number
    present_last: int
    phase_label: str


def _row(group: Group) -> GroupRow:
    values: dict[str, Any] = group.__dict__
    highest = int(values["highest_number"])
    next_number = highest + 1 if highest < group.planned_sessions else None
    shown = next_number or group.planned_sessions
    return GroupRow(
        group=group,
        enrolled=int(values["enrolled"]),
        last_held=int(values["last_held"]),
        next_number=next_number,
        present_last=int(values["present_last"]),
        phase_label=group_plan(group).phase_of(shown).label,
    )


def group_plan(group: Group) -> PhasePlan:
    return PhasePlan(
        initial_last=group.initial_last, middle_last=group.middle_last, total=group.planned_sessions
    )


@dataclass(frozen=True)
class HomePage:
    groups: list[GroupRow]
    waiting: list[GroupMember]


def facilitator_home(*, actor: User, practice: Practice) -> HomePage:
    """The actor's groups at the practice (open ones first) and the people waiting for one."""
    groups = _annotate_progress(
        Group.objects.filter(practice=practice, facilitator=actor).select_related("programme")
    ).order_by("-started_on", "name", "id")
    rows = [_row(g) for g in groups]
    # Forming and running groups first, finished ones after, each in the order above.
    rows.sort(key=lambda r: r.group.status not in OPEN_GROUP_STATUSES)
    waiting = list(
        GroupMember.objects.filter(
            practice=practice, facilitator=actor, status=MemberStatus.WAITING
        )
        .select_related("client", "screening", "programme")
        .order_by("screening__screened_at", "id")
    )
    return HomePage(groups=rows, waiting=waiting)


@dataclass(frozen=True)
class MemberRow:
    member: GroupMember
    attended: int
    latest_total: int | None
    area: str


@dataclass(frozen=True)
class SessionRow:
    session: GroupSession
    present: int


@dataclass(frozen=True)
class Segment:
    phase: Phase
    first: int
    last: int
    sessions: list[tuple[int, bool]] = field(default_factory=list)  # (number, held)


@dataclass(frozen=True)
class GroupPage:
    row: GroupRow
    members: list[MemberRow]
    sessions: list[SessionRow]
    segments: list[Segment]
    held_count: int


def group_page(*, group: Group) -> GroupPage:
    """Everything the group page shows, in a fixed number of queries."""
    annotated = _annotate_progress(Group.objects.filter(pk=group.pk)).select_related(
        "programme", "practice", "facilitator"
    )
    row = _row(annotated.get())
    latest = MemberScore.objects.filter(member=OuterRef("pk")).order_by(*LATEST_FIRST)
    members = (
        GroupMember.objects.filter(group=group)
        .select_related("client")
        .annotate(
            attended=Count("attendance", filter=Q(attendance__present=True), distinct=True),
            latest_total=Subquery(latest.values("total")[:1]),
        )
        # Members in the group now first, then those who finished or left.
        .order_by(
            Case(When(status=MemberStatus.ENROLLED, then=Value(0)), default=Value(1)),
            "client__family_name",
            "client__given_name",
            "id",
        )
    )
    overrides = group.practice.problem_area_labels or None
    member_rows = [
        MemberRow(
            member=m,
            attended=int(m.__dict__["attended"]),
            latest_total=m.__dict__["latest_total"],
            area=problem_area_words(m.problem_area, overrides) if m.problem_area else "",
        )
        for m in members
    ]
    sessions = [
        SessionRow(session=s, present=int(s.__dict__["present"]))
        for s in GroupSession.objects.filter(group=group)
        .annotate(present=Count("attendance", filter=Q(attendance__present=True)))
        .order_by("number")
    ]
    held = {s.session.number for s in sessions if s.session.status == GroupSessionStatus.HELD}
    return GroupPage(
        row=row,
        members=member_rows,
        sessions=sessions,
        segments=_segments(group_plan(group), held),
        held_count=len(held),
    )


def _segments(plan: PhasePlan, held: set[int]) -> list[Segment]:
    total = plan.total or plan.middle_last + 1
    bounds = (
        (Phase.INITIAL, 1, plan.initial_last),
        (Phase.MIDDLE, plan.initial_last + 1, plan.middle_last),
        (Phase.TERMINATION, plan.middle_last + 1, total),
    )
    return [
        Segment(phase, first, last, [(n, n in held) for n in range(first, last + 1)])
        for phase, first, last in bounds
    ]


def groups_with_room_for(*, actor: User, member: GroupMember) -> list[Group]:
    """The actor's open groups this waiting member could join now (free place, right kind)."""
    groups = (
        Group.objects.filter(
            facilitator=actor,
            practice_id=member.practice_id,
            programme_id=member.programme_id,
            status__in=OPEN_GROUP_STATUSES,
        )
        .select_related("programme")
        .annotate(
            enrolled=Count(
                "members", filter=Q(members__status=MemberStatus.ENROLLED), distinct=True
            )
        )
        .order_by("name", "id")
    )
    age = age_on(member.client.date_of_birth, timezone.localdate())
    return [
        g
        for g in groups
        if int(g.__dict__["enrolled"]) < g.max_size
        and composition_refusal(
            composition=g.programme.composition,
            label=g.composition_label,
            gender=member.gender,
            age=age,
        )
        is None
    ]


# --------------------------------------------------------------------------- members


@dataclass(frozen=True)
class ScoreRow:
    score: MemberScore
    band_label: str
    session_number: int | None


@dataclass(frozen=True)
class MemberPage:
    member: GroupMember
    area: str
    scores: list[ScoreRow]
    attendance: list[Attendance]
    tasks: list[MemberTask]
    age: int


def member_page(*, member: GroupMember) -> MemberPage:
    """The member's own record: scores, attendance and tasks (never another member's)."""
    instrument = instrument_for_practice(member.practice, GROUP_INSTRUMENT)
    bands = {band.code: band.label for band in instrument.bands}
    scores = [
        ScoreRow(
            score=s,
            band_label=bands.get(s.band_code, s.band_code),
            session_number=s.session.number if s.session is not None else None,
        )
        for s in MemberScore.objects.filter(member=member)
        .select_related("session")
        .order_by(*SCORE_ORDER)
    ]
    attendance = list(
        Attendance.objects.filter(member=member)
        .select_related("session")
        .order_by("session__number")
    )
    tasks = list(
        MemberTask.objects.filter(member=member)
        .select_related("session")
        .order_by("session__number")
    )
    return MemberPage(
        member=member,
        area=(
            problem_area_words(member.problem_area, member.practice.problem_area_labels or None)
            if member.problem_area
            else ""
        ),
        scores=scores,
        attendance=attendance,
        tasks=tasks,
        age=age_on(member.client.date_of_birth, timezone.localdate()),
    )


# --------------------------------------------------------------------------- portal


def portal_group_card(*, actor: User) -> dict[str, Any] | None:
    """The signed-in client's own group, for their portal home; None if they have none.

    Only the client's own row is read: their group's name and next session, and
    their own latest task. Nothing about other members ever enters the card.
    """
    member = own_group_membership(actor=actor)
    if member is None or member.status == MemberStatus.DROPPED:
        return None
    card: dict[str, Any] = {"status": member.status, "group_name": "", "task": ""}
    group = member.group
    if group is None or member.status == MemberStatus.WAITING:
        card["status"] = MemberStatus.WAITING
        return card
    card["group_name"] = group.name
    card["total"] = group.planned_sessions
    highest = (
        GroupSession.objects.filter(group=group)
        .order_by("-number")
        .values_list("number", flat=True)
    ).first() or 0
    card["next_number"] = highest + 1 if highest < group.planned_sessions else None
    task = MemberTask.objects.filter(member=member).order_by("-session__number", "-id").first()
    card["task"] = task.text if task is not None else ""
    return card
