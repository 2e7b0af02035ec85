"""Course outcomes (measures.md §2): response, remission, reliable change, recovery."""

from __future__ import annotations

import dataclasses

import pytest

from openipt.measures.engine import Outcome, course_outcome, recovery_across, shipped
from openipt.measures.engine import outcomes as outcomes_module


def _outcome(code: str, *totals: int) -> Outcome:
    return course_outcome(shipped(code), list(totals))


def test_no_scores() -> None:
    outcome = _outcome("phq9")
    assert outcome.n_scores == 0
    assert outcome.change_label == "No scores yet"
    assert all(
        getattr(outcome, f.name) is None
        for f in dataclasses.fields(outcome)
        if f.name not in ("instrument_code", "n_scores", "change_label")
    )


def test_baseline_only() -> None:
    """GIVEN a course with one PHQ-9 score of 14
    WHEN its outcome is computed
    THEN only the baseline and caseness are known; every change outcome is None."""
    outcome = _outcome("phq9", 14)
    assert (outcome.n_scores, outcome.baseline, outcome.latest) == (1, 14, 14)
    assert outcome.caseness_at_baseline is True
    assert outcome.change is None and outcome.percent_change is None
    assert outcome.response is None and outcome.remission is None
    assert outcome.reliable_improvement is None and outcome.reliable_deterioration is None
    assert outcome.rci is None and outcome.recovery is None and outcome.reliable_recovery is None
    assert outcome.change_label == "Baseline only"


def test_baseline_is_first_and_latest_is_last() -> None:
    outcome = _outcome("phq9", 20, 5, 14)
    assert (outcome.baseline, outcome.latest, outcome.change, outcome.n_scores) == (20, 14, -6, 3)
    assert outcome.percent_change == pytest.approx(-30.0)


# baseline, latest, response, remission, reliable improvement, reliable deterioration,
# recovery, reliable recovery, label
PHQ9_TABLE = [
    (20, 10, True, False, True, False, False, False, "Reliable improvement"),  # exactly 50 %
    (20, 11, False, False, True, False, False, False, "Reliable improvement"),  # 45 %
    (18, 12, False, False, True, False, False, False, "Reliable improvement"),  # exactly 6 points
    (18, 13, False, False, False, False, False, False, "No reliable change"),  # 5 points
    (12, 18, False, False, False, True, False, False, "Reliable deterioration"),  # up 6
    (12, 17, False, False, False, False, False, False, "No reliable change"),  # up 5
    (12, 9, False, False, False, False, True, False, "No reliable change"),  # recovered, 3 points
    (16, 9, False, False, True, False, True, True, "Reliable improvement"),  # reliable recovery
    (16, 4, True, True, True, False, True, True, "Reliable improvement"),  # remission at 4
    (16, 5, True, False, True, False, True, True, "Reliable improvement"),  # 5 is not remission
    (12, 10, False, False, False, False, False, False, "No reliable change"),  # still a case
    (10, 10, False, False, False, False, False, False, "No reliable change"),
    (8, 2, True, True, True, False, None, None, "Reliable improvement"),  # not a case at start
    (9, 3, True, True, True, False, None, None, "Reliable improvement"),  # 9 is below caseness
    (10, 9, False, False, False, False, True, False, "No reliable change"),  # 10 is a case
]


@pytest.mark.parametrize(
    ("baseline", "latest", "response", "remission", "improvement", "deterioration",
     "recovery", "reliable_recovery", "label"),
    PHQ9_TABLE,
)  # fmt: skip
def test_phq9_outcome_table(
    baseline: int,
    latest: int,
    response: bool,
    remission: bool,
    improvement: bool,
    deterioration: bool,
    recovery: bool | None,
    reliable_recovery: bool | None,
    label: str,
) -> None:
    """GIVEN a PHQ-9 baseline and latest score
    WHEN the course outcome is computed
    THEN response is a reduction of at least 50 %, remission a latest score below 5,
    reliable change a change of at least 6 points (NHS), recovery a move from caseness
    (≥ 10) to below it, and reliable recovery both."""
    outcome = _outcome("phq9", baseline, latest)
    assert outcome.response is response
    assert outcome.remission is remission
    assert outcome.reliable_improvement is improvement
    assert outcome.reliable_deterioration is deterioration
    assert outcome.caseness_at_baseline is (baseline >= 10)
    assert outcome.recovery is recovery
    assert outcome.reliable_recovery is reliable_recovery
    assert outcome.change_label == label


@pytest.mark.parametrize(
    ("baseline", "latest", "improvement", "deterioration"),
    [(12, 8, True, False), (12, 9, False, False), (8, 12, False, True), (8, 11, False, False)],
)
def test_gad7_reliable_change_is_4_points(
    baseline: int, latest: int, improvement: bool, deterioration: bool
) -> None:
    outcome = _outcome("gad7", baseline, latest)
    assert outcome.reliable_improvement is improvement
    assert outcome.reliable_deterioration is deterioration


@pytest.mark.parametrize(("latest", "recovered"), [(7, True), (8, False)])
def test_gad7_caseness_is_8(latest: int, recovered: bool) -> None:
    outcome = _outcome("gad7", 8, latest)
    assert outcome.caseness_at_baseline is True
    assert outcome.recovery is recovered


@pytest.mark.parametrize(
    ("code", "baseline", "latest", "improvement", "deterioration"),
    [
        ("phqa", 18, 12, True, False),  # |RC| = 6 / 3.06 = 1.961 > 1.96
        ("phqa", 18, 13, False, False),
        ("phqa", 12, 18, False, True),
        ("gds15", 10, 6, True, False),  # 4 / 1.86 = 2.15
        ("gds15", 10, 7, False, False),
        ("epds", 14, 10, True, False),  # 4 / 2.04 = 1.965
        ("epds", 14, 11, False, False),
    ],
)
def test_jacobson_truax_when_there_are_no_nhs_points(
    code: str, baseline: int, latest: int, improvement: bool, deterioration: bool
) -> None:
    """GIVEN an instrument with SD and r but no NHS point criterion
    WHEN the change is computed
    THEN reliable change is |RCI| > 1.96 with RCI = change / (√2 · SD · √(1 − r))."""
    instrument = shipped(code)
    outcome = course_outcome(instrument, [baseline, latest])
    assert instrument.reliable_change is not None
    assert outcome.rci == pytest.approx((latest - baseline) / instrument.reliable_change.s_diff)
    assert outcome.reliable_improvement is improvement
    assert outcome.reliable_deterioration is deterioration


def test_nhs_points_decide_even_when_the_index_says_otherwise() -> None:
    # 6 / 3.059 = 1.9614 on PHQ-9: the JT index only just agrees, and the decision is the
    # NHS rule; the index is still reported for display.
    outcome = _outcome("phq9", 18, 12)
    assert outcome.rci == pytest.approx(-6 / shipped("phq9").reliable_change.s_diff)  # type: ignore[union-attr]
    assert outcome.reliable_improvement is True


def test_baseline_zero_has_no_response_or_percentage() -> None:
    """GIVEN a baseline of 0
    WHEN a later score is compared with it
    THEN percent change and response are None (no reduction is possible), not an error."""
    outcome = _outcome("phq9", 0, 3)
    assert outcome.percent_change is None
    assert outcome.response is None
    assert outcome.change == 3
    assert outcome.remission is True
    assert outcome.caseness_at_baseline is False
    assert outcome.recovery is None


def test_exactly_fifty_percent_is_a_response_for_odd_baselines_too() -> None:
    assert _outcome("phq9", 15, 8).response is False  # 46.7 %
    assert _outcome("phq9", 15, 7).response is True  # 53.3 %
    assert _outcome("phq9", 2, 1).response is True  # exactly 50 %


def test_instrument_without_reliable_change_or_remission() -> None:
    """GIVEN the PHQ-2, which has neither reliable-change parameters nor remission
    WHEN scores change
    THEN those outcomes are None and the label only says which way the score moved."""
    assert _outcome("phq2", 4, 1).change_label == "Lower than baseline"
    assert _outcome("phq2", 1, 4).change_label == "Higher than baseline"
    assert _outcome("phq2", 3, 3).change_label == "Same as baseline"
    outcome = _outcome("phq2", 4, 1)
    assert outcome.reliable_improvement is None and outcome.rci is None
    assert outcome.remission is None
    assert outcome.reliable_recovery is None
    assert outcome.recovery is True


def test_no_outcome_label_mentions_risk() -> None:
    """Never label a score, or a 0 on a risk item, as 'low risk': no label speaks of risk."""
    labels = {
        value
        for name, value in vars(outcomes_module).items()
        if name.startswith("LABEL_") and isinstance(value, str)
    }
    assert len(labels) == 8
    assert not any("risk" in label.lower() for label in labels)
    all_outcomes = [
        course_outcome(shipped(code), [a, b])
        for code in ("phq9", "phq2", "epds", "phqa")
        for a in (0, 3, 12)
        for b in (0, 3, 12)
        if max(a, b) <= shipped(code).max_total
    ]
    assert {o.change_label for o in all_outcomes} <= labels


def test_totals_are_checked() -> None:
    with pytest.raises(ValueError, match=r"outside the range of PHQ-9 \(0–27\)"):
        _outcome("phq9", 10, 28)
    with pytest.raises(TypeError):
        course_outcome(shipped("phq9"), [10, True])


# --- recovery across instruments ----------------------------------------------------


def test_recovery_across_needs_every_tracked_instrument_below_caseness() -> None:
    """GIVEN PHQ-9 and GAD-7 tracked through a course
    WHEN the client was at caseness on either at baseline
    THEN recovery means below caseness on both at the end."""
    phq9, gad7 = shipped("phq9"), shipped("gad7")
    recovered = [(phq9, _outcome("phq9", 15, 6)), (gad7, _outcome("gad7", 6, 5))]
    assert recovery_across(recovered) is True
    anxious_at_end = [(phq9, _outcome("phq9", 15, 6)), (gad7, _outcome("gad7", 6, 9))]
    assert recovery_across(anxious_at_end) is False
    still_depressed = [(phq9, _outcome("phq9", 15, 10)), (gad7, _outcome("gad7", 12, 3))]
    assert recovery_across(still_depressed) is False


def test_recovery_across_does_not_apply_without_caseness_at_baseline() -> None:
    phq9, gad7 = shipped("phq9"), shipped("gad7")
    assert recovery_across([(phq9, _outcome("phq9", 8, 2)), (gad7, _outcome("gad7", 7, 2))]) is None


def test_recovery_across_is_unknown_while_an_instrument_has_only_a_baseline() -> None:
    phq9, gad7 = shipped("phq9"), shipped("gad7")
    assert recovery_across([(phq9, _outcome("phq9", 15, 6)), (gad7, _outcome("gad7", 9))]) is None


def test_recovery_across_ignores_untracked_instruments_and_those_without_caseness() -> None:
    phq9, gad7 = shipped("phq9"), shipped("gad7")
    outcomes = [(phq9, _outcome("phq9", 15, 6)), (gad7, _outcome("gad7"))]
    assert recovery_across(outcomes) is True
    assert recovery_across([]) is None
    assert recovery_across([(gad7, _outcome("gad7"))]) is None
