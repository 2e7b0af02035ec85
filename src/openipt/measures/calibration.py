"""Recalibrating the expected-recovery slopes from a practice's own completed courses.

The shipped slopes are a heuristic (measures note §5). Once a practice has
completed enough courses, `calibrate` fits a slope per baseline-severity band
to them; a band with too few courses keeps the default and says so. This
module gathers the series, runs the fit, and (unless it is a dry run) stores
the result as a new `ExpectedRecoveryCalibration` row, audited in the same
transaction. Older rows stay as history; the newest one is used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.models import Course, CourseStatus
from openipt.measures.engine import ExpectedBand, Instrument, calibrate
from openipt.measures.engine.expected import MIN_COURSES_PER_BAND
from openipt.measures.models import ExpectedRecoveryCalibration
from openipt.measures.selectors import score_series

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice


def completed_course_series(
    practice: Practice, instrument: Instrument
) -> list[list[tuple[int, int]]]:
    """Per completed (closed) course with a baseline and a later score:
    (sessions since baseline, total), the baseline first at 0.

    When one session has several scores the last one given counts; scores
    given for the baseline's own session after the baseline are left out (they
    are not a follow-up). Two queries per course.
    """
    series: list[list[tuple[int, int]]] = []
    courses = Course.objects.filter(practice=practice, status=CourseStatus.CLOSED).order_by("id")
    for course in courses:
        points = score_series(course).get(instrument.code, [])
        if not points:
            continue
        _at, baseline_session, baseline = points[0]
        by_session: dict[int, int] = {}
        for _at, number, total in points[1:]:
            since = number - baseline_session
            if since > 0:
                by_session[since] = total
        if by_session:
            series.append([(0, baseline), *sorted(by_session.items())])
    return series


@dataclass(frozen=True)
class BandResult:
    band_code: str
    band_label: str
    k: float
    default_k: float | None
    courses: int  # completed courses whose baseline fell in this band
    calibrated: bool


@dataclass(frozen=True)
class CalibrationResult:
    instrument: Instrument
    bands: tuple[BandResult, ...]
    courses_considered: int
    stored: ExpectedRecoveryCalibration | None

    @property
    def courses_used(self) -> int:
        return sum(band.courses for band in self.bands if band.calibrated)

    @property
    def any_calibrated(self) -> bool:
        return any(band.calibrated for band in self.bands)


def _results(
    instrument: Instrument, fitted: tuple[ExpectedBand, ...], series: list[list[tuple[int, int]]]
) -> tuple[BandResult, ...]:
    per_band = Counter(instrument.band_for(course[0][1]).code for course in series)
    by_code = {entry.band_code: entry for entry in fitted}
    results = []
    for band in instrument.bands:
        entry = by_code.get(band.code)
        if entry is None:
            continue
        default = instrument.expected_band(band.code)
        results.append(
            BandResult(
                band_code=band.code,
                band_label=band.label,
                k=entry.k,
                default_k=default.k if default is not None else None,
                courses=per_band.get(band.code, 0),
                calibrated=entry.n_courses > 0,
            )
        )
    return tuple(results)


@transaction.atomic
def expected_recovery_recalibrate(
    *, practice: Practice, instrument: Instrument, actor: User | None = None, dry_run: bool = False
) -> CalibrationResult:
    """Fit the slopes to the practice's completed courses; store them unless `dry_run`.

    Nothing is stored when no band has enough courses (at least
    `MIN_COURSES_PER_BAND`): the defaults stay in force, and storing them
    again would only pretend a calibration happened.
    """
    series = completed_course_series(practice, instrument)
    fitted = calibrate(instrument, series)
    bands = _results(instrument, fitted, series)
    result = CalibrationResult(instrument, bands, len(series), None)
    if dry_run or not result.any_calibrated:
        record(
            actor=actor,
            action=AuditAction.LIST,
            object_type="expected_recovery_calibration",
            practice=practice,
        )
        return result
    row = ExpectedRecoveryCalibration.objects.create(
        practice=practice,
        instrument_code=instrument.code,
        version=instrument.version,
        bands=[
            {"band_code": entry.band_code, "k": entry.k, "n_courses": entry.n_courses}
            for entry in fitted
        ],
        courses_used=result.courses_used,
        created_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="expected_recovery_calibration",
        object_public_id=row.public_id,
        practice=practice,
        changed_fields=["bands", "courses_used"],
    )
    return CalibrationResult(instrument, bands, len(series), row)


__all__ = [
    "MIN_COURSES_PER_BAND",
    "BandResult",
    "CalibrationResult",
    "completed_course_series",
    "expected_recovery_recalibrate",
]
