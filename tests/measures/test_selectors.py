"""Reads: score series, outcomes, and the per-course summaries the caseload uses."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from pytest_django import DjangoAssertNumQueries

from openipt.courses.models import Course, Session
from openipt.measures.selectors import (
    administration_get_for_actor,
    administrations_for_course,
    baseline_total_subquery,
    course_outcomes,
    latest_scores_for_courses,
    latest_total_subquery,
    score_series,
)
from openipt.measures.services import measure_correct
from tests.measures.helpers import phq9_answers, submit_phq9
from tests.world import World

pytestmark = pytest.mark.django_db


def second_course(world: World) -> Course:
    return Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )


def test_latest_scores_give_baseline_previous_and_latest_per_course(world: World) -> None:
    other = second_course(world)
    submit_phq9(world.clinician, world.course_1, (3, 3, 3, 3, 3, 3, 0, 0, 0), days_ago=14)
    submit_phq9(world.clinician, world.course_1, (2, 2, 2, 2, 2, 2, 0, 0, 0), days_ago=7)
    submit_phq9(world.clinician, world.course_1, (1, 1, 1, 1, 1, 1, 0, 0, 0), days_ago=0)
    submit_phq9(world.clinician, other, (1, 1, 0, 0, 0, 0, 0, 0, 0))
    summaries = latest_scores_for_courses([world.course_1.pk, other.pk])
    first = summaries[world.course_1.pk]["phq9"]
    assert (first.baseline, first.previous, first.latest, first.n_scores) == (18, 12, 6, 3)
    assert first.change == -12
    assert first.totals == (18, 12, 6)
    assert first.latest_band_code == "mild"
    single = summaries[other.pk]["phq9"]
    assert (single.baseline, single.previous, single.latest) == (2, None, 2)


def test_latest_scores_leave_out_corrected_entries(world: World) -> None:
    wrong = submit_phq9(world.clinician, world.course_1, (3, 3, 3, 3, 3, 3, 3, 3, 0))
    measure_correct(
        actor=world.clinician, administration=wrong, answers=phq9_answers(), reason="Typo."
    )
    summary = latest_scores_for_courses([world.course_1.pk])[world.course_1.pk]["phq9"]
    assert (summary.n_scores, summary.latest) == (1, 8)


def test_latest_scores_cost_one_query_for_any_number_of_courses(
    world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    courses = [world.course_1, second_course(world)]
    for course in courses:
        for days in range(4):
            submit_phq9(world.clinician, course, days_ago=days)
    with django_assert_num_queries(1):
        latest_scores_for_courses([c.pk for c in courses])
    assert latest_scores_for_courses([]) == {}


def test_annotations_give_baseline_and_latest_in_the_course_query(world: World) -> None:
    submit_phq9(world.clinician, world.course_1, (3, 3, 3, 3, 3, 3, 0, 0, 0), days_ago=7)
    submit_phq9(world.clinician, world.course_1, days_ago=0)
    course = Course.objects.annotate(
        phq9_baseline=baseline_total_subquery("phq9"), phq9_latest=latest_total_subquery("phq9")
    ).get(pk=world.course_1.pk)
    assert (course.phq9_baseline, course.phq9_latest) == (18, 8)


def test_score_series_places_portal_scores_before_the_next_session(world: World) -> None:
    """GIVEN session 1 on 1 Sept and a PHQ-9 linked to it, and one given later without a
    session WHEN the series is read THEN they sit at sessions 1 and 2."""
    submit_phq9(world.clinician, world.course_1, session=world.session_1, days_ago=1)
    submit_phq9(world.clinician, world.course_1, (2, 2, 2, 2, 2, 2, 2, 2, 0))
    series = score_series(world.course_1)
    assert [(n, total) for _at, n, total in series["phq9"]] == [(1, 8), (2, 16)]


def test_score_series_uses_the_first_session_on_or_after_the_date(world: World) -> None:
    Session.objects.create(
        course=world.course_1,
        number=2,
        date=datetime.date(2099, 1, 1),
        phase="initial",
        recorded_by=world.clinician,
    )
    submit_phq9(world.clinician, world.course_1)
    ((_at, number, _total),) = score_series(world.course_1)["phq9"]
    assert number == 2


def test_course_outcomes_use_the_engine(world: World) -> None:
    submit_phq9(world.clinician, world.course_1, (3, 3, 3, 3, 3, 3, 0, 0, 0), days_ago=30)
    submit_phq9(world.clinician, world.course_1, (1, 1, 1, 0, 0, 0, 0, 0, 0))
    outcome = course_outcomes(world.course_1)["phq9"]
    assert (outcome.baseline, outcome.latest, outcome.change) == (18, 3, -15)
    assert outcome.remission is True
    assert outcome.response is True


def test_administrations_are_read_only_within_reach(world: World) -> None:
    administration = submit_phq9(world.clinician, world.course_1)
    assert list(administrations_for_course(actor=world.supervisor, course=world.course_1)) == [
        administration
    ]
    for outsider in (world.colleague, world.admin, world.clinician_b, world.client_user_1):
        with pytest.raises(Http404):
            administrations_for_course(actor=outsider, course=world.course_1)
        with pytest.raises(Http404):
            administration_get_for_actor(actor=outsider, public_id=administration.public_id)
    with pytest.raises(Http404):
        administration_get_for_actor(actor=world.clinician, public_id="not-a-uuid")
