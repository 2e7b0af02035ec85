"""Property tests: scoring, bands and the definition round trip hold for any valid input."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openipt.measures.engine import (
    Instrument,
    InvalidAnswers,
    course_outcome,
    definition_to_json,
    expected_curve,
    parse_definition,
    score_answers,
    shipped,
)

SHIPPED = ("phq9", "gad7", "gds15", "phq2", "epds", "phqa")
# No per-example deadline: the CPU is shared in CI and a slow example breaks no rule.
RELAXED = settings(deadline=None)


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    text_licensed = draw(st.booleans())
    items: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 6))):
        count = draw(st.integers(2, 5))
        ordinals = draw(st.permutations(range(count)))
        scored = index == 0 or draw(st.booleans())
        items.append(
            {
                "linkId": f"q-{index}",
                "text": f"Question {index}" if text_licensed else "",
                "loinc": draw(st.sampled_from([None, "44250-9", "69722-7"])),
                "scored": scored,
                "reverse": scored and draw(st.booleans()),
                "riskMin": draw(st.none() | st.integers(1, count - 1)),
                "answerOption": [
                    {
                        "code": f"a{j}",
                        "ordinal": ordinals[j],
                        "display": f"Answer {j}" if text_licensed else "",
                    }
                    for j in range(count)
                ],
            }
        )
    scored_items = [item for item in items if item["scored"]]
    max_total = sum(len(item["answerOption"]) - 1 for item in scored_items)
    cuts = sorted(draw(st.sets(st.integers(1, max_total), max_size=4)))
    lows = [0, *cuts]
    highs = [c - 1 for c in cuts] + [max_total]
    bands = [
        {"code": f"b{i}", "label": f"Band {i}", "low": low, "high": high}
        for i, (low, high) in enumerate(zip(lows, highs, strict=True))
    ]
    caseness = draw(st.none() | st.integers(1, max_total))
    remission_cap = max_total - 1 if caseness is None else caseness - 1
    remission = draw(st.none() | st.integers(0, remission_cap))
    reliable = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "sd": st.floats(0.1, 20, allow_nan=False, allow_infinity=False),
                "r": st.floats(0, 0.99, allow_nan=False, allow_infinity=False),
                "nhsPoints": st.none() | st.integers(1, max_total),
            }
        )
    )
    expected: list[dict[str, Any]] = []
    if reliable is not None and draw(st.booleans()):
        expected = [
            {
                "band": band["code"],
                "k": draw(st.floats(0, 5, allow_nan=False, allow_infinity=False)),
                "nCourses": draw(st.integers(0, 50)),
            }
            for band in bands
        ]
    subscales: dict[str, list[str]] = {}
    members = draw(st.lists(st.sampled_from([i["linkId"] for i in scored_items]), unique=True))
    if members:
        subscales["part"] = members
    return {
        "code": draw(st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)),
        "version": draw(st.sampled_from(["1.0", "2", "1.1-local"])),
        "title": draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        "shortTitle": "Short",
        "language": draw(st.sampled_from(["en", "de", "pt-BR"])),
        "recallPeriod": draw(st.text(max_size=10)),
        "stem": draw(st.text(max_size=20)),
        "loincPanel": draw(st.sampled_from([None, "44249-1"])),
        "loincTotal": draw(st.sampled_from([None, "44261-6"])),
        "textLicensed": text_licensed,
        "licenceNotice": draw(st.text(max_size=20)),
        "item": items,
        "bands": bands,
        "casenessMin": caseness,
        "remissionMax": remission,
        "reliableChange": reliable,
        "expectedRecovery": expected,
        "prorateMaxMissing": draw(st.integers(0, len(scored_items) - 1)),
        "subscales": subscales,
    }


@RELAXED
@given(definitions())
def test_round_trip_parse_of_to_json_is_identity(data: dict[str, Any]) -> None:
    instrument = parse_definition(data)
    as_json = definition_to_json(instrument)
    assert parse_definition(as_json) == instrument
    # The JSON form survives real serialisation and is stable.
    assert parse_definition(json.loads(json.dumps(as_json))) == instrument
    assert definition_to_json(parse_definition(as_json)) == as_json


@RELAXED
@given(definitions())
def test_bands_cover_every_possible_total_exactly_once(data: dict[str, Any]) -> None:
    instrument = parse_definition(data)
    for total in range(instrument.min_total, instrument.max_total + 1):
        containing = [band for band in instrument.bands if band.contains(total)]
        assert len(containing) == 1
        assert instrument.band_for(total) == containing[0]


def test_shipped_bands_cover_every_possible_total_exactly_once() -> None:
    for code in SHIPPED:
        instrument = shipped(code)
        for total in range(instrument.max_total + 1):
            assert sum(band.contains(total) for band in instrument.bands) == 1


@st.composite
def instrument_and_answers(draw: st.DrawFn) -> tuple[Instrument, dict[str, int]]:
    instrument = draw(st.sampled_from(SHIPPED).map(shipped) | definitions().map(parse_definition))
    answers = {
        item.link_id: draw(st.integers(0, item.max_ordinal))
        for item in instrument.items
        if item.required or draw(st.booleans())
    }
    return instrument, answers


@RELAXED
@given(instrument_and_answers())
def test_total_is_the_sum_of_item_values_within_range(
    case: tuple[Instrument, dict[str, int]],
) -> None:
    instrument, answers = case
    score = score_answers(instrument, answers)
    assert score.total == sum(score.item_values.values())
    assert instrument.min_total <= score.total <= instrument.max_total
    assert score.band.contains(score.total)
    assert set(score.item_values) == {i.link_id for i in instrument.scored_items}
    assert dict(score.ordinals) == answers
    for item in instrument.items:
        if item.link_id in answers:
            value = item.value_of(answers[item.link_id])
            assert 0 <= value <= item.max_ordinal
            assert (item.link_id in score.risk_link_ids) == item.is_risk_positive(value)


@RELAXED
@given(instrument_and_answers())
def test_codes_and_ordinals_give_the_same_score(case: tuple[Instrument, dict[str, int]]) -> None:
    instrument, answers = case
    codes: dict[str, object] = {}
    for link_id, ordinal in answers.items():
        option = instrument.item(link_id).option_for_ordinal(ordinal)
        assert option is not None
        codes[link_id] = option.code
    assert score_answers(instrument, codes) == score_answers(instrument, answers)


@RELAXED
@given(instrument_and_answers(), st.data())
def test_every_bad_answer_is_reported_by_its_link_id(
    case: tuple[Instrument, dict[str, int]], data: st.DataObject
) -> None:
    instrument, answers = case
    bad = data.draw(st.sets(st.sampled_from(sorted(answers)), min_size=1))
    broken: dict[str, object] = dict(answers)
    for link_id in bad:
        broken[link_id] = data.draw(
            st.integers(instrument.item(link_id).max_ordinal + 1, 100)
            | st.integers(-100, -1)
            | st.booleans()
            | st.floats(allow_nan=False, allow_infinity=False)
        )
    with pytest.raises(InvalidAnswers) as caught:
        score_answers(instrument, broken)
    assert set(caught.value.errors) == bad


@RELAXED
@given(
    st.sampled_from(SHIPPED).flatmap(
        lambda code: st.tuples(
            st.just(code),
            st.lists(st.integers(0, shipped(code).max_total), min_size=2, max_size=8),
        )
    )
)
def test_outcome_rules_hold_for_any_series(case: tuple[str, list[int]]) -> None:
    code, totals = case
    outcome = course_outcome(shipped(code), totals)
    baseline, latest = totals[0], totals[-1]
    assert outcome.change == latest - baseline
    if baseline > 0:
        assert outcome.response is (latest <= baseline / 2)
    else:
        assert outcome.response is None
    assert not (outcome.reliable_improvement and outcome.reliable_deterioration)
    if outcome.reliable_recovery:
        assert outcome.recovery and outcome.reliable_improvement


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(("phq9", "gad7", "gds15", "epds", "phqa")).flatmap(
        lambda code: st.tuples(st.just(code), st.integers(0, shipped(code).max_total))
    ),
    st.integers(0, 30),
)
def test_expected_curve_never_rises_and_stays_in_range(
    case: tuple[str, int], sessions: int
) -> None:
    code, baseline = case
    instrument = shipped(code)
    curve = expected_curve(instrument, instrument.expected_recovery, baseline, sessions)
    assert len(curve) == sessions + 1
    for earlier, later in itertools.pairwise(curve):
        assert later.expected <= earlier.expected
    for point in curve:
        assert 0 <= point.low <= point.expected <= point.high <= instrument.max_total
