"""The supervisor's urgency queue: the work that needs them at a site, most urgent first.

Scope as in `supervision.py`: the work of the facilitators the supervisor
supervises at the site they are working in, through `supervised_facilitator_q`
from `access.py`. Each of the four lists is one query with its numbers computed
in the database, using the shared expressions of `supervision.py`.

The queue's four reasons, most urgent first:

1. open or escalated risk alerts about members of the supervisor's facilitators
   (oldest first; past the acknowledgement deadline is marked overdue);
2. members not on track: in a running group, their latest session PHQ-9 is
   higher than at screening, or from session `NOT_ON_TRACK_FROM_SESSION` on it
   has not dropped by the PHQ-9's reliable-change amount (the measures engine's
   number, 6 points for the shipped PHQ-9);
3. running groups whose attendance over held sessions is below the
   programme's `low_attendance_percent`;
4. held sessions the supervisor has not rated yet whose adherence checklist is
   below the programme's `low_adherence_percent`, or whose facilitator rated
   their own fidelity below adequate. Rating the session takes it off the queue.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateformat import format as date_format

from openipt.accounts.models import User
from openipt.groups.models import (
    GROUP_ALERT_SOURCES,
    FidelityRater,
    Group,
    GroupMember,
    GroupSession,
    GroupSessionStatus,
    GroupStatus,
    MemberScore,
    MemberStatus,
)
from openipt.groups.selectors.access import supervised_facilitator_q
from openipt.groups.selectors.supervision import (
    _rated_by,
    attendance_present,
    attendance_rate,
    attendance_recorded,
    fidelity_score,
)
from openipt.groups.services.scoring import GROUP_INSTRUMENT
from openipt.measures.engine.catalogue import shipped_instruments
from openipt.practice.roles import ActorRoles, roles_for
from openipt.protocol.group import FIDELITY_PASS_MEAN
from openipt.safety.models import UNACKNOWLEDGED, AlertStatus
from openipt.safety.selectors import alerts_visible_to

if TYPE_CHECKING:
    from openipt.practice.models import Practice

# A member is judged "not improved" only once they have had a few sessions.
NOT_ON_TRACK_FROM_SESSION = 3
# Used only if the PHQ-9 definition carried no reliable-change parameters.
FALLBACK_RELIABLE_CHANGE = 5

DATE = "j M Y"
DATETIME = "j M Y H:i"
# Urgency of each kind of queue item, 1 first.
URGENCY = {"alert": 1, "member": 2, "group": 3, "session": 4}


def reliable_change_points() -> int:
    """Points of PHQ-9 change that count as reliable (a whole number: totals are integers)."""
    instrument = shipped_instruments().get(GROUP_INSTRUMENT)
    rc = instrument.reliable_change if instrument is not None else None
    return math.ceil(rc.amount) if rc is not None else FALLBACK_RELIABLE_CHANGE


@dataclass(frozen=True)
class QueueItem:
    """One row of the queue: what it is about, why it is there and where to act on it."""

    kind: str  # "alert", "member", "group" or "session"
    title: str
    reasons: tuple[str, ...]
    facilitator: str
    link_name: str
    link_id: UUID
    link_text: str
    flag: str = ""  # "Overdue" or "Escalated"
    # Extra links (e.g. the member's page beside the alert): (url name, public id, text).
    more_links: tuple[tuple[str, UUID, str], ...] = ()

    @property
    def urgency(self) -> int:
        return URGENCY[self.kind]


@dataclass(frozen=True)
class SupervisionQueue:
    alerts: list[QueueItem] = field(default_factory=list)
    members: list[QueueItem] = field(default_factory=list)
    groups: list[QueueItem] = field(default_factory=list)
    sessions: list[QueueItem] = field(default_factory=list)

    @property
    def items(self) -> list[QueueItem]:
        """Every item, most urgent kind first, each kind in its own order."""
        return [*self.alerts, *self.members, *self.groups, *self.sessions]

    def __len__(self) -> int:
        return len(self.items)


def _supervised(actor: User, roles: ActorRoles, prefix: str) -> Q:
    return supervised_facilitator_q(actor=actor, roles=roles, prefix=prefix)


def _supervised_members(actor: User, roles: ActorRoles, practice: Practice) -> QuerySet[Any]:
    """Members (screened by, or in a group of) the actor's supervisees at this site."""
    reach = _supervised(actor, roles, "facilitator") | _supervised(
        actor, roles, "group__facilitator"
    )
    return GroupMember.objects.filter(practice=practice).filter(reach)


def _queue_alerts(
    actor: User, roles: ActorRoles, practice: Practice, now: datetime.datetime
) -> list[QueueItem]:
    members = _supervised_members(actor, roles, practice)
    of_client = members.filter(client_id=OuterRef("client_id")).order_by("-created_at", "-id")
    alerts = (
        alerts_visible_to(actor=actor)
        .filter(
            practice=practice,
            status__in=UNACKNOWLEDGED,
            source_type__in=GROUP_ALERT_SOURCES,
            client_id__in=members.values("client_id"),
        )
        .annotate(
            member_public_id=Subquery(of_client.values("public_id")[:1]),
            facilitator_name=Subquery(
                of_client.values(
                    name=Coalesce("group__facilitator__full_name", "facilitator__full_name")
                )[:1]
            ),
        )
        .select_related("client")
        .order_by("raised_at", "id")
    )
    items = []
    for alert in alerts:
        escalated = alert.status == AlertStatus.ESCALATED
        overdue = alert.ack_deadline <= now
        raised = date_format(timezone.localtime(alert.raised_at), DATETIME)
        due = date_format(timezone.localtime(alert.ack_deadline), DATETIME)
        reasons = [
            "A risk question on the PHQ-9 was answered positively.",
            f"Raised {raised}; {'was due' if overdue else 'respond'} by {due}.",
        ]
        member_id: UUID | None = getattr(alert, "member_public_id", None)
        items.append(
            QueueItem(
                kind="alert",
                title=alert.client.display_name,
                reasons=tuple(reasons),
                facilitator=getattr(alert, "facilitator_name", "") or "",
                link_name="safety:alert_detail",
                link_id=alert.public_id,
                link_text="Open the alert",
                flag="Escalated" if escalated else "Overdue" if overdue else "",
                more_links=(
                    (("groups:member_detail", member_id, "Member page"),) if member_id else ()
                ),
            )
        )
    return items


def _queue_members(actor: User, roles: ActorRoles, practice: Practice) -> list[QueueItem]:
    points = reliable_change_points()
    latest = MemberScore.objects.filter(
        member=OuterRef("pk"),
        session__isnull=False,
        session__status=GroupSessionStatus.HELD,
        instrument_code=GROUP_INSTRUMENT,
    ).order_by("-session__number", "-administered_at", "-id")
    members = (
        GroupMember.objects.filter(
            practice=practice, status=MemberStatus.ENROLLED, group__status=GroupStatus.RUNNING
        )
        .filter(_supervised(actor, roles, "group__facilitator"))
        .annotate(
            latest_total=Subquery(latest.values("total")[:1], output_field=IntegerField()),
            latest_session=Subquery(
                latest.values("session__number")[:1], output_field=IntegerField()
            ),
            baseline=F("screening__phq9_total"),
        )
        .filter(latest_total__isnull=False)
        .annotate(change=F("latest_total") - F("baseline"))
        .filter(
            Q(change__gt=0) | Q(latest_session__gte=NOT_ON_TRACK_FROM_SESSION, change__gt=-points)
        )
        .select_related("client", "group", "group__facilitator")
        .order_by("-change", "-latest_session", "client__family_name", "id")
    )
    items = []
    for member in members:
        latest_total: int = member.latest_total
        session: int = member.latest_session
        baseline: int = member.baseline
        if latest_total > baseline:
            why = (
                f"PHQ-9 is {latest_total} at session {session}, higher than "
                f"{baseline} at screening."
            )
        else:
            why = (
                f"PHQ-9 is {latest_total} at session {session}, down "
                f"{baseline - latest_total} from {baseline} at screening: less than the "
                f"{points} points that count as real improvement."
            )
        assert member.group is not None  # noqa: S101 - filtered on the group's status
        items.append(
            QueueItem(
                kind="member",
                title=f"{member.client.display_name} · {member.group.name}",
                reasons=(why,),
                facilitator=str(member.group.facilitator),
                link_name="groups:member_detail",
                link_id=member.public_id,
                link_text="Open the member's page",
            )
        )
    return items


def _queue_groups(actor: User, roles: ActorRoles, practice: Practice) -> list[QueueItem]:
    groups = (
        Group.objects.filter(practice=practice, status=GroupStatus.RUNNING)
        .filter(_supervised(actor, roles, "facilitator"))
        .annotate(present=attendance_present(), recorded=attendance_recorded())
        .filter(recorded__gt=0)
        .alias(present_x100=F("present") * 100)
        .filter(present_x100__lt=F("programme__low_attendance_percent") * F("recorded"))
        .annotate(rate=attendance_rate())
        .select_related("facilitator", "programme")
        .order_by("rate", "name", "id")
    )
    items = []
    for group in groups:
        rate = round(group.rate)
        present: int = group.present
        recorded: int = group.recorded
        threshold = group.programme.low_attendance_percent
        why = (
            f"Attendance is {rate}% over the sessions held ({present} of {recorded} "
            f"places filled); the programme looks at groups below {threshold}%."
        )
        items.append(
            QueueItem(
                kind="group",
                title=group.name,
                reasons=(why,),
                facilitator=str(group.facilitator),
                link_name="groups:group_detail",
                link_id=group.public_id,
                link_text="Open the group",
            )
        )
    return items


def _queue_sessions(actor: User, roles: ActorRoles, practice: Practice) -> list[QueueItem]:
    sessions = (
        GroupSession.objects.filter(
            group__practice=practice,
            status=GroupSessionStatus.HELD,
            group__status__in=(GroupStatus.RUNNING, GroupStatus.COMPLETED),
        )
        .filter(_supervised(actor, roles, "group__facilitator"))
        .filter(~_rated_by(FidelityRater.SUPERVISOR))
        .annotate(self_score=fidelity_score(FidelityRater.SELF))
        .filter(
            Q(adherence_percent__lt=F("group__programme__low_adherence_percent"))
            | Q(self_score__lt=FIDELITY_PASS_MEAN)
        )
        .select_related("group", "group__facilitator", "group__programme")
        .order_by("held_on", "group__name", "number", "id")
    )
    items = []
    for session in sessions:
        reasons = []
        threshold = session.group.programme.low_adherence_percent
        if session.adherence_percent < threshold:
            reasons.append(
                f"The adherence checklist is at {session.adherence_percent}% (below {threshold}%)."
            )
        self_score = session.self_score
        if self_score is not None and self_score < FIDELITY_PASS_MEAN:
            reasons.append(f"The facilitator rated their own fidelity {self_score} out of 5.")
        reasons.append("You have not rated this session yet.")
        items.append(
            QueueItem(
                kind="session",
                title=(
                    f"{session.group.name} · session {session.number}, "
                    f"{date_format(session.held_on, DATE)}"
                ),
                reasons=tuple(reasons),
                facilitator=str(session.group.facilitator),
                link_name="groups:session_fidelity",
                link_id=session.public_id,
                link_text="Rate this session",
                more_links=(("groups:session_detail", session.public_id, "Session page"),),
            )
        )
    return items


def supervision_queue(
    *, actor: User, practice: Practice, now: datetime.datetime | None = None
) -> SupervisionQueue:
    """The supervisor's work at `practice`, most urgent first (a constant number of queries)."""
    now = now or timezone.now()
    roles = roles_for(actor)
    return SupervisionQueue(
        alerts=_queue_alerts(actor, roles, practice, now),
        members=_queue_members(actor, roles, practice),
        groups=_queue_groups(actor, roles, practice),
        sessions=_queue_sessions(actor, roles, practice),
    )
