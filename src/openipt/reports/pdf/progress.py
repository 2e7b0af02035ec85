"""The progress report for a referrer: scores, outcome labels, phase, focus and goals.

The numbers and words come from `measures.chart_data` exactly as the course
overview shows them (`course_progress`: the engine's `course_outcome` turned
into labels), and each chart is the overview's own SVG (`course_chart`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openipt.courses.models import Course
from openipt.measures.chart_data import InstrumentProgress, course_chart, course_progress
from openipt.reports.pdf.common import base_context, current_goals, focus_rows
from openipt.reports.pdf.render import svg_data_uri


@dataclass(frozen=True)
class InstrumentSection:
    progress: InstrumentProgress
    chart_uri: str


def instrument_sections(course: Course) -> list[InstrumentSection]:
    sections = []
    for progress in course_progress(course).instruments:
        svg = course_chart(course, progress.code, size="wide")
        sections.append(InstrumentSection(progress, svg_data_uri(svg) if svg else ""))
    return sections


def progress_context(course: Course) -> dict[str, Any]:
    return {
        **base_context(course, title="Progress report"),
        "focus": focus_rows(course),
        "goals": current_goals(course),
        "instruments": instrument_sections(course),
    }
