"""Reads of the inventory, the closeness circle and the timeline.

Every function takes a course that the caller already obtained through
`course_get_for_actor` (reads) or `course_get_for_writing` (writes), so the
actor's reach is settled before anything here runs; these functions only ever
look inside that one course, and an id from another course is a 404.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from openipt.courses.models import (
    CirclePlacement,
    CircleVersion,
    Course,
    InventoryPerson,
    LifeEvent,
)
from openipt.courses.timeline_svg import ScorePoint, ScoreSeries
from openipt.measures.selectors import instruments_for_practice, score_series


def inventory_people(*, course: Course) -> QuerySet[InventoryPerson]:
    """The people currently in the inventory, closest ring first (one query)."""
    return course.inventory.filter(removed_at__isnull=True).order_by(
        "ring", "position", "created_at", "id"
    )


def inventory_person_get(
    *, course: Course, public_id: UUID | str, include_removed: bool = False
) -> InventoryPerson:
    people = course.inventory.all() if include_removed else inventory_people(course=course)
    try:
        return people.get(public_id=public_id)
    except (InventoryPerson.DoesNotExist, ValueError) as exc:
        raise Http404("No such person in this inventory.") from exc


def circle_versions(*, course: Course) -> QuerySet[CircleVersion]:
    return course.circle_versions.select_related("saved_by").order_by("number")


def circle_version_get(*, course: Course, public_id: UUID | str) -> CircleVersion:
    """A saved circle with its placements and their people, in two queries."""
    placements = CirclePlacement.objects.select_related("person").order_by(
        "ring", "person__position", "person__created_at", "person_id"
    )
    try:
        return (
            circle_versions(course=course)
            .prefetch_related(Prefetch("placements", queryset=placements))
            .get(public_id=public_id)
        )
    except (CircleVersion.DoesNotExist, ValueError) as exc:
        raise Http404("No such circle version.") from exc


def life_events(*, course: Course) -> QuerySet[LifeEvent]:
    """The timeline's events, oldest first, with the people involved (two queries)."""
    return (
        course.life_events.filter(removed_at__isnull=True)
        .prefetch_related(
            Prefetch("people", queryset=InventoryPerson.objects.order_by("ring", "position", "id"))
        )
        .order_by("date", "created_at", "id")
    )


def life_event_get(*, course: Course, public_id: UUID | str) -> LifeEvent:
    try:
        return life_events(course=course).get(public_id=public_id)
    except (LifeEvent.DoesNotExist, ValueError) as exc:
        raise Http404("No such event on this timeline.") from exc


def score_series_for_timeline(*, course: Course) -> list[ScoreSeries]:
    """Measure scores to draw on the timeline's axis: one series per instrument given.

    Totals by the date they were given, scaled to each instrument's maximum
    (the timeline draws them in the score band below the axis). Three queries.
    """
    if course.pk is None:
        return []
    series = score_series(course)
    if not series:
        return []
    instruments = instruments_for_practice(course.practice)
    return [
        ScoreSeries(
            name=instruments[code].short_title,
            points=[ScorePoint(timezone.localdate(at), float(total)) for at, _n, total in points],
            max_value=float(instruments[code].max_total),
        )
        for code, points in sorted(series.items())
        if code in instruments
    ]
