"""The six shipped instrument definitions say what measures.md says."""

from __future__ import annotations

import json
import math
from importlib import resources

import pytest

from openipt.measures.engine import (
    definition_to_json,
    parse_definition,
    shipped,
    shipped_instruments,
)
from openipt.measures.engine.definition import loinc_check_digit_ok

FREQUENCY_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def test_six_instruments_are_shipped_at_version_1_0() -> None:
    instruments = shipped_instruments()
    assert set(instruments) == {"phq9", "gad7", "gds15", "phq2", "epds", "phqa"}
    assert {i.version for i in instruments.values()} == {"1.0"}


def test_an_unknown_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        shipped("hamd17")


def test_the_catalogue_is_loaded_once() -> None:
    assert shipped_instruments() is shipped_instruments()
    assert shipped("phq9") is shipped("phq9")


@pytest.mark.parametrize("code", ["phq9", "gad7", "gds15", "phq2", "epds", "phqa"])
def test_every_shipped_file_round_trips(code: str) -> None:
    instrument = shipped(code)
    assert parse_definition(definition_to_json(instrument)) == instrument
    assert json.loads(json.dumps(definition_to_json(instrument))) == definition_to_json(instrument)


def test_definition_files_are_package_data_next_to_the_engine() -> None:
    folder = resources.files("openipt.measures.engine") / "definitions"
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    assert names == ["epds.json", "gad7.json", "gds15.json", "phq2.json", "phq9.json", "phqa.json"]


@pytest.mark.parametrize(
    ("code", "link_ids"),
    [
        ("phq9", [f"phq9-{n}" for n in range(1, 10)] + ["phq9-difficulty"]),
        ("gad7", [f"gad7-{n}" for n in range(1, 8)]),
        ("gds15", [f"gds15-{n}" for n in range(1, 16)]),
        ("phq2", ["phq2-1", "phq2-2"]),
        ("epds", [f"epds-{n}" for n in range(1, 11)]),
        (
            "phqa",
            [f"phqa-{n}" for n in range(1, 10)]
            + ["phqa-dysthymia", "phqa-difficulty", "phqa-suicide-month", "phqa-suicide-ever"],
        ),
    ],
)
def test_link_ids_are_the_agreed_ones(code: str, link_ids: list[str]) -> None:
    assert [item.link_id for item in shipped(code).items] == link_ids


@pytest.mark.parametrize(
    ("code", "max_total", "scored", "caseness", "remission"),
    [
        ("phq9", 27, 9, 10, 4),
        ("gad7", 21, 7, 8, 4),
        ("gds15", 15, 15, 5, None),
        ("phq2", 6, 2, 3, None),
        ("epds", 30, 10, 10, None),
        ("phqa", 27, 9, 10, 4),
    ],
)
def test_ranges_and_thresholds(
    code: str, max_total: int, scored: int, caseness: int, remission: int | None
) -> None:
    instrument = shipped(code)
    assert (instrument.min_total, instrument.max_total) == (0, max_total)
    assert len(instrument.scored_items) == scored
    assert instrument.caseness_min == caseness
    assert instrument.remission_max == remission


def test_phq9_codes_match_loinc() -> None:
    phq9 = shipped("phq9")
    assert (phq9.loinc_panel, phq9.loinc_total) == ("44249-1", "44261-6")
    assert [item.loinc for item in phq9.items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
        "44258-2", "44252-5", "44253-3", "44260-8", "69722-7",
    ]  # fmt: skip
    for item in phq9.scored_items:
        assert [o.code for o in item.options] == FREQUENCY_CODES
        assert [o.ordinal for o in item.options] == [0, 1, 2, 3]
    assert [o.display for o in phq9.item("phq9-1").options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]


def test_phq9_difficulty_item_is_asked_but_not_scored() -> None:
    difficulty = shipped("phq9").item("phq9-difficulty")
    assert not difficulty.scored
    assert not difficulty.required
    assert next(o.display for o in difficulty.options) == "Not difficult at all"


def test_gad7_codes_match_measures_md() -> None:
    gad7 = shipped("gad7")
    assert (gad7.loinc_panel, gad7.loinc_total) == ("69737-5", "70274-6")
    assert [item.loinc for item in gad7.items] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ]  # fmt: skip


def test_every_shipped_loinc_term_code_has_a_valid_check_digit() -> None:
    for instrument in shipped_instruments().values():
        codes = [instrument.loinc_panel, instrument.loinc_total]
        codes += [item.loinc for item in instrument.items]
        for code in codes:
            assert code is None or loinc_check_digit_ok(code), (instrument.code, code)


@pytest.mark.parametrize("code", ["44261-6", "44250-9", "70274-6", "71354-5"])
def test_loinc_check_digit_accepts_real_codes(code: str) -> None:
    assert loinc_check_digit_ok(code)


@pytest.mark.parametrize("code", ["44261-5", "44250-0", "LA6568-5", "4426-16", "", "44261"])
def test_loinc_check_digit_refuses_malformed_codes(code: str) -> None:
    assert not loinc_check_digit_ok(code)


def test_phq2_is_the_first_two_phq9_items() -> None:
    phq2, phq9 = shipped("phq2"), shipped("phq9")
    assert [(i.text, i.loinc) for i in phq2.items] == [(i.text, i.loinc) for i in phq9.items[:2]]


def test_gds15_reverse_items_are_those_where_no_scores_a_point() -> None:
    gds = shipped("gds15")
    assert [i.link_id for i in gds.items if i.reverse] == [
        "gds15-1", "gds15-5", "gds15-7", "gds15-11", "gds15-13",
    ]  # fmt: skip
    assert [(o.code, o.display, o.ordinal) for o in gds.item("gds15-1").options] == [
        ("LA33-6", "Yes", 1),
        ("LA32-8", "No", 0),
    ]


def test_epds_reverse_items_and_risk_item() -> None:
    epds = shipped("epds")
    assert [i.link_id for i in epds.items if i.reverse] == [
        "epds-3", "epds-5", "epds-6", "epds-7", "epds-8", "epds-9", "epds-10",
    ]  # fmt: skip
    assert [(i.link_id, i.risk_min) for i in epds.risk_items] == [("epds-10", 1)]
    assert epds.loinc_panel == "71354-5"


def test_phqa_risk_items_are_item_9_and_both_suicide_items() -> None:
    phqa = shipped("phqa")
    assert [(i.link_id, i.risk_min) for i in phqa.risk_items] == [
        ("phqa-9", 1),
        ("phqa-suicide-month", 1),
        ("phqa-suicide-ever", 1),
    ]
    for link_id in ("phqa-dysthymia", "phqa-difficulty", "phqa-suicide-month", "phqa-suicide-ever"):
        assert not phqa.item(link_id).scored
    assert phqa.bands == shipped("phq9").bands


@pytest.mark.parametrize(
    ("code", "risk"),
    [("phq9", ["phq9-9"]), ("gad7", []), ("gds15", []), ("phq2", []), ("epds", ["epds-10"])],
)
def test_risk_items_per_instrument(code: str, risk: list[str]) -> None:
    assert [i.link_id for i in shipped(code).risk_items] == risk


@pytest.mark.parametrize("code", ["epds", "phqa"])
def test_licensed_instruments_ship_no_wording(code: str) -> None:
    """GIVEN an instrument whose wording we may not distribute (EPDS, PHQ-A)
    WHEN its shipped definition is loaded
    THEN no item, answer or stem text is present and the notice says to load it."""
    instrument = shipped(code)
    assert not instrument.text_licensed
    assert instrument.stem == ""
    assert all(item.text == "" for item in instrument.items)
    assert all(o.display == "" for item in instrument.items for o in item.options)
    assert "licen" in instrument.licence_notice.lower()
    assert "load" in instrument.licence_notice


def test_licensed_files_contain_no_wording_at_all() -> None:
    folder = resources.files("openipt.measures.engine") / "definitions"
    for name in ("epds.json", "phqa.json"):
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        assert data["stem"] == ""
        assert all(item["text"] == "" for item in data["item"])
        for options in data["answerSets"].values():
            assert all(option["display"] == "" for option in options)


@pytest.mark.parametrize("code", ["phq9", "gad7", "phq2"])
def test_phq_family_shows_the_pfizer_notice(code: str) -> None:
    notice = shipped(code).licence_notice
    assert "Spitzer" in notice and "Kroenke" in notice and "Pfizer" in notice
    assert "No permission required" in notice


@pytest.mark.parametrize(
    ("code", "points", "amount"),
    [("phq9", 6, 6.0), ("gad7", 4, 4.0), ("phqa", None, 6.0), ("epds", None, 4.0)],
)
def test_reliable_change_parameters_match_the_criteria(
    code: str, points: int | None, amount: float
) -> None:
    rc = shipped(code).reliable_change
    assert rc is not None
    assert rc.nhs_points == points
    # The Jacobson–Truax amount agrees with the point criterion to within rounding.
    assert JT_amount(rc.sd, rc.r) == pytest.approx(amount, abs=0.01)


def JT_amount(sd: float, r: float) -> float:  # noqa: N802 - named after Jacobson & Truax
    return 1.96 * math.sqrt(2) * sd * math.sqrt(1 - r)


def test_phq2_is_a_screen_without_tracking_parameters() -> None:
    phq2 = shipped("phq2")
    assert phq2.reliable_change is None
    assert phq2.expected_recovery == ()
    assert [b.code for b in phq2.bands] == ["negative", "positive"]


@pytest.mark.parametrize("code", ["phq9", "gad7", "gds15", "epds", "phqa"])
def test_default_slopes_follow_the_documented_heuristic(code: str) -> None:
    """GIVEN a shipped instrument's default expected-recovery slopes
    WHEN a client starts at the midpoint M of a band at or above caseness
    THEN 16 sessions later the expected score is about 40 % below M
    (k = 0.4·M/ln 17), and half that slope for bands entirely below caseness."""
    instrument = shipped(code)
    assert instrument.caseness_min is not None
    assert [e.band_code for e in instrument.expected_recovery] == [b.code for b in instrument.bands]
    for band in instrument.bands:
        entry = instrument.expected_band(band.code)
        assert entry is not None and entry.n_courses == 0
        midpoint = (band.low + band.high) / 2
        factor = 0.4 if band.high >= instrument.caseness_min else 0.2
        assert entry.k == pytest.approx(factor * midpoint / math.log(17), abs=0.001)
        assert (midpoint - entry.k * math.log(17)) / midpoint == pytest.approx(1 - factor, abs=0.01)
