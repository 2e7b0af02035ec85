"""Reads of the mood diary.

Client-side functions take the client record the portal obtained with
`own_client_record` (so it is the actor's own); clinician-side functions take
a course obtained through `course_get_for_actor` (so the actor's reach is
settled). Nothing here looks rows up by an id from outside without one of
those two in the filter.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Literal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from openipt.courses.models import Course, CourseStatus, InventoryPerson
from openipt.diary.models import DiaryEntry

if TYPE_CHECKING:
    from openipt.practice.models import Client

RECENT_DAYS = 30


def _people_prefetch() -> Prefetch[Literal["people"]]:
    return Prefetch("people", queryset=InventoryPerson.objects.order_by("ring", "position"))


def active_course_for_client(*, client: Client) -> Course | None:
    """The client's running course, if there is one (a client has at most one)."""
    return (
        Course.objects.filter(client=client, status=CourseStatus.ACTIVE)
        .order_by("-start_date", "-id")
        .first()
    )


def people_for_client(*, client: Client) -> list[InventoryPerson]:
    """The people a diary entry may name: those in the inventory of the running course."""
    course = active_course_for_client(client=client)
    if course is None:
        return []
    return list(
        InventoryPerson.objects.filter(course=course, removed_at__isnull=True).order_by(
            "ring", "position", "created_at"
        )
    )


def entry_for_day(*, client: Client, day: datetime.date) -> DiaryEntry | None:
    return (
        DiaryEntry.objects.filter(client=client, date=day).prefetch_related(_people_prefetch())
    ).first()


def recent_entries_for_client(*, client: Client, days: int = RECENT_DAYS) -> list[DiaryEntry]:
    """The client's entries of the last `days` days, newest first (two queries)."""
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    return list(
        DiaryEntry.objects.filter(client=client, date__gte=since)
        .prefetch_related(_people_prefetch())
        .order_by("-date")
    )


def all_entries_for_client(*, client: Client) -> QuerySet[DiaryEntry]:
    """Every entry the client ever wrote, oldest first (for their data export)."""
    return (
        DiaryEntry.objects.filter(client=client)
        .select_related("course")
        .prefetch_related(_people_prefetch())
        .order_by("date")
    )


def entries_for_course(*, course: Course) -> list[DiaryEntry]:
    """A course's diary, oldest first: the entries written while it ran."""
    return list(
        DiaryEntry.objects.filter(course=course)
        .prefetch_related(_people_prefetch())
        .order_by("date")
    )
