"""Supervision: the supervisor's urgency queue, fidelity ratings, notes and assignments.

Sessions, attendance and scores are written directly with the models here
(the session service is tested on its own).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openipt.audit.models import AuditAction, AuditEvent
from openipt.core.crypto import CIPHERTEXT_PREFIX
from openipt.groups.charts_fidelity import FidelityPoint, fidelity_chart_svg
from openipt.groups.models import (
    Attendance,
    FidelityRating,
    Group,
    GroupMember,
    GroupSession,
    GroupSessionStatus,
    GroupStatus,
    MemberScore,
    MemberStatus,
    SupervisionAssignment,
    SupervisionNote,
)
from openipt.groups.selectors.access import groups_visible_to
from openipt.groups.selectors.supervision import fidelity_trend, supervision_notes_for
from openipt.groups.selectors.supervision_queue import reliable_change_points, supervision_queue
from openipt.groups.services.scoring import (
    SESSION_SCORE_SOURCE,
    member_risk_alert_raise,
    score_member_answers,
)
from openipt.groups.services.supervision import (
    fidelity_rate,
    supervision_assign,
    supervision_note_add,
    supervision_unassign,
)
from openipt.practice.models import Membership, Role
from openipt.safety.models import AlertStatus, RiskAlert
from openipt.safety.services import risk_alert_acknowledge, risk_alert_raise
from tests.groups.world import GroupWorld, make_member, phq9_answers
from tests.world import _staff

# --------------------------------------------------------------------------- helpers


def held(group: Group, number: int, *, adherence: int = 80, **fields: Any) -> GroupSession:
    """A held session of `group` (one week apart, session 1 on 6 Oct 2026)."""
    values: dict[str, Any] = {
        "held_on": datetime.date(2026, 10, 6) + datetime.timedelta(weeks=number - 1),
        "adherence_percent": adherence,
        "recorded_by": group.facilitator,
        **fields,
    }
    return GroupSession.objects.create(group=group, number=number, **values)


def attend(session: GroupSession, member: GroupMember, present: bool = True) -> Attendance:
    return Attendance.objects.create(session=session, member=member, present=present)


def score(member: GroupMember, session: GroupSession, total: int) -> MemberScore:
    return MemberScore.objects.create(
        member=member,
        session=session,
        practice=member.practice,
        instrument_version="1",
        answers={},
        total=total,
        band_code="",
        administered_at=timezone.now(),
        entered_by=session.group.facilitator,
    )


def raise_member_alert(gw: GroupWorld, member: GroupMember) -> RiskAlert:
    result = score_member_answers(
        practice=gw.world.practice_a, answers=phq9_answers(2, 2, 2, 1, 1, 1, 1, 1, 1)
    )
    group = member.group
    alert = member_risk_alert_raise(
        practice=gw.world.practice_a,
        client=member.client,
        facilitator=group.facilitator if group else member.facilitator,
        source_type=SESSION_SCORE_SOURCE,
        source_public_id=uuid.uuid4(),
        score=result,
        raised_by=gw.facilitator,
    )
    assert alert is not None
    return alert


def every_kind_for(gw: GroupWorld, group: Group, members: list[GroupMember]) -> None:
    """One item of each kind in `group`: an alert, a member not on track, low attendance
    (1 of 3 present in each session) and a low-adherence session."""
    first = held(group, 1)
    third = held(group, 3, adherence=20)
    for session in (first, third):
        for index, member in enumerate(members):
            attend(session, member, present=index == 0)
    score(members[0], third, 14)  # no change from 14 at screening by session 3
    raise_member_alert(gw, members[0])


def kinds(items: list[Any]) -> list[str]:
    return [item.kind for item in items]


# --------------------------------------------------------------------------- the queue


def test_nothing_is_queued_before_any_session(group_world: GroupWorld) -> None:
    gw = group_world
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).items == []


def test_queue_is_ordered_by_urgency(group_world: GroupWorld) -> None:
    """GIVEN one item of every kind in Fay's group WHEN Sam opens his queue
    THEN the alert comes first, then the member, the group and the session."""
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    queue = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a)
    assert kinds(queue.items) == ["alert", "member", "group", "session"]
    assert [item.urgency for item in queue.items] == [1, 2, 3, 4]
    assert queue.items[0].link_name == "safety:alert_detail"
    assert queue.items[1].link_name == "groups:member_detail"
    assert queue.items[2].link_name == "groups:group_detail"
    assert queue.items[3].link_name == "groups:session_fidelity"
    assert all(item.facilitator == "Fay Facilitator" for item in queue.items)


def test_sue_never_sees_fays_items(group_world: GroupWorld) -> None:
    """GIVEN every kind of item in Fay's group, one of its alerts escalated to every
    supervisor WHEN Sue (who supervises Finn only) opens her queue THEN it is empty."""
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    RiskAlert.objects.update(status=AlertStatus.ESCALATED)
    assert supervision_queue(actor=gw.supervisor_2, practice=gw.world.practice_a).items == []
    assert len(supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a)) == 4


def test_the_queue_is_for_the_site_being_worked_in(group_world: GroupWorld) -> None:
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_b).items == []


def test_ending_the_assignment_empties_the_queue(group_world: GroupWorld) -> None:
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    SupervisionAssignment.objects.filter(supervisor=gw.supervisor).update(is_active=False)
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).items == []


# --- reason 1: risk alerts


def test_alerts_are_oldest_first_and_overdue_ones_are_marked(group_world: GroupWorld) -> None:
    gw = group_world
    newer = raise_member_alert(gw, gw.members[0])
    older = raise_member_alert(gw, gw.members[1])
    now = timezone.now()
    RiskAlert.objects.filter(pk=older.pk).update(
        raised_at=now - datetime.timedelta(hours=6), ack_deadline=now - datetime.timedelta(hours=2)
    )
    items = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).alerts
    assert [item.link_id for item in items] == [older.public_id, newer.public_id]
    assert [item.flag for item in items] == ["Overdue", ""]
    assert items[0].title == gw.members[1].client.display_name
    assert items[0].more_links == (
        ("groups:member_detail", gw.members[1].public_id, "Member page"),
    )


def test_acknowledged_alerts_leave_the_queue(group_world: GroupWorld) -> None:
    gw = group_world
    alert = raise_member_alert(gw, gw.members[0])
    risk_alert_acknowledge(actor=gw.supervisor, alert=alert, action="contacted_client", note="")
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).alerts == []


def test_alerts_about_clinic_clients_never_appear(group_world: GroupWorld) -> None:
    """GIVEN an open alert about Alice, an individual client of the same practice, that
    Sam sees in the safety queue WHEN he opens the supervision queue THEN it is not there."""
    gw = group_world
    risk_alert_raise(
        practice=gw.world.practice_a,
        client=gw.world.client_1,
        course=gw.world.course_1,
        source_type="measure_administration",
        source_public_id=uuid.uuid4(),
        instrument_code="phq9",
        risk_link_ids=["phq9-9"],
        raised_by=gw.world.clinician,
    )
    # Even a group-sourced alert about someone who is not a member stays out.
    risk_alert_raise(
        practice=gw.world.practice_a,
        client=gw.world.client_2,
        course=None,
        source_type=SESSION_SCORE_SOURCE,
        source_public_id=uuid.uuid4(),
        instrument_code="phq9",
        risk_link_ids=["phq9-9"],
        raised_by=gw.facilitator,
    )
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).alerts == []


# --- reason 2: members not on track


def test_members_not_on_track(group_world: GroupWorld) -> None:
    """GIVEN Grace, Hana and Ivy screened at PHQ-9 14, and the PHQ-9's reliable change of
    6 points
    WHEN Grace scores 13 at session 3 (down 1), Hana 8 at session 3 (down 6), and Ivy 15
    at session 1 (up 1)
    THEN Ivy (worse than at screening) and Grace (not reliably improved by session 3) are
    not on track, Ivy first; Hana, reliably improved, is not listed."""
    gw = group_world
    grace, hana, ivy = gw.members
    assert reliable_change_points() == 6
    first, third = held(gw.group, 1), held(gw.group, 3)
    score(grace, first, 15)
    score(grace, third, 13)
    score(hana, third, 8)
    score(ivy, first, 15)
    items = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).members
    assert [item.link_id for item in items] == [ivy.public_id, grace.public_id]
    assert "higher than 14 at screening" in items[0].reasons[0]
    assert "PHQ-9 is 13 at session 3, down 1 from 14" in items[1].reasons[0]
    assert "6 points" in items[1].reasons[0]


def test_too_early_to_judge_a_small_drop(group_world: GroupWorld) -> None:
    """GIVEN Grace screened at 14 WHEN she scores 12 at session 2 THEN she is not listed yet
    (a small drop is judged from session 3 on)."""
    gw = group_world
    score(gw.members[0], held(gw.group, 2), 12)
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).members == []


def test_only_enrolled_members_of_running_groups_are_judged(group_world: GroupWorld) -> None:
    gw = group_world
    third = held(gw.group, 3)
    for member in gw.members:
        score(member, third, 16)
    GroupMember.objects.filter(pk=gw.members[0].pk).update(status=MemberStatus.DROPPED)
    items = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).members
    assert {item.link_id for item in items} == {gw.members[1].public_id, gw.members[2].public_id}
    Group.objects.filter(pk=gw.group.pk).update(status=GroupStatus.COMPLETED)
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).members == []


def test_the_latest_session_score_decides(group_world: GroupWorld) -> None:
    gw = group_world
    grace = gw.members[0]
    score(grace, held(gw.group, 3), 16)
    score(grace, held(gw.group, 4), 7)  # down 7 from 14 by session 4
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).members == []


# --- reason 3: low attendance


def test_groups_with_low_attendance(group_world: GroupWorld) -> None:
    """GIVEN Fay's group of three and the programme's 60 % attendance threshold
    WHEN two sessions are held with 1 and 2 of 3 present (50 %), and a cancelled session
    had nobody
    THEN the group is listed at 50 %; at 4 of 6 (67 %) it is not."""
    gw = group_world
    first, second = held(gw.group, 1), held(gw.group, 2)
    cancelled = held(gw.group, 3, status=GroupSessionStatus.CANCELLED)
    for index, member in enumerate(gw.members):
        attend(first, member, present=index == 0)
        attend(second, member, present=index < 2)
        attend(cancelled, member, present=False)
    items = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).groups
    assert [item.link_id for item in items] == [gw.group.public_id]
    assert "Attendance is 50%" in items[0].reasons[0]
    assert "3 of 6" in items[0].reasons[0]
    Attendance.objects.filter(session=first, member=gw.members[1]).update(present=True)
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).groups == []


def test_attendance_threshold_is_the_programmes(group_world: GroupWorld) -> None:
    gw = group_world
    session = held(gw.group, 1)
    for index, member in enumerate(gw.members):
        attend(session, member, present=index == 0)  # 33 %
    gw.programme.low_attendance_percent = 30
    gw.programme.save()
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).groups == []


def test_lowest_attendance_first(group_world: GroupWorld) -> None:
    gw = group_world
    other = Group.objects.create(
        programme=gw.programme,
        practice=gw.world.practice_a,
        facilitator=gw.facilitator,
        name="Friday group",
        planned_sessions=8,
        initial_last=1,
        middle_last=7,
        max_size=8,
        status=GroupStatus.RUNNING,
    )
    friday_member = make_member(
        programme=gw.programme,
        practice=gw.world.practice_a,
        facilitator=gw.facilitator,
        given="Kim",
        family="Lungu",
        group=other,
    )
    attend(held(other, 1), friday_member, present=False)  # 0 %
    session = held(gw.group, 1)
    for index, member in enumerate(gw.members):
        attend(session, member, present=index == 0)  # 33 %
    items = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).groups
    assert [item.title for item in items] == ["Friday group", "Tuesday group"]


# --- reason 4: sessions to review


def test_sessions_with_low_adherence_or_low_self_rating(group_world: GroupWorld) -> None:
    gw = group_world
    low_adherence = held(gw.group, 1, adherence=40)
    low_self = held(gw.group, 2, adherence=90)
    fine = held(gw.group, 3, adherence=90)
    held(gw.group, 4, adherence=10, status=GroupSessionStatus.CANCELLED)
    fidelity_rate(actor=gw.facilitator, session=low_self, rater="self", score=2)
    fidelity_rate(actor=gw.facilitator, session=fine, rater="self", score=3)
    items = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).sessions
    assert [item.link_id for item in items] == [low_adherence.public_id, low_self.public_id]
    assert "adherence checklist is at 40% (below 60%)" in items[0].reasons[0]
    assert "rated their own fidelity 2 out of 5" in items[1].reasons[0]


def test_rating_a_session_takes_it_off_the_queue(group_world: GroupWorld) -> None:
    gw = group_world
    session = held(gw.group, 1, adherence=40)
    fidelity_rate(actor=gw.supervisor, session=session, rater="supervisor", score=3)
    assert supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a).sessions == []


# --- a constant number of queries


def _add_supervised_facilitators(gw: GroupWorld, count: int) -> None:
    for n in range(count):
        facilitator = _staff(gw.world.practice_a, Role.FACILITATOR, f"Extra Facilitator {n}")
        SupervisionAssignment.objects.create(
            practice=gw.world.practice_a, supervisor=gw.supervisor, facilitator=facilitator
        )
        group = Group.objects.create(
            programme=gw.programme,
            practice=gw.world.practice_a,
            facilitator=facilitator,
            name=f"Extra group {n}",
            planned_sessions=8,
            initial_last=1,
            middle_last=7,
            max_size=8,
            status=GroupStatus.RUNNING,
        )
        members = [
            make_member(
                programme=gw.programme,
                practice=gw.world.practice_a,
                facilitator=facilitator,
                given=f"Member{n}",
                family=f"Extra{m}",
                group=group,
            )
            for m in range(3)
        ]
        every_kind_for(gw, group, members)


def test_queue_takes_a_constant_number_of_queries(
    group_world: GroupWorld, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """GIVEN one supervised facilitator with every kind of item, then six WHEN the queue is
    computed THEN it takes no more queries for six than for one."""
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    with CaptureQueriesContext(connection) as few:
        small = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a)
    assert len(small) == 4
    _add_supervised_facilitators(gw, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = supervision_queue(actor=gw.supervisor, practice=gw.world.practice_a)
    assert len(large) == 24


# --------------------------------------------------------------------------- fidelity


def test_facilitator_rates_self_and_supervisor_rates_as_supervisor(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    session = held(gw.group, 1)
    own = fidelity_rate(actor=gw.facilitator, session=session, rater="self", score=4)
    theirs = fidelity_rate(
        actor=gw.supervisor, session=session, rater="supervisor", score=3, comment="Good."
    )
    assert (own.rater, own.score, own.rated_by) == ("self", 4, gw.facilitator)
    assert (theirs.rater, theirs.score, theirs.rated_by) == ("supervisor", 3, gw.supervisor)
    event = AuditEvent.objects.filter(object_public_id=theirs.public_id).get()
    assert (event.action, event.object_type) == (AuditAction.CREATE, "group_fidelity_rating")
    assert event.changed_fields == ["comment", "score"]


@pytest.mark.parametrize(
    ("who", "rater"),
    [
        ("supervisor_2", "supervisor"),  # Sue supervises Finn, not Fay
        ("facilitator", "supervisor"),  # Fay cannot give herself a supervisor's rating
        ("supervisor", "self"),  # Sam is not the session's facilitator
        ("facilitator_2", "self"),  # Finn does not lead the group
    ],
)
def test_who_may_not_rate(group_world: GroupWorld, who: str, rater: str) -> None:
    gw = group_world
    session = held(gw.group, 1)
    with pytest.raises(PermissionDenied):
        fidelity_rate(actor=getattr(gw, who), session=session, rater=rater, score=3)
    assert not FidelityRating.objects.exists()


@pytest.mark.parametrize("role", ["admin", "clinician", "programme_manager", "client"])
def test_other_roles_may_not_rate(group_world: GroupWorld, role: str) -> None:
    gw = group_world
    session = held(gw.group, 1)
    user = gw.world.users_by_role_name()[role]
    for rater in ("self", "supervisor"):
        with pytest.raises(PermissionDenied):
            fidelity_rate(actor=user, session=session, rater=rater, score=3)


def test_an_ended_assignment_ends_rating(group_world: GroupWorld) -> None:
    gw = group_world
    session = held(gw.group, 1)
    SupervisionAssignment.objects.filter(supervisor=gw.supervisor).update(is_active=False)
    with pytest.raises(PermissionDenied):
        fidelity_rate(actor=gw.supervisor, session=session, rater="supervisor", score=3)


@pytest.mark.parametrize("value", [0, 6, -1, "3", 3.0, True, None])
def test_fidelity_is_a_whole_number_from_1_to_5(group_world: GroupWorld, value: Any) -> None:
    gw = group_world
    session = held(gw.group, 1)
    with pytest.raises(ValidationError) as info:
        fidelity_rate(actor=gw.facilitator, session=session, rater="self", score=value)
    assert info.value.message_dict == {"score": ["Choose a rating from 1 to 5."]}


@pytest.mark.parametrize("value", [1, 5])
def test_both_ends_of_the_scale_are_allowed(group_world: GroupWorld, value: int) -> None:
    gw = group_world
    rating = fidelity_rate(
        actor=gw.facilitator, session=held(gw.group, 1), rater="self", score=value
    )
    assert rating.score == value


def test_unknown_rater_and_cancelled_session_are_refused(group_world: GroupWorld) -> None:
    gw = group_world
    session = held(gw.group, 1)
    with pytest.raises(ValidationError) as info:
        fidelity_rate(actor=gw.facilitator, session=session, rater="peer", score=3)
    assert "rater" in info.value.message_dict
    cancelled = held(gw.group, 2, status=GroupSessionStatus.CANCELLED)
    with pytest.raises(ValidationError) as info:
        fidelity_rate(actor=gw.facilitator, session=cancelled, rater="self", score=3)
    assert info.value.message_dict == {"score": ["Only a session that was held can be rated."]}


def test_rating_again_changes_the_one_rating_and_is_audited(group_world: GroupWorld) -> None:
    gw = group_world
    session = held(gw.group, 1)
    first = fidelity_rate(actor=gw.supervisor, session=session, rater="supervisor", score=2)
    again = fidelity_rate(
        actor=gw.supervisor, session=session, rater="supervisor", score=4, comment="Better."
    )
    assert again.pk == first.pk
    assert FidelityRating.objects.filter(session=session).count() == 1
    assert FidelityRating.objects.get().score == 4
    events = AuditEvent.objects.filter(object_public_id=first.public_id).order_by("sequence")
    assert [(e.action, e.changed_fields) for e in events] == [
        (AuditAction.CREATE, ["score"]),
        (AuditAction.UPDATE, ["comment", "score"]),
    ]
    fidelity_rate(
        actor=gw.supervisor, session=session, rater="supervisor", score=4, comment="Better."
    )
    assert events.count() == 2  # nothing changed, nothing recorded


def test_fidelity_comment_is_encrypted_at_rest(group_world: GroupWorld) -> None:
    gw = group_world
    rating = fidelity_rate(
        actor=gw.supervisor,
        session=held(gw.group, 1),
        rater="supervisor",
        score=3,
        comment="Kept the focus on role disputes",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM groups_fidelityrating WHERE id = %s", [rating.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith(CIPHERTEXT_PREFIX) and "role disputes" not in raw


def test_fidelity_trend_is_in_time_order_with_both_ratings(group_world: GroupWorld) -> None:
    gw = group_world
    second, first = held(gw.group, 2), held(gw.group, 1)
    held(gw.group, 3)  # not rated: not in the trend
    fidelity_rate(actor=gw.facilitator, session=first, rater="self", score=4)
    fidelity_rate(actor=gw.supervisor, session=first, rater="supervisor", score=3)
    fidelity_rate(actor=gw.supervisor, session=second, rater="supervisor", score=2)
    trend = fidelity_trend(
        actor=gw.supervisor, practice=gw.world.practice_a, facilitator=gw.facilitator
    )
    assert [(s.number, s.self_score, s.supervisor_score) for s in trend] == [  # type: ignore[attr-defined]
        (1, 4, 3),
        (2, None, 2),
    ]
    assert (
        fidelity_trend(
            actor=gw.supervisor_2, practice=gw.world.practice_a, facilitator=gw.facilitator
        )
        == []
    )


def test_fidelity_chart_draws_both_lines_and_is_deterministic() -> None:
    own = [
        FidelityPoint(datetime.date(2026, 10, 6), 4),
        FidelityPoint(datetime.date(2026, 10, 13), 2),
    ]
    theirs = [FidelityPoint(datetime.date(2026, 10, 6), 3)]
    svg = fidelity_chart_svg(self_points=own, supervisor_points=theirs, title="Fidelity")
    assert svg.startswith("<?xml")
    for gid in ("fidelity-self", "fidelity-supervisor", "fidelity-adequate", "legend"):
        assert f'id="{gid}"' in svg
    assert svg == fidelity_chart_svg(self_points=own, supervisor_points=theirs, title="Fidelity")
    empty = fidelity_chart_svg(self_points=[], supervisor_points=[], title="F", size="narrow")
    assert 'id="no-ratings"' in empty and 'id="fidelity-self"' not in empty


# --------------------------------------------------------------------------- notes


def test_supervisor_adds_an_encrypted_note(group_world: GroupWorld) -> None:
    gw = group_world
    note = supervision_note_add(
        actor=gw.supervisor,
        facilitator=gw.facilitator,
        practice=gw.world.practice_a,
        text="  Practised ending the group with Fay.  ",
        group=gw.group,
    )
    assert note.text == "Practised ending the group with Fay."
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM groups_supervisionnote WHERE id = %s", [note.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith(CIPHERTEXT_PREFIX) and "ending the group" not in raw
    event = AuditEvent.objects.get(object_public_id=note.public_id)
    assert (event.action, event.object_type) == (AuditAction.CREATE, "group_supervision_note")
    assert event.changed_fields == ["group", "text"]


@pytest.mark.parametrize("who", ["supervisor_2", "facilitator", "facilitator_2"])
def test_only_the_facilitators_supervisor_adds_notes(group_world: GroupWorld, who: str) -> None:
    gw = group_world
    with pytest.raises(PermissionDenied):
        supervision_note_add(
            actor=getattr(gw, who),
            facilitator=gw.facilitator,
            practice=gw.world.practice_a,
            text="A note",
        )
    assert not SupervisionNote.objects.exists()


def test_admin_and_manager_add_no_notes(group_world: GroupWorld) -> None:
    gw = group_world
    for user in (gw.world.admin, gw.world.programme_manager):
        with pytest.raises(PermissionDenied):
            supervision_note_add(
                actor=user, facilitator=gw.facilitator, practice=gw.world.practice_a, text="x"
            )


def test_note_needs_text_and_one_of_the_facilitators_groups(group_world: GroupWorld) -> None:
    gw = group_world
    with pytest.raises(ValidationError) as info:
        supervision_note_add(
            actor=gw.supervisor,
            facilitator=gw.facilitator,
            practice=gw.world.practice_a,
            text="   ",
            group=gw.group_2,
        )
    assert set(info.value.message_dict) == {"text", "group"}
    assert info.value.message_dict["text"] == ["Write the note first."]


def test_notes_are_read_by_whoever_supervises_the_facilitator_now(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    practice = gw.world.practice_a
    supervision_note_add(
        actor=gw.supervisor, facilitator=gw.facilitator, practice=practice, text="First"
    )
    supervision_note_add(
        actor=gw.supervisor, facilitator=gw.facilitator, practice=practice, text="Second"
    )
    notes = supervision_notes_for(
        actor=gw.supervisor, practice=practice, facilitator=gw.facilitator
    )
    assert [n.text for n in notes] == ["Second", "First"]
    assert (
        supervision_notes_for(actor=gw.supervisor_2, practice=practice, facilitator=gw.facilitator)
        == []
    )
    assert (
        supervision_notes_for(actor=gw.facilitator, practice=practice, facilitator=gw.facilitator)
        == []
    )
    supervision_assign(
        actor=gw.world.admin,
        practice=practice,
        supervisor=gw.supervisor_2,
        facilitator=gw.facilitator,
    )
    handed_over = supervision_notes_for(
        actor=gw.supervisor_2, practice=practice, facilitator=gw.facilitator
    )
    assert len(handed_over) == 2


# --------------------------------------------------------------------------- assignments


def test_admin_assigns_and_unassigns_a_supervisor(group_world: GroupWorld) -> None:
    gw = group_world
    practice = gw.world.practice_a
    assignment = supervision_assign(
        actor=gw.world.admin,
        practice=practice,
        supervisor=gw.supervisor_2,
        facilitator=gw.facilitator,
    )
    assert assignment.is_active
    assert gw.group in groups_visible_to(actor=gw.supervisor_2)
    again = supervision_assign(
        actor=gw.world.admin,
        practice=practice,
        supervisor=gw.supervisor_2,
        facilitator=gw.facilitator,
    )
    assert again.pk == assignment.pk
    supervision_unassign(
        actor=gw.world.admin,
        practice=practice,
        supervisor=gw.supervisor_2,
        facilitator=gw.facilitator,
    )
    assignment.refresh_from_db()
    assert not assignment.is_active
    assert gw.group not in groups_visible_to(actor=gw.supervisor_2)
    supervision_unassign(
        actor=gw.world.admin,
        practice=practice,
        supervisor=gw.supervisor_2,
        facilitator=gw.facilitator,
    )
    supervision_assign(
        actor=gw.world.admin,
        practice=practice,
        supervisor=gw.supervisor_2,
        facilitator=gw.facilitator,
    )
    assignment.refresh_from_db()
    assert assignment.is_active
    events = AuditEvent.objects.filter(object_public_id=assignment.public_id).order_by("sequence")
    assert [(e.action, e.object_type) for e in events] == [
        (AuditAction.GRANT, "group_supervision_assignment"),
        (AuditAction.REMOVE, "group_supervision_assignment"),
        (AuditAction.GRANT, "group_supervision_assignment"),
    ]


@pytest.mark.parametrize("who", ["supervisor", "facilitator", "clinician", "programme_manager"])
def test_only_the_practice_admin_assigns(group_world: GroupWorld, who: str) -> None:
    gw = group_world
    user = gw.world.users_by_role_name()[who]
    with pytest.raises(PermissionDenied):
        supervision_assign(
            actor=user,
            practice=gw.world.practice_a,
            supervisor=gw.supervisor_2,
            facilitator=gw.facilitator,
        )
    with pytest.raises(PermissionDenied):
        supervision_unassign(
            actor=user,
            practice=gw.world.practice_a,
            supervisor=gw.supervisor,
            facilitator=gw.facilitator,
        )


def test_admin_of_another_practice_may_not_assign(group_world: GroupWorld) -> None:
    gw = group_world
    admin_b = _staff(gw.world.practice_b, Role.PRACTICE_ADMIN, "Bo Admin")
    with pytest.raises(PermissionDenied):
        supervision_assign(
            actor=admin_b,
            practice=gw.world.practice_a,
            supervisor=gw.supervisor_2,
            facilitator=gw.facilitator,
        )


def test_assignment_needs_the_roles_at_the_site(group_world: GroupWorld) -> None:
    gw = group_world
    practice = gw.world.practice_a
    with pytest.raises(ValidationError) as info:
        supervision_assign(
            actor=gw.world.admin,
            practice=practice,
            supervisor=gw.world.clinician,
            facilitator=gw.world.colleague,
        )
    assert set(info.value.message_dict) == {"supervisor", "facilitator"}
    Membership.objects.filter(user=gw.supervisor_2).update(is_active=False)
    with pytest.raises(ValidationError) as info:
        supervision_assign(
            actor=gw.world.admin,
            practice=practice,
            supervisor=gw.supervisor_2,
            facilitator=gw.facilitator,
        )
    assert set(info.value.message_dict) == {"supervisor"}


def test_nobody_supervises_themselves(group_world: GroupWorld) -> None:
    gw = group_world
    Membership.objects.create(
        user=gw.facilitator,
        organisation=gw.world.organisation,
        practice=gw.world.practice_a,
        role=Role.SUPERVISOR,
    )
    with pytest.raises(ValidationError) as info:
        supervision_assign(
            actor=gw.world.admin,
            practice=gw.world.practice_a,
            supervisor=gw.facilitator,
            facilitator=gw.facilitator,
        )
    assert info.value.message_dict == {
        "supervisor": ["A facilitator cannot supervise their own work."]
    }


def test_unassigning_someone_never_assigned_is_refused(group_world: GroupWorld) -> None:
    gw = group_world
    with pytest.raises(ValidationError):
        supervision_unassign(
            actor=gw.world.admin,
            practice=gw.world.practice_a,
            supervisor=gw.supervisor_2,
            facilitator=gw.facilitator,
        )
