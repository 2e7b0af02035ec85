"""Course outcomes: response, remission, reliable change and recovery (measures.md §2).

Baseline is the first score of the course and "latest" the most recent one. Labels
describe change in scores only; nothing here describes risk, and a low score on a
risk item is never called "low risk".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openipt.measures.engine.definition import JT_CRITICAL, Instrument

__all__ = [
    "LABEL_BASELINE_ONLY",
    "LABEL_HIGHER",
    "LABEL_LOWER",
    "LABEL_NO_RELIABLE_CHANGE",
    "LABEL_NO_SCORES",
    "LABEL_RELIABLE_DETERIORATION",
    "LABEL_RELIABLE_IMPROVEMENT",
    "LABEL_SAME",
    "Outcome",
    "course_outcome",
    "recovery_across",
]

LABEL_NO_SCORES = "No scores yet"
LABEL_BASELINE_ONLY = "Baseline only"
LABEL_RELIABLE_IMPROVEMENT = "Reliable improvement"
LABEL_RELIABLE_DETERIORATION = "Reliable deterioration"
LABEL_NO_RELIABLE_CHANGE = "No reliable change"
# For instruments without reliable-change parameters we can only say which way it moved.
LABEL_LOWER = "Lower than baseline"
LABEL_HIGHER = "Higher than baseline"
LABEL_SAME = "Same as baseline"


@dataclass(frozen=True)
class Outcome:
    instrument_code: str
    n_scores: int
    baseline: int | None
    latest: int | None
    change: int | None  # latest − baseline: negative means the score went down
    percent_change: float | None  # change / baseline × 100 (None when baseline is 0)
    response: bool | None
    remission: bool | None
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    rci: float | None
    caseness_at_baseline: bool | None
    recovery: bool | None
    reliable_recovery: bool | None
    change_label: str


def course_outcome(instrument: Instrument, totals: Sequence[int]) -> Outcome:
    """Outcome of a course from its totals in time order (first = baseline).

    A question that cannot be answered yet is None rather than False: with fewer than
    two scores there is no change, response needs a baseline above 0, remission needs a
    remission threshold, recovery applies only to clients at caseness at baseline.
    Reliable change uses the NHS points when the instrument has them (change of at
    least that many points), otherwise Jacobson–Truax (|RCI| > 1.96).
    """
    for total in totals:
        if isinstance(total, bool) or not isinstance(total, int):
            raise TypeError(f"Totals must be whole numbers, not {total!r}")
        if not instrument.min_total <= total <= instrument.max_total:
            raise ValueError(
                f"Total {total} is outside the range of {instrument.short_title} "
                f"({instrument.min_total}–{instrument.max_total})"
            )
    code = instrument.code
    if not totals:
        return Outcome(code, 0, None, None, None, None, None, None, None, None, None, None,
                       None, None, LABEL_NO_SCORES)  # fmt: skip
    baseline = totals[0]
    caseness_at_baseline = (
        None if instrument.caseness_min is None else baseline >= instrument.caseness_min
    )
    if len(totals) == 1:
        return Outcome(code, 1, baseline, baseline, None, None, None, None, None, None, None,
                       caseness_at_baseline, None, None, LABEL_BASELINE_ONLY)  # fmt: skip

    latest = totals[-1]
    change = latest - baseline
    percent_change = None if baseline == 0 else change * 100 / baseline
    # Integer comparison so that exactly 50 % counts as a response without float error.
    response = None if baseline == 0 else 2 * (baseline - latest) >= baseline
    remission = None if instrument.remission_max is None else latest <= instrument.remission_max

    rc = instrument.reliable_change
    rci = None if rc is None else change / rc.s_diff
    improvement: bool | None
    deterioration: bool | None
    if rc is None:
        improvement = deterioration = None
    elif rc.nhs_points is not None:
        improvement = -change >= rc.nhs_points
        deterioration = change >= rc.nhs_points
    else:
        assert rci is not None  # noqa: S101 - set whenever rc is
        improvement = rci < -JT_CRITICAL
        deterioration = rci > JT_CRITICAL

    recovery: bool | None = None
    if caseness_at_baseline and instrument.caseness_min is not None:
        recovery = latest < instrument.caseness_min
    reliable_recovery = (
        None if recovery is None or improvement is None else recovery and improvement
    )

    if improvement is None:
        label = LABEL_LOWER if change < 0 else LABEL_HIGHER if change > 0 else LABEL_SAME
    elif improvement:
        label = LABEL_RELIABLE_IMPROVEMENT
    elif deterioration:
        label = LABEL_RELIABLE_DETERIORATION
    else:
        label = LABEL_NO_RELIABLE_CHANGE
    return Outcome(
        instrument_code=code,
        n_scores=len(totals),
        baseline=baseline,
        latest=latest,
        change=change,
        percent_change=percent_change,
        response=response,
        remission=remission,
        reliable_improvement=improvement,
        reliable_deterioration=deterioration,
        rci=rci,
        caseness_at_baseline=caseness_at_baseline,
        recovery=recovery,
        reliable_recovery=reliable_recovery,
        change_label=label,
    )


def recovery_across(outcomes: Sequence[tuple[Instrument, Outcome]]) -> bool | None:
    """Recovery over every tracked instrument with a caseness threshold (NHS definition).

    True when the client was at caseness on at least one instrument at baseline and is
    below caseness on all of them at the latest score. None when it cannot be judged:
    no instrument with a caseness threshold was tracked, any such instrument has only a
    baseline (its end state is unknown), or the client was not at caseness on any of them
    at baseline (recovery does not apply). Instruments with no scores are not tracked.
    """
    tracked = [
        (instrument, outcome)
        for instrument, outcome in outcomes
        if instrument.caseness_min is not None and outcome.n_scores > 0
    ]
    if not tracked or any(outcome.n_scores < 2 for _, outcome in tracked):
        return None
    if not any(outcome.caseness_at_baseline for _, outcome in tracked):
        return None
    return all(
        outcome.latest is not None
        and instrument.caseness_min is not None
        and outcome.latest < instrument.caseness_min
        for instrument, outcome in tracked
    )
