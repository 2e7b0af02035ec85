"""Scoring answers: totals, bands, reverse items, risk items, invalid answers, prorating."""

from __future__ import annotations

from typing import Any

import pytest

from openipt.measures.engine import (
    InvalidAnswers,
    definition_to_json,
    parse_definition,
    score_answers,
    shipped,
)
from tests.measures_engine.helpers import answers_for_total, ordinal_for_value, variant

BAND_TABLE = [
    ("phq9", 0, "minimal"),
    ("phq9", 4, "minimal"),
    ("phq9", 5, "mild"),
    ("phq9", 9, "mild"),
    ("phq9", 10, "moderate"),
    ("phq9", 14, "moderate"),
    ("phq9", 15, "moderately_severe"),
    ("phq9", 19, "moderately_severe"),
    ("phq9", 20, "severe"),
    ("phq9", 27, "severe"),
    ("phqa", 0, "minimal"),
    ("phqa", 4, "minimal"),
    ("phqa", 5, "mild"),
    ("phqa", 9, "mild"),
    ("phqa", 10, "moderate"),
    ("phqa", 14, "moderate"),
    ("phqa", 15, "moderately_severe"),
    ("phqa", 19, "moderately_severe"),
    ("phqa", 20, "severe"),
    ("phqa", 27, "severe"),
    ("gad7", 0, "minimal"),
    ("gad7", 4, "minimal"),
    ("gad7", 5, "mild"),
    ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"),
    ("gad7", 14, "moderate"),
    ("gad7", 15, "severe"),
    ("gad7", 21, "severe"),
    ("gds15", 0, "normal"),
    ("gds15", 4, "normal"),
    ("gds15", 5, "mild"),
    ("gds15", 8, "mild"),
    ("gds15", 9, "moderate"),
    ("gds15", 11, "moderate"),
    ("gds15", 12, "severe"),
    ("gds15", 15, "severe"),
    ("phq2", 0, "negative"),
    ("phq2", 2, "negative"),
    ("phq2", 3, "positive"),
    ("phq2", 6, "positive"),
    ("epds", 0, "below_threshold"),
    ("epds", 9, "below_threshold"),
    ("epds", 10, "possible"),
    ("epds", 12, "possible"),
    ("epds", 13, "probable"),
    ("epds", 30, "probable"),
]


@pytest.mark.parametrize(("code", "total", "band"), BAND_TABLE)
def test_every_band_boundary(code: str, total: int, band: str) -> None:
    """GIVEN answers adding up to a total at the edge of a severity band
    WHEN they are scored
    THEN the total and the band are the published ones."""
    instrument = shipped(code)
    score = score_answers(instrument, answers_for_total(instrument, total))
    assert score.total == total
    assert score.band.code == band
    assert instrument.band_for(total).code == band


@pytest.mark.parametrize("code", ["phq9", "gad7", "gds15", "phq2", "epds", "phqa"])
def test_totals_outside_the_range_have_no_band(code: str) -> None:
    instrument = shipped(code)
    for total in (-1, instrument.max_total + 1):
        with pytest.raises(ValueError, match="outside the range"):
            instrument.band_for(total)


def test_score_records_instrument_version_values_and_ordinals() -> None:
    phq9 = shipped("phq9")
    answers: dict[str, object] = {f"phq9-{n}": n % 4 for n in range(1, 10)}
    answers["phq9-difficulty"] = "LA6573-5"
    score = score_answers(phq9, answers)
    assert (score.instrument_code, score.version) == ("phq9", "1.0")
    assert score.item_values == {f"phq9-{n}": n % 4 for n in range(1, 10)}
    assert score.total == sum(n % 4 for n in range(1, 10))
    # The unscored difficulty answer is kept as an ordinal but adds nothing.
    assert score.ordinals["phq9-difficulty"] == 1
    assert "phq9-difficulty" not in score.item_values
    assert not score.prorated and score.missing == ()


def test_answer_codes_and_ordinals_score_the_same() -> None:
    phq9 = shipped("phq9")
    by_ordinal = {f"phq9-{n}": 2 for n in range(1, 10)}
    by_code = {f"phq9-{n}": "LA6570-1" for n in range(1, 10)}
    assert score_answers(phq9, by_code) == score_answers(phq9, by_ordinal)


def test_digits_sent_as_text_by_a_form_are_ordinals() -> None:
    phq9 = shipped("phq9")
    score = score_answers(phq9, {f"phq9-{n}": " 3 " for n in range(1, 10)})
    assert score.total == 27


def test_the_difficulty_item_may_be_left_out() -> None:
    phq9 = shipped("phq9")
    score = score_answers(phq9, {f"phq9-{n}": 1 for n in range(1, 10)})
    assert score.total == 9
    assert "phq9-difficulty" not in score.ordinals


# --- reverse scoring -------------------------------------------------------------


def test_gds15_reverse_items_score_a_no() -> None:
    """GIVEN the GDS-15, where 'No' scores a point on items 1, 5, 7, 11 and 13
    WHEN every question is answered 'No' (or every question 'Yes')
    THEN the total is 5 (or 10)."""
    gds = shipped("gds15")
    all_no = score_answers(gds, {i.link_id: "LA32-8" for i in gds.items})
    all_yes = score_answers(gds, {i.link_id: "LA33-6" for i in gds.items})
    assert all_no.total == 5
    assert all_yes.total == 10
    assert all_no.item_values["gds15-1"] == 1
    assert all_no.item_values["gds15-2"] == 0
    assert all_yes.item_values["gds15-1"] == 0
    assert all_yes.item_values["gds15-2"] == 1


def test_epds_reverse_items_score_the_top_answer_three() -> None:
    """GIVEN the EPDS, items 1, 2 and 4 scored 0→3 top to bottom and the rest reversed
    WHEN every item gets its top answer (ordinal 0)
    THEN items 1, 2, 4 score 0 and the seven reversed items score 3 (total 21)."""
    epds = shipped("epds")
    score = score_answers(epds, {i.link_id: "a" for i in epds.items})
    assert score.total == 21
    assert [score.item_values[f"epds-{n}"] for n in range(1, 11)] == [0, 0, 3, 0, 3, 3, 3, 3, 3, 3]
    bottom = score_answers(epds, {i.link_id: 3 for i in epds.items})
    assert bottom.total == 9


def test_value_of_refuses_an_ordinal_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range for item epds-3"):
        shipped("epds").item("epds-3").value_of(4)


# --- risk items --------------------------------------------------------------------


@pytest.mark.parametrize(("value", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item_9_flags_any_answer_above_not_at_all(value: int, flagged: bool) -> None:
    """GIVEN a PHQ-9 with every other item at 0
    WHEN item 9 is answered with this value
    THEN it is a positive risk item exactly when the value is 1 or more, whatever the total."""
    phq9 = shipped("phq9")
    answers = answers_for_total(phq9, 0) | {"phq9-9": value}
    score = score_answers(phq9, answers)
    assert score.total == value
    assert score.risk_link_ids == (("phq9-9",) if flagged else ())


@pytest.mark.parametrize(("value", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_epds_item_10_flags_self_harm_thoughts(value: int, flagged: bool) -> None:
    """GIVEN an EPDS whose item 10 is reverse-scored (top answer scores 3)
    WHEN item 10 is answered with the answer worth `value`
    THEN it is a positive risk item exactly when that value is 1 or more."""
    epds = shipped("epds")
    answers = answers_for_total(epds, 0) | {"epds-10": ordinal_for_value(epds, "epds-10", value)}
    score = score_answers(epds, answers)
    assert score.item_values["epds-10"] == value
    assert score.risk_link_ids == (("epds-10",) if flagged else ())


@pytest.mark.parametrize(
    ("changes", "flagged"),
    [
        ({}, ()),
        ({"phqa-9": 1}, ("phqa-9",)),
        ({"phqa-suicide-month": "LA33-6"}, ("phqa-suicide-month",)),
        ({"phqa-suicide-ever": "LA33-6"}, ("phqa-suicide-ever",)),
        (
            {"phqa-9": 3, "phqa-suicide-month": 1, "phqa-suicide-ever": 1},
            ("phqa-9", "phqa-suicide-month", "phqa-suicide-ever"),
        ),
    ],
)
def test_phqa_item_9_or_either_suicide_item_is_a_risk(
    changes: dict[str, object], flagged: tuple[str, ...]
) -> None:
    """GIVEN a PHQ-A answered 'No' to both extra suicide items and 0 on item 9
    WHEN item 9 or either suicide item is positive
    THEN each positive one is listed, in questionnaire order; the suicide items add nothing
    to the total."""
    phqa = shipped("phqa")
    answers: dict[str, object] = dict(answers_for_total(phqa, 0))
    answers.update({"phqa-suicide-month": "LA32-8", "phqa-suicide-ever": "LA32-8"})
    answers.update(changes)
    score = score_answers(phqa, answers)
    assert score.risk_link_ids == flagged
    assert score.total == (changes.get("phqa-9", 0))


def test_instruments_without_risk_items_flag_nothing() -> None:
    for code in ("gad7", "gds15", "phq2"):
        instrument = shipped(code)
        top = score_answers(instrument, answers_for_total(instrument, instrument.max_total))
        assert top.risk_link_ids == ()


# --- invalid answers -----------------------------------------------------------


def _errors(code: str, answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidAnswers) as caught:
        score_answers(shipped(code), answers)
    return caught.value.errors


def _complete(code: str, **changes: object) -> dict[str, Any]:
    answers: dict[str, Any] = dict(answers_for_total(shipped(code), 0))
    answers.update(changes)
    return answers


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (4, "Answer 4 is out of range for item phq9-3 (0–3)"),
        (-1, "Answer -1 is out of range for item phq9-3 (0–3)"),
        ("7", "Answer 7 is out of range for item phq9-3 (0–3)"),
        (True, "Answer must be a whole number or an answer code"),
        (False, "Answer must be a whole number or an answer code"),
        (2.0, "Answer must be a whole number or an answer code"),
        ([1], "Answer must be a whole number or an answer code"),
        ("often", "'often' is not one of the answer codes for item phq9-3"),
        ("LA6572-7", "'LA6572-7' is not one of the answer codes for item phq9-3"),
    ],
)
def test_an_invalid_answer_is_refused_with_a_clear_message(answer: object, message: str) -> None:
    assert _errors("phq9", _complete("phq9", **{"phq9-3": answer})) == {"phq9-3": message}


def test_an_unknown_item_is_refused() -> None:
    errors = _errors("phq9", _complete("phq9", **{"phq9-12": 1}))
    assert errors == {"phq9-12": "Unknown item 'phq9-12'"}


def test_a_missing_item_is_refused() -> None:
    answers = _complete("phq9")
    del answers["phq9-2"]
    assert _errors("phq9", answers) == {"phq9-2": "Item phq9-2 has no answer"}


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_answer_counts_as_missing(blank: object) -> None:
    assert _errors("gad7", _complete("gad7", **{"gad7-4": blank})) == {
        "gad7-4": "Item gad7-4 has no answer"
    }


def test_every_problem_is_reported_at_once() -> None:
    answers = _complete("phq9", **{"phq9-1": 4, "phq9-2": True, "phq9-12": 0, "phq9-3": "x"})
    del answers["phq9-4"]
    errors = _errors("phq9", answers)
    assert set(errors) == {"phq9-1", "phq9-2", "phq9-3", "phq9-4", "phq9-12"}


def test_an_answer_on_an_unscored_item_is_still_checked() -> None:
    errors = _errors("phq9", _complete("phq9", **{"phq9-difficulty": 9}))
    assert errors == {"phq9-difficulty": "Answer 9 is out of range for item phq9-difficulty (0–3)"}


def test_answers_that_are_not_a_mapping_are_refused() -> None:
    with pytest.raises(InvalidAnswers) as caught:
        score_answers(shipped("phq9"), [1, 2, 3])  # type: ignore[arg-type]
    assert list(caught.value.errors) == ["__all__"]


def test_invalid_answers_read_as_one_sentence_list() -> None:
    error = InvalidAnswers({"a": "First problem", "b": "Second problem"})
    assert str(error) == "First problem; Second problem"
    assert isinstance(error, ValueError)


def test_phqa_requires_both_suicide_items_but_not_the_other_extra_items() -> None:
    """GIVEN a PHQ-A with the nine scored items answered
    WHEN the two suicide questions are left out
    THEN both are refused as missing; low mood and difficulty may be skipped."""
    answers = dict(answers_for_total(shipped("phqa"), 5))
    del answers["phqa-suicide-month"], answers["phqa-suicide-ever"]
    assert _errors("phqa", answers) == {
        "phqa-suicide-month": "Item phqa-suicide-month has no answer",
        "phqa-suicide-ever": "Item phqa-suicide-ever has no answer",
    }


# --- prorating -------------------------------------------------------------------


def _phq9_prorating(allowed: int) -> Any:
    return variant("phq9", prorateMaxMissing=allowed)


def test_shipped_instruments_refuse_incomplete_questionnaires() -> None:
    for code in ("phq9", "gad7", "gds15", "phq2", "epds", "phqa"):
        assert shipped(code).prorate_max_missing == 0


@pytest.mark.parametrize(
    ("answered_sum", "expected"),
    [(16, 18), (4, 5), (12, 14), (20, 23), (13, 15), (0, 0), (24, 27)],
)
def test_prorating_rounds_half_up(answered_sum: int, expected: int) -> None:
    """GIVEN a PHQ-9 variant allowing one missing item
    WHEN one item is missing and the eight answered items add up to `answered_sum`
    THEN the total is answered_sum × 9 / 8 rounded half up (4.5 → 5, 22.5 → 23)."""
    instrument = _phq9_prorating(1)
    # Item 1 is left out; the others are filled in order, the risk item (9) last.
    answers: dict[str, object] = {}
    remaining = answered_sum
    for n in range(2, 10):
        answers[f"phq9-{n}"] = min(3, remaining)
        remaining -= min(3, remaining)
    assert remaining == 0
    score = score_answers(instrument, answers)
    assert score.total == expected
    assert score.prorated
    assert score.missing == ("phq9-1",)
    assert score.band == instrument.band_for(expected)


def test_prorating_refuses_more_missing_items_than_allowed() -> None:
    instrument = _phq9_prorating(1)
    answers = answers_for_total(instrument, 8)
    del answers["phq9-1"], answers["phq9-2"]
    with pytest.raises(InvalidAnswers) as caught:
        score_answers(instrument, answers)
    assert caught.value.errors == {
        "phq9-1": "Item phq9-1 has no answer",
        "phq9-2": "Item phq9-2 has no answer",
        "__all__": "2 items have no answer; PHQ-9 can be scored with at most 1 missing",
    }


def test_a_missing_risk_item_is_never_prorated() -> None:
    """GIVEN an instrument that allows prorating
    WHEN the suicide item (PHQ-9 item 9) is the one left out
    THEN the questionnaire is refused: an unanswered risk item is never estimated."""
    instrument = _phq9_prorating(2)
    answers = answers_for_total(instrument, 8)
    del answers["phq9-9"]
    with pytest.raises(InvalidAnswers) as caught:
        score_answers(instrument, answers)
    assert caught.value.errors == {"phq9-9": "Item phq9-9 has no answer"}


# --- subscales -------------------------------------------------------------------


def _phq9_with_subscales() -> Any:
    data = definition_to_json(shipped("phq9"))
    data["subscales"] = {
        "somatic": ["phq9-3", "phq9-4", "phq9-5", "phq9-8"],
        "cognitive": ["phq9-1", "phq9-2", "phq9-6", "phq9-7", "phq9-9"],
    }
    data["prorateMaxMissing"] = 1
    return parse_definition(data)


def test_subscale_totals_add_their_items() -> None:
    instrument = _phq9_with_subscales()
    answers = {f"phq9-{n}": n % 4 for n in range(1, 10)}
    score = score_answers(instrument, answers)
    assert score.subscale_totals == {"somatic": 3 + 0 + 1 + 0, "cognitive": 1 + 2 + 2 + 3 + 1}
    assert instrument.item("phq9-3").subscales == ("somatic",)
    assert instrument.item("phq9-difficulty").subscales == ()


def test_subscales_are_prorated_within_their_own_items() -> None:
    instrument = _phq9_with_subscales()
    answers = {f"phq9-{n}": 3 for n in range(1, 10)}
    del answers["phq9-3"]
    score = score_answers(instrument, answers)
    assert score.subscale_totals == {"somatic": 12, "cognitive": 15}
    assert score.total == 27


def test_shipped_instruments_have_no_subscales() -> None:
    score = score_answers(shipped("phq9"), answers_for_total(shipped("phq9"), 3))
    assert score.subscale_totals == {}
