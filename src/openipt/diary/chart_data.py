"""What the clinician's diary chart and diary card show, from a course already in reach."""

from __future__ import annotations

from dataclasses import dataclass

from openipt.courses.models import Course, LifeEvent, Session
from openipt.diary import selectors
from openipt.diary.charts import DiaryPoint, SessionMark, diary_chart_svg
from openipt.diary.models import DiaryEntry
from openipt.measures.charts import ChartSize


def course_diary_svg(course: Course, *, size: ChartSize = "wide") -> str:
    """The course's diary chart (three queries)."""
    entries = selectors.entries_for_course(course=course)
    sessions = list(
        Session.objects.filter(course=course).order_by("number").values_list("date", "number")
    )
    events = list(
        LifeEvent.objects.filter(course=course, removed_at__isnull=True)
        .order_by("date")
        .values_list("date", flat=True)
    )
    return diary_chart_svg(
        points=[DiaryPoint(e.date, e.mood) for e in entries],
        sessions=[SessionMark(day, number) for day, number in sessions],
        events=events,
        start=course.start_date,
        title="Mood diary",
        size=size,
    )


@dataclass(frozen=True)
class DiarySummary:
    """A line about the diary for the course and session pages."""

    entries: int
    last: DiaryEntry | None
    average: float | None


def course_diary_summary(course: Course) -> DiarySummary:
    entries = list(DiaryEntry.objects.filter(course=course).order_by("date").only("date", "mood"))
    average = round(sum(e.mood for e in entries) / len(entries), 1) if entries else None
    return DiarySummary(
        entries=len(entries), last=entries[-1] if entries else None, average=average
    )
