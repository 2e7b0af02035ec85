"""What each phase asks of the clinician, and which tasks gate the middle phase.

Tasks are one-off acts a course record can show as done. The middle phase has
none: what it asks for recurs every session (the interval history, the measure
reviewed, the focus kept, the experiments reviewed), so the engine's agenda
carries it (`engine.agenda_for`) instead of a task list.

Some tasks belong only to some variants: IPT-A adds the closeness circle (part of
its gate) and the caregiver's part at the start and at the end, and gives the
limited sick role. `tasks_for` applies those; `PHASE_TASKS` is the standard course.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase
from openipt.protocol.variants import Feature


class TaskCode(StrEnum):
    # Initial phase (protocol note §2.1)
    BASELINE_MEASURE = "baseline_measure"
    DIAGNOSIS_GIVEN = "diagnosis_given"
    SICK_ROLE_GIVEN = "sick_role_given"
    MEDICATION_EVALUATED = "medication_evaluated"
    INVENTORY = "inventory"
    ONSET_LINKED = "onset_linked"
    FORMULATION = "formulation"
    FOCUS_CHOSEN = "focus_chosen"
    CONTRACT_AGREED = "contract_agreed"
    # Termination phase (§2.3)
    ENDING_RAISED = "ending_raised"
    PROGRESS_REVIEWED = "progress_reviewed"
    WARNING_SIGNS = "warning_signs"
    NEXT_STEP_AGREED = "next_step_agreed"
    # Added after the skeleton: the rest of §2.1 and §2.3, and the IPT-A specifics (§6).
    PSYCHOEDUCATION = "psychoeducation"
    HOPE_INSTILLED = "hope_instilled"
    CLOSENESS_CIRCLE = "closeness_circle"
    CAREGIVER_START = "caregiver_start"
    ENDING_FEELINGS = "ending_feelings"
    CAREGIVER_END = "caregiver_end"


@dataclass(frozen=True)
class Task:
    code: TaskCode
    label: str
    phase: Phase
    gate: bool = False  # required before the middle phase (unless overridden)
    # What to do, as one imperative sentence for the agenda and for gate reasons.
    prompt: str = ""

    @property
    def todo(self) -> str:
        return self.prompt or self.label


_SICK_ROLE = Task(
    TaskCode.SICK_ROLE_GIVEN,
    "Sick role given",
    Phase.INITIAL,
    prompt=(
        "Give the sick role: for now the client is excused some duties and any blame, "
        "and their job is to work at getting better."
    ),
)
_LIMITED_SICK_ROLE = replace(
    _SICK_ROLE,
    label="Limited sick role given",
    prompt=(
        "Give a limited sick role: the young person keeps going to school and doing what "
        "they can, while family and school ease expectations for a while."
    ),
)
_CLOSENESS_CIRCLE = Task(
    TaskCode.CLOSENESS_CIRCLE,
    "Closeness circle drawn",
    Phase.INITIAL,
    gate=True,
    prompt="Draw the closeness circle with the young person: who sits on which ring.",
)
_CAREGIVER_START = Task(
    TaskCode.CAREGIVER_START,
    "Caregiver involved at the start",
    Phase.INITIAL,
    prompt=(
        "Meet a parent or caregiver (with the young person): explain the treatment, the "
        "limited sick role and how they can help."
    ),
)
_CAREGIVER_END = Task(
    TaskCode.CAREGIVER_END,
    "Caregiver involved at the end",
    Phase.TERMINATION,
    prompt=(
        "Meet the parent or caregiver again: share the progress, the warning signs and "
        "what to do if they come back."
    ),
)

PHASE_TASKS: Mapping[Phase, tuple[Task, ...]] = {
    Phase.INITIAL: (
        Task(
            TaskCode.BASELINE_MEASURE,
            "Baseline symptom measure",
            Phase.INITIAL,
            gate=True,
            prompt="Take a baseline symptom measure.",
        ),
        Task(
            TaskCode.DIAGNOSIS_GIVEN,
            "Diagnosis given",
            Phase.INITIAL,
            prompt="Name the diagnosis plainly: depression is a common, treatable illness.",
        ),
        Task(
            TaskCode.PSYCHOEDUCATION,
            "Depression explained",
            Phase.INITIAL,
            prompt="Explain how depression works and that it is not the client's fault.",
        ),
        _SICK_ROLE,
        Task(
            TaskCode.MEDICATION_EVALUATED,
            "Need for medication considered",
            Phase.INITIAL,
            prompt=(
                "Consider whether medication is needed: severity, past episodes, past "
                "response, the client's preference."
            ),
        ),
        Task(
            TaskCode.INVENTORY,
            "Interpersonal inventory complete",
            Phase.INITIAL,
            gate=True,
            prompt="Complete the interpersonal inventory: every important relationship.",
        ),
        Task(
            TaskCode.ONSET_LINKED,
            "Onset linked to events",
            Phase.INITIAL,
            prompt="Place the start and worsening of symptoms on the timeline of life events.",
        ),
        Task(
            TaskCode.FORMULATION,
            "Interpersonal formulation agreed",
            Phase.INITIAL,
            gate=True,
            prompt="Share the interpersonal formulation and check that the client agrees.",
        ),
        Task(
            TaskCode.FOCUS_CHOSEN,
            "Focus chosen",
            Phase.INITIAL,
            gate=True,
            prompt="Choose the focus with the client: one problem area, two at most.",
        ),
        Task(
            TaskCode.CONTRACT_AGREED,
            "Treatment contract agreed",
            Phase.INITIAL,
            gate=True,
            prompt=(
                "Agree the treatment contract: focus, number, frequency and length of sessions."
            ),
        ),
        Task(
            TaskCode.HOPE_INSTILLED,
            "Hope instilled",
            Phase.INITIAL,
            prompt="Leave the client with realistic hope: this treatment often helps.",
        ),
    ),
    Phase.MIDDLE: (),
    Phase.TERMINATION: (
        Task(
            TaskCode.ENDING_RAISED,
            "Ending raised",
            Phase.TERMINATION,
            prompt="Name the ending openly: how many sessions are left and when the last is.",
        ),
        Task(
            TaskCode.PROGRESS_REVIEWED,
            "Progress reviewed",
            Phase.TERMINATION,
            prompt=(
                "Review progress on each problem and goal set at the start, first measure "
                "against latest."
            ),
        ),
        Task(
            TaskCode.ENDING_FEELINGS,
            "Feelings about ending acknowledged",
            Phase.TERMINATION,
            prompt=(
                "Talk about how the ending feels, and credit the client for the changes they made."
            ),
        ),
        Task(
            TaskCode.WARNING_SIGNS,
            "Warning signs and coping plan",
            Phase.TERMINATION,
            prompt=(
                "Agree the client's own warning signs of relapse, what to do, and whom to contact."
            ),
        ),
        Task(
            TaskCode.NEXT_STEP_AGREED,
            "Next step agreed",
            Phase.TERMINATION,
            prompt=(
                "Agree the next step: end, continuation, maintenance IPT under a new contract, "
                "a medication review, or referral."
            ),
        ),
    ),
}

GATE_TASKS: frozenset[TaskCode] = frozenset(
    {
        TaskCode.BASELINE_MEASURE,
        TaskCode.INVENTORY,
        TaskCode.FORMULATION,
        TaskCode.FOCUS_CHOSEN,
        TaskCode.CONTRACT_AGREED,
    }
)


def tasks_for(phase: Phase, features: frozenset[Feature] = frozenset()) -> tuple[Task, ...]:
    """The tasks of `phase` for a variant with `features`, in the order they usually happen."""
    tasks = list(PHASE_TASKS[phase])
    if Feature.LIMITED_SICK_ROLE in features:
        tasks = [_LIMITED_SICK_ROLE if t.code is TaskCode.SICK_ROLE_GIVEN else t for t in tasks]
    if phase is Phase.INITIAL:
        if Feature.CLOSENESS_CIRCLE_REQUIRED in features:
            after = _index_of(tasks, TaskCode.INVENTORY) + 1
            tasks.insert(after, _CLOSENESS_CIRCLE)
        if Feature.CAREGIVER_INVOLVEMENT in features:
            tasks.insert(0, _CAREGIVER_START)
    if phase is Phase.TERMINATION and Feature.CAREGIVER_INVOLVEMENT in features:
        tasks.append(_CAREGIVER_END)
    return tuple(tasks)


def gate_tasks_for(features: frozenset[Feature] = frozenset()) -> frozenset[TaskCode]:
    """The tasks that gate the middle phase for a variant with `features`."""
    return frozenset(t.code for t in tasks_for(Phase.INITIAL, features) if t.gate)


def get_task(code: TaskCode, features: frozenset[Feature] = frozenset()) -> Task:
    """The task with this code as a variant with `features` words it."""
    for phase in PHASE_TASKS:
        for task in tasks_for(phase, features):
            if task.code is code:
                return task
    raise ProtocolError(f"The task {code.value!r} is not part of this variant.")


def _index_of(tasks: list[Task], code: TaskCode) -> int:
    return next(i for i, task in enumerate(tasks) if task.code is code)
