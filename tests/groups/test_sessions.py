"""Recording a group session (the service): every rule, idempotency and the safety loop."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from openipt.audit.models import AuditEvent
from openipt.groups.models import (
    Attendance,
    FidelityRater,
    FidelityRating,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberStatus,
    MemberTask,
    TaskOutcome,
)
from openipt.groups.services.scoring import SESSION_SCORE_SOURCE
from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import (
    GroupSessionResult,
    SessionNumberTaken,
    StaleGroupSession,
    group_session_record,
)
from openipt.safety.models import AlertNotification, RiskAlert
from tests.groups.world import GroupWorld, build_group_world, make_member, phq9_answers
from tests.world import build_world

TODAY = timezone.localdate()
CALM = phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0)  # total 8, item 9 = 0
LOW = phq9_answers(1, 1, 0, 0, 0, 0, 0, 0, 0)  # total 2
RISK = phq9_answers(2, 2, 2, 1, 1, 1, 1, 1, 1)  # total 12, item 9 = 1


def entries(
    members: Sequence[GroupMember],
    *,
    answers: dict[int, dict[str, Any]] | None = None,
    absent: Sequence[int] = (),
    **extra: dict[int, str],
) -> list[MemberEntry]:
    """One entry per member: present with CALM answers unless told otherwise."""
    found = []
    for index, member in enumerate(members):
        present = index not in absent
        fields = {name: values[index] for name, values in extra.items() if index in values}
        found.append(
            MemberEntry(
                member_public_id=member.public_id,
                present=present,
                answers=(answers or {}).get(index, CALM) if present else {},
                **fields,
            )
        )
    return found


def record(gw: GroupWorld, number: int = 1, **kwargs: Any) -> GroupSessionResult:
    kwargs.setdefault("entries", entries(gw.members))
    kwargs.setdefault("held_on", TODAY)
    return group_session_record(actor=gw.facilitator, group=gw.group, number=number, **kwargs)


def record_up_to(gw: GroupWorld, last: int) -> GroupSession:
    """Sessions 1..last, a day apart, ending today."""
    session = None
    for n in range(1, last + 1):
        held = TODAY - datetime.timedelta(days=last - n)
        session = record(gw, n, held_on=held).session
    assert session is not None
    return session


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --------------------------------------------------------------------------- the record


def test_a_session_stores_attendance_scores_and_no_score_for_the_absent(
    group_world: GroupWorld,
) -> None:
    """GIVEN Fay's running group of three WHEN she records session 1 with Ivy absent
    THEN everyone has attendance, the two present members one scored PHQ-9 each, Ivy none."""
    gw = group_world
    grace, hana, ivy = gw.members
    result = record(gw, entries=entries(gw.members, answers={1: RISK}, absent=[2]))
    session = result.session
    assert result.created
    assert session.number == 1 and session.held_on == TODAY
    assert {(a.member, a.present) for a in Attendance.objects.filter(session=session)} == {
        (grace, True),
        (hana, True),
        (ivy, False),
    }
    scores = {s.member: s for s in MemberScore.objects.filter(session=session)}
    assert set(scores) == {grace, hana}
    assert scores[grace].total == 8 and scores[grace].band_code == "mild"
    assert scores[hana].total == 12 and scores[hana].risk_link_ids == ["phq9-9"]
    assert scores[grace].answers == CALM and scores[grace].instrument_code == "phq9"
    assert scores[grace].practice == gw.group.practice
    assert scores[grace].entered_by == gw.facilitator


def test_an_absent_member_with_answers_is_refused(group_world: GroupWorld) -> None:
    gw = group_world
    bad = entries(gw.members)
    bad[2] = MemberEntry(member_public_id=gw.members[2].public_id, present=False, answers=CALM)
    with pytest.raises(ValidationError) as exc:
        record(gw, entries=bad)
    assert f"{gw.members[2].public_id}:present" in errors_of(exc)
    assert not GroupSession.objects.exists()


def test_a_present_member_needs_all_nine_answers(group_world: GroupWorld) -> None:
    """GIVEN Grace present with question 3 unanswered and Hana's item 9 out of range
    WHEN the session is saved THEN nothing is stored and each problem is keyed
    "<member id>:<linkId>", in the facilitator's words."""
    gw = group_world
    grace, hana, _ivy = gw.members
    missing = {**CALM, "phq9-3": ""}
    wrong = {**CALM, "phq9-9": 7}
    with pytest.raises(ValidationError) as exc:
        record(gw, entries=entries(gw.members, answers={0: missing, 1: wrong}))
    errors = errors_of(exc)
    assert errors[f"{grace.public_id}:phq9-3"] == ["Choose an answer for question 3."]
    assert f"{hana.public_id}:phq9-9" in errors
    assert not GroupSession.objects.exists()
    assert not MemberScore.objects.exists()


def test_every_enrolled_member_must_be_in_the_entries(group_world: GroupWorld) -> None:
    gw = group_world
    with pytest.raises(ValidationError) as exc:
        record(gw, entries=entries(gw.members[:2]))
    assert "1 missing" in errors_of(exc)["entries"][0]


@pytest.mark.parametrize("who", ["unknown", "other_group", "waiting"])
def test_a_member_outside_the_group_is_a_validation_error(
    group_world: GroupWorld, who: str
) -> None:
    """GIVEN an entry for an id that is not an enrolled member of this group (unknown,
    in Finn's group, or on the waiting list) WHEN saved THEN a ValidationError, not a crash."""
    gw = group_world
    stranger = {
        "unknown": uuid.uuid4(),
        "other_group": gw.member_2.public_id,
        "waiting": gw.waiting.public_id,
    }[who]
    found = [*entries(gw.members), MemberEntry(member_public_id=stranger, present=False)]
    with pytest.raises(ValidationError) as exc:
        record(gw, entries=found)
    assert "not a member of this group" in errors_of(exc)["entries"][0]


def test_a_member_listed_twice_is_refused(group_world: GroupWorld) -> None:
    gw = group_world
    found = entries(gw.members)
    with pytest.raises(ValidationError) as exc:
        record(gw, entries=[*found, found[0]])
    assert "listed twice" in errors_of(exc)["entries"][0]


def test_a_dropped_member_is_not_part_of_the_session(group_world: GroupWorld) -> None:
    gw = group_world
    gw.members[2].status = MemberStatus.DROPPED
    gw.members[2].save()
    result = record(gw, entries=entries(gw.members[:2]))
    assert Attendance.objects.filter(session=result.session).count() == 2


# --------------------------------------------------------------------------- numbers and dates


def test_the_number_must_be_the_next_one(group_world: GroupWorld) -> None:
    gw = group_world
    with pytest.raises(ValidationError) as exc:
        record(gw, 2)
    assert errors_of(exc)["number"] == ["The next session to record is session 1."]
    record(gw, 1, held_on=TODAY - datetime.timedelta(days=7))
    with pytest.raises(ValidationError) as exc:
        record(gw, 3)
    assert errors_of(exc)["number"] == ["The next session to record is session 2."]
    assert record(gw, 2).session.number == 2


def test_no_session_beyond_the_planned_number(group_world: GroupWorld) -> None:
    """GIVEN a running group whose planned sessions are all recorded (the plan was
    shortened) WHEN one more is saved THEN it is refused."""
    gw = group_world
    record_up_to(gw, 2)
    gw.group.planned_sessions = 2
    gw.group.initial_last, gw.group.middle_last = 1, 1
    gw.group.save()
    with pytest.raises(ValidationError) as exc:
        record(gw, 3)
    assert errors_of(exc)["number"] == ["All 2 sessions of this group are recorded."]


def test_the_date_cannot_be_in_the_future_or_before_the_previous_session(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    with pytest.raises(ValidationError) as exc:
        record(gw, held_on=TODAY + datetime.timedelta(days=1))
    assert errors_of(exc)["held_on"] == ["The session date cannot be in the future."]
    record(gw, 1, held_on=TODAY - datetime.timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        record(gw, 2, held_on=TODAY - datetime.timedelta(days=4))
    assert "The previous session was on" in errors_of(exc)["held_on"][0]
    # The same day as the previous session is allowed (two meetings in one day).
    assert record(gw, 2, held_on=TODAY - datetime.timedelta(days=3)).created


# --------------------------------------------------------------------------- who and when


def test_only_the_groups_own_facilitator_records(group_world: GroupWorld) -> None:
    gw = group_world
    for actor in (gw.supervisor, gw.facilitator_2, gw.world.admin, gw.world.clinician):
        with pytest.raises(PermissionDenied):
            group_session_record(
                actor=actor,
                group=gw.group,
                number=1,
                held_on=TODAY,
                entries=entries(gw.members),
            )
    assert not GroupSession.objects.exists()


def test_a_forming_group_must_be_started_first(group_world: GroupWorld) -> None:
    gw = group_world
    gw.group.status = GroupStatus.FORMING
    gw.group.save()
    with pytest.raises(ValidationError) as exc:
        record(gw)
    assert "Start the group first" in errors_of(exc)["group"][0]


@pytest.mark.parametrize("status", [GroupStatus.COMPLETED, GroupStatus.CANCELLED])
def test_an_ended_group_takes_no_new_session(group_world: GroupWorld, status: str) -> None:
    gw = group_world
    gw.group.status = status
    gw.group.save()
    with pytest.raises(ValidationError) as exc:
        record(gw)
    assert "ended" in errors_of(exc)["group"][0]


def test_the_last_planned_session_completes_the_group_and_its_members(
    group_world: GroupWorld,
) -> None:
    """GIVEN a group of 8 planned sessions with one member who left WHEN session 8 is
    saved THEN the group is completed on that day and every member still in it is
    completed; the one who left stays dropped."""
    gw = group_world
    record_up_to(gw, 7)
    gw.group.refresh_from_db()
    assert gw.group.status == GroupStatus.RUNNING
    left = gw.members[2]
    left.status = MemberStatus.DROPPED
    left.save()
    record(gw, 8, entries=entries(gw.members[:2]))
    gw.group.refresh_from_db()
    assert gw.group.status == GroupStatus.COMPLETED
    assert gw.group.completed_on == TODAY
    statuses = {m.pk: (m.status, m.ended_at) for m in GroupMember.objects.filter(group=gw.group)}
    assert statuses[gw.members[0].pk][0] == MemberStatus.COMPLETED
    assert statuses[gw.members[0].pk][1] is not None
    assert statuses[left.pk] == (MemberStatus.DROPPED, None)
    with pytest.raises(ValidationError):
        record(gw, 9)


# --------------------------------------------------------------------------- idempotency


def _counts() -> tuple[int, int, int, int]:
    return (
        GroupSession.objects.count(),
        Attendance.objects.count(),
        MemberScore.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_same_key_twice_stores_one_session(group_world: GroupWorld) -> None:
    """GIVEN a session saved with key K (its answer lost on the way to the phone)
    WHEN the same form is sent again with K THEN the stored session comes back,
    created=False, and not one row more is written."""
    gw = group_world
    key = str(uuid.uuid4())
    first = record(gw, idempotency_key=key, entries=entries(gw.members, answers={0: RISK}))
    before = _counts()
    again = record(gw, idempotency_key=key, entries=entries(gw.members, answers={0: RISK}))
    assert first.created and not again.created
    assert again.session == first.session
    assert _counts() == before
    # The resend still knows the alert the first save raised (for the page's message).
    assert [a.pk for a in again.alerts] == [a.pk for a in first.alerts]
    assert RiskAlert.objects.count() == 1


def test_a_resent_last_session_is_returned_after_the_group_completed(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    record_up_to(gw, 7)
    key = str(uuid.uuid4())
    first = record(gw, 8, idempotency_key=key)
    again = record(gw, 8, idempotency_key=key)
    assert again.session == first.session and not again.created


def test_a_double_submit_without_a_key_is_a_conflict(group_world: GroupWorld) -> None:
    gw = group_world
    record(gw)
    with pytest.raises(SessionNumberTaken) as exc:
        record(gw)
    assert str(exc.value) == "Session 1 is already recorded."
    assert GroupSession.objects.count() == 1


def test_a_key_of_another_groups_session_is_refused(group_world: GroupWorld) -> None:
    gw = group_world
    key = str(uuid.uuid4())
    group_session_record(
        actor=gw.facilitator_2,
        group=gw.group_2,
        number=1,
        held_on=TODAY,
        entries=entries([gw.member_2]),
        idempotency_key=key,
    )
    with pytest.raises(ValidationError) as exc:
        record(gw, idempotency_key=key)
    assert "idempotency_key" in errors_of(exc)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_with_one_key_store_one_session() -> None:
    """GIVEN two requests with the same key arriving together (a phone retrying while
    the first is still being saved) WHEN both run at once THEN one stores the session
    and the other returns it; one session, one score per member."""
    gw = build_group_world(build_world())
    key = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    results: list[GroupSessionResult] = []
    failures: list[BaseException] = []

    def save() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(record(gw, idempotency_key=key))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(r.created for r in results) == [False, True]
    assert GroupSession.objects.count() == 1
    assert MemberScore.objects.count() == len(gw.members)
    assert connection.vendor in {"sqlite", "postgresql"}


# --------------------------------------------------------------------------- safety


def test_a_positive_item_9_alerts_the_facilitators_supervisor_only(
    group_world: GroupWorld,
) -> None:
    """GIVEN Sam supervises Fay and Sue supervises Finn WHEN Hana answers item 9 = 1 in
    Fay's session THEN one alert is raised for Hana's score in the same transaction,
    told to Sam and not to Sue; nobody else's answers raise one."""
    gw = group_world
    hana = gw.members[1]
    result = record(gw, entries=entries(gw.members, answers={1: RISK}))
    score = MemberScore.objects.get(session=result.session, member=hana)
    alert = RiskAlert.objects.get()
    assert result.alerts == [alert]
    assert alert.source_type == SESSION_SCORE_SOURCE
    assert alert.source_public_id == score.public_id
    assert alert.client == hana.client and alert.risk_link_ids == ["phq9-9"]
    told = {n.recipient for n in AlertNotification.objects.filter(alert=alert)}
    assert gw.supervisor in told
    assert gw.supervisor_2 not in told


def test_no_alert_without_a_positive_item_9(group_world: GroupWorld) -> None:
    gw = group_world
    result = record(
        gw, entries=entries(gw.members, answers={0: phq9_answers(3, 3, 3, 3, 3, 3, 3, 3, 0)})
    )
    assert result.alerts == [] and not RiskAlert.objects.exists()


# --------------------------------------------------------------------------- tasks, areas, notes


def test_tasks_are_agreed_encrypted_and_reviewed_next_time(group_world: GroupWorld) -> None:
    """GIVEN Grace agreed "call my sister" at session 1 WHEN session 2 marks it partly
    done THEN the task carries the outcome and the session it was reviewed at; the
    text is stored encrypted."""
    gw = group_world
    grace = gw.members[0]
    first = record(
        gw,
        held_on=TODAY - datetime.timedelta(days=7),
        entries=entries(gw.members, task_text={0: "Call my sister"}),
    ).session
    task = MemberTask.objects.get(member=grace)
    assert task.session == first and task.text == "Call my sister"
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM groups_membertask WHERE id = %s", [task.pk])
        assert "sister" not in cursor.fetchone()[0]
    second = record(
        gw, 2, entries=entries(gw.members, previous_task_outcome={0: TaskOutcome.PARTLY})
    ).session
    task.refresh_from_db()
    assert task.outcome == TaskOutcome.PARTLY and task.reviewed_at_session == second


def test_a_review_needs_a_task_and_a_known_outcome(group_world: GroupWorld) -> None:
    gw = group_world
    grace = gw.members[0]
    with pytest.raises(ValidationError) as exc:
        record(gw, entries=entries(gw.members, previous_task_outcome={0: "done"}))
    assert (
        "no task from an earlier session"
        in errors_of(exc)[f"{grace.public_id}:previous_task_outcome"][0]
    )
    record(
        gw,
        held_on=TODAY - datetime.timedelta(days=1),
        entries=entries(gw.members, task_text={0: "Walk"}),
    )
    with pytest.raises(ValidationError) as exc:
        record(gw, 2, entries=entries(gw.members, previous_task_outcome={0: "brilliant"}))
    assert f"{grace.public_id}:previous_task_outcome" in errors_of(exc)


def test_a_problem_area_is_set_when_given_and_must_be_known(group_world: GroupWorld) -> None:
    gw = group_world
    grace = gw.members[0]
    with pytest.raises(ValidationError) as exc:
        record(gw, entries=entries(gw.members, problem_area={0: "bad_luck"}))
    assert f"{grace.public_id}:problem_area" in errors_of(exc)
    record(gw, entries=entries(gw.members, problem_area={0: "grief"}))
    grace.refresh_from_db()
    assert grace.problem_area == "grief" and grace.version == 2


def test_notes_are_stored_encrypted(group_world: GroupWorld) -> None:
    gw = group_world
    session = record(gw, notes="The group talked about mothers-in-law").session
    session.refresh_from_db()
    assert session.notes == "The group talked about mothers-in-law"
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM groups_groupsession WHERE id = %s", [session.pk])
        assert "mothers" not in cursor.fetchone()[0]


# --------------------------------------------------------------------------- adherence, fidelity


def test_adherence_is_scored_for_the_sessions_phase(group_world: GroupWorld) -> None:
    """GIVEN session 1 (initial phase: 5 checklist items) WHEN 2 of them and one item of
    another phase are ticked THEN 40 % is stored with only this phase's codes."""
    gw = group_world
    session = record(
        gw,
        adherence_checked=["symptoms_reviewed", "group_rules_agreed", "ending_raised"],
    ).session
    assert session.adherence_checked == ["symptoms_reviewed", "group_rules_agreed"]
    assert session.adherence_percent == 40


def test_an_unknown_adherence_code_is_refused(group_world: GroupWorld) -> None:
    gw = group_world
    with pytest.raises(ValidationError) as exc:
        record(gw, adherence_checked=["symptoms_reviewed", "made_tea"])
    assert "made_tea" in errors_of(exc)["adherence_checked"][0]


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_self_rating_outside_1_to_5_is_refused(group_world: GroupWorld, score: int) -> None:
    gw = group_world
    with pytest.raises(ValidationError) as exc:
        record(gw, self_fidelity=score)
    assert errors_of(exc)["self_fidelity"] == ["Rate the session from 1 to 5."]


@pytest.mark.parametrize("score", [1, 5])
def test_a_self_rating_is_stored(group_world: GroupWorld, score: int) -> None:
    gw = group_world
    session = record(gw, self_fidelity=score).session
    rating = FidelityRating.objects.get(session=session)
    assert (rating.rater, rating.score, rating.rated_by) == (
        FidelityRater.SELF,
        score,
        gw.facilitator,
    )


# --------------------------------------------------------------------------- audit


def test_the_audit_trail_names_fields_never_answers(group_world: GroupWorld) -> None:
    gw = group_world
    result = record(gw, notes="private words", entries=entries(gw.members, task_text={0: "Walk"}))
    events = list(AuditEvent.objects.filter(object_public_id=result.session.public_id))
    assert {e.object_type for e in events} == {"group_session", "group_session_member"}
    per_member = [e for e in events if e.object_type == "group_session_member"]
    assert {e.subject_client_public_id for e in per_member} == {
        m.client.public_id for m in gw.members
    }
    text = " ".join(str(e.changed_fields) for e in events)
    assert "private" not in text and "Walk" not in text
    assert "score" in text and "task" in text


# --------------------------------------------------------------------------- corrections


def test_a_correction_replaces_the_entries_and_keeps_the_score_row(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    grace = gw.members[0]
    session = record(gw).session
    score = MemberScore.objects.get(session=session, member=grace)
    result = group_session_record(
        actor=gw.facilitator,
        group=gw.group,
        number=1,
        held_on=TODAY,
        entries=entries(gw.members[:1], answers={0: LOW}),
        session=session,
        version=1,
        notes="Corrected",
    )
    assert not result.created
    score.refresh_from_db()
    assert score.total == 2
    assert MemberScore.objects.filter(session=session).count() == 3
    session.refresh_from_db()
    assert session.version == 2 and session.notes == "Corrected"


def test_a_stale_correction_is_a_conflict(group_world: GroupWorld) -> None:
    gw = group_world
    session = record(gw).session
    edit: dict[str, Any] = {
        "actor": gw.facilitator,
        "group": gw.group,
        "number": 1,
        "held_on": TODAY,
        "entries": entries(gw.members),
        "session": session,
    }
    group_session_record(**edit, version=1)
    with pytest.raises(StaleGroupSession):
        group_session_record(**edit, version=1)


def test_a_resent_correction_changes_nothing(group_world: GroupWorld) -> None:
    gw = group_world
    session = record(gw).session
    key = str(uuid.uuid4())
    edit: dict[str, Any] = {
        "actor": gw.facilitator,
        "group": gw.group,
        "number": 1,
        "held_on": TODAY,
        "entries": entries(gw.members),
        "session": session,
        "version": 1,
        "idempotency_key": key,
    }
    group_session_record(**edit)
    before = _counts()
    again = group_session_record(**edit)
    assert not again.created
    session.refresh_from_db()
    assert session.version == 2 and _counts() == before


def test_a_correction_raises_a_new_alert_and_never_withdraws_one(
    group_world: GroupWorld,
) -> None:
    """GIVEN session 1 without a positive item 9 WHEN Grace's answers are corrected to
    item 9 = 1 THEN an alert is raised; WHEN corrected back to 0 THEN the alert stays,
    and Grace cannot be marked absent while it stands."""
    gw = group_world
    session = record(gw).session
    edit: dict[str, Any] = {
        "actor": gw.facilitator,
        "group": gw.group,
        "number": 1,
        "held_on": TODAY,
        "session": session,
    }
    raised = group_session_record(
        **edit, version=1, entries=entries(gw.members[:1], answers={0: RISK})
    )
    assert len(raised.alerts) == 1
    back = group_session_record(**edit, version=2, entries=entries(gw.members[:1]))
    assert back.alerts == []
    assert RiskAlert.objects.count() == 1
    with pytest.raises(ValidationError) as exc:
        group_session_record(**edit, version=3, entries=entries(gw.members[:1], absent=[0]))
    assert "safety alert" in errors_of(exc)[f"{gw.members[0].public_id}:present"][0]


def test_a_correction_may_mark_someone_absent_and_removes_their_score(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    session = record(gw).session
    group_session_record(
        actor=gw.facilitator,
        group=gw.group,
        number=1,
        held_on=TODAY,
        session=session,
        version=1,
        entries=entries(gw.members[:1], absent=[0]),
    )
    assert not MemberScore.objects.filter(session=session, member=gw.members[0]).exists()
    assert not Attendance.objects.get(session=session, member=gw.members[0]).present


def test_a_correction_keeps_dates_between_its_neighbours(group_world: GroupWorld) -> None:
    gw = group_world
    first = record(gw, 1, held_on=TODAY - datetime.timedelta(days=7)).session
    record(gw, 2, held_on=TODAY - datetime.timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        group_session_record(
            actor=gw.facilitator,
            group=gw.group,
            number=1,
            held_on=TODAY - datetime.timedelta(days=1),
            session=first,
            version=1,
            entries=[],
        )
    assert "The next session was on" in errors_of(exc)["held_on"][0]


def test_a_session_of_a_bigger_group_keeps_one_score_per_member(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    for n in range(5):
        gw.members.append(
            make_member(
                programme=gw.programme,
                practice=gw.group.practice,
                facilitator=gw.facilitator,
                given=f"Member{n}",
                family="Extra",
                group=gw.group,
            )
        )
    session = record(gw).session
    assert MemberScore.objects.filter(session=session).count() == 8
