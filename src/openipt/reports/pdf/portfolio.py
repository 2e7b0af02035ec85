"""The supervision portfolio of a course: inventory and circle, formulation, measures
at intake and every four sessions, and the adherence checklist per session.

For the supervisor and the clinician, so it carries the inventory's details;
it still never reads a process note, a session write-up or technique details.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from openipt.courses.circle_svg import (
    AREA_LETTERS,
    CircleDrawing,
    CircleEntry,
    layout_circle,
    legend_for,
)
from openipt.courses.models import Course, InventoryPerson, RelationshipKind, Session
from openipt.courses.selectors.inventory import inventory_people
from openipt.measures.selectors import instruments_for_practice, score_series
from openipt.protocol.adherence import ADHERENCE_ITEMS, items_for
from openipt.protocol.phases import Phase
from openipt.reports.pdf.common import area_label, base_context, current_goals, focus_rows

# The portfolio's score table: the two questionnaires every adult variant schedules.
TABLE_INSTRUMENTS = ("phq9", "gad7")
CHECKPOINT_EVERY = 4


@dataclass(frozen=True)
class ScoreCell:
    total: int
    band: str


@dataclass(frozen=True)
class CheckpointRow:
    label: str
    session: int
    cells: tuple[ScoreCell | None, ...]


def checkpoint_sessions(sessions_with_scores: set[int]) -> list[tuple[str, int]]:
    """Intake (the first session with a score), every fourth session, and the latest.

    Pure: from the session numbers at which any table questionnaire was given.
    """
    if not sessions_with_scores:
        return []
    first, last = min(sessions_with_scores), max(sessions_with_scores)
    rows = [("Intake", first)]
    for number in range(CHECKPOINT_EVERY, last + 1, CHECKPOINT_EVERY):
        if number > first:
            rows.append((f"Session {number}", number))
    if rows[-1][1] != last:
        rows.append((f"Latest (session {last})", last))
    return rows


def measure_table(course: Course) -> tuple[list[str], list[CheckpointRow]]:
    """The column titles and one row per checkpoint (the last score given at that session)."""
    instruments = instruments_for_practice(course.practice)
    series = score_series(course)
    codes = [c for c in TABLE_INSTRUMENTS if c in series and c in instruments]
    at_session: dict[str, dict[int, int]] = {
        code: {number: total for _at, number, total in series[code]} for code in codes
    }
    numbers = {n for code in codes for n in at_session[code]}
    rows = []
    for label, number in checkpoint_sessions(numbers):
        cells: list[ScoreCell | None] = []
        for code in codes:
            total = at_session[code].get(number)
            if total is None:
                cells.append(None)
                continue
            try:
                band = instruments[code].band_for(total).label
            except (KeyError, ValueError):
                band = ""
            cells.append(ScoreCell(total, band))
        rows.append(CheckpointRow(label, number, tuple(cells)))
    return [instruments[c].short_title for c in codes], rows


@dataclass(frozen=True)
class AdherenceRow:
    """One session's checklist, its items named by their number in `adherence_key()`."""

    number: int
    date: datetime.date
    phase: str
    attendance: str
    ticked: tuple[int, ...]
    missing: tuple[int, ...]

    @property
    def done(self) -> int:
        return len(self.ticked)

    @property
    def total(self) -> int:
        return len(self.ticked) + len(self.missing)


def adherence_key() -> list[tuple[int, str]]:
    """Every checklist item with its number: the session rows name items by number, so that
    a long course stays a compact table."""
    return [(n, item.text) for n, item in enumerate(ADHERENCE_ITEMS, start=1)]


def adherence_rows(course: Course) -> list[AdherenceRow]:
    numbers = {item.code: n for n, item in enumerate(ADHERENCE_ITEMS, start=1)}
    rows = []
    sessions = Session.objects.filter(course=course).only(
        "number", "date", "phase", "attendance", "adherence"
    )
    for session in sessions.order_by("number"):
        items = items_for(Phase(session.phase))
        ticked = set(session.adherence)
        rows.append(
            AdherenceRow(
                number=session.number,
                date=session.date,
                phase=Phase(session.phase).label.replace(" phase", ""),
                attendance=session.get_attendance_display(),
                ticked=tuple(numbers[i.code] for i in items if i.code in ticked),
                missing=tuple(numbers[i.code] for i in items if i.code not in ticked),
            )
        )
    return rows


def circle_for(course: Course, people: list[InventoryPerson]) -> CircleDrawing:
    client = course.client
    entries = [
        CircleEntry(
            key=str(p.public_id),
            name=p.name,
            relationship=p.relationship,
            ring=p.ring,
            problem_area=p.problem_area,
        )
        for p in people
    ]
    return layout_circle(entries, centre_label=client.preferred_name or client.given_name)


def portfolio_context(course: Course) -> dict[str, Any]:
    people = list(inventory_people(course=course))
    drawing = circle_for(course, people)
    columns, checkpoints = measure_table(course)
    relationships = dict(RelationshipKind.choices)
    return {
        **base_context(course, title="Supervision portfolio"),
        "people": [
            {
                "person": p,
                "area": area_label(course, p.problem_area) if p.problem_area else "",
            }
            for p in people
        ],
        "drawing": drawing,
        "legend": legend_for((p.relationship for p in people), relationships),
        "area_letters": [
            (letter, area_label(course, code))
            for code, letter in AREA_LETTERS.items()
            if any(p.problem_area == code for p in people)
        ],
        "formulation": course.formulations.order_by("-number").first(),
        "focus": focus_rows(course),
        "goals": current_goals(course),
        "score_columns": columns,
        "checkpoints": checkpoints,
        "adherence": adherence_rows(course),
        "adherence_key": adherence_key(),
    }
