"""Expected recovery and "not on track" (measures.md §5).

There is no published IPT-specific norm. The expected score after s sessions is the
heuristic B − k·ln(1 + s), with a slope k per baseline-severity band (the shipped
defaults are documented in each definition file), and a tolerance band of ± the
instrument's reliable-change amount. It must be shown as a heuristic, recalibrated
from the practice's own completed courses with `calibrate`, and an early sudden gain
is never a prognosis.

`session` everywhere here means sessions since the baseline score (0 = baseline).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from openipt.measures.engine.definition import ExpectedBand, Instrument

__all__ = [
    "MIN_COURSES_PER_BAND",
    "TRACKING_FROM_SESSION",
    "ExpectedPoint",
    "TrackStatus",
    "calibrate",
    "expected_curve",
    "track_status",
]

# The spec says "from session 4–6 on"; we start at the earliest, 4 sessions after
# baseline, so a review is prompted as soon as the heuristic is allowed to speak.
TRACKING_FROM_SESSION = 4
# Fewer completed courses than this in a band give too noisy a slope to replace the default.
MIN_COURSES_PER_BAND = 5


class TrackStatus(StrEnum):
    NO_BASELINE = "no_baseline"
    TOO_EARLY = "too_early"
    ON_TRACK = "on_track"
    NOT_ON_TRACK = "not_on_track"
    # The instrument has no expected-recovery curve (e.g. PHQ-2, a screen).
    NOT_TRACKED = "not_tracked"

    @property
    def label(self) -> str:
        return {
            "no_baseline": "No baseline score yet",
            "too_early": "Too early to compare",
            "on_track": "On track",
            "not_on_track": "Not on track",
            "not_tracked": "No expected curve for this measure",
        }[self.value]


@dataclass(frozen=True)
class ExpectedPoint:
    session: int  # sessions since baseline
    expected: float
    low: float
    high: float


def _clamp(instrument: Instrument, value: float) -> float:
    return max(float(instrument.min_total), min(float(instrument.max_total), value))


def _slope(instrument: Instrument, params: Sequence[ExpectedBand], baseline: int) -> float | None:
    band = instrument.band_for(baseline)
    for entry in params:
        if entry.band_code == band.code:
            return entry.k
    default = instrument.expected_band(band.code)
    return None if default is None else default.k


def _check_total(instrument: Instrument, value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"The {what} must be a whole number, not {value!r}")
    if not instrument.min_total <= value <= instrument.max_total:
        raise ValueError(
            f"The {what} {value} is outside the range of {instrument.short_title} "
            f"({instrument.min_total}–{instrument.max_total})"
        )


def is_tracked(instrument: Instrument) -> bool:
    """True when the instrument has an expected-recovery curve and a tolerance for it."""
    return instrument.reliable_change is not None and bool(instrument.expected_recovery)


def expected_curve(
    instrument: Instrument, params: Sequence[ExpectedBand], baseline: int, sessions: int
) -> list[ExpectedPoint]:
    """Expected score and tolerance band for sessions 0..`sessions` after baseline.

    `params` are slopes per band (calibrated ones, or `instrument.expected_recovery`);
    a band missing from `params` falls back to the instrument's default. Values are
    clamped to the instrument's range. Raises ValueError for an instrument without an
    expected curve (see `is_tracked`).
    """
    _check_total(instrument, baseline, "baseline")
    if sessions < 0:
        raise ValueError("The number of sessions cannot be negative")
    k = _slope(instrument, params, baseline)
    rc = instrument.reliable_change
    if k is None or rc is None:
        raise ValueError(f"{instrument.short_title} has no expected-recovery curve")
    tolerance = rc.amount
    points = []
    for s in range(sessions + 1):
        expected = baseline - k * math.log1p(s)
        points.append(
            ExpectedPoint(
                session=s,
                expected=_clamp(instrument, expected),
                low=_clamp(instrument, expected - tolerance),
                high=_clamp(instrument, expected + tolerance),
            )
        )
    return points


def track_status(
    instrument: Instrument,
    params: Sequence[ExpectedBand],
    baseline: int | None,
    session: int,
    score: int,
) -> TrackStatus:
    """Whether a score `session` sessions after baseline is within the expected band.

    Not on track means the score is above the upper edge of the tolerance band, from
    session 4 after baseline on. Scores below the band (faster improvement than
    expected) are on track: an early gain is welcome but not a prognosis.
    """
    if baseline is None:
        return TrackStatus.NO_BASELINE
    _check_total(instrument, baseline, "baseline")
    _check_total(instrument, score, "score")
    if session < TRACKING_FROM_SESSION:
        return TrackStatus.TOO_EARLY
    if not is_tracked(instrument) or _slope(instrument, params, baseline) is None:
        return TrackStatus.NOT_TRACKED
    upper = expected_curve(instrument, params, baseline, session)[-1].high
    return TrackStatus.NOT_ON_TRACK if score > upper else TrackStatus.ON_TRACK


def calibrate(
    instrument: Instrument, courses: Sequence[Sequence[tuple[int, int]]]
) -> tuple[ExpectedBand, ...]:
    """Slopes per baseline band fitted to a practice's completed courses.

    Each course is a list of (sessions since baseline, total) with the baseline first
    at session 0. Per band, least squares through the baseline gives
    k = Σ (B − y)·ln(1 + s) / Σ ln(1 + s)² over every follow-up score, floored at 0 (a
    curve expecting scores to rise is no use as a target). A band with fewer than 5
    courses that have a follow-up score keeps the default slope, reported with
    n_courses = 0 so nobody mistakes it for calibrated. Bands with neither enough data
    nor a default are left out.
    """
    sums: dict[str, tuple[float, float, int]] = {}
    for number, course in enumerate(courses, start=1):
        if not course:
            continue
        first_session, baseline = course[0]
        if first_session != 0:
            raise ValueError(f"Course {number}: the first score must be the baseline (session 0)")
        _check_total(instrument, baseline, "baseline")
        follow_ups = list(course[1:])
        if not follow_ups:
            continue
        numerator = denominator = 0.0
        for session, total in follow_ups:
            if session <= 0:
                raise ValueError(f"Course {number}: follow-up sessions must come after baseline")
            _check_total(instrument, total, "score")
            weight = math.log1p(session)
            numerator += (baseline - total) * weight
            denominator += weight * weight
        code = instrument.band_for(baseline).code
        old = sums.get(code, (0.0, 0.0, 0))
        sums[code] = (old[0] + numerator, old[1] + denominator, old[2] + 1)

    result = []
    for band in instrument.bands:
        numerator, denominator, n = sums.get(band.code, (0.0, 0.0, 0))
        if n >= MIN_COURSES_PER_BAND and denominator > 0:
            result.append(ExpectedBand(band.code, max(0.0, numerator / denominator), n))
            continue
        default = instrument.expected_band(band.code)
        if default is not None:
            result.append(ExpectedBand(band.code, default.k, 0))
    return tuple(result)
