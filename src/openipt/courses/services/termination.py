"""The progress review of the termination phase (protocol note §2.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.courses.models import (
    Course,
    CourseTaskMark,
    FocusArea,
    Goal,
    ProblemReview,
    TerminationReview,
)
from openipt.courses.services.course import StaleEdit, _audit, require_writer
from openipt.protocol.phases import Phase
from openipt.protocol.tasks import TaskCode

if TYPE_CHECKING:
    from openipt.accounts.models import User

REVIEW_TEXT_FIELDS = (
    "feelings_about_ending",
    "warning_signs",
    "coping_plan",
    "support_contacts",
    "next_step_detail",
)


@dataclass(frozen=True)
class ItemRating:
    rating_at_start: int | None
    rating_now: int | None
    comment: str = ""


@transaction.atomic
def termination_review_open(*, actor: User, course: Course) -> TerminationReview:
    """Open (or return) the progress review, listing every problem and goal of the course.

    GIVEN a course in its termination phase WHEN the review is opened THEN it lists
    every focus area chosen during the course and every goal, with the starting
    rating recorded for the goal when there is one.
    """
    require_writer(actor, course)
    if course.phase != Phase.TERMINATION:
        raise ValidationError("Move the course into the termination phase first.")
    review, created = TerminationReview.objects.get_or_create(
        course=course, defaults={"recorded_by": actor}
    )
    listed_focus = set(review.items.exclude(focus_area=None).values_list("focus_area", flat=True))
    listed_goals = set(review.items.exclude(goal=None).values_list("goal", flat=True))
    for area in FocusArea.objects.filter(course=course).order_by("created_at"):
        if area.pk not in listed_focus:
            ProblemReview.objects.create(review=review, focus_area=area)
    for goal in Goal.objects.filter(course=course).order_by("position"):
        if goal.pk not in listed_goals:
            ProblemReview.objects.create(
                review=review, goal=goal, rating_at_start=goal.rating_at_start
            )
    if created:
        _audit(actor, course, AuditAction.CREATE, "termination_review", ["items"], review.public_id)
    return review


def _check_rating(value: int | None) -> None:
    if value is not None and not 0 <= value <= 10:
        raise ValidationError("Ratings go from 0 to 10.")


@transaction.atomic
def termination_review_save(
    *,
    actor: User,
    review: TerminationReview,
    expected_version: int,
    texts: Mapping[str, str],
    outcome_category: str,
    next_step: str,
    ratings: Mapping[int, ItemRating],
    complete: bool,
) -> TerminationReview:
    """Save the review; `complete` also checks that nothing is missing and ticks the tasks."""
    course = review.course
    require_writer(actor, course)
    locked = TerminationReview.objects.select_for_update().get(pk=review.pk)
    if locked.version != expected_version:
        raise StaleEdit
    changed: list[str] = []
    for name in REVIEW_TEXT_FIELDS:
        value = texts.get(name, "").strip()
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    for name, value in (("outcome_category", outcome_category), ("next_step", next_step)):
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    items = {item.pk: item for item in locked.items.all()}
    for pk, rating in ratings.items():
        item = items.get(pk)
        if item is None:
            raise ValidationError("That problem is not part of this review.")
        _check_rating(rating.rating_at_start)
        _check_rating(rating.rating_now)
        item.rating_at_start = rating.rating_at_start
        item.rating_now = rating.rating_now
        item.comment = rating.comment.strip()
        item.save()
    if ratings:
        changed.append("ratings")
    if complete:
        missing = [
            label
            for label, ok in (
                (
                    "a rating now for every problem and goal",
                    all(r.rating_now is not None for r in ratings.values())
                    and len(ratings) == len(items),
                ),
                ("personal warning signs", bool(locked.warning_signs)),
                ("the outcome", bool(locked.outcome_category)),
                ("the next step", bool(locked.next_step)),
            )
            if not ok
        ]
        if missing:
            raise ValidationError("To complete the review, add " + ", ".join(missing) + ".")
        locked.completed_at = timezone.now()
        changed.append("completed_at")
        tasks = [TaskCode.PROGRESS_REVIEWED, TaskCode.WARNING_SIGNS, TaskCode.NEXT_STEP_AGREED]
        if locked.feelings_about_ending:
            tasks.append(TaskCode.ENDING_FEELINGS)
        for task in tasks:
            CourseTaskMark.objects.get_or_create(course=course, task=task, defaults={"by": actor})
    locked.version += 1
    locked.save()
    _audit(actor, course, AuditAction.UPDATE, "termination_review", changed, locked.public_id)
    return locked
