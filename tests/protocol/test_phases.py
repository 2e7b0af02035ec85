"""Phase plans: validation, and how session numbers map onto phases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import PHASE_ORDER, Phase, PhasePlan
from openipt.protocol.variants import VARIANTS

# Written out by hand from the protocol note (§2, §6), not computed from the plans,
# so that a wrong default plan fails here. (first, last) session of each phase.
EXPECTED_PHASES: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "ipt16": ((1, 3), (4, 14), (15, 16)),
    "ipt12": ((1, 3), (4, 9), (10, 12)),
    "ipt_b": ((1, 2), (3, 6), (7, 8)),
    "ipt_a": ((1, 4), (5, 8), (9, 12)),
    "ipt_older": ((1, 3), (4, 14), (15, 16)),
    "ipc": ((1, 1), (2, 5), (6, 6)),
}


def _session_table() -> list[tuple[str, int, Phase]]:
    rows: list[tuple[str, int, Phase]] = []
    for code, ranges in EXPECTED_PHASES.items():
        for phase, (first, last) in zip(PHASE_ORDER, ranges, strict=True):
            rows.extend((code, n, phase) for n in range(first, last + 1))
    return rows


def test_expected_table_covers_every_fixed_length_variant() -> None:
    fixed = {code for code, v in VARIANTS.items() if v.default_plan.total is not None}
    assert set(EXPECTED_PHASES) == fixed


@pytest.mark.parametrize("code", sorted(VARIANTS))
def test_every_variant_default_plan_validates(code: str) -> None:
    VARIANTS[code].default_plan.validate()


@pytest.mark.parametrize(("code", "session", "phase"), _session_table())
def test_variant_maps_every_session_to_its_phase(code: str, session: int, phase: Phase) -> None:
    """GIVEN a variant's default plan WHEN a session number is looked up
    THEN it falls in the phase the protocol note gives for that variant."""
    assert VARIANTS[code].default_plan.phase_of(session) is phase


@pytest.mark.parametrize("code", sorted(EXPECTED_PHASES))
def test_session_after_the_last_is_beyond_the_contract(code: str) -> None:
    """GIVEN a course with a planned number of sessions WHEN the session after the last
    is looked up THEN the plan refuses it and says it is beyond the contract."""
    plan = VARIANTS[code].default_plan
    last = EXPECTED_PHASES[code][2][1]
    with pytest.raises(ProtocolError, match="beyond the contract") as caught:
        plan.phase_of(last + 1)
    assert f"Session {last + 1}" in str(caught.value)
    assert f"{last} sessions" in str(caught.value)


@pytest.mark.parametrize("session", [0, -1, -16])
def test_session_numbers_start_at_one(session: int) -> None:
    plan = PhasePlan(initial_last=3, middle_last=14, total=16)
    with pytest.raises(ProtocolError, match="start at 1") as caught:
        plan.phase_of(session)
    assert f"session {session}" in str(caught.value)


@pytest.mark.parametrize("session", [2, 3, 12, 100, 10_000])
def test_open_ended_plan_puts_everything_after_the_initial_phase_in_the_middle(
    session: int,
) -> None:
    """GIVEN a maintenance (open-ended) plan WHEN any session after the first is looked
    up THEN it is in the middle phase: an open course never reaches termination by count."""
    plan = VARIANTS["ipt_m"].default_plan
    assert plan.total is None
    assert plan.phase_of(1) is Phase.INITIAL
    assert plan.phase_of(session) is Phase.MIDDLE


def test_open_ended_plan_still_refuses_session_zero() -> None:
    with pytest.raises(ProtocolError, match="start at 1"):
        VARIANTS["ipt_m"].default_plan.phase_of(0)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (PhasePlan(0, 5, 8), "at least session 1; it was set to end at session 0"),
        (PhasePlan(-2, 5, 8), "at least session 1; it was set to end at session -2"),
        (PhasePlan(3, 3, 8), "must end after the initial phase"),
        (PhasePlan(5, 3, 8), "set to end at session 3, but the initial phase runs to session 5"),
        (PhasePlan(3, 0, None), "must end after the initial phase"),
        (PhasePlan(3, 14, 14), "at least one termination session"),
        (PhasePlan(3, 14, 10), "10 sessions are planned, but the middle phase runs to session 14"),
        (PhasePlan(1, 2, 0), "at least one termination session"),
        (PhasePlan(1, 2, -4), "at least one termination session"),
    ],
)
def test_invalid_plans_are_refused_with_a_plain_message(plan: PhasePlan, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        plan.validate()


def test_phase_of_refuses_to_answer_for_an_invalid_plan() -> None:
    with pytest.raises(ProtocolError, match="must end after the initial phase"):
        PhasePlan(initial_last=4, middle_last=2, total=8).phase_of(1)


@pytest.mark.parametrize(
    "plan",
    [PhasePlan(1, 2, 3), PhasePlan(1, 2, None), PhasePlan(3, 14, 16), PhasePlan(3, 14, 15)],
)
def test_smallest_valid_plans_validate(plan: PhasePlan) -> None:
    plan.validate()


def test_three_session_plan_has_one_session_per_phase() -> None:
    plan = PhasePlan(initial_last=1, middle_last=2, total=3)
    assert [plan.phase_of(n) for n in (1, 2, 3)] == [
        Phase.INITIAL,
        Phase.MIDDLE,
        Phase.TERMINATION,
    ]


@pytest.mark.parametrize(
    ("phase", "first", "last", "count"),
    [
        (Phase.INITIAL, 1, 3, 3),
        (Phase.MIDDLE, 4, 14, 11),
        (Phase.TERMINATION, 15, 16, 2),
    ],
)
def test_phase_bounds_of_the_standard_plan(phase: Phase, first: int, last: int, count: int) -> None:
    plan = PhasePlan(initial_last=3, middle_last=14, total=16)
    assert (plan.first_session(phase), plan.last_session(phase)) == (first, last)
    assert plan.sessions_in(phase) == count


def test_open_ended_plan_has_no_end_to_its_middle_and_no_termination() -> None:
    plan = PhasePlan(initial_last=1, middle_last=2, total=None)
    assert plan.is_open_ended
    assert plan.first_session(Phase.MIDDLE) == 2
    assert plan.last_session(Phase.MIDDLE) is None
    assert plan.first_session(Phase.TERMINATION) is None
    assert plan.sessions_in(Phase.TERMINATION) is None
    assert plan.sessions_in(Phase.INITIAL) == 1


def test_phases_follow_each_other_in_order() -> None:
    assert Phase.INITIAL.next_phase is Phase.MIDDLE
    assert Phase.MIDDLE.next_phase is Phase.TERMINATION
    assert Phase.TERMINATION.next_phase is None


@pytest.mark.parametrize(
    ("phase", "label"),
    [
        (Phase.INITIAL, "Initial phase"),
        (Phase.MIDDLE, "Middle phase"),
        (Phase.TERMINATION, "Termination phase"),
    ],
)
def test_phase_labels(phase: Phase, label: str) -> None:
    assert phase.label == label


# --- properties -------------------------------------------------------------------------


@st.composite
def valid_plans(draw: st.DrawFn) -> PhasePlan:
    initial = draw(st.integers(min_value=1, max_value=40))
    middle = draw(st.integers(min_value=initial + 1, max_value=initial + 60))
    open_ended = draw(st.booleans())
    total = None if open_ended else draw(st.integers(min_value=middle + 1, max_value=middle + 20))
    return PhasePlan(initial_last=initial, middle_last=middle, total=total)


@given(valid_plans())
def test_phase_of_never_goes_backwards_and_leaves_no_phase_empty(plan: PhasePlan) -> None:
    plan.validate()
    last = plan.total if plan.total is not None else plan.middle_last + 10
    phases = [plan.phase_of(n) for n in range(1, last + 1)]
    ranks = [PHASE_ORDER.index(p) for p in phases]
    assert ranks == sorted(ranks)
    assert phases[0] is Phase.INITIAL
    expected = set(PHASE_ORDER) if plan.total is not None else {Phase.INITIAL, Phase.MIDDLE}
    assert set(phases) == expected


@given(valid_plans())
def test_phase_bounds_agree_with_phase_of(plan: PhasePlan) -> None:
    for phase in PHASE_ORDER:
        first, last = plan.first_session(phase), plan.last_session(phase)
        if first is not None:
            assert plan.phase_of(first) is phase
            if first > 1:
                assert plan.phase_of(first - 1) is not phase
        if last is not None:
            assert plan.phase_of(last) is phase
            if plan.total is None or last < plan.total:
                assert plan.phase_of(last + 1) is not phase


@given(valid_plans(), st.integers(min_value=1, max_value=50))
def test_sessions_past_a_closed_plan_are_always_refused(plan: PhasePlan, extra: int) -> None:
    if plan.total is None:
        assert plan.phase_of(plan.middle_last + extra) is Phase.MIDDLE
    else:
        with pytest.raises(ProtocolError, match="beyond the contract"):
            plan.phase_of(plan.total + extra)


@given(
    st.integers(min_value=-20, max_value=20),
    st.integers(min_value=-20, max_value=40),
    st.one_of(st.none(), st.integers(min_value=-20, max_value=60)),
)
def test_validate_accepts_exactly_the_plans_the_rules_allow(
    initial: int, middle: int, total: int | None
) -> None:
    plan = PhasePlan(initial_last=initial, middle_last=middle, total=total)
    allowed = initial >= 1 and middle > initial and (total is None or total >= middle + 1)
    if allowed:
        plan.validate()
    else:
        with pytest.raises(ProtocolError):
            plan.validate()
