"""The demo's group programme (`make demo`): the stories it promises, seeded once per module.

Seeding the whole demo takes seconds, so this module seeds it once inside a
transaction that is rolled back at the end, and every test runs in a
savepoint inside it (pytest-django's own per-test rollback).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.db import transaction
from django.db.models import Avg, Count, Min, Q
from django.test import override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.groups.demo_text import (
    AMARA,
    CHURCH_HALL,
    DEMO_GROUPS,
    GROUP_DEMO_STAFF,
    GROUP_SITES,
    LARS,
    PROGRAMME,
    SUPERVISION,
)
from openipt.groups.models import (
    GROUP_ALERT_SOURCES,
    Attendance,
    FidelityRater,
    FidelityRating,
    Group,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberStatus,
    Programme,
    Screening,
    ScreeningOutcome,
    SupervisionAssignment,
    SupervisionNote,
)
from openipt.groups.selectors.supervision_queue import supervision_queue
from openipt.practice.models import Membership, Practice, PracticeKind, Role
from openipt.safety.models import AlertStatus, RiskAlert
from openipt.safety.selectors import alerts_visible_to

pytestmark = pytest.mark.django_db

# Every table the group demo writes, for the "second run changes nothing" check.
GROUP_MODELS = (
    Programme,
    Group,
    Screening,
    GroupMember,
    GroupSession,
    Attendance,
    MemberScore,
    FidelityRating,
    SupervisionNote,
    SupervisionAssignment,
    RiskAlert,
    AuditEvent,
    User,
)


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module", autouse=True)
def seeded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """The whole demo, seeded once for this module and rolled back after it."""
    with django_db_blocker.unblock(), override_settings(DEMO=True), transaction.atomic():
        yield _seed()
        transaction.set_rollback(True)


def _user(name: str) -> User:
    return User.objects.get(full_name=name)


def test_three_group_sites_run_the_programme_with_the_who_plan() -> None:
    programme = Programme.objects.get(name=PROGRAMME)
    sites = Practice.objects.filter(programme_sites__programme=programme)

    assert sorted(sites.values_list("name", flat=True)) == sorted(GROUP_SITES)
    assert set(sites.values_list("kind", flat=True)) == {PracticeKind.GROUP_SITE}
    assert (programme.variant_code, programme.group_sessions) == ("group_who", 8)
    assert (programme.initial_last, programme.middle_last) == (1, 7)
    assert (programme.min_phq9, programme.max_group_size) == (10, 10)
    # The existing programme manager manages the programme's organisation.
    assert Membership.objects.filter(
        user__full_name="Henrik Berg",
        organisation=programme.organisation,
        practice=None,
        role=Role.PROGRAMME_MANAGER,
    ).exists()


def test_six_facilitators_two_per_site_and_two_supervisors_of_three_each() -> None:
    facilitators = Membership.objects.filter(
        practice__name__in=GROUP_SITES, role=Role.FACILITATOR, is_active=True
    )
    per_site = Counter(facilitators.values_list("practice__name", flat=True))
    assert per_site == dict.fromkeys(GROUP_SITES, 2)
    assert "Grace Mensah" in facilitators.values_list("user__full_name", flat=True)

    assignments = SupervisionAssignment.objects.filter(is_active=True).select_related(
        "supervisor", "facilitator", "practice"
    )
    by_supervisor: dict[str, set[tuple[str, str]]] = {}
    for a in assignments:
        pair = (a.facilitator.full_name, a.practice.name)
        by_supervisor.setdefault(a.supervisor.full_name, set()).add(pair)
    assert by_supervisor == {name: set(pairs) for name, pairs in SUPERVISION.items()}
    for a in assignments:
        # Each supervisor holds the supervisor role where their facilitators work.
        assert Membership.objects.filter(
            user=a.supervisor, practice=a.practice, role=Role.SUPERVISOR, is_active=True
        ).exists()
    supervised = [f for pairs in SUPERVISION.values() for f, _ in pairs]
    assert len(supervised) == len(set(supervised)) == facilitators.count() == 6


def test_group_staff_sign_in_like_other_demo_staff(seeded: str) -> None:
    for person in GROUP_DEMO_STAFF:
        user = _user(person.full_name)
        types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
        assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
        assert user.email in seeded


def test_twenty_groups_forming_running_and_completed() -> None:
    """GIVEN the seeded programme THEN 4 groups are forming with members placed, 10 are
    running between sessions 2 and 7, and 6 completed all 8 sessions; groups have 6–10
    members and no session lies in the future."""
    groups = Group.objects.annotate(
        held=Count("sessions", distinct=True), size=Count("members", distinct=True)
    )
    assert groups.count() == len(DEMO_GROUPS) == 20
    stages = Counter(groups.values_list("status", flat=True))
    assert stages == {GroupStatus.FORMING: 4, GroupStatus.RUNNING: 10, GroupStatus.COMPLETED: 6}
    for group in groups:
        assert 6 <= group.size <= 10, group.name
        if group.status == GroupStatus.FORMING:
            assert group.held == 0
            assert group.started_on is None
        elif group.status == GroupStatus.RUNNING:
            assert 2 <= group.held <= 7, group.name
        else:
            assert group.held == 8
            assert group.completed_on is not None
    running_at = {g.held for g in groups if g.status == GroupStatus.RUNNING}
    assert len(running_at) >= 5, "running groups should be spread over the middle sessions"
    latest = GroupSession.objects.order_by("-held_on").values_list("held_on", flat=True)[0]
    assert latest <= timezone.localdate()


def test_waiting_list_screenings_not_admitted_referrals_and_dropouts() -> None:
    outcomes = Counter(Screening.objects.values_list("outcome", flat=True))
    assert outcomes[ScreeningOutcome.BELOW_THRESHOLD] >= 3
    assert 1 <= outcomes[ScreeningOutcome.REFER] <= 2
    referred = Screening.objects.filter(outcome=ScreeningOutcome.REFER)
    assert all(s.exclusions and not s.risk_link_ids for s in referred)
    statuses = Counter(GroupMember.objects.values_list("status", flat=True))
    assert statuses[MemberStatus.WAITING] == 15
    assert 3 <= statuses[MemberStatus.DROPPED] <= 8
    assert all(m.drop_reason for m in GroupMember.objects.filter(status=MemberStatus.DROPPED))
    # Placed members had their pre-group session, before their group started.
    placed = GroupMember.objects.exclude(group=None).select_related("group")
    assert all(m.pre_group_at is not None and m.problem_area for m in placed)
    for member in placed.exclude(group__started_on=None):
        assert member.group is not None and member.group.started_on is not None
        assert member.pre_group_at is not None
        assert member.pre_group_at.date() <= member.group.started_on


def test_screenings_are_dated_before_the_groups_they_led_to() -> None:
    """The services stamp screenings with "now"; the demo moves them into the story's past."""
    earliest_start = Group.objects.aggregate(first=Min("started_on"))["first"]
    assert earliest_start is not None
    first_screening = Screening.objects.aggregate(first=Min("screened_at"))["first"]
    assert first_screening is not None
    assert first_screening.date() < earliest_start
    for member in GroupMember.objects.exclude(group__started_on=None).select_related(
        "screening", "group"
    ):
        assert member.group is not None and member.group.started_on is not None
        assert member.screening.screened_at.date() < member.group.started_on
    baselines = MemberScore.objects.filter(session=None).select_related("member__screening")
    assert all(s.administered_at == s.member.screening.screened_at for s in baselines)


def test_completed_groups_improve_while_some_members_are_not_on_track() -> None:
    """GIVEN the completed groups THEN each group's mean PHQ-9 at its last session is
    well below its members' mean at screening, most completers improved reliably
    (≥ 6 points), and yet a few members stayed flat or got worse."""
    for group in Group.objects.filter(status=GroupStatus.COMPLETED):
        baseline = GroupMember.objects.filter(group=group).aggregate(
            mean=Avg("screening__phq9_total")
        )["mean"]
        last = MemberScore.objects.filter(session__group=group, session__number=8).aggregate(
            mean=Avg("total")
        )["mean"]
        assert baseline is not None and last is not None
        assert last <= baseline - 4, group.name

    changes = []
    for member in GroupMember.objects.filter(status=MemberStatus.COMPLETED).select_related(
        "screening"
    ):
        latest = member.scores.exclude(session=None).order_by("-administered_at").first()
        if latest is not None:
            changes.append(latest.total - member.screening.phq9_total)
    assert len(changes) >= 40
    assert sum(change <= -6 for change in changes) > len(changes) / 2
    assert any(change >= 0 for change in changes), "someone must not have improved"
    assert all(0 <= s.total <= 27 for s in MemberScore.objects.all())


def test_attendance_is_realistic_and_one_group_struggles() -> None:
    counts = Attendance.objects.aggregate(
        present=Count("pk", filter=Q(present=True)), rows=Count("pk")
    )
    assert 0.75 <= counts["present"] / counts["rows"] <= 0.9
    rates = (
        Group.objects.filter(status=GroupStatus.RUNNING)
        .annotate(
            present=Count("sessions__attendance", filter=Q(sessions__attendance__present=True)),
            rows=Count("sessions__attendance"),
        )
        .values_list("name", "present", "rows")
    )
    low = [name for name, present, rows in rates if present * 100 < 60 * rows]
    assert low == ["Tuesday Evening Group"]


def test_sessions_carry_tasks_adherence_self_ratings_and_supervisor_ratings() -> None:
    sessions = GroupSession.objects.annotate(
        n_tasks=Count("tasks", distinct=True),
        present=Count("attendance", filter=Q(attendance__present=True), distinct=True),
    )
    for session in sessions:
        assert session.n_tasks == session.present
        assert session.adherence_checked
    assert sessions.filter(adherence_percent__lt=60).count() == 1
    self_scores = FidelityRating.objects.filter(rater=FidelityRater.SELF)
    assert self_scores.count() == sessions.count()
    assert set(self_scores.values_list("score", flat=True)) <= {3, 4, 5}
    supervisor_scores = FidelityRating.objects.filter(rater=FidelityRater.SUPERVISOR)
    assert supervisor_scores.count() == 6 * 3
    assert SupervisionNote.objects.count() == 6


def test_the_open_alert_reaches_the_facilitators_supervisor_only() -> None:
    """GIVEN a member's positive item 9 at the latest session of Rosa Delgado's group at
    Riverside Church Hall WHEN the supervisors look THEN Amara (Rosa's supervisor) sees
    the open alert in her alerts and her queue, and Lars, a supervisor at the same site
    who does not supervise Rosa, sees neither."""
    alert = RiskAlert.objects.get(source_type__in=GROUP_ALERT_SOURCES)
    assert alert.status == AlertStatus.OPEN
    assert alert.risk_link_ids == ["phq9-9"]
    assert alert.practice.name == CHURCH_HALL
    member = GroupMember.objects.select_related("group").get(client=alert.client)
    assert member.group is not None and member.group.facilitator.full_name == "Rosa Delgado"
    assert member.group.status == GroupStatus.RUNNING
    last = member.group.sessions.order_by("-number").first()
    assert last is not None
    assert timezone.localdate() - last.held_on <= datetime.timedelta(days=7)

    amara, lars = _user(AMARA), _user(LARS)
    site = alert.practice
    assert list(alerts_visible_to(actor=amara).filter(pk=alert.pk)) == [alert]
    assert not alerts_visible_to(actor=lars).filter(pk=alert.pk).exists()
    assert [i.link_id for i in supervision_queue(actor=amara, practice=site).alerts] == [
        alert.public_id
    ]
    assert supervision_queue(actor=lars, practice=site).alerts == []


def test_each_supervisor_has_work_in_the_queue() -> None:
    """Not on track members for both; Lars also a low-attendance group and a session
    with a low adherence score."""
    amara_sites = Practice.objects.filter(name__in=[s for _, s in SUPERVISION[AMARA]]).distinct()
    amara = _user(AMARA)
    assert sum(len(supervision_queue(actor=amara, practice=p).members) for p in amara_sites)
    lars = _user(LARS)
    queues = [
        supervision_queue(actor=lars, practice=p)
        for p in Practice.objects.filter(name__in=[s for _, s in SUPERVISION[LARS]])
    ]
    assert sum(len(q.members) for q in queues)
    assert [g.title for q in queues for g in q.groups] == ["Tuesday Evening Group"]
    assert len([s for q in queues for s in q.sessions]) == 1


def test_seeding_again_changes_nothing() -> None:
    counts = [model.objects.count() for model in GROUP_MODELS]

    output = _seed()

    assert [model.objects.count() for model in GROUP_MODELS] == counts
    assert "already exists; nothing was changed" in output
