"""The diary card shown on the clinician's course and session pages."""

from __future__ import annotations

from typing import Any

from django import template

from openipt.courses.models import Course
from openipt.diary.chart_data import course_diary_summary

register = template.Library()


@register.inclusion_tag("diary/partials/course_diary_card.html")
def course_diary_card(course: Course) -> dict[str, Any]:
    """The diary chart and a line about it (one query; the chart is its own request).

    For a course the caller already obtained through `course_get_for_actor`.
    """
    return {"course": course, "summary": course_diary_summary(course)}
