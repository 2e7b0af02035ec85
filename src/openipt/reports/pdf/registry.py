"""The course reports by URL kind: title, template, and how its context is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openipt.courses.models import Course
from openipt.reports.pdf.letter import letter_context
from openipt.reports.pdf.portfolio import portfolio_context
from openipt.reports.pdf.progress import progress_context
from openipt.reports.pdf.render import render_pdf
from openipt.reports.pdf.termination import review_for_summary, termination_context


class ReportUnavailable(Exception):
    """The course does not (yet) hold what the report summarises."""


def _termination(course: Course) -> dict[str, Any]:
    review = review_for_summary(course)
    if review is None:
        raise ReportUnavailable(
            "The termination summary is written from the completed progress review. "
            "Complete the progress review first (it opens in the termination phase)."
        )
    return termination_context(course, review)


@dataclass(frozen=True)
class CourseReport:
    kind: str
    title: str
    template: str
    build: Callable[[Course], dict[str, Any]]

    def render(self, course: Course) -> bytes:
        """The PDF (raises ReportUnavailable when the course cannot have this report yet)."""
        return render_pdf(self.template, self.build(course))


COURSE_REPORTS: dict[str, CourseReport] = {
    report.kind: report
    for report in (
        CourseReport(
            "letter",
            "Formulation and treatment-contract letter",
            "reports/pdf/letter.html",
            letter_context,
        ),
        CourseReport("progress", "Progress report", "reports/pdf/progress.html", progress_context),
        CourseReport(
            "termination",
            "Termination summary",
            "reports/pdf/termination.html",
            _termination,
        ),
        CourseReport(
            "portfolio",
            "Supervision portfolio",
            "reports/pdf/portfolio.html",
            portfolio_context,
        ),
    )
}
