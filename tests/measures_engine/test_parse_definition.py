"""Parsing and validating instrument definitions; licensed text; the JSON round trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from openipt.measures.engine import (
    DefinitionError,
    FrozenMap,
    definition_to_json,
    parse_definition,
    score_answers,
    shipped,
    with_licensed_text,
)
from tests.measures_engine.helpers import small_definition

Mutation = Callable[[dict[str, Any]], None]


def _problems(mutate: Mutation) -> list[str]:
    data = small_definition()
    mutate(data)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    return caught.value.errors


def _item(index: int, **changes: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["item"][index].update(changes)

    return mutate


def _drop(key: str) -> Mutation:
    return lambda data: data.pop(key)


def _set(**changes: Any) -> Mutation:
    return lambda data: data.update(changes)


def test_the_small_definition_is_valid() -> None:
    instrument = parse_definition(small_definition())
    assert instrument.code == "mood3"
    assert instrument.max_total == 6
    assert [i.link_id for i in instrument.scored_items] == ["m-1", "m-2", "m-3"]
    assert instrument.item("m-1").subscales == ("core",)
    assert instrument.subscales == {"core": ("m-1", "m-2")}


def test_optional_keys_take_their_defaults() -> None:
    data = small_definition()
    for key in (
        "resourceType", "shortTitle", "language", "recallPeriod", "stem", "loincPanel",
        "loincTotal", "textLicensed", "licenceNotice", "casenessMin", "remissionMax",
        "reliableChange", "expectedRecovery", "prorateMaxMissing", "subscales",
    ):  # fmt: skip
        data.pop(key)
    instrument = parse_definition(data)
    assert instrument.short_title == instrument.title
    assert instrument.language == "en"
    assert instrument.text_licensed is True
    assert (instrument.caseness_min, instrument.remission_max) == (None, None)
    assert instrument.reliable_change is None
    assert instrument.expected_recovery == ()
    assert instrument.prorate_max_missing == 0
    assert instrument.subscales == {}


def test_comment_keys_are_ignored() -> None:
    data = small_definition()
    data["_source"] = "Where the numbers come from."
    data["item"][0]["_note"] = "A note on this item."
    assert parse_definition(data) == parse_definition(small_definition())


INVALID = [
    ("missing code", _drop("code"), "definition: missing key 'code'"),
    ("missing title", _drop("title"), "definition: missing key 'title'"),
    ("missing items", _drop("item"), "definition: missing key 'item'"),
    ("missing bands", _drop("bands"), "definition: missing key 'bands'"),
    ("unknown top key", _set(colour="blue"), "definition: unknown key 'colour'"),
    ("wrong resource", _set(resourceType="Patient"), "'resourceType' must be 'Questionnaire'"),
    ("code with capitals", _set(code="Mood 3"), "code 'Mood 3' must be 1–32 lower-case"),
    ("title a number", _set(title=3), "'title' must be text, not a whole number"),
    ("empty title", _set(title="  "), "'title' must not be empty"),
    ("version with space", _set(version="1 0"), "version '1 0' must be at most 16 characters"),
    ("textLicensed not bool", _set(textLicensed="yes"), "'textLicensed' must be true or false"),
    ("bad LOINC", _set(loincTotal="44261-5"), "'44261-5' is not a valid LOINC code"),
    ("items not a list", _set(item={}), "'item' must be a list, not an object"),
    ("no items", _set(item=[]), "'item' must list at least one item"),
    ("item not an object", _set(item=["m-1"]), "item 1: must be an object, not text"),
    ("item missing linkId", lambda d: d["item"][0].pop("linkId"), "missing key 'linkId'"),
    ("item missing text", lambda d: d["item"][0].pop("text"), "item 1 (m-1): missing key 'text'"),
    ("item unknown key", _item(0, riskmin=1), "item 1 (m-1): unknown key 'riskmin'"),
    ("bad linkId", _item(0, linkId="m 1"), "linkId 'm 1' must start with a letter"),
    ("reserved linkId", _item(0, linkId="stem"), "linkId 'stem' must start"),
    ("colon in linkId", _item(0, linkId="m:1"), "linkId 'm:1' must start"),
    ("duplicate linkIds", _item(1, linkId="m-1"), "linkIds used more than once: m-1"),
    ("scored not bool", _item(0, scored=1), "'scored' must be true or false, not a whole number"),
    ("reverse on unscored", _item(3, reverse=True), "an unscored item cannot be reverse-scored"),
    ("risk too high", _item(2, riskMin=3), "item 3 (m-3): riskMin 3 is out of range (1–2)"),
    ("risk zero", _item(2, riskMin=0), "riskMin 0 is out of range (1–2)"),
    ("risk as text", _item(2, riskMin="1"), "'riskMin' must be a whole number or null, not text"),
    ("risk as bool", _item(2, riskMin=True), "'riskMin' must be a whole number or null"),
    ("no options", lambda d: d["item"][0].pop("answerSet"), "missing key 'answerOption'"),
    (
        "both option forms",
        _item(0, answerOption=[]),
        "give either 'answerOption' or 'answerSet', not both",
    ),
    ("unknown answer set", _item(0, answerSet="likert"), "answerSet 'likert' is not defined"),
    ("empty item text when licensed", _item(0, text=""), "the item has no text"),
    (
        "unscored only",
        lambda d: [i.update(scored=False, reverse=False) for i in d["item"]],
        "at least one item must be scored",
    ),
    ("bands not a list", _set(bands="0-6"), "'bands' must be a list, not text"),
    ("no bands", _set(bands=[]), "'bands' must list at least one band"),
    ("band low above high", lambda d: d["bands"][1].update(low=7, high=6), "low (7) is above high"),
    ("band missing label", lambda d: d["bands"][0].pop("label"), "band 1 (low): missing key"),
    ("band bad code", lambda d: d["bands"][0].update(code="Low!"), "code 'Low!' must use only"),
    ("duplicate band codes", lambda d: d["bands"][1].update(code="low"), "band codes used more"),
    ("band gap", lambda d: d["bands"][1].update(low=4), "bands leave a gap: no band covers 3"),
    ("wide band gap", lambda d: d["bands"][1].update(low=5), "no band covers 3–4"),
    (
        "band overlap",
        lambda d: d["bands"][1].update(low=2),
        "bands 'low' (0–2) and 'high' (2–6) overlap",
    ),
    (
        "bands short of max",
        lambda d: d["bands"][1].update(high=5),
        "bands end at 5 but the highest",
    ),
    ("bands past max", lambda d: d["bands"][1].update(high=7), "bands end at 7 but the highest"),
    ("bands start late", lambda d: d["bands"][0].update(low=1), "bands start at 1 but the lowest"),
    ("bands out of order", lambda d: d["bands"].reverse(), "from the lowest scores to the highest"),
    ("band low as float", lambda d: d["bands"][0].update(low=0.0), "'low' must be a whole number"),
    ("caseness above max", _set(casenessMin=7), "casenessMin 7 is out of range (1–6)"),
    ("caseness zero", _set(casenessMin=0), "casenessMin 0 is out of range (1–6)"),
    (
        "remission above caseness",
        _set(remissionMax=3),
        "remissionMax (3) must be below casenessMin",
    ),
    ("remission at max", _set(remissionMax=6, casenessMin=None), "remissionMax 6 is out of range"),
    ("rc not an object", _set(reliableChange=6), "reliableChange: must be an object or null"),
    ("rc sd zero", lambda d: d["reliableChange"].update(sd=0), "'sd' must be above 0"),
    ("rc r one", lambda d: d["reliableChange"].update(r=1.0), "'r' (reliability) must be at least"),
    ("rc missing sd", lambda d: d["reliableChange"].pop("sd"), "reliableChange: missing key 'sd'"),
    ("rc sd text", lambda d: d["reliableChange"].update(sd="5"), "'sd' must be a number, not text"),
    (
        "rc points too big",
        lambda d: d["reliableChange"].update(nhsPoints=9),
        "'nhsPoints' 9 is out of range (1–6)",
    ),
    (
        "expected unknown band",
        lambda d: d["expectedRecovery"][0].update(band="none"),
        "band 'none' is not one of the instrument's bands",
    ),
    (
        "expected negative k",
        lambda d: d["expectedRecovery"][0].update(k=-0.5),
        "'k' must be 0 or more",
    ),
    (
        "expected duplicate band",
        lambda d: d["expectedRecovery"][1].update(band="low"),
        "more than one slope for band low",
    ),
    (
        "expected missing a band",
        lambda d: d["expectedRecovery"].pop(),
        "expectedRecovery must give a slope for every band or be empty; missing: high",
    ),
    ("expected without rc", _set(reliableChange=None), "expectedRecovery needs reliableChange"),
    ("prorate too many", _set(prorateMaxMissing=3), "prorateMaxMissing 3 is out of range (0–2)"),
    ("prorate negative", _set(prorateMaxMissing=-1), "prorateMaxMissing -1 is out of range"),
    ("prorate as bool", _set(prorateMaxMissing=False), "'prorateMaxMissing' must be a whole"),
    (
        "subscale unknown item",
        _set(subscales={"core": ["m-1", "m-9"]}),
        "subscale 'core': names unknown items m-9",
    ),
    (
        "subscale unscored item",
        _set(subscales={"core": ["m-1", "m-note"]}),
        "subscale 'core': includes unscored items m-note",
    ),
    ("subscale empty", _set(subscales={"core": []}), "must be a non-empty list of linkIds"),
    (
        "subscale repeated item",
        _set(subscales={"core": ["m-1", "m-1"]}),
        "lists m-1 more than once",
    ),
    ("subscale bad name", _set(subscales={"Core!": ["m-1"]}), "subscale 'Core!': names use only"),
    ("subscales a list", _set(subscales=["m-1"]), "'subscales' must be an object"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in INVALID],
)
def test_each_problem_is_named_in_plain_english(mutate: Mutation, expected: str) -> None:
    problems = _problems(mutate)
    assert any(expected in problem for problem in problems), problems


OPTION_PROBLEMS = [
    ("one option", lambda o: o[1:2], "needs at least two answer options"),
    (
        "gap in ordinals",
        lambda o: [o[0], o[2]],
        "must run 0, 1, 2, … without gaps or repeats (got 0, 2)",
    ),
    ("not from zero", lambda o: [{**x, "ordinal": x["ordinal"] + 1} for x in o], "(got 1, 2, 3)"),
    ("repeated ordinal", lambda o: [o[0], o[1], {**o[2], "ordinal": 1}], "(got 0, 1, 1)"),
    (
        "repeated code",
        lambda o: [o[0], o[1], {**o[2], "code": "never"}],
        "answer codes used more than once: never",
    ),
    ("negative ordinal", lambda o: [{**o[0], "ordinal": -1}, o[1]], "'ordinal' must be 0 or more"),
    ("missing display", lambda o: [{"code": "a", "ordinal": 0}, o[1]], "missing key 'display'"),
    (
        "empty display when licensed",
        lambda o: [{**o[0], "display": ""}, o[1]],
        "the answer has no display text",
    ),
    ("empty code", lambda o: [{**o[0], "code": ""}, o[1]], "'code' must not be empty"),
    ("option not an object", lambda o: ["never", o[1]], "answer 1: must be an object, not text"),
    ("options not a list", lambda o: {"never": 0}, "answer options must be a list"),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(change, expected, id=name) for name, change, expected in OPTION_PROBLEMS],
)
def test_answer_option_problems_are_named(
    change: Callable[[list[dict[str, Any]]], Any], expected: str
) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["item"][0].pop("answerSet")
        data["item"][0]["answerOption"] = change(data["answerSets"]["frequency"])

    problems = _problems(mutate)
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_listed_at_once() -> None:
    def mutate(data: dict[str, Any]) -> None:
        data.pop("title")
        data["item"][1]["linkId"] = "m-1"
        data["item"][2]["riskMin"] = 5
        data["bands"][1]["low"] = 4
        data["colour"] = "blue"

    problems = _problems(mutate)
    assert len(problems) >= 5
    joined = " | ".join(problems)
    for fragment in ("missing key 'title'", "linkIds used more than once", "riskMin 5",
                     "gap", "unknown key 'colour'"):  # fmt: skip
        assert fragment in joined


def test_an_error_names_how_many_problems_there_are() -> None:
    error = DefinitionError(["one", "two"])
    assert str(error) == "The instrument definition has 2 problems: one; two"
    assert str(DefinitionError(["one"])) == "The instrument definition has 1 problem: one"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("data", [None, [], "phq9", 3])
def test_a_definition_that_is_not_an_object_is_refused(data: Any) -> None:
    with pytest.raises(DefinitionError, match="must be a JSON object"):
        parse_definition(data)


def test_unlicensed_text_may_be_empty() -> None:
    data = small_definition()
    data["textLicensed"] = False
    for item in data["item"]:
        item["text"] = ""
    for option in data["answerSets"]["frequency"]:
        option["display"] = ""
    instrument = parse_definition(data)
    assert not instrument.text_licensed and not instrument.has_full_text


def test_inline_options_and_answer_sets_parse_the_same() -> None:
    data = small_definition()
    for item in data["item"]:
        item.pop("answerSet")
        item["answerOption"] = data["answerSets"]["frequency"]
    data.pop("answerSets")
    assert parse_definition(data) == parse_definition(small_definition())


def test_round_trip_keeps_every_field() -> None:
    instrument = parse_definition(small_definition())
    assert parse_definition(definition_to_json(instrument)) == instrument


def test_instruments_are_immutable_and_hashable() -> None:
    instrument = shipped("phq9")
    assert isinstance(instrument.subscales, FrozenMap)
    assert hash(instrument) == hash(parse_definition(definition_to_json(instrument)))
    with pytest.raises(AttributeError):
        instrument.code = "x"  # type: ignore[misc]


def test_item_lookup_raises_key_error_for_an_unknown_link_id() -> None:
    with pytest.raises(KeyError):
        shipped("phq9").item("phq9-12")
    with pytest.raises(KeyError):
        shipped("phq9").band("extreme")


# --- licensed text ------------------------------------------------------------------


def _epds_texts() -> dict[str, str]:
    epds = shipped("epds")
    texts = {"stem": "Licensed stem"}
    for item in epds.items:
        texts[item.link_id] = f"Licensed text {item.link_id}"
        for option in item.options:
            texts[f"{item.link_id}:{option.code}"] = f"Answer {option.code}"
    return texts


def test_licensed_text_fills_in_wording_and_keeps_scoring() -> None:
    """GIVEN the shipped EPDS, which has no wording
    WHEN a practice loads its licensed text for every item and answer
    THEN the wording appears, the instrument counts as licensed, and scores are unchanged."""
    epds = shipped("epds")
    licensed = with_licensed_text(epds, _epds_texts())
    assert licensed.stem == "Licensed stem"
    assert licensed.item("epds-3").text == "Licensed text epds-3"
    assert licensed.item("epds-3").options[0].display == "Answer a"
    assert licensed.text_licensed and licensed.has_full_text
    answers = {f"epds-{n}": n % 4 for n in range(1, 11)}
    assert score_answers(licensed, answers).total == score_answers(epds, answers).total
    # The shipped instrument itself is untouched.
    assert shipped("epds").item("epds-3").text == ""


def test_partial_licensed_text_does_not_claim_full_licence() -> None:
    licensed = with_licensed_text(shipped("phqa"), {"phqa-1": "Some wording"})
    assert licensed.item("phqa-1").text == "Some wording"
    assert not licensed.text_licensed


def test_licensed_text_can_replace_shipped_wording() -> None:
    phq9 = with_licensed_text(shipped("phq9"), {"phq9-1": "Reworded", "phq9-1:LA6568-5": "Never"})
    assert phq9.item("phq9-1").text == "Reworded"
    assert phq9.item("phq9-1").options[0].display == "Never"
    assert phq9.text_licensed


def test_unknown_licensed_text_keys_are_all_refused() -> None:
    with pytest.raises(DefinitionError) as caught:
        with_licensed_text(
            shipped("epds"),
            {"epds-11": "x", "epds-1:z": "y", "title": "z", "epds-2": 3},  # type: ignore[dict-item]
        )
    assert caught.value.errors == [
        "unknown text key 'epds-11': no item 'epds-11'",
        "unknown text key 'epds-1:z': item epds-1 has no answer code 'z'",
        "unknown text key 'title': no item 'title'",
        "text for 'epds-2' must be text, not a whole number",
    ]


def test_licensed_instrument_round_trips_with_its_text() -> None:
    licensed = with_licensed_text(shipped("epds"), _epds_texts())
    assert parse_definition(definition_to_json(licensed)) == licensed
