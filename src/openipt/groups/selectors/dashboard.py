"""The programme dashboard: counts and PHQ-9 outcomes per site and facilitator.

Every number is computed by the database. Each question is one grouped query
(`values(site, facilitator).annotate(Count/Sum(filter=...))`) that returns one
row per site and facilitator, whatever the number of members; site rows and the
programme total are sums of those rows (means and percentages are kept as sums
and counts until the end, so pooling is exact). The page therefore costs the
same handful of queries for ten members or a million.

A member's outcome compares their latest group-session PHQ-9 with their
baseline, the PHQ-9 total at screening. The latest score per member is picked
in SQL (`latest_scores`); the outcome query then aggregates only those rows.
The thresholds come from the shipped PHQ-9 definition (reliable change,
remission and caseness), not from literals.

Privacy: a programme manager sees aggregates only. An outcome cell resting on
fewer than `MIN_CELL` members is suppressed, and so is a neighbouring cell
when the suppressed rows could otherwise be recovered by subtracting the shown
rows from their site's or the programme's total (secondary suppression).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Avg, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum

from openipt.accounts.models import User
from openipt.groups.models import (
    Attendance,
    Group,
    GroupMember,
    GroupSessionStatus,
    GroupStatus,
    MemberScore,
    MemberStatus,
    Programme,
    ProgrammeSite,
)
from openipt.groups.services.scoring import GROUP_INSTRUMENT
from openipt.measures.engine import Instrument, shipped
from openipt.practice.models import Practice
from openipt.practice.roles import roles_for

if TYPE_CHECKING:
    from django.db.models import QuerySet

# The smallest number of members an outcome figure may rest on.
MIN_CELL = 5
# Groups whose sessions feed the per-site chart.
CHART_STATUSES = (GroupStatus.RUNNING, GroupStatus.COMPLETED)


@dataclass(frozen=True)
class Thresholds:
    """The PHQ-9 cut-offs the dashboard uses, read from the shipped definition."""

    reliable_points: int  # an improvement of at least this many points is reliable
    remission_below: int  # a total below this is "depression-free" (PHQ-9 < 5)
    caseness_below: int  # a total below this is below caseness (PHQ-9 < 10)


def phq9_thresholds(instrument: Instrument | None = None) -> Thresholds:
    phq9 = instrument or shipped(GROUP_INSTRUMENT)
    if phq9.reliable_change is None or phq9.remission_max is None or phq9.caseness_min is None:
        raise ValueError("The PHQ-9 definition lacks its reliable-change or cut-off values.")
    # Totals are whole numbers: a change of at least 6.0 points is one of at least 6.
    return Thresholds(
        reliable_points=math.ceil(phq9.reliable_change.amount),
        remission_below=phq9.remission_max + 1,
        caseness_below=phq9.caseness_min,
    )


@dataclass(frozen=True)
class DashboardFilters:
    date_from: datetime.date | None = None  # groups that started on or after
    date_to: datetime.date | None = None  # groups that started on or before
    site: Practice | None = None

    @property
    def has_period(self) -> bool:
        return self.date_from is not None or self.date_to is not None


@dataclass
class Tally:
    """Additive counts for one row; every figure on the page is derived from these."""

    groups_running: int = 0
    groups_completed: int = 0
    enrolled: int = 0
    completed: int = 0
    dropped: int = 0
    waiting: int = 0
    attendance_present: int = 0
    attendance_rows: int = 0
    scored: int = 0  # members with at least one group-session PHQ-9
    change_sum: int = 0  # sum over them of (latest − baseline)
    reliably_improved: int = 0
    ended: int = 0  # completers with an end score
    end_below_remission: int = 0
    end_below_caseness: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, getattr(self, name) + int(value or 0))


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _why_hidden(count: int) -> str:
    return f"fewer than {MIN_CELL}" if count < MIN_CELL else "hidden"


@dataclass
class DashboardRow:
    label: str
    tally: Tally = field(default_factory=Tally)
    scores_suppressed: bool = False
    end_suppressed: bool = False

    @property
    def scores_note(self) -> str:
        """Why the outcome cells are hidden: too few members, or to protect a neighbour."""
        return _why_hidden(self.tally.scored)

    @property
    def end_note(self) -> str:
        return _why_hidden(self.tally.ended)

    @property
    def attendance_percent(self) -> float | None:
        return _percent(self.tally.attendance_present, self.tally.attendance_rows)

    @property
    def mean_change(self) -> float | None:
        t = self.tally
        return t.change_sum / t.scored if t.scored and not self.scores_suppressed else None

    @property
    def reliably_improved_percent(self) -> float | None:
        if self.scores_suppressed:
            return None
        return _percent(self.tally.reliably_improved, self.tally.scored)

    @property
    def end_below_remission_percent(self) -> float | None:
        if self.end_suppressed:
            return None
        return _percent(self.tally.end_below_remission, self.tally.ended)

    @property
    def end_below_caseness_percent(self) -> float | None:
        if self.end_suppressed:
            return None
        return _percent(self.tally.end_below_caseness, self.tally.ended)


@dataclass(frozen=True)
class SessionMean:
    """The mean PHQ-9 at one point of the groups at a site (number 0: screening)."""

    number: int
    members: int
    mean: float | None  # None when fewer than MIN_CELL members were scored


@dataclass
class SiteBlock:
    practice: Practice
    row: DashboardRow
    facilitators: list[DashboardRow]
    session_means: list[SessionMean]


@dataclass
class Dashboard:
    programme: Programme
    filters: DashboardFilters
    thresholds: Thresholds
    sites: list[SiteBlock]
    total: DashboardRow
    min_cell: int = MIN_CELL


def _require_manager(actor: User, programme: Programme) -> None:
    if programme.organisation_id not in roles_for(actor).managed_organisations:
        raise PermissionDenied


def _group_q(programme: Programme, filters: DashboardFilters, prefix: str = "") -> Q:
    """The groups in view, as a condition on the model reached through `prefix`."""
    q = Q(**{f"{prefix}programme": programme})
    if filters.date_from is not None:
        q &= Q(**{f"{prefix}started_on__gte": filters.date_from})
    if filters.date_to is not None:
        q &= Q(**{f"{prefix}started_on__lte": filters.date_to})
    if filters.site is not None:
        q &= Q(**{f"{prefix}practice": filters.site})
    return q


def latest_scores(
    programme: Programme, filters: DashboardFilters, *, strategy: str | None = None
) -> QuerySet[MemberScore]:
    """Each in-scope member's latest group-session PHQ-9: of their group's last session
    (then the latest given, then the last entered).

    By session, not by time: a session's scores are stamped midday of its day, so
    two sessions held on one day, or a correction saved later that day, would
    otherwise make an earlier session's score look like the latest. Sessions are
    compared by id: a group's sessions are created in number order
    (`group_session_record` only ever adds the next number, and a member's scores
    all come from their one group), so the higher id is the higher number, and
    PostgreSQL is spared a join on the sessions table (at 20,000 members the
    anti-join took 0.86 s joined on session numbers, 0.22 s on ids).

    Two formulations that return the same rows; each database gets the one its
    planner runs well (measured at 100,000 members, see docs/benchmarks.md):
    SQLite walks the members and probes the (member, administered_at) index once
    each ("correlated"); PostgreSQL runs the correlated form several times per
    member, but turns "no later score exists" into one anti-join ("anti_join").
    """
    session_scores = MemberScore.objects.filter(
        session__isnull=False, instrument_code=GROUP_INSTRUMENT
    ).order_by()
    chosen = strategy or ("anti_join" if connection.vendor == "postgresql" else "correlated")
    if chosen == "anti_join":
        session = OuterRef("session_id")
        at = OuterRef("administered_at")
        later = session_scores.filter(member_id=OuterRef("member_id")).filter(
            Q(session_id__gt=session)
            | Q(session_id=session, administered_at__gt=at)
            | Q(session_id=session, administered_at=at, pk__gt=OuterRef("pk"))
        )
        return session_scores.filter(_group_q(programme, filters, "member__group__")).filter(
            ~Exists(later)
        )
    latest = (
        session_scores.filter(member=OuterRef("pk"))
        .order_by("-session_id", "-administered_at", "-id")
        .values("id")
    )[:1]
    ids = (
        GroupMember.objects.filter(_group_q(programme, filters, "group__"))
        .order_by()
        .annotate(latest_id=Subquery(latest))
        .values("latest_id")
    )
    return MemberScore.objects.filter(pk__in=ids).order_by()


Key = tuple[int, int]  # (practice id, facilitator id)


def _tallies(
    programme: Programme, filters: DashboardFilters, thresholds: Thresholds
) -> dict[Key, Tally]:
    """Every count, one grouped query per question, keyed by (site, facilitator)."""
    tallies: dict[Key, Tally] = {}

    def merge(rows: Iterable[dict[str, Any]], practice: str, facilitator: str) -> None:
        for row in rows:
            key = (row.pop(practice), row.pop(facilitator))
            tallies.setdefault(key, Tally()).update(row)

    # Every grouped query clears the models' default ordering: Django would
    # otherwise join the tables that ordering names (members → clients) for nothing.
    groups = Group.objects.filter(_group_q(programme, filters)).order_by()
    merge(
        groups.values("practice_id", "facilitator_id").annotate(
            groups_running=Count("pk", filter=Q(status=GroupStatus.RUNNING)),
            groups_completed=Count("pk", filter=Q(status=GroupStatus.COMPLETED)),
        ),
        "practice_id",
        "facilitator_id",
    )
    members = GroupMember.objects.filter(_group_q(programme, filters, "group__")).order_by()
    merge(
        members.values("group__practice_id", "group__facilitator_id").annotate(
            enrolled=Count("pk", filter=Q(status=MemberStatus.ENROLLED)),
            completed=Count("pk", filter=Q(status=MemberStatus.COMPLETED)),
            dropped=Count("pk", filter=Q(status=MemberStatus.DROPPED)),
        ),
        "group__practice_id",
        "group__facilitator_id",
    )
    # The waiting list is who is waiting now (they have no group, so no period):
    # counted under the site and facilitator that screened them.
    waiting = GroupMember.objects.filter(
        programme=programme, status=MemberStatus.WAITING
    ).order_by()
    if filters.site is not None:
        waiting = waiting.filter(practice=filters.site)
    merge(
        waiting.values("practice_id", "facilitator_id").annotate(waiting=Count("pk")),
        "practice_id",
        "facilitator_id",
    )
    attendance = Attendance.objects.filter(
        _group_q(programme, filters, "session__group__"),
        session__status=GroupSessionStatus.HELD,
    ).order_by()
    merge(
        attendance.values("session__group__practice_id", "session__group__facilitator_id").annotate(
            attendance_present=Count("pk", filter=Q(present=True)),
            attendance_rows=Count("pk"),
        ),
        "session__group__practice_id",
        "session__group__facilitator_id",
    )
    baseline = F("member__screening__phq9_total")
    latest = latest_scores(programme, filters)
    completer = Q(member__status=MemberStatus.COMPLETED)
    merge(
        latest.values("member__group__practice_id", "member__group__facilitator_id").annotate(
            scored=Count("pk"),
            change_sum=Sum(F("total") - baseline, output_field=IntegerField()),
            reliably_improved=Count(
                "pk", filter=Q(total__lte=baseline - thresholds.reliable_points)
            ),
            ended=Count("pk", filter=completer),
            end_below_remission=Count(
                "pk", filter=completer & Q(total__lt=thresholds.remission_below)
            ),
            end_below_caseness=Count(
                "pk", filter=completer & Q(total__lt=thresholds.caseness_below)
            ),
        ),
        "member__group__practice_id",
        "member__group__facilitator_id",
    )
    return tallies


def site_session_means(
    programme: Programme, filters: DashboardFilters
) -> dict[int, list[SessionMean]]:
    """Mean PHQ-9 by group session number per site (running and completed groups).

    Point 0 is the screening (baseline) of the members of those groups. Two
    grouped queries for every site at once.
    """
    group_q = _group_q(programme, filters, "group__") & Q(group__status__in=CHART_STATUSES)
    points: dict[int, list[SessionMean]] = {}

    def add(practice_id: int, number: int, members: int, mean: float | None) -> None:
        shown = mean if members >= MIN_CELL and mean is not None else None
        points.setdefault(practice_id, []).append(SessionMean(number, members, shown))

    baselines = (
        GroupMember.objects.filter(group_q)
        .values("group__practice_id")
        .annotate(members=Count("pk"), mean=Avg("screening__phq9_total"))
        .order_by("group__practice_id")
    )
    for row in baselines:
        add(row["group__practice_id"], 0, row["members"], row["mean"])
    by_session = (
        MemberScore.objects.filter(
            _group_q(programme, filters, "session__group__"),
            session__group__status__in=CHART_STATUSES,
            instrument_code=GROUP_INSTRUMENT,
        )
        .values("session__group__practice_id", "session__number")
        # One PHQ-9 per member per session (a unique constraint), so rows are members.
        .annotate(members=Count("pk"), mean=Avg("total"))
        .order_by("session__group__practice_id", "session__number")
    )
    for row in by_session:
        add(row["session__group__practice_id"], row["session__number"], row["members"], row["mean"])
    return points


def _suppress(rows: Sequence[DashboardRow], parent: DashboardRow | None) -> None:
    """Primary and secondary suppression of the outcome cells of `rows` under `parent`.

    A row whose outcome rests on 1–4 members is hidden. If the hidden rows
    together hold 1–4 members while the parent is shown, the parent minus the
    shown rows would give them away, so the smallest shown rows are hidden too
    until the hidden ones hold at least MIN_CELL members. Rows with no member
    at all reveal nothing and stay as they are ("no scores yet").
    """
    for count, flag in (("scored", "scores_suppressed"), ("ended", "end_suppressed")):

        def n(row: DashboardRow, count: str = count) -> int:
            return int(getattr(row.tally, count))

        for row in rows:
            if 0 < n(row) < MIN_CELL:
                setattr(row, flag, True)
        if parent is None or getattr(parent, flag):
            continue
        hidden = sum(n(row) for row in rows if getattr(row, flag))
        shown = sorted((r for r in rows if not getattr(r, flag) and n(r) > 0), key=n)
        while 0 < hidden < MIN_CELL and shown:
            extra = shown.pop(0)
            setattr(extra, flag, True)
            hidden += n(extra)


def programme_dashboard(
    *, actor: User, programme: Programme, filters: DashboardFilters
) -> Dashboard:
    """The dashboard of a programme the actor manages (PermissionDenied otherwise)."""
    _require_manager(actor, programme)
    thresholds = phq9_thresholds()
    tallies = _tallies(programme, filters, thresholds)
    means = site_session_means(programme, filters)
    site_ids = set(
        programme.sites.values_list("practice_id", flat=True)
        if filters.site is None
        else [filters.site.pk]
    ) | {practice_id for practice_id, _ in tallies}
    practices = {p.pk: p for p in Practice.objects.filter(pk__in=site_ids)}
    people = {
        u.pk: u for u in User.objects.filter(pk__in={f for _, f in tallies}).only("pk", "full_name")
    }
    total = DashboardRow(label="Whole programme")
    blocks: list[SiteBlock] = []
    for practice in sorted(practices.values(), key=lambda p: (p.name, p.pk)):
        site_row = DashboardRow(label=practice.name)
        facilitator_rows = []
        for (practice_id, facilitator_id), tally in tallies.items():
            if practice_id != practice.pk:
                continue
            person = people.get(facilitator_id)
            label = (person.full_name if person else "") or "Facilitator"
            facilitator_rows.append(DashboardRow(label=label, tally=tally))
            site_row.tally.add(tally)
        facilitator_rows.sort(key=lambda r: r.label)
        total.tally.add(site_row.tally)
        blocks.append(SiteBlock(practice, site_row, facilitator_rows, means.get(practice.pk, [])))
    _suppress([total], None)
    _suppress([b.row for b in blocks], total)
    for block in blocks:
        _suppress(block.facilitators, block.row)
    return Dashboard(programme, filters, thresholds, blocks, total)


def site_chart_points(
    *, actor: User, programme: Programme, site: Practice, filters: DashboardFilters
) -> list[SessionMean]:
    """The chart's points for one site of a programme the actor manages."""
    _require_manager(actor, programme)
    site_filters = DashboardFilters(date_from=filters.date_from, date_to=filters.date_to, site=site)
    return site_session_means(programme, site_filters).get(site.pk, [])


@dataclass
class ProgrammeHeadline:
    programme: Programme
    sites: int = 0
    groups_running: int = 0
    groups_completed: int = 0
    enrolled: int = 0
    completed: int = 0
    dropped: int = 0
    waiting: int = 0


def programme_headlines(*, actor: User) -> list[ProgrammeHeadline]:
    """The actor's programmes with their headline counts: four queries for any number."""
    organisations = roles_for(actor).managed_organisations
    programmes = Programme.objects.filter(organisation_id__in=organisations).select_related(
        "organisation"
    )
    headlines = {p.pk: ProgrammeHeadline(p) for p in programmes}
    ids = list(headlines)
    rows: list[dict[str, Any]] = [
        *Group.objects.filter(programme_id__in=ids)
        .order_by()
        .values("programme_id")
        .annotate(
            groups_running=Count("pk", filter=Q(status=GroupStatus.RUNNING)),
            groups_completed=Count("pk", filter=Q(status=GroupStatus.COMPLETED)),
        ),
        *GroupMember.objects.filter(programme_id__in=ids)
        .order_by()
        .values("programme_id")
        .annotate(
            enrolled=Count("pk", filter=Q(status=MemberStatus.ENROLLED)),
            completed=Count("pk", filter=Q(status=MemberStatus.COMPLETED)),
            dropped=Count("pk", filter=Q(status=MemberStatus.DROPPED)),
            waiting=Count("pk", filter=Q(status=MemberStatus.WAITING)),
        ),
        *ProgrammeSite.objects.filter(programme_id__in=ids)
        .order_by()
        .values("programme_id")
        .annotate(sites=Count("pk")),
    ]
    for row in rows:
        headline = headlines[row.pop("programme_id")]
        for name, value in row.items():
            setattr(headline, name, value)
    return list(headlines.values())
