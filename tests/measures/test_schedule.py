"""Schedules: defaults per variant, what is due before the next session, changes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openipt.courses.models import Course, Session
from openipt.measures.models import MeasureSchedule
from openipt.measures.selectors import measures_due, schedule_for_course
from openipt.measures.services import ScheduleItem, licensed_text_load, measure_schedule_set
from openipt.practice.models import Client
from tests.measures.helpers import licensed_texts, submit_phq9
from tests.world import World

pytestmark = pytest.mark.django_db


def course_of(world: World, variant: str, client: Client | None = None) -> Course:
    return Course.objects.create(
        client=client or world.client_2,
        practice=world.practice_a,
        variant=variant,
        planned_sessions=16 if variant != "ipt_b" else 8,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
        initial_last=2,
        middle_last=6,
        created_by=world.clinician,
    )


def codes(course: Course) -> list[str]:
    return sorted(e.instrument_code for e in schedule_for_course(course) if e.active)


def session(course: Course, number: int, date: datetime.date, world: World) -> Session:
    return Session.objects.create(
        course=course, number=number, date=date, phase="initial", recorded_by=world.clinician
    )


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("ipt16", ["gad7", "phq9"]),
        ("ipt12", ["gad7", "phq9"]),
        ("ipc", ["gad7", "phq9"]),
        ("ipt_m", ["gad7", "phq9"]),
        ("ipt_older", ["gad7", "gds15", "phq9"]),
        # EPDS and PHQ-A need licensed text; without it, the default stays PHQ-9 + GAD-7.
        ("ipt_b", ["gad7", "phq9"]),
        ("ipt_a", ["gad7", "phq9"]),
    ],
)
def test_default_schedule_per_variant(world: World, variant: str, expected: list[str]) -> None:
    """GIVEN a new course of a variant and a practice without licensed text
    WHEN its schedule is read THEN PHQ-9 and GAD-7 come before every session,
    plus GDS-15 for older adults."""
    course = course_of(world, variant)
    assert codes(course) == expected
    assert all(e.every_n_sessions == 1 and not e.stored for e in schedule_for_course(course))


def test_perinatal_courses_get_epds_once_the_practice_loads_its_text(world: World) -> None:
    """GIVEN a perinatal (IPT-B) course WHEN the practice loads licensed EPDS text
    THEN the EPDS joins its default schedule."""
    course = course_of(world, "ipt_b")
    assert "epds" not in codes(course)
    licensed_text_load(
        actor=world.admin,
        practice=world.practice_a,
        instrument_code="epds",
        texts_json=licensed_texts("epds"),
    )
    assert codes(course) == ["epds", "gad7", "phq9"]


def test_phqa_replaces_phq9_for_adolescents_when_licensed(world: World) -> None:
    course = course_of(world, "ipt_a")
    licensed_text_load(
        actor=world.admin,
        practice=world.practice_a,
        instrument_code="phqa",
        texts_json=licensed_texts("phqa"),
    )
    assert codes(course) == ["gad7", "phqa"]


def test_everything_is_due_before_the_first_session(world: World) -> None:
    course = course_of(world, "ipt16")
    due = measures_due(course)
    assert [(d.instrument_code, d.next_session, d.due_now) for d in due] == [
        ("phq9", 1, True),
        ("gad7", 1, True),
    ]
    assert due[0].description == "PHQ-9: due before session 1 (before every session)"


def test_a_questionnaire_given_since_the_last_session_is_not_due_again(world: World) -> None:
    """GIVEN session 1 held last week and a PHQ-9 completed today (no session linked)
    WHEN the due list is read THEN PHQ-9 is done for session 2, GAD-7 is still due."""
    course = world.course_1  # session 1 on 2026-09-01
    submit_phq9(world.clinician, course)
    due = {d.instrument_code: d for d in measures_due(course)}
    assert due["phq9"].due_now is False
    assert due["phq9"].next_session == 3
    assert due["gad7"].due_now is True
    assert due["gad7"].next_session == 2


def test_every_four_sessions_counts_from_the_first(world: World) -> None:
    """GIVEN PHQ-9 every 4 sessions, given at session 1, and sessions 1–2 held
    WHEN the due list is read THEN it is due before session 5, not now."""
    course = course_of(world, "ipt16")
    measure_schedule_set(actor=world.clinician, course=course, items=[ScheduleItem("phq9", 4)])
    s1 = session(course, 1, datetime.date(2026, 9, 1), world)
    session(course, 2, datetime.date(2026, 9, 8), world)

    submit_phq9(world.clinician, course, session=s1)
    (due,) = measures_due(course)
    assert (due.next_session, due.due_now) == (5, False)
    assert due.description == "PHQ-9: due before session 5 (every 4 sessions)"


def test_a_missed_scheduled_questionnaire_stays_due(world: World) -> None:
    course = course_of(world, "ipt16")
    measure_schedule_set(actor=world.clinician, course=course, items=[ScheduleItem("phq9", 4)])
    session(course, 1, datetime.date(2026, 9, 1), world)
    session(course, 2, datetime.date(2026, 9, 8), world)
    (due,) = measures_due(course)
    assert (due.next_session, due.due_now) == (3, True)


def test_measures_due_costs_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    course = world.course_1
    for days in range(5):
        submit_phq9(world.clinician, course, days_ago=days)
    with django_assert_max_num_queries(5):
        measures_due(course)


def test_saving_a_schedule_stores_every_row(world: World) -> None:
    measure_schedule_set(
        actor=world.clinician,
        course=world.course_1,
        items=[ScheduleItem("phq9", 1), ScheduleItem("gad7", 4), ScheduleItem("gds15", 2, False)],
    )
    rows = {
        s.instrument_code: (s.every_n_sessions, s.active) for s in MeasureSchedule.objects.all()
    }
    assert rows == {"phq9": (1, True), "gad7": (4, True), "gds15": (2, False)}
    assert codes(world.course_1) == ["gad7", "phq9"]


def test_dropping_an_instrument_from_the_schedule_deactivates_it(world: World) -> None:
    measure_schedule_set(
        actor=world.clinician,
        course=world.course_1,
        items=[ScheduleItem("phq9", 1), ScheduleItem("gad7", 1)],
    )
    measure_schedule_set(
        actor=world.clinician, course=world.course_1, items=[ScheduleItem("phq9", 1)]
    )
    assert codes(world.course_1) == ["phq9"]
    assert MeasureSchedule.objects.get(instrument_code="gad7").active is False


def test_an_unlicensed_instrument_cannot_be_scheduled(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        measure_schedule_set(
            actor=world.clinician, course=world.course_1, items=[ScheduleItem("epds", 1)]
        )
    assert "epds" in caught.value.message_dict


def test_epds_can_be_scheduled_once_licensed(world: World) -> None:
    licensed_text_load(
        actor=world.admin,
        practice=world.practice_a,
        instrument_code="epds",
        texts_json=licensed_texts("epds"),
    )
    measure_schedule_set(
        actor=world.clinician, course=world.course_1, items=[ScheduleItem("epds", 1)]
    )
    assert codes(world.course_1) == ["epds"]


def test_schedule_rules_are_checked(world: World) -> None:
    with pytest.raises(ValidationError):
        measure_schedule_set(
            actor=world.clinician, course=world.course_1, items=[ScheduleItem("phq9", 0)]
        )
    with pytest.raises(PermissionDenied):
        measure_schedule_set(
            actor=world.supervisor, course=world.course_1, items=[ScheduleItem("phq9", 1)]
        )
    assert not MeasureSchedule.objects.exists()


def test_due_ignores_timezone_edge_of_administration_date(world: World) -> None:
    # A questionnaire given on the day of the last session belongs to that session.
    course = world.course_1
    Session.objects.filter(pk=world.session_1.pk).update(date=timezone.localdate())
    submit_phq9(world.clinician, course)
    due = {d.instrument_code: d for d in measures_due(course)}
    assert due["phq9"].due_now is True
