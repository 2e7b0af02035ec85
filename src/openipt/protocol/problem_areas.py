"""The four IPT problem areas: stable codes, default labels, goals and strategies.

Records store the code; what a screen shows is the practice's label for it
(`label_for`), because services name the areas differently (e.g. "life changes"
for role transition, "loneliness" for interpersonal deficits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from openipt.protocol.errors import ProtocolError

MAX_FOCUS_AREAS = 2


class ProblemAreaCode(StrEnum):
    GRIEF = "grief"
    ROLE_DISPUTE = "role_dispute"
    ROLE_TRANSITION = "role_transition"
    INTERPERSONAL_DEFICITS = "interpersonal_deficits"


class DisputeStage(StrEnum):
    RENEGOTIATION = "renegotiation"
    IMPASSE = "impasse"
    DISSOLUTION = "dissolution"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def description(self) -> str:
        return DISPUTE_STAGE_DESCRIPTIONS[self]


DISPUTE_STAGE_DESCRIPTIONS: Mapping[DisputeStage, str] = {
    DisputeStage.RENEGOTIATION: (
        "Both people are still trying to settle the difference; help the talks work better."
    ),
    DisputeStage.IMPASSE: (
        "The talking has stopped and resentment sits unspoken; help reopen the conversation."
    ),
    DisputeStage.DISSOLUTION: (
        "The relationship is ending or has ended; help the client close it and mourn it, "
        "then work on it as a role transition."
    ),
}

# A dispute that ends in dissolution is then worked on as this area.
AREA_AFTER_DISSOLUTION = ProblemAreaCode.ROLE_TRANSITION

# With no recent life event behind the depression, this is the usual focus.
DEFAULT_FOCUS_WITHOUT_EVENT = ProblemAreaCode.INTERPERSONAL_DEFICITS

# The practice setting "grief includes non-death losses" is off unless a practice
# turns it on: classic IPT keeps grief for deaths and treats other losses (a
# divorce, a lost job, a lost home) as role transitions.
GRIEF_INCLUDES_NON_DEATH_LOSSES_DEFAULT = False


@dataclass(frozen=True)
class ProblemArea:
    code: ProblemAreaCode
    label: str
    aliases: tuple[str, ...]
    chosen_when: str
    goals: tuple[str, ...]
    strategies: tuple[str, ...]
    # One line the middle-phase agenda shows beside the focus.
    agenda_hint: str = ""


_AREA_LIST: tuple[ProblemArea, ...] = (
    ProblemArea(
        code=ProblemAreaCode.GRIEF,
        label="Grief",
        aliases=("complicated bereavement", "bereavement"),
        chosen_when=(
            "The depression began or has lasted since the death of someone who mattered "
            "to the client, and the mourning has stalled."
        ),
        goals=(
            "Let the mourning move on.",
            "Rebuild interests and relationships that can fill part of what was lost.",
        ),
        strategies=(
            "Talk through the relationship with the person who died, good sides and bad.",
            "Go over what happened before, around and after the death.",
            "Make room for every feeling about the loss, anger and guilt included.",
            "Help the client reconnect with people and activities.",
        ),
        agenda_hint="Grief: keep the person who died and the client's feelings in the room.",
    ),
    ProblemArea(
        code=ProblemAreaCode.ROLE_DISPUTE,
        label="Role dispute",
        aliases=("interpersonal conflict", "disputes"),
        chosen_when=(
            "An important relationship is stuck in a conflict where the two people expect "
            "different things of each other."
        ),
        goals=(
            "Name the dispute and what each side expects.",
            "Choose a plan for it.",
            "Change expectations, communication or both until the dispute settles.",
        ),
        strategies=(
            "Place the dispute in its stage: renegotiation, impasse or dissolution.",
            "Explore what each person expects, and whether those expectations can meet.",
            "Look for the same pattern in other relationships.",
            "Use communication analysis, role play and decision analysis to find options.",
        ),
        agenda_hint="Role dispute: check which stage the dispute is in now.",
    ),
    ProblemArea(
        code=ProblemAreaCode.ROLE_TRANSITION,
        label="Role transition",
        aliases=("life change", "life changes"),
        chosen_when=(
            "The client is struggling with a change of circumstances: a birth, a move, a "
            "new or lost job, a separation, retirement, an illness, leaving home, migration."
        ),
        goals=(
            "Mourn and accept what the old role gave.",
            "See the new role in a fairer, more hopeful light.",
            "Regain self-esteem by getting on top of what the new role asks.",
        ),
        strategies=(
            "Weigh the good and bad sides of the old role and of the new one.",
            "Explore the feelings about what was lost and about the change itself.",
            "Look for what the new role makes possible.",
            "Build the support and skills the new role needs.",
        ),
        agenda_hint="Role transition: weigh the old role against the new one.",
    ),
    ProblemArea(
        code=ProblemAreaCode.INTERPERSONAL_DEFICITS,
        label="Interpersonal deficits",
        aliases=("interpersonal sensitivity", "loneliness", "social isolation"),
        chosen_when=(
            "The client is isolated or has long had relationships that leave them "
            "unsatisfied; the usual focus when no recent life event explains the depression."
        ),
        goals=(
            "Make the client less isolated.",
            "Strengthen the relationships they have and help start new ones.",
        ),
        strategies=(
            "Review past relationships for patterns that repeat.",
            "Use the relationship with the therapist as a place to notice those patterns.",
            "Build skills with role play and communication analysis.",
        ),
        agenda_hint="Interpersonal deficits: look for one contact to build on this week.",
    ),
)

PROBLEM_AREAS: Mapping[ProblemAreaCode, ProblemArea] = {area.code: area for area in _AREA_LIST}


def _known(code: str) -> ProblemAreaCode | None:
    try:
        return ProblemAreaCode(code)
    except ValueError:
        return None


def get_area(code: str) -> ProblemArea:
    """The problem area with this code; ProtocolError for a code that is not one."""
    known = _known(code)
    if known is None:
        raise ProtocolError(f"{code!r} is not a problem area.")
    return PROBLEM_AREAS[known]


def label_for(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """The label to show for a problem area: the practice's own if it set one, else ours.

    `overrides` maps codes to a practice's labels; a blank override counts as none.
    An unknown code raises ProtocolError even if an override names it.
    """
    area = get_area(code)
    if overrides:
        custom = overrides.get(area.code.value, "").strip()
        if custom:
            return custom
    return area.label


def validate_focus(codes: Sequence[str]) -> list[str]:
    """Problems with a proposed focus, as messages (empty when it is acceptable)."""
    if not codes:
        return ["Choose at least one problem area as the focus."]
    messages: list[str] = []
    distinct = list(dict.fromkeys(codes))
    if len(distinct) > MAX_FOCUS_AREAS:
        messages.append(
            f"A focus can have at most {MAX_FOCUS_AREAS} problem areas; "
            f"{len(distinct)} were chosen."
        )
    for code in distinct:
        if codes.count(code) > 1:
            name = label_for(code) if _known(code) is not None else repr(code)
            messages.append(f"{name} is chosen more than once.")
    messages.extend(f"{code!r} is not a problem area." for code in distinct if _known(code) is None)
    return messages


def grief_applies(loss_is_death: bool, extended_grief: bool) -> bool:
    """Whether a loss can be worked on under grief.

    A death always can. Any other loss can only when the practice has turned on
    "grief includes non-death losses" (`extended_grief`); otherwise it is usually a
    role transition (see `area_for_loss`).
    """
    return loss_is_death or extended_grief


def area_for_loss(loss_is_death: bool, extended_grief: bool) -> ProblemAreaCode:
    """The problem area a loss usually points to under the practice's grief setting."""
    if grief_applies(loss_is_death, extended_grief):
        return ProblemAreaCode.GRIEF
    return ProblemAreaCode.ROLE_TRANSITION
