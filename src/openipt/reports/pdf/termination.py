"""The termination summary: problems at the start and now, outcomes, warning signs, next step.

Built from the completed progress review (`TerminationReview` and its
`ProblemReview` ratings), as the course summary page shows it, plus the
outcome labels of each questionnaire. Without a completed review there is
nothing to summarise: `review_for_summary` returns None and the view says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openipt.courses.models import Course, TerminationReview
from openipt.measures.chart_data import InstrumentProgress, ScoreRow, course_progress
from openipt.reports.pdf.common import area_label, base_context, focus_rows


@dataclass(frozen=True)
class ProblemRow:
    kind: str
    label: str
    start: int | None
    now: int | None
    comment: str


def review_for_summary(course: Course) -> TerminationReview | None:
    return TerminationReview.objects.filter(course=course, completed_at__isnull=False).first()


def problem_rows(review: TerminationReview) -> list[ProblemRow]:
    rows = []
    for item in review.items.select_related("focus_area", "goal"):
        if item.focus_area is not None:
            kind, label = "Problem area", area_label(review.course, item.focus_area.area)
        else:
            kind, label = "Goal", item.goal.text if item.goal else ""
        rows.append(ProblemRow(kind, label, item.rating_at_start, item.rating_now, item.comment))
    return rows


@dataclass(frozen=True)
class OutcomeCell:
    state: str  # the label's state ("yes", "no", "na", "worse"), "" for a plain value
    text: str


@dataclass(frozen=True)
class OutcomeRow:
    name: str
    cells: tuple[OutcomeCell, ...]


def _score(row: ScoreRow | None) -> OutcomeCell:
    if row is None:
        return OutcomeCell("", "—")
    return OutcomeCell("", f"{row.total} {row.band_label} · {row.at:%d %b %Y}")


def outcome_rows(instruments: list[InstrumentProgress]) -> list[OutcomeRow]:
    """One row per outcome term, one column per questionnaire (pure).

    Terms an instrument does not define (remission for some) are a dash in its column.
    """
    rows = [
        OutcomeRow("Baseline", tuple(_score(p.baseline) for p in instruments)),
        OutcomeRow("Latest", tuple(_score(p.latest) for p in instruments)),
        OutcomeRow("Change", tuple(OutcomeCell("", p.change_text or "—") for p in instruments)),
    ]
    names: list[str] = []
    for p in instruments:
        names += [label.name for label in p.labels if label.name not in names]
    for name in names:
        cells = []
        for p in instruments:
            label = next((x for x in p.labels if x.name == name), None)
            cells.append(OutcomeCell(label.state, label.text) if label else OutcomeCell("", "—"))
        rows.append(OutcomeRow(name, tuple(cells)))
    return rows


def termination_context(course: Course, review: TerminationReview) -> dict[str, Any]:
    measured = [p for p in course_progress(course).instruments if p.scores]
    return {
        **base_context(course, title="Termination summary"),
        "review": review,
        "problems": problem_rows(review),
        "focus": focus_rows(course, include_ended=True),
        "outcome_titles": [p.instrument.short_title for p in measured],
        "outcomes": outcome_rows(measured),
    }
