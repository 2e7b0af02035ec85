"""Group IPT as pure data and rules: variants, the session agenda, adherence, eligibility.

A group course runs the three IPT phases for the whole group at once. What is
per member (attendance, each member's PHQ-9, problem area and tasks) belongs to
the `groups` app, which passes this module counts, never names or scores. Every
text here is our own plain wording for lay facilitators; none of it is taken
from an IPT or WHO manual. See docs/clinical-model.md, "Group IPT".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from openipt.protocol.engine import AgendaItem
from openipt.protocol.errors import ProtocolError, UnknownVariant
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.problem_areas import ProblemAreaCode
from openipt.protocol.variants import measure_label

# --------------------------------------------------------------------------- variants


class GroupFeature(StrEnum):
    """Things a group variant includes."""

    # One individual session with each member before the group starts. Like IPT-B's
    # engagement session it sits outside the numbered plan (phase_of never sees it).
    PRE_GROUP_SESSION = "pre_group_session"
    # An optional joint session with a caregiver, for adolescent groups.
    CAREGIVER_SESSION = "caregiver_session"
    # Sessions are led by trained, supervised facilitators who are not clinicians.
    LAY_FACILITATORS = "lay_facilitators"
    # Every member agrees a between-session task in every session.
    MEMBER_TASKS = "member_tasks"
    # Every member present fills in the PHQ-9 in every session.
    SYMPTOMS_EVERY_SESSION = "symptoms_every_session"


@dataclass(frozen=True)
class GroupVariant:
    code: str
    name: str
    summary: str
    default_sessions: int
    min_sessions: int
    max_sessions: int
    default_plan: PhasePlan
    session_minutes: int
    features: frozenset[GroupFeature]
    measure: str = "phq9"

    def has(self, feature: GroupFeature) -> bool:
        return feature in self.features

    @property
    def default_termination_sessions(self) -> int:
        """How many ending sessions the default plan has (1, or 2 for the clinic group)."""
        total = self.default_plan.total
        if total is None:  # pragma: no cover - every group variant has a planned total
            raise ProtocolError(f"{self.name} has no planned number of sessions.")
        return total - self.default_plan.middle_last

    def plan_for(
        self,
        total_sessions: int,
        *,
        initial_last: int | None = None,
        middle_last: int | None = None,
    ) -> PhasePlan:
        """The phase plan for a group of `total_sessions` group sessions.

        By default the initial phase keeps its default length (1 session; 2 for the
        clinic group), the termination phase keeps its default length (1; 2 for the
        clinic group) and the middle phase takes the rest.

        A programme with its own boundaries passes `initial_last` and/or
        `middle_last`; a boundary not given takes its default as above. The plan is
        checked: the total lies within `min_sessions`..`max_sessions`, the initial
        phase includes session 1, the middle phase has at least one session and at
        least one termination session follows it. A failed check raises
        ProtocolError with a message that names the numbers.
        """
        if not self.min_sessions <= total_sessions <= self.max_sessions:
            raise ProtocolError(
                f"{self.name} runs for {self.min_sessions} to {self.max_sessions} group "
                f"sessions; {total_sessions} is outside that range."
            )
        first = self.default_plan.initial_last if initial_last is None else initial_last
        middle = (
            total_sessions - self.default_termination_sessions
            if middle_last is None
            else middle_last
        )
        if first < 1:
            raise ProtocolError(
                "The initial phase must include group session 1; it was set to end at "
                f"session {first}."
            )
        if middle <= first:
            raise ProtocolError(
                "The middle phase needs at least one session: it was set to end at session "
                f"{middle}, but the initial phase runs to session {first}."
            )
        if middle >= total_sessions:
            raise ProtocolError(
                f"The group needs at least one ending session: {total_sessions} sessions are "
                f"planned, but the middle phase runs to session {middle}."
            )
        plan = PhasePlan(initial_last=first, middle_last=middle, total=total_sessions)
        plan.validate()
        return plan


_LAY_GROUP_FEATURES = frozenset(
    {
        GroupFeature.PRE_GROUP_SESSION,
        GroupFeature.CAREGIVER_SESSION,
        GroupFeature.LAY_FACILITATORS,
        GroupFeature.MEMBER_TASKS,
        GroupFeature.SYMPTOMS_EVERY_SESSION,
    }
)

_GROUP_VARIANT_LIST: tuple[GroupVariant, ...] = (
    GroupVariant(
        code="group_who",
        name="Group IPT (WHO model)",
        summary=(
            "Each member first meets a facilitator alone, then the group meets eight times "
            "for about ninety minutes: one meeting to start, six to work on each member's "
            "problem, one to close. Trained lay facilitators lead it under supervision. "
            "Every member fills in the PHQ-9 and agrees a task each time. Adolescent groups "
            "can add a joint session with a caregiver."
        ),
        default_sessions=8,
        min_sessions=6,
        max_sessions=12,
        default_plan=PhasePlan(initial_last=1, middle_last=7, total=8),
        session_minutes=90,
        features=_LAY_GROUP_FEATURES,
    ),
    GroupVariant(
        code="group_short",
        name="Group IPT, short cycle",
        summary=(
            "The same group model in six meetings, for programmes that run shorter cycles: "
            "one meeting to start, four to work on each member's problem, one to close."
        ),
        default_sessions=6,
        min_sessions=4,
        max_sessions=8,
        default_plan=PhasePlan(initial_last=1, middle_last=5, total=6),
        session_minutes=90,
        features=_LAY_GROUP_FEATURES,
    ),
    GroupVariant(
        code="group_clinic",
        name="Clinic group IPT (IPT-G)",
        summary=(
            "A group led by clinicians: after an individual meeting with each member, twelve "
            "group sessions, two to start, eight to work on each member's problem and two to "
            "close. Every member fills in the PHQ-9 and agrees a task each time."
        ),
        default_sessions=12,
        min_sessions=8,
        max_sessions=16,
        default_plan=PhasePlan(initial_last=2, middle_last=10, total=12),
        session_minutes=90,
        features=frozenset(
            {
                GroupFeature.PRE_GROUP_SESSION,
                GroupFeature.MEMBER_TASKS,
                GroupFeature.SYMPTOMS_EVERY_SESSION,
            }
        ),
    ),
)

GROUP_VARIANTS: Mapping[str, GroupVariant] = {
    variant.code: variant for variant in _GROUP_VARIANT_LIST
}


def get_group_variant(code: str) -> GroupVariant:
    """The group variant with this code; UnknownVariant for a code that is not one."""
    try:
        return GROUP_VARIANTS[code]
    except KeyError as exc:
        raise UnknownVariant(f"There is no group IPT variant called {code!r}.") from exc


# --------------------------------------------------------------------------- agenda


class GroupAgendaCode(StrEnum):
    """Stable codes of the items on a group session's agenda."""

    RISK_CHECK = "risk_check"
    NO_PROBLEM_AREA = "no_problem_area"
    WELCOME = "welcome"
    SYMPTOM_REVIEW = "symptom_review"
    REVIEW_TASKS = "review_tasks"
    EXPLAIN_DEPRESSION = "explain_depression"
    SHARE_PROBLEM_AREAS = "share_problem_areas"
    GROUP_RULES = "group_rules"
    WORK_ON_AREAS = "work_on_areas"
    HINT_GRIEF = "hint_grief"
    HINT_ROLE_DISPUTE = "hint_role_dispute"
    HINT_ROLE_TRANSITION = "hint_role_transition"
    HINT_INTERPERSONAL_DEFICITS = "hint_interpersonal_deficits"
    PRACTISE = "practise"
    RAISE_ENDING = "raise_ending"
    REVIEW_PROGRESS = "review_progress"
    WARNING_SIGNS = "warning_signs"
    PLAN_AFTER_GROUP = "plan_after_group"
    CELEBRATE = "celebrate"
    FINAL_SCORE = "final_score"
    AGREE_TASKS = "agree_tasks"


# The middle phase shows one line per problem area, in the words a lay facilitator
# uses (grief, disputes, life changes, loneliness), keyed by the stable area code.
GROUP_AREA_HINTS: Mapping[ProblemAreaCode, str] = {
    ProblemAreaCode.GRIEF: (
        "Grief: let the member talk about the person who died and how they feel, then "
        "about people and activities they can turn to now."
    ),
    ProblemAreaCode.ROLE_DISPUTE: (
        "Disputes: help the member say what each person wants, and choose one thing to "
        "say or do differently."
    ),
    ProblemAreaCode.ROLE_TRANSITION: (
        "Life changes: talk about what was lost and what the new situation offers, and "
        "who can help with it."
    ),
    ProblemAreaCode.INTERPERSONAL_DEFICITS: (
        "Loneliness: help the member pick one person to contact or one place to meet "
        "people before next time."
    ),
}

AREA_HINT_CODES: Mapping[ProblemAreaCode, GroupAgendaCode] = {
    ProblemAreaCode.GRIEF: GroupAgendaCode.HINT_GRIEF,
    ProblemAreaCode.ROLE_DISPUTE: GroupAgendaCode.HINT_ROLE_DISPUTE,
    ProblemAreaCode.ROLE_TRANSITION: GroupAgendaCode.HINT_ROLE_TRANSITION,
    ProblemAreaCode.INTERPERSONAL_DEFICITS: GroupAgendaCode.HINT_INTERPERSONAL_DEFICITS,
}

# The ending is raised from this many sessions before the last one onwards.
ENDING_NOTICE_SESSIONS = 2


@dataclass(frozen=True)
class GroupSessionContext:
    """What the agenda needs to know about one group session: counts, never names.

    `plan` is the group's phase plan (from `GroupVariant.plan_for`); the phase of the
    session is the one the plan gives `session_number`. `members_with_positive_risk`
    counts members who answered the PHQ-9 self-harm question positively last time;
    `open_tasks_to_review` counts member tasks agreed earlier and not yet reviewed.
    """

    variant_code: str
    plan: PhasePlan
    session_number: int
    members_present: int = 0
    members_with_positive_risk: int = 0
    members_without_problem_area: int = 0
    open_tasks_to_review: int = 0


def group_agenda_for(context: GroupSessionContext) -> tuple[AgendaItem, ...]:
    """What to cover in a group session, most urgent first (priority 1 = most urgent).

    Items of equal priority keep the order a session usually follows. Raises
    UnknownVariant for an unknown variant code and ProtocolError for a session
    outside the plan or a negative count.
    """
    variant = get_group_variant(context.variant_code)
    counts = {
        "members present": context.members_present,
        "members with a positive self-harm answer": context.members_with_positive_risk,
        "members without a problem area": context.members_without_problem_area,
        "tasks to review": context.open_tasks_to_review,
    }
    for name, value in counts.items():
        if value < 0:
            raise ProtocolError(f"The number of {name} cannot be negative; it was {value}.")
    plan = context.plan
    total = plan.total
    if total is None:
        raise ProtocolError("A group needs a planned number of sessions.")
    n = context.session_number
    phase = plan.phase_of(n)  # validates the plan and the session number
    last = n == total
    measure = measure_label(variant.measure)

    items: list[AgendaItem] = []
    if context.members_with_positive_risk == 1:
        items.append(
            AgendaItem(
                GroupAgendaCode.RISK_CHECK,
                "A member answered the self-harm question positively last time: check in "
                "with them privately and follow the safety steps.",
                1,
            )
        )
    elif context.members_with_positive_risk > 1:
        items.append(
            AgendaItem(
                GroupAgendaCode.RISK_CHECK,
                "Some members answered the self-harm question positively last time: check "
                "in with each of them privately and follow the safety steps.",
                1,
            )
        )
    items.append(
        AgendaItem(
            GroupAgendaCode.WELCOME,
            "Welcome everyone and note who is here and who is missing.",
            2,
        )
    )
    if variant.has(GroupFeature.SYMPTOMS_EVERY_SESSION):
        text = (
            f"Every member present fills in the {measure}; look at how each member is "
            "doing, privately if they prefer."
        )
        if n == 1:
            text = (
                f"Every member present fills in the {measure}; this is the first group "
                "score, so compare it with the one taken at screening."
            )
        items.append(AgendaItem(GroupAgendaCode.SYMPTOM_REVIEW, text, 2))
    if variant.has(GroupFeature.MEMBER_TASKS) and (context.open_tasks_to_review > 0 or n > 1):
        items.append(
            AgendaItem(
                GroupAgendaCode.REVIEW_TASKS,
                "Ask each member what they tried since last time, how it went and what "
                "they learned.",
                2,
            )
        )
    if phase is Phase.INITIAL:
        items += _initial_items(n)
    elif phase is Phase.MIDDLE:
        items += _middle_items(context)
    else:
        items += _termination_items(last)
    if n >= total - ENDING_NOTICE_SESSIONS:
        items.append(_ending_item(n, total))
    if last:
        items.append(
            AgendaItem(
                GroupAgendaCode.FINAL_SCORE,
                f"The {measure} each member fills in today is their end-of-group score: "
                "make sure every member present completes it.",
                2,
            )
        )
    if variant.has(GroupFeature.MEMBER_TASKS):
        text = "Agree with each member one task to try before the next meeting."
        if last:
            text = "Agree with each member one thing to keep doing after the group ends."
        items.append(AgendaItem(GroupAgendaCode.AGREE_TASKS, text, 2))
    return tuple(sorted(items, key=lambda item: item.priority))


def _initial_items(n: int) -> list[AgendaItem]:
    items: list[AgendaItem] = []
    if n == 1:
        items += [
            AgendaItem(
                GroupAgendaCode.EXPLAIN_DEPRESSION,
                "Explain that depression is a common illness that can be treated, not a "
                "weakness, and that this group works on what is happening in members' "
                "relationships.",
                2,
            ),
            AgendaItem(
                GroupAgendaCode.GROUP_RULES,
                "Agree the group rules: what is said here stays here, everyone is "
                "treated with respect, and members come every time.",
                2,
            ),
        ]
    items.append(
        AgendaItem(
            GroupAgendaCode.SHARE_PROBLEM_AREAS,
            "Ask each member to share the problem they will work on in the group and how "
            "it is linked to their low mood.",
            2,
        )
    )
    return items


def _middle_items(context: GroupSessionContext) -> list[AgendaItem]:
    items: list[AgendaItem] = []
    if context.members_without_problem_area > 0:
        items.append(
            AgendaItem(
                GroupAgendaCode.NO_PROBLEM_AREA,
                "Not every member has a problem area yet: agree one with them in this session.",
                1,
            )
        )
    items.append(
        AgendaItem(
            GroupAgendaCode.WORK_ON_AREAS,
            "Work on each member's problem area in turn, and link how they feel to what "
            "happened with other people this week.",
            2,
        )
    )
    items += [
        AgendaItem(AREA_HINT_CODES[area], GROUP_AREA_HINTS[area], 3) for area in ProblemAreaCode
    ]
    items.append(
        AgendaItem(
            GroupAgendaCode.PRACTISE,
            "Practise a hard conversation in a role play, with other members playing the "
            "other people.",
            3,
        )
    )
    return items


def _termination_items(last: bool) -> list[AgendaItem]:
    items = [
        AgendaItem(
            GroupAgendaCode.REVIEW_PROGRESS,
            "Go round the group: each member says what has changed since the start and what "
            "helped most.",
            2,
        ),
        AgendaItem(
            GroupAgendaCode.WARNING_SIGNS,
            "Each member names the early signs that their mood is dropping again and what "
            "they will do if they notice them.",
            2,
        ),
        AgendaItem(
            GroupAgendaCode.PLAN_AFTER_GROUP,
            "Plan for after the group: who each member can turn to, and whether anyone needs "
            "more help or a referral.",
            2,
        ),
    ]
    if last:
        items.append(
            AgendaItem(
                GroupAgendaCode.CELEBRATE,
                "Celebrate what the group has done together and say goodbye.",
                3,
            )
        )
    return items


def _ending_item(n: int, total: int) -> AgendaItem:
    left = total - n
    if left == 0:
        text = "This is the last meeting: make room for how members feel about the group ending."
    else:
        meetings = "1 more meeting" if left == 1 else f"{left} more meetings"
        text = (
            f"Remind the group that it ends at session {total}, {meetings} after this one, "
            "and ask how members feel about that."
        )
    return AgendaItem(GroupAgendaCode.RAISE_ENDING, text, 2)


# --------------------------------------------------------------------------- adherence


@dataclass(frozen=True)
class GroupAdherenceItem:
    code: str
    text: str
    phases: frozenset[Phase]


_INITIAL = frozenset({Phase.INITIAL})
_MIDDLE = frozenset({Phase.MIDDLE})
_TERMINATION = frozenset({Phase.TERMINATION})
_BEFORE_TERMINATION = frozenset({Phase.INITIAL, Phase.MIDDLE})
_AFTER_INITIAL = frozenset({Phase.MIDDLE, Phase.TERMINATION})
_ALL = frozenset(Phase)

GROUP_ADHERENCE_ITEMS: tuple[GroupAdherenceItem, ...] = (
    GroupAdherenceItem(
        "symptoms_reviewed",
        "Every member present filled in the PHQ-9 and it was looked at.",
        _ALL,
    ),
    GroupAdherenceItem(
        "depression_explained",
        "Depression was explained as a common illness that can be treated.",
        _INITIAL,
    ),
    GroupAdherenceItem(
        "group_rules_agreed",
        "The group agreed and kept its rules: privacy, respect, coming every time.",
        _INITIAL,
    ),
    GroupAdherenceItem(
        "problem_area_each_member",
        "Every member present spoke about their own problem area.",
        _BEFORE_TERMINATION,
    ),
    GroupAdherenceItem(
        "mood_linked_to_events",
        "Members were helped to link how they felt to what happened with other people.",
        _MIDDLE,
    ),
    GroupAdherenceItem(
        "tasks_reviewed",
        "Each member's task from last time was talked through.",
        _AFTER_INITIAL,
    ),
    GroupAdherenceItem(
        "ending_raised",
        "The end of the group was talked about, having been raised from two sessions "
        "before the last.",
        _TERMINATION,
    ),
    GroupAdherenceItem(
        "progress_reviewed",
        "Each member's progress, what helped, their warning signs and their plan for after "
        "the group were reviewed.",
        _TERMINATION,
    ),
    GroupAdherenceItem(
        "tasks_agreed",
        "Every member present agreed a task for the time until the next meeting (or after "
        "the group).",
        _ALL,
    ),
)

_GROUP_ADHERENCE_CODES = frozenset(item.code for item in GROUP_ADHERENCE_ITEMS)


def group_adherence_items_for(phase: Phase) -> tuple[GroupAdherenceItem, ...]:
    """The checklist items rated in a group session of `phase`, in checklist order."""
    return tuple(item for item in GROUP_ADHERENCE_ITEMS if phase in item.phases)


def adherence_score(checked: Iterable[str], phase: Phase) -> float:
    """The share (0..1) of the phase's checklist items that were ticked.

    A code ticked twice counts once; a known item of another phase is not counted.
    A code that is not a group checklist item raises ProtocolError.
    """
    ticked = set(checked)
    unknown = sorted(ticked - _GROUP_ADHERENCE_CODES)
    if unknown:
        names = ", ".join(repr(code) for code in unknown)
        raise ProtocolError(f"Not on the group adherence checklist: {names}.")
    items = group_adherence_items_for(phase)
    return sum(1 for item in items if item.code in ticked) / len(items)


FIDELITY_SCALE: tuple[int, int] = (1, 5)
"""Supervisor fidelity ratings run from 1 (lowest) to 5 (highest), both included."""

FIDELITY_PASS_MEAN = 3.0
"""A mean fidelity rating of at least this counts as adequate delivery."""


# --------------------------------------------------------------------------- eligibility


class Exclusion(StrEnum):
    """Reasons a person is referred elsewhere instead of joining a group."""

    ACTIVE_SUICIDALITY = "active_suicidality"
    PSYCHOSIS = "psychosis"
    BIPOLAR = "bipolar"
    SUBSTANCE = "substance_misuse"
    NEEDS_URGENT_CARE = "needs_urgent_care"


EXCLUSION_PROMPTS: Mapping[Exclusion, str] = {
    Exclusion.ACTIVE_SUICIDALITY: (
        "Is the person thinking of ending their life now, or have they made a plan or "
        "tried recently?"
    ),
    Exclusion.PSYCHOSIS: (
        "Does the person hear or see things other people do not, or hold strange beliefs "
        "that nothing can shake?"
    ),
    Exclusion.BIPOLAR: (
        "Has the person had spells of days when they were unusually high, full of energy "
        "or reckless, or been told they have bipolar disorder?"
    ),
    Exclusion.SUBSTANCE: (
        "Does drinking or drug use get in the way of daily life so much that the person "
        "could not take part in every meeting?"
    ),
    Exclusion.NEEDS_URGENT_CARE: (
        "Does the person need urgent help of another kind first, such as medical care or "
        "protection from harm?"
    ),
}

_EXCLUSION_REASONS: Mapping[Exclusion, str] = {
    Exclusion.ACTIVE_SUICIDALITY: (
        "Thinking of ending their life now: follow the safety steps and refer for urgent "
        "individual care."
    ),
    Exclusion.PSYCHOSIS: "Signs of psychosis: refer for a specialist assessment.",
    Exclusion.BIPOLAR: "Possible bipolar disorder: refer for a specialist assessment.",
    Exclusion.SUBSTANCE: "Alcohol or drug use comes first: refer to a substance-use service.",
    Exclusion.NEEDS_URGENT_CARE: "Needs urgent help of another kind first: refer for it now.",
}

PHQ9_MAX = 27


@dataclass(frozen=True)
class EligibilityRules:
    """A programme's entry rules; ages are inclusive, None means no limit."""

    min_phq9: int = 10
    max_phq9: int | None = None
    min_age: int | None = 18
    max_age: int | None = None
    refer_on_risk_item: bool = True

    def validate(self) -> None:
        """Raise ProtocolError if the rules contradict themselves."""
        if not 0 <= self.min_phq9 <= PHQ9_MAX:
            raise ProtocolError(
                f"The lowest PHQ-9 total for joining must be 0 to {PHQ9_MAX}; it is "
                f"{self.min_phq9}."
            )
        if self.max_phq9 is not None and not self.min_phq9 <= self.max_phq9 <= PHQ9_MAX:
            raise ProtocolError(
                f"The highest PHQ-9 total for joining must be {self.min_phq9} to {PHQ9_MAX}; "
                f"it is {self.max_phq9}."
            )
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ProtocolError(
                f"The oldest age ({self.max_age}) is below the youngest age ({self.min_age})."
            )


class ScreeningOutcome(StrEnum):
    ELIGIBLE = "eligible"
    BELOW_THRESHOLD = "below_threshold"
    REFER = "refer"
    OUT_OF_AGE_RANGE = "out_of_age_range"


@dataclass(frozen=True)
class EligibilityDecision:
    outcome: ScreeningOutcome
    reasons: tuple[str, ...]  # plain-English reasons for the facilitator


def _age_range(rules: EligibilityRules) -> str:
    if rules.min_age is not None and rules.max_age is not None:
        return f"{rules.min_age} to {rules.max_age}"
    if rules.min_age is not None:
        return f"{rules.min_age} or older"
    return f"{rules.max_age} or younger"


def screening_decision(
    rules: EligibilityRules,
    *,
    phq9_total: int,
    risk_positive: bool,
    age: int | None,
    exclusions: Iterable[Exclusion],
) -> EligibilityDecision:
    """Whether a screened person can join the group, with the reasons in plain words.

    In order: any exclusion, a positive self-harm answer (when the rules say so) or a
    PHQ-9 total above `max_phq9` means REFER, and every such reason is listed; then an
    age outside the range means OUT_OF_AGE_RANGE (an unknown age is not checked); then
    a PHQ-9 total below `min_phq9` means BELOW_THRESHOLD; otherwise ELIGIBLE. A
    positive self-harm answer that the rules do not refer on is still named in the
    reasons, with the safety steps. A total outside 0..27 raises ProtocolError.
    """
    rules.validate()
    if not 0 <= phq9_total <= PHQ9_MAX:
        raise ProtocolError(f"A PHQ-9 total runs from 0 to {PHQ9_MAX}; {phq9_total} is not one.")
    if age is not None and age < 0:
        raise ProtocolError(f"An age cannot be negative; it was {age}.")
    excluded = set(exclusions)

    refer = [_EXCLUSION_REASONS[exclusion] for exclusion in Exclusion if exclusion in excluded]
    if risk_positive and rules.refer_on_risk_item:
        refer.append(
            "The self-harm question was answered positively: follow the safety steps and "
            "refer for individual care."
        )
    if rules.max_phq9 is not None and phq9_total > rules.max_phq9:
        refer.append(
            f"PHQ-9 total {phq9_total} is above this group's limit of {rules.max_phq9}; "
            "symptoms too severe for a group: refer for individual care."
        )
    if refer:
        return EligibilityDecision(ScreeningOutcome.REFER, tuple(refer))

    notes: tuple[str, ...] = ()
    if risk_positive:
        notes = (
            "The self-harm question was answered positively: follow the safety steps before "
            "the person joins.",
        )
    if age is not None and (
        (rules.min_age is not None and age < rules.min_age)
        or (rules.max_age is not None and age > rules.max_age)
    ):
        return EligibilityDecision(
            ScreeningOutcome.OUT_OF_AGE_RANGE,
            (f"Age {age} is outside this group's range of {_age_range(rules)}.", *notes),
        )
    if phq9_total < rules.min_phq9:
        return EligibilityDecision(
            ScreeningOutcome.BELOW_THRESHOLD,
            (
                f"PHQ-9 total {phq9_total} is below this group's threshold of {rules.min_phq9}.",
                *notes,
            ),
        )
    return EligibilityDecision(
        ScreeningOutcome.ELIGIBLE,
        (
            f"PHQ-9 total {phq9_total} is within this group's range and no reason to "
            "refer was found.",
            *notes,
        ),
    )
