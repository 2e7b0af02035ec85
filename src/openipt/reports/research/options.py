"""What one export was asked for. Pure: no Django, no database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum


class ExportKind(StrEnum):
    ADMINISTRATIONS = "administrations"
    SESSIONS = "sessions"
    COURSES = "courses"
    GROUP_SCORES = "group_scores"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ExportKind.ADMINISTRATIONS: "Questionnaires: one row per questionnaire in individual courses",
    ExportKind.SESSIONS: "Sessions: one row per session of individual courses",
    ExportKind.COURSES: "Courses: one row per individual course, with outcomes",
    ExportKind.GROUP_SCORES: "Group scores: one row per PHQ-9 of a group programme member",
}


class DateMode(StrEnum):
    SHIFT = "shift"
    DAYS = "days"

    @property
    def label(self) -> str:
        return DATE_MODE_LABELS[self]


DATE_MODE_LABELS = {
    DateMode.SHIFT: "Dates shifted by a random number of days per client (intervals kept)",
    DateMode.DAYS: "Days since the start of the course (no calendar dates)",
}


@dataclass(frozen=True)
class ExportOptions:
    kind: ExportKind
    dates: DateMode = DateMode.SHIFT
    # Inclusive, on the real (unshifted) dates of the rows.
    period_from: datetime.date | None = None
    period_to: datetime.date | None = None
    # One instrument only (its items as columns), or every instrument.
    instrument: str | None = None

    @property
    def filename(self) -> str:
        """Says what the file is, never whose or where it is from."""
        parts = ["research", self.kind.value, self.dates.value]
        if self.instrument:
            parts.append(self.instrument)
        return "-".join(parts) + ".csv"
