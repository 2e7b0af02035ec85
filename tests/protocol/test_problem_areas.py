"""Problem areas: codes, practice labels, focus validation, grief and disputes."""

from __future__ import annotations

import pytest

from openipt.protocol.errors import ProtocolError
from openipt.protocol.problem_areas import (
    AREA_AFTER_DISSOLUTION,
    DEFAULT_FOCUS_WITHOUT_EVENT,
    GRIEF_INCLUDES_NON_DEATH_LOSSES_DEFAULT,
    MAX_FOCUS_AREAS,
    PROBLEM_AREAS,
    DisputeStage,
    ProblemAreaCode,
    area_for_loss,
    get_area,
    grief_applies,
    label_for,
    validate_focus,
)


def test_there_are_four_problem_areas_filed_under_their_codes() -> None:
    assert set(PROBLEM_AREAS) == set(ProblemAreaCode)
    assert len(PROBLEM_AREAS) == 4
    for code, area in PROBLEM_AREAS.items():
        assert area.code is code


@pytest.mark.parametrize("code", list(ProblemAreaCode))
def test_each_area_says_when_to_choose_it_what_to_aim_for_and_how(code: ProblemAreaCode) -> None:
    area = PROBLEM_AREAS[code]
    assert area.label
    assert area.aliases
    assert len(area.chosen_when) > 40
    assert len(area.goals) >= 2
    assert len(area.strategies) >= 3
    assert area.agenda_hint.startswith(area.label)


@pytest.mark.parametrize(
    ("code", "alias"),
    [
        (ProblemAreaCode.GRIEF, "complicated bereavement"),
        (ProblemAreaCode.ROLE_DISPUTE, "interpersonal conflict"),
        (ProblemAreaCode.ROLE_TRANSITION, "life change"),
        (ProblemAreaCode.INTERPERSONAL_DEFICITS, "social isolation"),
    ],
)
def test_aliases_include_the_names_other_schools_use(code: ProblemAreaCode, alias: str) -> None:
    assert alias in PROBLEM_AREAS[code].aliases


def test_grief_is_about_a_death_and_disputes_about_expectations() -> None:
    assert "death" in PROBLEM_AREAS[ProblemAreaCode.GRIEF].chosen_when
    assert "expect" in PROBLEM_AREAS[ProblemAreaCode.ROLE_DISPUTE].chosen_when


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("grief", "Grief"),
        ("role_dispute", "Role dispute"),
        ("role_transition", "Role transition"),
        ("interpersonal_deficits", "Interpersonal deficits"),
    ],
)
def test_default_labels(code: str, label: str) -> None:
    assert label_for(code) == label
    assert label_for(code, {}) == label


def test_practice_label_replaces_the_default() -> None:
    """GIVEN a practice that calls role transitions "Life changes" WHEN the label is asked
    for THEN the practice's label is shown, and other areas keep theirs."""
    overrides = {"role_transition": "Life changes", "interpersonal_deficits": "Loneliness"}
    assert label_for("role_transition", overrides) == "Life changes"
    assert label_for("interpersonal_deficits", overrides) == "Loneliness"
    assert label_for("grief", overrides) == "Grief"


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_practice_label_falls_back_to_the_default(blank: str) -> None:
    assert label_for("grief", {"grief": blank}) == "Grief"


def test_practice_label_is_trimmed() -> None:
    assert label_for("grief", {"grief": "  Loss  "}) == "Loss"


@pytest.mark.parametrize("code", ["loneliness", "Grief", "", "role-dispute"])
def test_unknown_code_is_refused_even_with_a_label_for_it(code: str) -> None:
    with pytest.raises(ProtocolError, match="is not a problem area"):
        label_for(code, {code: "Something"})


def test_get_area_refuses_unknown_codes() -> None:
    with pytest.raises(ProtocolError, match="'sorrow' is not a problem area"):
        get_area("sorrow")


@pytest.mark.parametrize(
    ("codes", "messages"),
    [
        (["grief"], []),
        (["role_dispute", "role_transition"], []),
        ((), ["Choose at least one problem area as the focus."]),
        (
            ["grief", "role_dispute", "role_transition"],
            ["A focus can have at most 2 problem areas; 3 were chosen."],
        ),
        (["grief", "grief"], ["Grief is chosen more than once."]),
        (["sorrow"], ["'sorrow' is not a problem area."]),
        (
            ["grief", "sorrow", "sorrow"],
            ["'sorrow' is chosen more than once.", "'sorrow' is not a problem area."],
        ),
        (
            ["grief", "role_dispute", "role_transition", "interpersonal_deficits", "grief"],
            [
                "A focus can have at most 2 problem areas; 4 were chosen.",
                "Grief is chosen more than once.",
            ],
        ),
    ],
)
def test_focus_validation(codes: list[str], messages: list[str]) -> None:
    """GIVEN a proposed focus WHEN it is validated THEN each problem with it (none, too
    many areas, the same area twice, an unknown code) gets its own plain message."""
    assert validate_focus(codes) == messages


def test_focus_limit_is_two() -> None:
    assert MAX_FOCUS_AREAS == 2


@pytest.mark.parametrize(
    ("death", "extended", "applies", "area"),
    [
        (True, False, True, ProblemAreaCode.GRIEF),
        (True, True, True, ProblemAreaCode.GRIEF),
        (False, False, False, ProblemAreaCode.ROLE_TRANSITION),
        (False, True, True, ProblemAreaCode.GRIEF),
    ],
)
def test_grief_covers_non_death_losses_only_when_the_practice_says_so(
    death: bool, extended: bool, applies: bool, area: ProblemAreaCode
) -> None:
    """GIVEN a loss WHEN it is a death THEN grief applies; WHEN it is another loss THEN
    grief applies only under the practice's extended-grief setting, otherwise the loss is
    usually a role transition."""
    assert grief_applies(loss_is_death=death, extended_grief=extended) is applies
    assert area_for_loss(loss_is_death=death, extended_grief=extended) is area


def test_extended_grief_is_off_by_default() -> None:
    assert GRIEF_INCLUDES_NON_DEATH_LOSSES_DEFAULT is False


def test_default_focus_without_a_life_event_is_interpersonal_deficits() -> None:
    assert DEFAULT_FOCUS_WITHOUT_EVENT is ProblemAreaCode.INTERPERSONAL_DEFICITS


@pytest.mark.parametrize(
    ("stage", "label", "word"),
    [
        (DisputeStage.RENEGOTIATION, "Renegotiation", "talks"),
        (DisputeStage.IMPASSE, "Impasse", "reopen"),
        (DisputeStage.DISSOLUTION, "Dissolution", "role transition"),
    ],
)
def test_dispute_stages_are_described(stage: DisputeStage, label: str, word: str) -> None:
    assert stage.label == label
    assert word in stage.description


def test_a_dissolved_dispute_is_then_worked_on_as_a_transition() -> None:
    assert AREA_AFTER_DISSOLUTION is ProblemAreaCode.ROLE_TRANSITION
    strategies = " ".join(PROBLEM_AREAS[ProblemAreaCode.ROLE_DISPUTE].strategies)
    for stage in DisputeStage:
        assert stage.value in strategies
