"""The columns of each kind of research file and the rows made from records.

Pure: no Django, no database. This is where de-identification happens:
public ids become per-export pseudonyms, birth dates become age bands, dates
are shifted per client or counted from the start, and every text value is a
code checked by `cells.code`. Nothing here can emit free text, because the
records carry none.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openipt.measures.engine.outcomes import Outcome
from openipt.reports.research.cells import Cell, age_band, cell, code, codes, number
from openipt.reports.research.options import DateMode, ExportKind
from openipt.reports.research.pseudonyms import ExportKeys
from openipt.reports.research.records import (
    AdministrationRecord,
    CourseRecord,
    GroupScoreRecord,
    Person,
    SessionRecord,
)

OUTCOME_FIELDS = (
    "n",
    "baseline",
    "latest",
    "change",
    "response",
    "remission",
    "reliable_improvement",
    "reliable_deterioration",
    "recovery",
)

_ADMINISTRATION_HEAD = ("client", "course", "variant", "age_band", "instrument", "version")
_ADMINISTRATION_TAIL = (
    "session_number",
    "mode",
    "prorated",
    "total",
    "band",
    "risk_items_positive",
)
_SESSION_HEAD = ("client", "course", "variant", "age_band", "session_number")
_SESSION_TAIL = (
    "phase",
    "attendance",
    "adherence_items",
    "adherence_codes",
    "techniques",
    "experiments_assigned",
)
_COURSE_HEAD = (
    "client",
    "course",
    "variant",
    "age_band",
    "planned_sessions",
    "frequency",
    "session_minutes",
)
_COURSE_TAIL = (
    "status",
    "phase",
    "sessions_recorded",
    "sessions_attended",
    "sessions_missed",
    "focus_areas",
    "outcome_category",
    "next_step",
)
_GROUP_HEAD = (
    "client",
    "group",
    "age_band",
    "problem_area",
    "member_status",
    "instrument",
    "version",
    "timepoint",
    "session_number",
)
_GROUP_TAIL = ("total", "band", "risk_items_positive")


@dataclass(frozen=True)
class Layout:
    """The columns of one file: fixed per kind, plus item and outcome columns."""

    kind: ExportKind
    dates: DateMode
    item_ids: tuple[str, ...] = ()
    outcome_codes: tuple[str, ...] = ()

    @property
    def date_column(self) -> str:
        return "date" if self.dates is DateMode.SHIFT else "day"

    def fixed_columns(self) -> list[str]:
        """Our own column names, without the item and outcome columns named after
        a practice's instruments (what the audit trail records)."""
        if self.kind is ExportKind.ADMINISTRATIONS:
            return [*_ADMINISTRATION_HEAD, self.date_column, *_ADMINISTRATION_TAIL]
        if self.kind is ExportKind.SESSIONS:
            return [*_SESSION_HEAD, self.date_column, *_SESSION_TAIL]
        if self.kind is ExportKind.COURSES:
            # In "days" mode every course starts on day 0: the column would say nothing.
            start = ["start_date"] if self.dates is DateMode.SHIFT else []
            closed = "closed_date" if self.dates is DateMode.SHIFT else "closed_day"
            return [*_COURSE_HEAD, *start, closed, *_COURSE_TAIL]
        return [*_GROUP_HEAD, self.date_column, *_GROUP_TAIL]

    def header(self) -> list[str]:
        items = [f"item_{link_id}" for link_id in self.item_ids]
        outcomes = [f"{c}_{f}" for c in self.outcome_codes for f in OUTCOME_FIELDS]
        return [*self.fixed_columns(), *outcomes, *items]


def when(
    day: datetime.date,
    *,
    anchor: datetime.date,
    person: Person,
    keys: ExportKeys,
    dates: DateMode,
) -> str | int:
    """A row's date: shifted by the client's offset, or whole days since `anchor`."""
    if dates is DateMode.SHIFT:
        return keys.shift(day, person.public_id).isoformat()
    return (day - anchor).days


def _risk_count(link_ids: Sequence[object]) -> int:
    return len({link_id for link_id in link_ids if code(link_id)})


def _items(item_ids: Sequence[str], answers: Mapping[str, object]) -> list[int | None]:
    # Stored answers are ordinals by linkId; anything that is not a whole number
    # (there should be none) is left empty rather than written as text.
    return [number(answers.get(link_id)) for link_id in item_ids]


def _out(values: Sequence[object]) -> list[Cell]:
    return [cell(value) for value in values]


def administration_row(
    record: AdministrationRecord, *, keys: ExportKeys, layout: Layout
) -> list[Cell]:
    person, course = record.person, record.course
    return _out(
        [
            keys.pseudonym("client", person.public_id),
            keys.pseudonym("course", course.public_id),
            code(course.variant),
            age_band(person.date_of_birth, course.start_date),
            code(record.instrument_code),
            code(record.instrument_version),
            when(
                record.administered_on,
                anchor=course.start_date,
                person=person,
                keys=keys,
                dates=layout.dates,
            ),
            record.session_number,
            code(record.mode),
            record.prorated,
            record.total,
            code(record.band_code),
            _risk_count(record.risk_link_ids),
            *_items(layout.item_ids, record.answers),
        ]
    )


def session_row(record: SessionRecord, *, keys: ExportKeys, layout: Layout) -> list[Cell]:
    person, course = record.person, record.course
    adherence = [c for c in (code(value) for value in record.adherence) if c]
    return _out(
        [
            keys.pseudonym("client", person.public_id),
            keys.pseudonym("course", course.public_id),
            code(course.variant),
            age_band(person.date_of_birth, course.start_date),
            record.number,
            when(
                record.date, anchor=course.start_date, person=person, keys=keys, dates=layout.dates
            ),
            code(record.phase),
            code(record.attendance),
            len(adherence),
            codes(adherence),
            codes(record.techniques),
            record.experiments_assigned,
        ]
    )


def _outcome_cells(outcome: Outcome | None) -> list[object]:
    if outcome is None:
        return [None] * len(OUTCOME_FIELDS)
    return [
        outcome.n_scores,
        outcome.baseline,
        outcome.latest,
        outcome.change,
        outcome.response,
        outcome.remission,
        outcome.reliable_improvement,
        outcome.reliable_deterioration,
        outcome.recovery,
    ]


def course_row(record: CourseRecord, *, keys: ExportKeys, layout: Layout) -> list[Cell]:
    person, course = record.person, record.course
    shift = layout.dates is DateMode.SHIFT
    start: list[object] = [keys.shift(course.start_date, person.public_id)] if shift else []
    closed: object = None
    if record.closed_on is not None:
        closed = when(
            record.closed_on,
            anchor=course.start_date,
            person=person,
            keys=keys,
            dates=layout.dates,
        )
    outcomes: list[object] = []
    for instrument_code in layout.outcome_codes:
        outcomes.extend(_outcome_cells(record.outcomes.get(instrument_code)))
    return _out(
        [
            keys.pseudonym("client", person.public_id),
            keys.pseudonym("course", course.public_id),
            code(course.variant),
            age_band(person.date_of_birth, course.start_date),
            record.planned_sessions,
            code(record.frequency),
            record.session_minutes,
            *start,
            closed,
            code(record.status),
            code(record.phase),
            record.sessions_recorded,
            record.sessions_attended,
            record.sessions_missed,
            codes(record.focus_areas),
            code(record.outcome_category),
            code(record.next_step),
            *outcomes,
        ]
    )


def group_score_row(record: GroupScoreRecord, *, keys: ExportKeys, layout: Layout) -> list[Cell]:
    person = record.person
    group = (
        keys.pseudonym("group", record.group_public_id)
        if record.group_public_id is not None
        else None
    )
    return _out(
        [
            keys.pseudonym("client", person.public_id),
            group,
            age_band(person.date_of_birth, record.screened_on),
            code(record.problem_area),
            code(record.member_status),
            code(record.instrument_code),
            code(record.instrument_version),
            "screening" if record.session_number is None else "session",
            record.session_number,
            when(
                record.administered_on,
                anchor=record.screened_on,
                person=person,
                keys=keys,
                dates=layout.dates,
            ),
            record.total,
            code(record.band_code),
            _risk_count(record.risk_link_ids),
            *_items(layout.item_ids, record.answers),
        ]
    )
