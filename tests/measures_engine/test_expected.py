"""Expected recovery curve, "not on track" and calibration (measures.md §5)."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from openipt.measures.engine import (
    ExpectedBand,
    TrackStatus,
    calibrate,
    expected_curve,
    is_tracked,
    shipped,
    track_status,
)
from openipt.measures.engine.expected import MIN_COURSES_PER_BAND, TRACKING_FROM_SESSION

PHQ9 = shipped("phq9")
DEFAULTS = PHQ9.expected_recovery


def test_curve_starts_at_baseline_and_falls_logarithmically() -> None:
    """GIVEN a PHQ-9 baseline of 12 (moderate band, default k = 1.694)
    WHEN the expected curve is drawn over 16 sessions
    THEN it starts at 12 and ends about 40 % lower, with a ±6-point tolerance band."""
    curve = expected_curve(PHQ9, DEFAULTS, 12, 16)
    assert [p.session for p in curve] == list(range(17))
    assert curve[0].expected == 12
    assert curve[16].expected == pytest.approx(12 * 0.6, abs=0.02)
    k = PHQ9.expected_band("moderate").k  # type: ignore[union-attr]
    for point in curve:
        assert point.expected == pytest.approx(12 - k * math.log(1 + point.session))
        assert point.high - point.expected == pytest.approx(6)
        assert point.expected - point.low == pytest.approx(6)
    assert all(a.expected > b.expected for a, b in itertools.pairwise(curve))


def test_curve_is_clamped_to_the_instrument_range() -> None:
    high = expected_curve(PHQ9, DEFAULTS, 27, 3)
    assert high[0].high == 27 and high[0].expected == 27
    low = expected_curve(PHQ9, DEFAULTS, 3, 3)
    assert all(p.low == 0 for p in low)
    assert all(0 <= p.low <= p.expected <= p.high <= 27 for p in low + high)


def test_curve_uses_jacobson_truax_tolerance_without_nhs_points() -> None:
    gds = shipped("gds15")
    point = expected_curve(gds, gds.expected_recovery, 10, 0)[0]
    assert point.high - point.expected == pytest.approx(3.65, abs=0.01)


def test_curve_prefers_given_slopes_and_falls_back_to_the_default() -> None:
    calibrated = (ExpectedBand("moderate", 0.0, 12),)
    flat = expected_curve(PHQ9, calibrated, 12, 5)
    assert all(p.expected == 12 for p in flat)
    # A severe baseline has no calibrated slope here, so the shipped default applies.
    severe = expected_curve(PHQ9, calibrated, 22, 5)
    assert severe == expected_curve(PHQ9, DEFAULTS, 22, 5)


def test_curve_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="outside the range"):
        expected_curve(PHQ9, DEFAULTS, 28, 4)
    with pytest.raises(ValueError, match="negative"):
        expected_curve(PHQ9, DEFAULTS, 12, -1)
    with pytest.raises(ValueError, match="PHQ-2 has no expected-recovery curve"):
        expected_curve(shipped("phq2"), (), 4, 4)


@pytest.mark.parametrize("session", range(TRACKING_FROM_SESSION))
def test_too_early_before_session_4(session: int) -> None:
    """GIVEN a PHQ-9 baseline of 12 and a much worse score
    WHEN fewer than 4 sessions have passed since baseline
    THEN the status is 'too early', never 'not on track'."""
    assert track_status(PHQ9, DEFAULTS, 12, session, 27) is TrackStatus.TOO_EARLY


def test_no_baseline() -> None:
    assert track_status(PHQ9, DEFAULTS, None, 6, 20) is TrackStatus.NO_BASELINE


@pytest.mark.parametrize(("session", "baseline"), [(4, 12), (6, 20), (12, 15), (16, 22)])
def test_not_on_track_only_above_the_upper_band(session: int, baseline: int) -> None:
    """GIVEN a baseline and a session from 4 on
    WHEN the score is the highest whole number inside the upper band, or one above it
    THEN the first is on track and the second not on track."""
    upper = expected_curve(PHQ9, DEFAULTS, baseline, session)[-1].high
    inside = math.floor(upper)
    assert track_status(PHQ9, DEFAULTS, baseline, session, inside) is TrackStatus.ON_TRACK
    assert track_status(PHQ9, DEFAULTS, baseline, session, inside + 1) is TrackStatus.NOT_ON_TRACK


def test_faster_than_expected_improvement_is_on_track() -> None:
    assert track_status(PHQ9, DEFAULTS, 20, 4, 0) is TrackStatus.ON_TRACK


def test_a_worked_example() -> None:
    # Baseline 18 (moderately severe, k = 2.4); after 6 sessions expected ≈ 13.33, upper ≈ 19.33.
    assert track_status(PHQ9, DEFAULTS, 18, 6, 19) is TrackStatus.ON_TRACK
    assert track_status(PHQ9, DEFAULTS, 18, 6, 20) is TrackStatus.NOT_ON_TRACK


def test_screens_without_a_curve_are_not_tracked() -> None:
    phq2 = shipped("phq2")
    assert not is_tracked(phq2)
    assert all(is_tracked(shipped(c)) for c in ("phq9", "gad7", "gds15", "epds", "phqa"))
    assert track_status(phq2, (), 4, 6, 6) is TrackStatus.NOT_TRACKED


def test_status_labels_are_plain_words() -> None:
    assert TrackStatus.NOT_ON_TRACK.label == "Not on track"
    assert TrackStatus("too_early") is TrackStatus.TOO_EARLY
    assert all(status.label for status in TrackStatus)
    assert not any("risk" in status.label.lower() for status in TrackStatus)


def test_track_status_checks_totals() -> None:
    with pytest.raises(ValueError, match="outside the range"):
        track_status(PHQ9, DEFAULTS, 12, 5, 30)


# --- calibration ----------------------------------------------------------------------


def _synthetic_courses(
    baseline: int, k: float, n: int, seed: int, sessions: int = 12
) -> list[list[tuple[int, int]]]:
    rng = random.Random(seed)
    courses = []
    for _ in range(n):
        course = [(0, baseline)]
        for s in range(1, sessions + 1):
            noisy = baseline - k * math.log1p(s) + rng.gauss(0, 1.0)
            course.append((s, max(0, min(27, round(noisy)))))
        courses.append(course)
    return courses


def test_calibrate_recovers_a_known_slope() -> None:
    """GIVEN 40 synthetic courses in the moderately severe band generated with k = 3.0
    WHEN calibrating
    THEN the fitted k is close to 3.0 and reports 40 courses; other bands keep the
    default slope with n_courses 0."""
    result = calibrate(PHQ9, _synthetic_courses(17, 3.0, 40, seed=4))
    by_band = {e.band_code: e for e in result}
    assert by_band["moderately_severe"].k == pytest.approx(3.0, abs=0.1)
    assert by_band["moderately_severe"].n_courses == 40
    for band in ("minimal", "mild", "moderate", "severe"):
        assert by_band[band] == ExpectedBand(band, PHQ9.expected_band(band).k, 0)  # type: ignore[union-attr]
    assert [e.band_code for e in result] == [b.code for b in PHQ9.bands]


def test_calibrate_is_exact_least_squares() -> None:
    courses = [[(0, 12), (1, 11), (3, 9)]] * 5
    numerator = 1 * math.log(2) + 3 * math.log(4)
    denominator = math.log(2) ** 2 + math.log(4) ** 2
    (moderate,) = [e for e in calibrate(PHQ9, courses) if e.band_code == "moderate"]
    assert moderate.k == pytest.approx(numerator / denominator)
    assert moderate.n_courses == 5


def test_calibrate_needs_five_courses_in_a_band() -> None:
    """GIVEN fewer than 5 completed courses in a band
    WHEN calibrating
    THEN that band keeps the shipped heuristic and says so with n_courses = 0."""
    assert MIN_COURSES_PER_BAND == 5
    four = _synthetic_courses(12, 0.5, 4, seed=1)
    (moderate,) = [e for e in calibrate(PHQ9, four) if e.band_code == "moderate"]
    assert moderate == ExpectedBand("moderate", PHQ9.expected_band("moderate").k, 0)  # type: ignore[union-attr]
    five = _synthetic_courses(12, 0.5, 5, seed=1)
    (moderate,) = [e for e in calibrate(PHQ9, five) if e.band_code == "moderate"]
    assert moderate.n_courses == 5


def test_baseline_only_courses_do_not_count() -> None:
    courses = [*_synthetic_courses(12, 1.0, 4, seed=2), [(0, 12)], []]
    (moderate,) = [e for e in calibrate(PHQ9, courses) if e.band_code == "moderate"]
    assert moderate.n_courses == 0


def test_calibrated_slope_is_never_negative() -> None:
    worsening = [[(0, 12), (2, 15), (4, 18)]] * 6
    (moderate,) = [e for e in calibrate(PHQ9, worsening) if e.band_code == "moderate"]
    assert moderate == ExpectedBand("moderate", 0.0, 6)


def test_calibrate_refuses_malformed_courses() -> None:
    with pytest.raises(ValueError, match="first score must be the baseline"):
        calibrate(PHQ9, [[(1, 12), (2, 10)]])
    with pytest.raises(ValueError, match="must come after baseline"):
        calibrate(PHQ9, [[(0, 12), (0, 10)]])
    with pytest.raises(ValueError, match="outside the range"):
        calibrate(PHQ9, [[(0, 12), (2, 40)]])


def test_calibrate_without_defaults_only_reports_calibrated_bands() -> None:
    phq2 = shipped("phq2")
    courses = [[(0, 5), (2, 3), (4, 1)]] * 5
    k = (2 * math.log(3) + 4 * math.log(5)) / (math.log(3) ** 2 + math.log(5) ** 2)
    (positive,) = calibrate(phq2, courses)
    assert positive.band_code == "positive" and positive.n_courses == 5
    assert positive.k == pytest.approx(k)
