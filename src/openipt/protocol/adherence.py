"""Our own adherence checklist, derived from the phase tasks (not the IPT-QAS wording).

Each item names the phases in which it is rated for a session; an item tied to
a task (`task`) can be pre-filled from the course record.
"""

from __future__ import annotations

from dataclasses import dataclass

from openipt.protocol.phases import Phase
from openipt.protocol.tasks import TaskCode


@dataclass(frozen=True)
class AdherenceItem:
    code: str
    text: str
    phases: frozenset[Phase]
    task: TaskCode | None = None


_INITIAL = frozenset({Phase.INITIAL})
_MIDDLE = frozenset({Phase.MIDDLE})
_TERMINATION = frozenset({Phase.TERMINATION})
_AFTER_INITIAL = frozenset({Phase.MIDDLE, Phase.TERMINATION})
_ALL = frozenset(Phase)

ADHERENCE_ITEMS: tuple[AdherenceItem, ...] = (
    AdherenceItem(
        "diagnosis_given",
        "The depression was named as a treatable illness.",
        _INITIAL,
        TaskCode.DIAGNOSIS_GIVEN,
    ),
    AdherenceItem(
        "sick_role_given",
        "The client was given the sick role (a limited one for adolescents).",
        _INITIAL,
        TaskCode.SICK_ROLE_GIVEN,
    ),
    AdherenceItem(
        "inventory_complete",
        "The interpersonal inventory covers every important relationship.",
        _INITIAL,
        TaskCode.INVENTORY,
    ),
    AdherenceItem(
        "formulation_agreed",
        "The client agreed with the interpersonal formulation.",
        _INITIAL,
        TaskCode.FORMULATION,
    ),
    AdherenceItem(
        "focus_kept",
        "The session stayed with the agreed problem area(s).",
        _MIDDLE,
    ),
    AdherenceItem(
        "interval_question_used",
        "The session opened by asking how things had been since the last one.",
        _AFTER_INITIAL,
    ),
    AdherenceItem(
        "symptom_measure_reviewed",
        "A symptom measure was reviewed with the client.",
        _ALL,
    ),
    AdherenceItem(
        "ending_raised_ahead",
        "The ending was raised two to four sessions before it.",
        _AFTER_INITIAL,
        TaskCode.ENDING_RAISED,
    ),
    AdherenceItem(
        "maintenance_discussed",
        "What comes next (maintenance, continuation or referral) was discussed.",
        _TERMINATION,
        TaskCode.NEXT_STEP_AGREED,
    ),
)


def items_for(phase: Phase) -> tuple[AdherenceItem, ...]:
    """The checklist items rated in a session of `phase`, in checklist order."""
    return tuple(item for item in ADHERENCE_ITEMS if phase in item.phases)
