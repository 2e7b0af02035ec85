"""The three phases of an IPT course and the plan that maps session numbers onto them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openipt.protocol.errors import ProtocolError


class Phase(StrEnum):
    INITIAL = "initial"
    MIDDLE = "middle"
    TERMINATION = "termination"

    @property
    def label(self) -> str:
        return {
            "initial": "Initial phase",
            "middle": "Middle phase",
            "termination": "Termination phase",
        }[self.value]

    @property
    def next_phase(self) -> Phase | None:
        """The phase a course moves into after this one (None after termination)."""
        order = PHASE_ORDER
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


# The order a course goes through; a course never moves backwards.
PHASE_ORDER: tuple[Phase, ...] = (Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION)


@dataclass(frozen=True)
class PhasePlan:
    """Session numbers where each phase ends.

    Sessions 1..initial_last are the initial phase, initial_last+1..middle_last the
    middle phase, middle_last+1..total the termination phase. An open-ended course
    (maintenance IPT) has total=None and no termination phase until one is planned.

    For an open-ended plan `middle_last` is still stored (and must still come after
    `initial_last`) but is not used: every session after the initial phase belongs to
    the middle phase until the course is given a planned total.
    """

    initial_last: int
    middle_last: int
    total: int | None

    @property
    def is_open_ended(self) -> bool:
        return self.total is None

    def validate(self) -> None:
        """Raise ProtocolError, with a message fit for a clinician, if the plan is impossible."""
        if self.initial_last < 1:
            raise ProtocolError(
                "The initial phase must include at least session 1; "
                f"it was set to end at session {self.initial_last}."
            )
        if self.middle_last <= self.initial_last:
            raise ProtocolError(
                "The middle phase must end after the initial phase: it was set to end at "
                f"session {self.middle_last}, but the initial phase runs to session "
                f"{self.initial_last}."
            )
        if self.total is not None and self.total < self.middle_last + 1:
            raise ProtocolError(
                "The course needs at least one termination session after the middle phase: "
                f"{self.total} sessions are planned, but the middle phase runs to session "
                f"{self.middle_last}."
            )

    def phase_of(self, session_number: int) -> Phase:
        """The phase the plan puts session `session_number` in (sessions count from 1)."""
        self.validate()
        if session_number < 1:
            raise ProtocolError(
                f"Session numbers start at 1; session {session_number} does not exist."
            )
        if self.total is not None and session_number > self.total:
            raise ProtocolError(
                f"Session {session_number} is beyond the contract of {self.total} sessions; "
                "renegotiate the contract to add sessions."
            )
        if session_number <= self.initial_last:
            return Phase.INITIAL
        if self.total is None or session_number <= self.middle_last:
            return Phase.MIDDLE
        return Phase.TERMINATION

    def first_session(self, phase: Phase) -> int | None:
        """The first session of `phase`; None for the termination of an open-ended plan."""
        if phase is Phase.INITIAL:
            return 1
        if phase is Phase.MIDDLE:
            return self.initial_last + 1
        return None if self.total is None else self.middle_last + 1

    def last_session(self, phase: Phase) -> int | None:
        """The last session of `phase`; None where an open-ended plan sets no end."""
        if phase is Phase.INITIAL:
            return self.initial_last
        if self.total is None:
            return None
        return self.middle_last if phase is Phase.MIDDLE else self.total

    def sessions_in(self, phase: Phase) -> int | None:
        """How many sessions the plan gives `phase` (None when an open-ended plan sets no end)."""
        first, last = self.first_session(phase), self.last_session(phase)
        if first is None or last is None:
            return None
        return last - first + 1
