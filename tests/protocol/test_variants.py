"""Variants as data, and how a plan scales to a different number of sessions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openipt.protocol.errors import ProtocolError, UnknownVariant
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.variants import (
    VARIANTS,
    Feature,
    Frequency,
    Variant,
    get_variant,
    measure_label,
)


def test_the_product_offers_exactly_these_variants() -> None:
    assert set(VARIANTS) == {"ipt16", "ipt12", "ipt_b", "ipt_a", "ipt_older", "ipt_m", "ipc"}


@pytest.mark.parametrize("code", sorted(VARIANTS))
def test_variant_is_filed_under_its_own_code(code: str) -> None:
    variant = get_variant(code)
    assert variant.code == code
    assert variant.name
    assert len(variant.summary) > 40


@pytest.mark.parametrize(
    ("code", "sessions", "minutes", "frequency", "features", "measures"),
    [
        ("ipt16", 16, 50, Frequency.WEEKLY, set(), ("phq9", "gad7")),
        ("ipt12", 12, 50, Frequency.WEEKLY, set(), ("phq9", "gad7")),
        (
            "ipt_b",
            8,
            50,
            Frequency.WEEKLY,
            {Feature.ENGAGEMENT_SESSION, Feature.PERINATAL},
            ("epds", "phq9"),
        ),
        (
            "ipt_a",
            12,
            45,
            Frequency.WEEKLY,
            {
                Feature.LIMITED_SICK_ROLE,
                Feature.CAREGIVER_INVOLVEMENT,
                Feature.CLOSENESS_CIRCLE_REQUIRED,
            },
            ("phqa",),
        ),
        (
            "ipt_older",
            16,
            50,
            Frequency.WEEKLY,
            {Feature.FLEXIBLE_SESSION_LENGTH},
            ("gds15", "phq9"),
        ),
        ("ipt_m", None, 50, Frequency.MONTHLY, {Feature.OPEN_ENDED}, ("phq9", "gad7")),
        ("ipc", 6, 30, Frequency.WEEKLY, {Feature.NON_SPECIALIST}, ("phq9", "gad7")),
    ],
)
def test_variant_defaults(
    code: str,
    sessions: int | None,
    minutes: int,
    frequency: Frequency,
    features: set[Feature],
    measures: tuple[str, ...],
) -> None:
    variant = VARIANTS[code]
    assert variant.default_sessions == sessions
    assert variant.default_plan.total == sessions
    assert variant.session_minutes == minutes
    assert variant.frequency is frequency
    assert variant.features == features
    assert variant.default_measures == measures


def test_adolescent_variant_spans_twelve_to_sixteen_weeks_for_ages_twelve_to_eighteen() -> None:
    variant = VARIANTS["ipt_a"]
    assert variant.course_weeks == (12, 16)
    assert variant.ages == (12, 18)
    assert any("suicide" in text for text in variant.not_suitable_for)
    assert any("psychosis" in text for text in variant.not_suitable_for)


@pytest.mark.parametrize("code", sorted(VARIANTS))
def test_default_count_lies_within_the_variants_range(code: str) -> None:
    variant = VARIANTS[code]
    if variant.default_sessions is not None:
        assert variant.min_sessions <= variant.default_sessions
        assert variant.max_sessions is not None
        assert variant.default_sessions <= variant.max_sessions


def test_unknown_variant_is_refused_by_name() -> None:
    with pytest.raises(UnknownVariant, match="no IPT variant called 'ipt99'"):
        get_variant("ipt99")


def test_unknown_variant_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        get_variant("")


@pytest.mark.parametrize(
    ("code", "label"),
    [("phq9", "PHQ-9"), ("gad7", "GAD-7"), ("epds", "EPDS"), ("phqa", "PHQ-A"), ("x1", "x1")],
)
def test_measure_labels(code: str, label: str) -> None:
    assert measure_label(code) == label


# --- plan_for ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "total", "expected"),
    [
        # Sixteen-session courses keep three initial and two termination sessions.
        ("ipt16", 12, (3, 10, 12)),
        ("ipt16", 14, (3, 12, 14)),
        ("ipt16", 16, (3, 14, 16)),
        ("ipt16", 20, (3, 18, 20)),
        ("ipt_older", 12, (3, 10, 12)),
        ("ipt_older", 20, (3, 18, 20)),
        # A three-session termination scales with the course, rounded half up, never below 2.
        ("ipt12", 8, (3, 6, 8)),
        ("ipt12", 10, (3, 7, 10)),
        ("ipt12", 12, (3, 9, 12)),
        ("ipt12", 14, (3, 10, 14)),
        ("ipt12", 16, (3, 12, 16)),
        ("ipt_b", 6, (2, 4, 6)),
        ("ipt_b", 10, (2, 8, 10)),
        ("ipt_a", 10, (4, 7, 10)),
        ("ipt_a", 12, (4, 8, 12)),
        ("ipt_a", 16, (4, 11, 16)),
        ("ipc", 3, (1, 2, 3)),
        ("ipc", 4, (1, 3, 4)),
        ("ipc", 5, (1, 4, 5)),
        ("ipc", 6, (1, 5, 6)),
        # An open-ended course given an end gets two termination sessions when it has room.
        ("ipt_m", 3, (1, 2, 3)),
        ("ipt_m", 4, (1, 2, 4)),
        ("ipt_m", 36, (1, 34, 36)),
    ],
)
def test_plan_for_scales_the_default_plan(
    code: str, total: int, expected: tuple[int, int, int]
) -> None:
    """GIVEN a variant WHEN a course of another length is planned THEN the initial phase
    keeps its length, a short termination keeps its length, a long one scales, and the
    middle phase takes the rest."""
    plan = VARIANTS[code].plan_for(total)
    assert (plan.initial_last, plan.middle_last, plan.total) == expected


def test_three_session_ipc_is_one_session_per_phase() -> None:
    plan = VARIANTS["ipc"].plan_for(3)
    assert [plan.phase_of(n) for n in (1, 2, 3)] == [
        Phase.INITIAL,
        Phase.MIDDLE,
        Phase.TERMINATION,
    ]


def test_open_ended_variant_without_a_count_keeps_its_open_plan() -> None:
    assert VARIANTS["ipt_m"].plan_for(None) == PhasePlan(initial_last=1, middle_last=2, total=None)


@pytest.mark.parametrize("code", ["ipt16", "ipt12", "ipt_b", "ipt_a", "ipt_older", "ipc"])
def test_fixed_length_variant_needs_a_count(code: str) -> None:
    with pytest.raises(ProtocolError, match="needs a planned number of sessions"):
        VARIANTS[code].plan_for(None)


@pytest.mark.parametrize(
    ("code", "total", "message"),
    [
        ("ipt16", 11, "runs for 12 to 20 sessions; 11 is outside"),
        ("ipt16", 21, "runs for 12 to 20 sessions; 21 is outside"),
        ("ipt12", 7, "8 to 16"),
        ("ipt12", 17, "8 to 16"),
        ("ipt_b", 5, "6 to 10"),
        ("ipt_b", 11, "6 to 10"),
        ("ipt_a", 9, "10 to 16"),
        ("ipt_a", 17, "10 to 16"),
        ("ipc", 2, "3 to 6"),
        ("ipc", 7, "3 to 6"),
        ("ipc", 0, "3 to 6"),
        ("ipc", -1, "3 to 6"),
        ("ipt_m", 2, "3 to no upper limit"),
    ],
)
def test_plan_for_refuses_counts_outside_the_variants_range(
    code: str, total: int, message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        VARIANTS[code].plan_for(total)


def test_plan_for_refuses_a_count_too_short_for_the_phases() -> None:
    # A practice-made variant whose minimum leaves no room for the phases.
    cramped = Variant(
        code="cramped",
        name="Cramped",
        summary="A test variant.",
        default_sessions=8,
        min_sessions=2,
        max_sessions=8,
        default_plan=PhasePlan(initial_last=2, middle_last=6, total=8),
        session_minutes=50,
        frequency=Frequency.WEEKLY,
    )
    with pytest.raises(ProtocolError, match="leave no room"):
        cramped.plan_for(3)


@pytest.mark.parametrize("code", sorted(VARIANTS))
def test_plan_for_the_default_count_is_the_default_plan(code: str) -> None:
    variant = VARIANTS[code]
    assert variant.plan_for(variant.default_sessions) == variant.default_plan


@st.composite
def variant_and_count(draw: st.DrawFn) -> tuple[Variant, int]:
    variant = VARIANTS[draw(st.sampled_from(sorted(VARIANTS)))]
    upper = variant.max_sessions if variant.max_sessions is not None else 120
    return variant, draw(st.integers(min_value=variant.min_sessions, max_value=upper))


@given(variant_and_count())
def test_every_count_in_range_gives_a_valid_plan_with_the_same_initial_phase(
    pair: tuple[Variant, int],
) -> None:
    variant, total = pair
    plan = variant.plan_for(total)
    plan.validate()
    assert plan.total == total
    assert plan.initial_last == variant.default_plan.initial_last
    assert plan.sessions_in(Phase.MIDDLE) is not None
    assert plan.sessions_in(Phase.TERMINATION) is not None


@given(variant_and_count())
def test_termination_never_grows_when_the_course_shrinks(pair: tuple[Variant, int]) -> None:
    variant, total = pair
    if total > variant.min_sessions:
        shorter = variant.plan_for(total - 1).sessions_in(Phase.TERMINATION)
        longer = variant.plan_for(total).sessions_in(Phase.TERMINATION)
        assert shorter is not None and longer is not None
        assert shorter <= longer
