"""Plain records read from the database for the research export. Pure data.

They hold exactly what the de-identification step needs and nothing more: no
names, contact details or free text are ever read into them, so nothing of
the sort can reach a file by a slip in `rows`. The birth date and public ids
are here only to derive age bands, pseudonyms and date shifts.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from openipt.measures.engine.outcomes import Outcome


@dataclass(frozen=True)
class Person:
    """The client a row belongs to: only what pseudonyms and age bands need."""

    public_id: UUID
    date_of_birth: datetime.date | None


@dataclass(frozen=True)
class CourseRef:
    public_id: UUID
    variant: str
    start_date: datetime.date


@dataclass(frozen=True)
class AdministrationRecord:
    person: Person
    course: CourseRef
    session_number: int | None
    instrument_code: str
    instrument_version: str
    administered_on: datetime.date
    mode: str
    prorated: bool
    total: int
    band_code: str
    risk_link_ids: Sequence[object]
    answers: Mapping[str, object]


@dataclass(frozen=True)
class SessionRecord:
    person: Person
    course: CourseRef
    number: int
    date: datetime.date
    phase: str
    attendance: str
    adherence: Sequence[object]
    techniques: Sequence[str]
    experiments_assigned: int


@dataclass(frozen=True)
class CourseRecord:
    person: Person
    course: CourseRef
    planned_sessions: int | None
    frequency: str
    session_minutes: int
    status: str
    phase: str
    closed_on: datetime.date | None
    sessions_recorded: int
    sessions_attended: int
    sessions_missed: int
    focus_areas: Sequence[str]
    outcome_category: str
    next_step: str
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupScoreRecord:
    person: Person
    group_public_id: UUID | None
    screened_on: datetime.date
    problem_area: str
    member_status: str
    session_number: int | None
    instrument_code: str
    instrument_version: str
    administered_on: datetime.date
    total: int
    band_code: str
    risk_link_ids: Sequence[object]
    answers: Mapping[str, object]
