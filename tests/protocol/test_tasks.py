"""Phase tasks and the gate tasks, per variant."""

from __future__ import annotations

import pytest

from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase
from openipt.protocol.tasks import (
    GATE_TASKS,
    PHASE_TASKS,
    TaskCode,
    gate_tasks_for,
    get_task,
    tasks_for,
)
from openipt.protocol.variants import VARIANTS, Feature

IPT_A = VARIANTS["ipt_a"].features


def _codes(phase: Phase, features: frozenset[Feature] = frozenset()) -> list[TaskCode]:
    return [task.code for task in tasks_for(phase, features)]


def test_initial_phase_tasks_in_order() -> None:
    assert _codes(Phase.INITIAL) == [
        TaskCode.BASELINE_MEASURE,
        TaskCode.DIAGNOSIS_GIVEN,
        TaskCode.PSYCHOEDUCATION,
        TaskCode.SICK_ROLE_GIVEN,
        TaskCode.MEDICATION_EVALUATED,
        TaskCode.INVENTORY,
        TaskCode.ONSET_LINKED,
        TaskCode.FORMULATION,
        TaskCode.FOCUS_CHOSEN,
        TaskCode.CONTRACT_AGREED,
        TaskCode.HOPE_INSTILLED,
    ]


def test_middle_phase_has_no_one_off_tasks() -> None:
    """GIVEN the middle phase WHEN its tasks are listed THEN there are none: its work
    recurs every session and lives on the agenda instead."""
    assert PHASE_TASKS[Phase.MIDDLE] == ()
    assert tasks_for(Phase.MIDDLE, IPT_A) == ()


def test_termination_phase_tasks_in_order() -> None:
    assert _codes(Phase.TERMINATION) == [
        TaskCode.ENDING_RAISED,
        TaskCode.PROGRESS_REVIEWED,
        TaskCode.ENDING_FEELINGS,
        TaskCode.WARNING_SIGNS,
        TaskCode.NEXT_STEP_AGREED,
    ]


def test_gate_flags_match_the_gate_tasks() -> None:
    """GIVEN the standard course WHEN the initial tasks marked as gate are collected
    THEN they are exactly baseline measure, inventory, formulation, focus and contract."""
    flagged = {task.code for task in PHASE_TASKS[Phase.INITIAL] if task.gate}
    assert flagged == GATE_TASKS
    assert {
        TaskCode.BASELINE_MEASURE,
        TaskCode.INVENTORY,
        TaskCode.FORMULATION,
        TaskCode.FOCUS_CHOSEN,
        TaskCode.CONTRACT_AGREED,
    } == GATE_TASKS
    assert gate_tasks_for() == GATE_TASKS


def test_only_initial_tasks_gate() -> None:
    for phase in (Phase.MIDDLE, Phase.TERMINATION):
        assert not [task for task in tasks_for(phase, IPT_A) if task.gate]


def test_adolescent_course_adds_circle_and_caregiver_tasks() -> None:
    """GIVEN IPT-A WHEN its tasks are listed THEN the caregiver comes in first, the
    closeness circle follows the inventory and gates the middle phase, and the caregiver
    comes back at the end."""
    initial = _codes(Phase.INITIAL, IPT_A)
    assert initial[0] is TaskCode.CAREGIVER_START
    assert initial.index(TaskCode.CLOSENESS_CIRCLE) == initial.index(TaskCode.INVENTORY) + 1
    assert gate_tasks_for(IPT_A) == GATE_TASKS | {TaskCode.CLOSENESS_CIRCLE}
    assert _codes(Phase.TERMINATION, IPT_A)[-1] is TaskCode.CAREGIVER_END


def test_adolescent_course_gives_a_limited_sick_role() -> None:
    task = get_task(TaskCode.SICK_ROLE_GIVEN, IPT_A)
    assert task.label == "Limited sick role given"
    assert "limited sick role" in task.prompt
    assert get_task(TaskCode.SICK_ROLE_GIVEN).label == "Sick role given"


@pytest.mark.parametrize("code", sorted(VARIANTS))
def test_tasks_are_unique_within_a_phase(code: str) -> None:
    features = VARIANTS[code].features
    for phase in Phase:
        codes = _codes(phase, features)
        assert len(codes) == len(set(codes))


def test_every_task_code_is_used_by_some_variant() -> None:
    used = {t for v in VARIANTS.values() for phase in Phase for t in _codes(phase, v.features)}
    assert used == set(TaskCode)


def test_every_task_has_a_label_a_prompt_and_its_own_phase() -> None:
    everything = frozenset(Feature)
    for phase in Phase:
        for task in tasks_for(phase, everything):
            assert task.label
            assert task.prompt.endswith(".")
            assert task.todo == task.prompt
            assert task.phase is phase


def test_task_codes_fit_the_courses_column() -> None:
    # CourseTaskMark.task is a CharField(max_length=32).
    assert max(len(code.value) for code in TaskCode) <= 32


def test_task_outside_the_variant_is_refused() -> None:
    with pytest.raises(ProtocolError, match="'closeness_circle' is not part of this variant"):
        get_task(TaskCode.CLOSENESS_CIRCLE)
