"""Techniques recorded per session, and our own adherence checklist."""

from __future__ import annotations

import pytest

from openipt.protocol.adherence import ADHERENCE_ITEMS, items_for
from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase
from openipt.protocol.tasks import TaskCode, tasks_for
from openipt.protocol.techniques import TECHNIQUES, TechniqueCode, get_technique
from openipt.protocol.variants import Feature


def test_every_technique_of_the_protocol_is_offered() -> None:
    assert set(TECHNIQUES) == {code.value for code in TechniqueCode}
    assert set(TECHNIQUES) == {
        "exploratory_questions",
        "direct_elicitation",
        "encouragement_of_affect",
        "clarification",
        "communication_analysis",
        "decision_analysis",
        "role_play",
        "therapeutic_relationship",
        "interpersonal_experiment",
    }


@pytest.mark.parametrize("code", sorted(TECHNIQUES))
def test_each_technique_is_named_and_described(code: str) -> None:
    technique = get_technique(code)
    assert technique.code == code
    assert technique.name
    assert len(technique.description) > 30
    assert len(set(technique.field_codes)) == len(technique.structured_fields)


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        (
            "communication_analysis",
            ("what_said", "what_meant", "what_heard", "what_felt", "alternatives"),
        ),
        ("decision_analysis", ("problem", "options", "pros_cons", "choice", "rehearsal")),
        ("role_play", ("scenario", "roles", "learned")),
        ("interpersonal_experiment", ("task", "with_whom", "outcome")),
        ("clarification", ()),
        ("therapeutic_relationship", ()),
    ],
)
def test_structured_techniques_keep_their_fields_in_order(
    code: str, fields: tuple[str, ...]
) -> None:
    assert get_technique(code).field_codes == fields


def test_unknown_technique_is_refused() -> None:
    with pytest.raises(ProtocolError, match="'hypnosis' is not an IPT technique"):
        get_technique("hypnosis")


def test_adherence_checklist_items_in_order() -> None:
    assert [item.code for item in ADHERENCE_ITEMS] == [
        "diagnosis_given",
        "sick_role_given",
        "inventory_complete",
        "formulation_agreed",
        "focus_kept",
        "interval_question_used",
        "symptom_measure_reviewed",
        "ending_raised_ahead",
        "maintenance_discussed",
    ]


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (
            Phase.INITIAL,
            [
                "diagnosis_given",
                "sick_role_given",
                "inventory_complete",
                "formulation_agreed",
                "symptom_measure_reviewed",
            ],
        ),
        (
            Phase.MIDDLE,
            [
                "focus_kept",
                "interval_question_used",
                "symptom_measure_reviewed",
                "ending_raised_ahead",
            ],
        ),
        (
            Phase.TERMINATION,
            [
                "interval_question_used",
                "symptom_measure_reviewed",
                "ending_raised_ahead",
                "maintenance_discussed",
            ],
        ),
    ],
)
def test_items_for_each_phase(phase: Phase, expected: list[str]) -> None:
    """GIVEN a session in a phase WHEN its adherence checklist is drawn up THEN it holds
    only the items that apply to that phase, in checklist order."""
    assert [item.code for item in items_for(phase)] == expected


def test_every_adherence_item_applies_somewhere_and_reads_as_a_sentence() -> None:
    for item in ADHERENCE_ITEMS:
        assert item.phases
        assert item.text[0].isupper() and item.text.endswith(".")


def test_adherence_items_tied_to_tasks_name_real_tasks() -> None:
    all_tasks = {task.code for phase in Phase for task in tasks_for(phase, frozenset(Feature))}
    tied = {item.code: item.task for item in ADHERENCE_ITEMS if item.task is not None}
    assert tied == {
        "diagnosis_given": TaskCode.DIAGNOSIS_GIVEN,
        "sick_role_given": TaskCode.SICK_ROLE_GIVEN,
        "inventory_complete": TaskCode.INVENTORY,
        "formulation_agreed": TaskCode.FORMULATION,
        "ending_raised_ahead": TaskCode.ENDING_RAISED,
        "maintenance_discussed": TaskCode.NEXT_STEP_AGREED,
    }
    assert set(tied.values()) <= all_tasks
