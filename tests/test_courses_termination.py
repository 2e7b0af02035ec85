"""The termination phase: the progress review and closing the course."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.courses.models import Course, CourseStatus, ProblemReview
from openipt.courses.services.course import StaleEdit, course_advance_phase, course_close
from openipt.courses.services.formulation import FocusChoice, focus_set, goal_add
from openipt.courses.services.termination import (
    ItemRating,
    termination_review_open,
    termination_review_save,
)
from openipt.protocol.phases import Phase
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def _course_in_termination(world: World) -> Course:
    course = world.course_1
    focus_set(
        actor=world.clinician,
        course=course,
        choices=[FocusChoice(area="role_dispute", dispute_stage="impasse")],
    )
    goal_add(actor=world.clinician, course=course, text="Talk with Sam weekly", rating_at_start=2)
    course = course_advance_phase(actor=world.clinician, course=course, override_reason="test")
    return course_advance_phase(actor=world.clinician, course=course)


def _complete(world: World, course: Course) -> None:
    review = termination_review_open(actor=world.clinician, course=course)
    ratings = {item.pk: ItemRating(rating_at_start=2, rating_now=7) for item in review.items.all()}
    termination_review_save(
        actor=world.clinician,
        review=review,
        expected_version=review.version,
        texts={"warning_signs": "Withdrawing from friends", "feelings_about_ending": "Sad, proud"},
        outcome_category="responder",
        next_step="maintenance",
        ratings=ratings,
        complete=True,
    )


def test_review_lists_every_problem_and_goal_from_the_start(world: World) -> None:
    """GIVEN a course whose focus and goals were set at the start
    WHEN the progress review is opened in the termination phase
    THEN it lists each problem area and goal, with the goal's starting rating."""
    course = _course_in_termination(world)
    review = termination_review_open(actor=world.clinician, course=course)
    items = list(review.items.all())
    assert len(items) == 2
    goal_item = next(i for i in items if i.goal is not None)
    assert goal_item.rating_at_start == 2


def test_review_is_only_for_the_termination_phase(world: World) -> None:
    with pytest.raises(ValidationError, match="termination phase"):
        termination_review_open(actor=world.clinician, course=world.course_1)


def test_completing_the_review_needs_ratings_warning_signs_outcome_and_next_step(
    world: World,
) -> None:
    course = _course_in_termination(world)
    review = termination_review_open(actor=world.clinician, course=course)
    with pytest.raises(ValidationError) as info:
        termination_review_save(
            actor=world.clinician,
            review=review,
            expected_version=review.version,
            texts={},
            outcome_category="",
            next_step="",
            ratings={},
            complete=True,
        )
    message = " ".join(info.value.messages)
    assert "warning signs" in message and "next step" in message and "rating now" in message


def test_a_course_closes_only_after_a_completed_review(world: World) -> None:
    course = _course_in_termination(world)
    with pytest.raises(ValidationError, match="progress review"):
        course_close(actor=world.clinician, course=course)
    _complete(world, course)
    closed = course_close(actor=world.clinician, course=course)
    assert closed.status == CourseStatus.CLOSED
    assert ProblemReview.objects.filter(review__course=course, rating_now=7).count() == 2


def test_a_closed_course_is_read_only(world: World) -> None:
    course = _course_in_termination(world)
    _complete(world, course)
    course_close(actor=world.clinician, course=course)
    with pytest.raises(ValidationError, match="closed"):
        goal_add(actor=world.clinician, course=course, text="More")


def test_stale_review_save_is_refused(world: World) -> None:
    course = _course_in_termination(world)
    review = termination_review_open(actor=world.clinician, course=course)
    termination_review_save(
        actor=world.clinician,
        review=review,
        expected_version=review.version,
        texts={"coping_plan": "Call Jo"},
        outcome_category="",
        next_step="",
        ratings={},
        complete=False,
    )
    with pytest.raises(StaleEdit):
        termination_review_save(
            actor=world.clinician,
            review=review,
            expected_version=1,
            texts={"coping_plan": "Other"},
            outcome_category="",
            next_step="",
            ratings={},
            complete=False,
        )


def test_review_page_refuses_a_rating_of_eleven_and_keeps_the_text(
    world: World, client_for: ClientFor
) -> None:
    course = _course_in_termination(world)
    http = client_for(world.clinician)
    url = reverse("courses:termination", args=[course.public_id])
    page = http.get(url)
    assert page.status_code == 200
    review = course.termination_review
    item = review.items.first()
    assert item is not None
    response = http.post(
        url,
        {
            "version": review.version,
            f"now-{item.pk}": "11",
            "warning_signs": "Sleeping badly",
            "save": "1",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "0 to 10" in body
    assert "Sleeping badly" in body


def test_review_and_close_through_the_pages(world: World, client_for: ClientFor) -> None:
    course = _course_in_termination(world)
    http = client_for(world.clinician)
    url = reverse("courses:termination", args=[course.public_id])
    http.get(url)
    review = course.termination_review
    data: dict[str, str] = {
        "version": str(review.version),
        "warning_signs": "Staying in bed",
        "outcome_category": "partial",
        "next_step": "continuation",
        "complete": "1",
    }
    for item in review.items.all():
        data[f"start-{item.pk}"] = "3"
        data[f"now-{item.pk}"] = "6"
    assert http.post(url, data).status_code == 302
    assert http.post(reverse("courses:close", args=[course.public_id])).status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.CLOSED
    summary = http.get(reverse("courses:summary", args=[course.public_id])).content.decode()
    assert "Staying in bed" in summary
    assert "Partly responded" in summary
    assert course.phase == Phase.TERMINATION


def test_the_review_is_offered_to_the_writer_and_not_to_a_reader(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a course in the termination phase WHEN the clinician and the supervisor
    open its overview THEN only the clinician is offered the progress review page
    (the supervisor, who may not write it, would be refused there)."""
    course = _course_in_termination(world)
    review_url = reverse("courses:termination", args=[course.public_id])
    overview = reverse("courses:overview", args=[course.public_id])
    assert f'href="{review_url}"' in client_for(world.clinician).get(overview).content.decode()
    supervisor = client_for(world.supervisor)
    assert f'href="{review_url}"' not in supervisor.get(overview).content.decode()
    assert supervisor.get(review_url).status_code in {403, 404}
