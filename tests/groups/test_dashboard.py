"""The programme dashboard's numbers, on a small dataset worked out by hand.

The dataset (`build_dataset`), on top of the group world:

Riverside Clinic (site A)
- Fay leads "Tuesday group" (running, started 2026-10-06): the world's three
  members (baseline 14) and three more (baselines 20, 12, 16). Sessions 1 and 2
  held, session 3 cancelled. Present: all six at session 1, four at session 2
  → 10 of 12. Latest PHQ-9s: 10, 7, 14, 13 (session 2) and 11, 16 (session 1):
  changes −4, −7, 0, −7, −1, 0 → sum −19; reliably improved (≥ 6): two.
- Fay also led "Spring group" (completed, started 2026-03-02): five completers
  (baselines 18, 15, 12, 20, 10) and one who left (baseline 14). Present: all
  six, then the five → 11 of 12. End scores 4, 9, 11, 16, 3 and the leaver's 16:
  changes −14, −6, −1, −4, −7, +2 → sum −30; reliable: three; end below 5: two
  (4, 3); below 10: three (4, 9, 3).
- Finn leads "Thursday group" (running) with one member: session 1 held, present,
  no score.
- Wendy waits for a group (screened by Fay).

Lakeside (site B)
- Bo leads "Lakeside group" (running, started 2026-09-01) with five members
  (baseline 12 each); session 1 held, all present, scores 10, 6, 12, 4, 9 →
  changes −2, −6, 0, −8, −3 → sum −19; reliable: two.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openipt.accounts.models import User
from openipt.groups.models import (
    Attendance,
    Group,
    GroupMember,
    GroupSession,
    GroupSessionStatus,
    GroupStatus,
    MemberScore,
    MemberStatus,
    ProgrammeSite,
)
from openipt.groups.selectors.dashboard import (
    Dashboard,
    DashboardFilters,
    DashboardRow,
    latest_scores,
    phq9_thresholds,
    programme_dashboard,
    programme_headlines,
)
from openipt.measures.engine import shipped
from openipt.practice.models import Practice, PracticeKind, Role
from tests.factories import PracticeFactory
from tests.groups.world import GroupWorld, make_member, phq9_answers
from tests.world import _staff

pytestmark = pytest.mark.django_db


def answers_for(total: int) -> dict[str, int]:
    """PHQ-9 answers adding up to `total` (item 9 always 0)."""
    values = [min(3, max(0, total - 3 * n)) for n in range(8)] + [0]
    return phq9_answers(*values)


def add_group(
    gw: GroupWorld,
    practice: Practice,
    facilitator: User,
    name: str,
    started: datetime.date,
    status: str = GroupStatus.RUNNING,
) -> Group:
    return Group.objects.create(
        programme=gw.programme,
        practice=practice,
        facilitator=facilitator,
        name=name,
        planned_sessions=8,
        initial_last=1,
        middle_last=7,
        max_size=10,
        status=status,
        started_on=started,
    )


def add_members(
    gw: GroupWorld, group: Group, baselines: list[int], status: str = MemberStatus.ENROLLED
) -> list[GroupMember]:
    members = []
    for index, baseline in enumerate(baselines):
        member = make_member(
            programme=gw.programme,
            practice=group.practice,
            facilitator=group.facilitator,
            given=f"{group.name.split()[0]}{index}",
            family="Quillfeather",
            group=group,
            total=baseline,
        )
        member.status = status
        member.save(update_fields=["status"])
        members.append(member)
    return members


def hold_session(
    group: Group,
    number: int,
    day: datetime.date,
    present: dict[GroupMember, bool],
    scores: dict[GroupMember, int],
    status: str = GroupSessionStatus.HELD,
) -> GroupSession:
    session = GroupSession.objects.create(
        group=group, number=number, held_on=day, status=status, recorded_by=group.facilitator
    )
    for member, here in present.items():
        Attendance.objects.create(session=session, member=member, present=here)
    when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    for member, total in scores.items():
        MemberScore.objects.create(
            member=member,
            session=session,
            practice=group.practice,
            instrument_version="1.0",
            answers=answers_for(total),
            total=total,
            band_code=shipped("phq9").band_for(total).code,
            administered_at=when,
            entered_by=group.facilitator,
        )
    return session


@dataclass
class Dataset:
    gw: GroupWorld
    site_b: Practice
    bo: User
    spring: Group
    lakeside: Group


def build_dataset(gw: GroupWorld) -> Dataset:
    site_a = gw.world.practice_a
    site_b: Practice = PracticeFactory.create(
        organisation=gw.world.organisation, name="Lakeside", kind=PracticeKind.GROUP_SITE
    )
    ProgrammeSite.objects.create(programme=gw.programme, practice=site_b)
    bo = _staff(site_b, Role.FACILITATOR, "Bo Facilitator")

    tuesday = gw.group
    m1, m2, m3 = gw.members
    m4, m5, m6 = add_members(gw, tuesday, [20, 12, 16])
    oct6, oct13 = datetime.date(2026, 10, 6), datetime.date(2026, 10, 13)
    everyone = [m1, m2, m3, m4, m5, m6]
    hold_session(
        tuesday,
        1,
        oct6,
        dict.fromkeys(everyone, True),
        {m1: 13, m2: 12, m3: 14, m4: 18, m5: 11, m6: 16},
    )
    hold_session(
        tuesday,
        2,
        oct13,
        {m1: True, m2: True, m3: True, m4: True, m5: False, m6: False},
        {m1: 10, m2: 7, m3: 14, m4: 13},
    )
    hold_session(tuesday, 3, datetime.date(2026, 10, 20), {}, {}, GroupSessionStatus.CANCELLED)

    spring = add_group(gw, site_a, gw.facilitator, "Spring group", datetime.date(2026, 3, 2))
    spring.status = GroupStatus.COMPLETED
    spring.save(update_fields=["status"])
    c1, c2, c3, c4, c5 = add_members(gw, spring, [18, 15, 12, 20, 10], MemberStatus.COMPLETED)
    (d1,) = add_members(gw, spring, [14], MemberStatus.DROPPED)
    hold_session(
        spring,
        1,
        datetime.date(2026, 3, 2),
        dict.fromkeys([c1, c2, c3, c4, c5, d1], True),
        {c1: 15, c2: 12, c3: 12, c4: 18, c5: 5, d1: 16},
    )
    hold_session(
        spring,
        2,
        datetime.date(2026, 3, 9),
        {c1: True, c2: True, c3: True, c4: True, c5: True, d1: False},
        {c1: 4, c2: 9, c3: 11, c4: 16, c5: 3},
    )

    hold_session(gw.group_2, 1, oct6, {gw.member_2: True}, {})

    lakeside = add_group(gw, site_b, bo, "Lakeside group", datetime.date(2026, 9, 1))
    lake = add_members(gw, lakeside, [12, 12, 12, 12, 12])
    hold_session(
        lakeside,
        1,
        datetime.date(2026, 9, 1),
        dict.fromkeys(lake, True),
        dict(zip(lake, [10, 6, 12, 4, 9], strict=True)),
    )
    return Dataset(gw, site_b, bo, spring, lakeside)


@pytest.fixture
def data(group_world: GroupWorld) -> Dataset:
    return build_dataset(group_world)


def dashboard(data: Dataset, **filters: object) -> Dashboard:
    return programme_dashboard(
        actor=data.gw.world.programme_manager,
        programme=data.gw.programme,
        filters=DashboardFilters(**filters),  # type: ignore[arg-type]
    )


def site_row(board: Dashboard, name: str) -> DashboardRow:
    return next(block.row for block in board.sites if block.practice.name == name)


def facilitator_row(board: Dashboard, site: str, name: str) -> DashboardRow:
    block = next(block for block in board.sites if block.practice.name == site)
    return next(row for row in block.facilitators if row.label == name)


def test_thresholds_come_from_the_shipped_phq9_definition() -> None:
    phq9 = shipped("phq9")
    thresholds = phq9_thresholds()
    assert phq9.reliable_change is not None
    assert thresholds.reliable_points == phq9.reliable_change.nhs_points == 6
    assert thresholds.remission_below == 5
    assert thresholds.caseness_below == 10


def test_counts_of_groups_and_members_per_facilitator(data: Dataset) -> None:
    """GIVEN Fay's running and completed groups, Finn's group and Wendy waiting
    WHEN the manager opens the dashboard
    THEN Fay's row counts 1 running and 1 completed group, 6 in a group, 5 completed,
    1 left and 1 waiting; Finn's counts his group and its one member."""
    board = dashboard(data)
    fay = facilitator_row(board, "Riverside Clinic", "Fay Facilitator").tally
    assert (fay.groups_running, fay.groups_completed) == (1, 1)
    assert (fay.enrolled, fay.completed, fay.dropped, fay.waiting) == (6, 5, 1, 1)
    finn = facilitator_row(board, "Riverside Clinic", "Finn Facilitator").tally
    assert (finn.groups_running, finn.enrolled, finn.waiting) == (1, 1, 0)


def test_attendance_rate_counts_held_sessions_only(data: Dataset) -> None:
    """GIVEN 10 of 12 places filled in Tuesday's two held sessions, 11 of 12 in Spring's,
    and a cancelled session
    WHEN the dashboard is computed
    THEN Fay's attendance is 21 / 24 = 87.5 %, the programme's 27 / 30 = 90 %."""
    board = dashboard(data)
    fay = facilitator_row(board, "Riverside Clinic", "Fay Facilitator")
    assert (fay.tally.attendance_present, fay.tally.attendance_rows) == (21, 24)
    assert fay.attendance_percent == pytest.approx(87.5)
    assert board.total.attendance_percent == pytest.approx(90.0)


def test_phq9_outcomes_per_facilitator(data: Dataset) -> None:
    """GIVEN Fay's twelve scored members (changes summing to −49, five reliably improved,
    five completers of whom two end below 5 and three below 10)
    WHEN the dashboard is computed
    THEN mean change −49/12, 5/12 reliably improved, 40 % below 5 and 60 % below 10."""
    fay = facilitator_row(dashboard(data), "Riverside Clinic", "Fay Facilitator")
    assert fay.tally.scored == 12
    assert fay.mean_change == pytest.approx(-49 / 12)
    assert fay.reliably_improved_percent == pytest.approx(500 / 12)
    assert fay.tally.ended == 5
    assert fay.end_below_remission_percent == pytest.approx(40.0)
    assert fay.end_below_caseness_percent == pytest.approx(60.0)


def test_a_leaver_counts_in_the_change_but_not_in_the_end_figures(data: Dataset) -> None:
    """GIVEN Spring's leaver, scored 16 at session 1 after 14 at screening
    WHEN the period holds only the Spring group
    THEN six members are scored (change −30) but only the five completers are in the end figures."""
    spring_only = dashboard(
        data, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 6, 30)
    )
    total = spring_only.total
    assert (total.tally.scored, total.tally.change_sum, total.tally.ended) == (6, -30, 5)
    assert total.reliably_improved_percent == pytest.approx(50.0)
    assert total.end_below_remission_percent == pytest.approx(40.0)


def test_programme_totals_and_site_rows(data: Dataset) -> None:
    board = dashboard(data)
    assert [block.practice.name for block in board.sites] == ["Lakeside", "Riverside Clinic"]
    lakeside = site_row(board, "Lakeside")
    assert lakeside.mean_change == pytest.approx(-19 / 5)
    assert lakeside.reliably_improved_percent == pytest.approx(40.0)
    assert lakeside.attendance_percent == pytest.approx(100.0)
    assert lakeside.tally.ended == 0 and lakeside.end_below_remission_percent is None
    total = board.total.tally
    assert (total.groups_running, total.groups_completed) == (3, 1)
    assert (total.enrolled, total.completed, total.dropped, total.waiting) == (12, 5, 1, 1)
    assert board.total.mean_change == pytest.approx(-68 / 17)
    assert board.total.reliably_improved_percent == pytest.approx(700 / 17)
    assert board.total.end_below_caseness_percent == pytest.approx(60.0)


def test_period_filter_keeps_groups_that_started_within_it(data: Dataset) -> None:
    """GIVEN groups started in March (Spring), September (Lakeside) and October (Tuesday, Thursday)
    WHEN the period is September to December
    THEN Spring is left out: Fay has 1 running group, 6 members, none completed, 10 of 12
    attended, six scored with changes summing to −19; the waiting list is still today's."""
    board = dashboard(
        data, date_from=datetime.date(2026, 9, 1), date_to=datetime.date(2026, 12, 31)
    )
    fay = facilitator_row(board, "Riverside Clinic", "Fay Facilitator")
    assert (fay.tally.groups_running, fay.tally.groups_completed) == (1, 0)
    assert (fay.tally.enrolled, fay.tally.completed, fay.tally.dropped) == (6, 0, 0)
    assert (fay.tally.attendance_present, fay.tally.attendance_rows) == (10, 12)
    assert (fay.tally.scored, fay.tally.change_sum, fay.tally.reliably_improved) == (6, -19, 2)
    assert fay.tally.waiting == 1
    only_october = dashboard(data, date_from=datetime.date(2026, 10, 1))
    assert only_october.total.tally.groups_running == 2  # Tuesday and Thursday


def test_site_filter_shows_one_site(data: Dataset) -> None:
    board = dashboard(data, site=data.site_b)
    assert [block.practice.name for block in board.sites] == ["Lakeside"]
    assert board.total.tally.enrolled == 5
    assert board.total.tally.waiting == 0
    assert board.total.mean_change == pytest.approx(-19 / 5)


def test_a_facilitator_with_fewer_than_five_scored_is_suppressed(data: Dataset) -> None:
    """GIVEN Finn's one member now scored (13 after 14)
    WHEN the dashboard is computed
    THEN Finn's outcome cells are hidden; so are Fay's, because the site row minus Fay's
    would give Finn's member away; the site row (13 scored) is shown."""
    session = GroupSession.objects.get(group=data.gw.group_2, number=1)
    MemberScore.objects.create(
        member=data.gw.member_2,
        session=session,
        practice=session.group.practice,
        instrument_version="1.0",
        answers=answers_for(13),
        total=13,
        band_code="moderate",
        administered_at=timezone.now(),
        entered_by=data.gw.facilitator_2,
    )
    board = dashboard(data)
    finn = facilitator_row(board, "Riverside Clinic", "Finn Facilitator")
    fay = facilitator_row(board, "Riverside Clinic", "Fay Facilitator")
    assert finn.scores_suppressed and finn.mean_change is None
    assert finn.reliably_improved_percent is None
    assert fay.scores_suppressed and fay.mean_change is None
    site = site_row(board, "Riverside Clinic")
    assert not site.scores_suppressed
    assert site.mean_change == pytest.approx((-49 - 1) / 13)


def test_a_site_with_fewer_than_five_scored_is_suppressed_with_a_neighbour(data: Dataset) -> None:
    """GIVEN Lakeside with only three scored members (two scores removed)
    WHEN the dashboard is computed
    THEN Lakeside's outcome cells are hidden, and Riverside's too (the total minus
    Riverside would give Lakeside's away); counts stay visible; the total is shown."""
    MemberScore.objects.filter(member__group=data.lakeside, total__in=[10, 6]).delete()
    board = dashboard(data)
    lakeside = site_row(board, "Lakeside")
    assert lakeside.scores_suppressed and lakeside.mean_change is None
    assert site_row(board, "Riverside Clinic").scores_suppressed
    assert lakeside.tally.enrolled == 5 and lakeside.attendance_percent == pytest.approx(100.0)
    assert not board.total.scores_suppressed
    assert board.total.tally.scored == 15


def test_end_figures_are_suppressed_when_fewer_than_five_completers_are_scored(
    data: Dataset,
) -> None:
    GroupMember.objects.filter(group=data.spring, screening__phq9_total=20).update(
        status=MemberStatus.DROPPED
    )
    fay = facilitator_row(dashboard(data), "Riverside Clinic", "Fay Facilitator")
    assert fay.tally.ended == 4
    assert fay.end_suppressed and fay.end_below_remission_percent is None
    assert not fay.scores_suppressed


@pytest.mark.parametrize("strategy", ["correlated", "anti_join"])
def test_latest_score_is_of_the_highest_session_whatever_its_time(
    data: Dataset, strategy: str
) -> None:
    """GIVEN one member whose session-1 score is stamped after their session-2 score (two
    sessions on one day, session 1 corrected in the afternoon), another whose two
    scores carry the same moment, and every other member's scores a week apart
    WHEN the latest score per member is picked, with either database's formulation
    THEN each member's latest is the score of their highest session number."""
    m1, m2 = data.gw.members[0], data.gw.members[1]
    first, second = MemberScore.objects.filter(member=m1).order_by("session__number")
    first.administered_at = second.administered_at + datetime.timedelta(hours=3)
    first.save(update_fields=["administered_at"])
    tied_1, tied_2 = MemberScore.objects.filter(member=m2).order_by("session__number")
    tied_1.administered_at = tied_2.administered_at
    tied_1.save(update_fields=["administered_at"])
    rows = latest_scores(data.gw.programme, DashboardFilters(), strategy=strategy)
    latest = {row.member_id: row for row in rows}
    assert latest[m1.pk] == second and second.session == data.gw.group.sessions.get(number=2)
    assert latest[m2.pk] == tied_2
    assert len(latest) == 17  # Tuesday 6, Spring 6, Lakeside 5; Thursday's member has none
    spring_totals = sorted(row.total for row in rows if row.member.group_id == data.spring.pk)
    assert spring_totals == [3, 4, 9, 11, 16, 16]


def test_the_mean_change_uses_the_highest_session_not_the_newest_stamp(data: Dataset) -> None:
    """GIVEN Fay's first member (baseline 14; 13 at session 1, 10 at session 2) whose
    session-1 score was re-saved later than session 2's
    WHEN the dashboard is computed
    THEN her change is still 10 − 14 (Fay's Tuesday sum stays −19 + Spring −30)."""
    m1 = data.gw.members[0]
    first, second = MemberScore.objects.filter(member=m1).order_by("session__number")
    first.administered_at = second.administered_at + datetime.timedelta(days=1)
    first.save(update_fields=["administered_at"])
    fay = facilitator_row(dashboard(data), "Riverside Clinic", "Fay Facilitator")
    assert fay.tally.change_sum == -19 - 30


def test_another_organisations_manager_is_refused(data: Dataset) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        programme_dashboard(
            actor=data.gw.facilitator, programme=data.gw.programme, filters=DashboardFilters()
        )


def test_headlines_count_each_programme(data: Dataset) -> None:
    (headline,) = programme_headlines(actor=data.gw.world.programme_manager)
    assert headline.programme == data.gw.programme
    assert (headline.sites, headline.groups_running, headline.groups_completed) == (2, 3, 1)
    assert (headline.enrolled, headline.completed, headline.dropped, headline.waiting) == (
        12,
        5,
        1,
        1,
    )


def _grow(gw: GroupWorld, groups: int) -> None:
    """`groups` more groups of six at site A, each with two sessions, attendance and scores."""
    for index in range(groups):
        group = add_group(
            gw,
            gw.world.practice_a,
            gw.facilitator_2,
            f"Extra{index} group",
            datetime.date(2026, 5, 1),
        )
        members = add_members(gw, group, [15, 16, 17, 18, 19, 20])
        for number in (1, 2):
            hold_session(
                group,
                number,
                datetime.date(2026, 5, number),
                dict.fromkeys(members, True),
                dict.fromkeys(members, 12),
            )


def test_the_dashboard_costs_the_same_queries_for_more_data(group_world: GroupWorld) -> None:
    """GIVEN a programme with one extra group, then with five more
    WHEN the dashboard is computed
    THEN it makes the same number of queries both times."""
    manager = group_world.world.programme_manager
    _grow(group_world, 1)
    with CaptureQueriesContext(connection) as small:
        programme_dashboard(
            actor=manager, programme=group_world.programme, filters=DashboardFilters()
        )
    _grow(group_world, 5)
    with CaptureQueriesContext(connection) as large:
        board = programme_dashboard(
            actor=manager, programme=group_world.programme, filters=DashboardFilters()
        )
    assert board.total.tally.scored == 36
    assert len(small.captured_queries) == len(large.captured_queries) <= 12
