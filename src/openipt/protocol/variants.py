"""IPT variants as data: session counts, phase plans, frequency, length, specifics.

Every value here is a default that a clinician can change for one course (the
courses app records the change and its reason); the summaries are our own words.

How a group variant will slot in (a later issue): group IPT (WHO model) is one
more `Variant` — e.g. code "group_ipt", eight group sessions planned 1 / 2–7 / 8,
`min_sessions` low enough for the shortened cycles programmes run (e.g. 6) — plus
new `Feature` members for what it adds: a pre-group individual session (handled
like ENGAGEMENT_SESSION, outside the numbered plan), a joint caregiver session for
adolescent groups, lay facilitators, and a between-session task for every member.
The phase plan, the gate and the agenda work per group course unchanged; what
is per member (attendance, measures, focus) belongs to the `groups` app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from openipt.protocol.errors import ProtocolError, UnknownVariant
from openipt.protocol.phases import PhasePlan

# When an open-ended course (maintenance IPT) is given a planned end, this many
# sessions are set aside for termination unless the course is too short for it.
OPEN_ENDED_TERMINATION_SESSIONS = 2

# A termination phase of this many sessions or fewer keeps its length when a
# course is made longer or shorter; a longer one scales with the course.
FIXED_TERMINATION_UP_TO = 2

# Display names for the measure codes variants name by default. The measures app
# owns the instrument definitions; this is only what the agenda prints.
MEASURE_LABELS: Mapping[str, str] = {
    "phq9": "PHQ-9",
    "gad7": "GAD-7",
    "epds": "EPDS",
    "phqa": "PHQ-A",
    "gds15": "GDS-15",
}


def measure_label(code: str) -> str:
    """The display name of a measure code ("phq9" → "PHQ-9"); unknown codes print as given."""
    return MEASURE_LABELS.get(code, code)


class Frequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class Feature(StrEnum):
    """Things a variant adds to the standard course."""

    # IPT-B: an optional session before session 1. It is not part of the numbered
    # plan (phase_of never sees it); the courses app records it on its own.
    ENGAGEMENT_SESSION = "engagement_session"
    PERINATAL = "perinatal"  # track gestational week / weeks postpartum; EPDS
    LIMITED_SICK_ROLE = "limited_sick_role"  # IPT-A
    CAREGIVER_INVOLVEMENT = "caregiver_involvement"  # IPT-A: start, middle if needed, end
    CLOSENESS_CIRCLE_REQUIRED = "closeness_circle_required"  # IPT-A
    FLEXIBLE_SESSION_LENGTH = "flexible_session_length"  # older adults
    OPEN_ENDED = "open_ended"  # IPT-M
    NON_SPECIALIST = "non_specialist"  # IPC in primary care


def _round_half_up(numerator: int, denominator: int) -> int:
    # Python's round() rounds halves to even (round(2.5) == 2); clinicians expect 3.
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Variant:
    code: str
    name: str
    summary: str
    default_sessions: int | None
    min_sessions: int
    max_sessions: int | None
    default_plan: PhasePlan
    session_minutes: int
    frequency: Frequency
    features: frozenset[Feature] = field(default_factory=frozenset)
    default_measures: tuple[str, ...] = ("phq9", "gad7")
    # Calendar span the sessions are meant to fit in, in weeks (IPT-A: 12 to 16).
    course_weeks: tuple[int, int] | None = None
    # The age range the variant was built for (upper bound None: no upper limit).
    ages: tuple[int, int | None] | None = None
    # Who the variant is not meant for, in plain words (shown when a course starts).
    not_suitable_for: tuple[str, ...] = ()

    def has(self, feature: Feature) -> bool:
        return feature in self.features

    def plan_for(self, total_sessions: int | None) -> PhasePlan:
        """The default phase plan scaled to a course of `total_sessions`.

        The rule, the same for every variant:

        * None is allowed only for an open-ended variant and gives its default plan.
        * The count must lie within `min_sessions`..`max_sessions`.
        * The initial phase keeps its default length: the first tasks (inventory,
          formulation, focus, contract) take as long in a short course as in a long one.
        * A termination phase of up to two sessions keeps its length (16-session
          courses always end with two). A longer one scales with the course, rounded
          half up, and never drops below two. An open-ended variant given an end gets
          two termination sessions.
        * The middle phase takes the rest and always keeps at least one session; the
          termination phase gives way if it has to (a 3-session IPC course is 1 / 2 / 3).
        """
        if total_sessions is None:
            if self.default_plan.total is not None:
                raise ProtocolError(
                    f"{self.name} needs a planned number of sessions; only an open-ended "
                    "variant can run without one."
                )
            return self.default_plan
        if total_sessions < self.min_sessions or (
            self.max_sessions is not None and total_sessions > self.max_sessions
        ):
            upper = "no upper limit" if self.max_sessions is None else f"{self.max_sessions}"
            raise ProtocolError(
                f"{self.name} runs for {self.min_sessions} to {upper} sessions; "
                f"{total_sessions} is outside that range."
            )
        initial = self.default_plan.initial_last
        default_total = self.default_plan.total
        if default_total is None:
            termination = OPEN_ENDED_TERMINATION_SESSIONS
        else:
            termination = default_total - self.default_plan.middle_last
            if termination > FIXED_TERMINATION_UP_TO:
                termination = max(
                    FIXED_TERMINATION_UP_TO,
                    _round_half_up(termination * total_sessions, default_total),
                )
        termination = min(termination, total_sessions - initial - 1)
        if termination < 1:
            raise ProtocolError(
                f"{total_sessions} sessions leave no room for the {initial}-session initial "
                "phase, a middle phase and a termination session."
            )
        plan = PhasePlan(
            initial_last=initial, middle_last=total_sessions - termination, total=total_sessions
        )
        plan.validate()
        return plan


_VARIANT_LIST: tuple[Variant, ...] = (
    Variant(
        code="ipt16",
        name="IPT (standard, 16 sessions)",
        summary=(
            "The standard adult course: sixteen weekly sessions of about fifty minutes. "
            "Three sessions to assess and agree a focus, eleven to work on it, two to end well."
        ),
        default_sessions=16,
        min_sessions=12,
        max_sessions=20,
        default_plan=PhasePlan(initial_last=3, middle_last=14, total=16),
        session_minutes=50,
        frequency=Frequency.WEEKLY,
    ),
    Variant(
        code="ipt12",
        name="IPT (12 sessions)",
        summary=(
            "A shorter adult course of twelve weekly sessions: three to assess and agree a "
            "focus, six to work on it, three to end."
        ),
        default_sessions=12,
        min_sessions=8,
        max_sessions=16,
        default_plan=PhasePlan(initial_last=3, middle_last=9, total=12),
        session_minutes=50,
        frequency=Frequency.WEEKLY,
    ),
    Variant(
        code="ipt_b",
        name="Brief IPT (IPT-B)",
        summary=(
            "Eight weekly sessions, with an optional engagement session beforehand to "
            "talk through what could get in the way of coming. Often used in pregnancy "
            "and after birth, where the EPDS is the usual measure."
        ),
        default_sessions=8,
        min_sessions=6,
        max_sessions=10,
        default_plan=PhasePlan(initial_last=2, middle_last=6, total=8),
        session_minutes=50,
        frequency=Frequency.WEEKLY,
        features=frozenset({Feature.ENGAGEMENT_SESSION, Feature.PERINATAL}),
        default_measures=("epds", "phq9"),
    ),
    Variant(
        code="ipt_a",
        name="IPT for adolescents (IPT-A)",
        summary=(
            "Twelve sessions over twelve to sixteen weeks for young people aged 12 to 18, "
            "in three phases of four. The young person takes a limited sick role, draws a "
            "closeness circle, and a parent or caregiver takes part at the start, at the "
            "end, and in the middle when the focus involves them."
        ),
        default_sessions=12,
        min_sessions=10,
        max_sessions=16,
        default_plan=PhasePlan(initial_last=4, middle_last=8, total=12),
        session_minutes=45,
        frequency=Frequency.WEEKLY,
        features=frozenset(
            {
                Feature.LIMITED_SICK_ROLE,
                Feature.CAREGIVER_INVOLVEMENT,
                Feature.CLOSENESS_CIRCLE_REQUIRED,
            }
        ),
        default_measures=("phqa",),
        course_weeks=(12, 16),
        ages=(12, 18),
        not_suitable_for=(
            "young people at acute risk of suicide",
            "psychosis",
            "bipolar disorder",
            "substance misuse",
        ),
    ),
    Variant(
        code="ipt_older",
        name="IPT for older adults",
        summary=(
            "The sixteen-session course adapted for later life: session length bends to "
            "the client's health and energy, practical problems get practical help, and "
            "medication is often part of the plan. The GDS-15 sits beside the PHQ-9."
        ),
        default_sessions=16,
        min_sessions=12,
        max_sessions=20,
        default_plan=PhasePlan(initial_last=3, middle_last=14, total=16),
        session_minutes=50,
        frequency=Frequency.WEEKLY,
        features=frozenset({Feature.FLEXIBLE_SESSION_LENGTH}),
        default_measures=("gds15", "phq9"),
        ages=(60, None),
    ),
    Variant(
        code="ipt_m",
        name="Maintenance IPT (IPT-M)",
        summary=(
            "Monthly sessions after a completed acute course, under a new contract, to "
            "keep the gains and catch early signs of relapse. Open-ended until an end "
            "is planned."
        ),
        default_sessions=None,
        min_sessions=3,
        max_sessions=None,
        default_plan=PhasePlan(initial_last=1, middle_last=2, total=None),
        session_minutes=50,
        frequency=Frequency.MONTHLY,
        features=frozenset({Feature.OPEN_ENDED}),
    ),
    Variant(
        code="ipc",
        name="Interpersonal Counselling (IPC)",
        summary=(
            "Three to six sessions of about thirty minutes, delivered in primary care by "
            "trained staff who are not mental health specialists: assess, agree a focus, "
            "work on it, close."
        ),
        default_sessions=6,
        min_sessions=3,
        max_sessions=6,
        default_plan=PhasePlan(initial_last=1, middle_last=5, total=6),
        session_minutes=30,
        frequency=Frequency.WEEKLY,
        features=frozenset({Feature.NON_SPECIALIST}),
    ),
)

VARIANTS: Mapping[str, Variant] = {variant.code: variant for variant in _VARIANT_LIST}


def get_variant(code: str) -> Variant:
    try:
        return VARIANTS[code]
    except KeyError as exc:
        raise UnknownVariant(f"There is no IPT variant called {code!r}.") from exc
