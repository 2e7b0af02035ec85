"""The questions a clinician (or a supervisor) asks of a course, answered from a snapshot.

Every function here reads a `CourseState` and returns plain data; none of them
changes anything. Recording a phase change, an override and its reason, or the
closing of a course is the courses app's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.problem_areas import MAX_FOCUS_AREAS, get_area, label_for
from openipt.protocol.tasks import Task, TaskCode, tasks_for
from openipt.protocol.variants import Feature, Variant, get_variant, measure_label

# A symptom measure older than this many sessions is flagged on the agenda
# (certification asks for one at least every four sessions).
MEASURE_GAP_SESSIONS = 4

# The ending is raised when this many sessions or fewer are left after the
# current one (the protocol asks for two to four sessions' notice); at the lower
# bound or below the reminder becomes urgent.
ENDING_NOTICE_MAX = 4
ENDING_NOTICE_MIN = 2


@dataclass(frozen=True)
class CourseState:
    """Everything the engine needs to know about one course, read from the database.

    `last_session_number` is the highest session recorded (0 before the first);
    `done` holds the tasks the record shows as done (the courses app derives most
    of them from data: a baseline administration, inventory people, an agreed
    contract…); `sessions_since_measure` is None when no measure exists yet.

    `variant_code` must name a variant in `VARIANTS` (the engine reads its features:
    IPT-A's closeness circle and caregiver tasks, its limited sick role, its
    measures); an unknown code raises UnknownVariant. `gate_overridden` says a
    clinician has already overridden the gate (with a recorded reason).
    `area_labels` carries the practice's own problem-area labels, by code.
    """

    variant_code: str
    plan: PhasePlan
    phase: Phase
    last_session_number: int
    done: frozenset[TaskCode]
    focus_areas: tuple[str, ...] = ()
    contract_sessions: int | None = None
    sessions_since_measure: int | None = None
    gate_overridden: bool = False
    open_experiments: int = 0
    extra: dict[str, object] = field(default_factory=dict)
    area_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GateStatus:
    open: bool
    missing: tuple[Task, ...]


@dataclass(frozen=True)
class AdvanceDecision:
    """Whether the course may move to `to_phase` now.

    When `allowed` is True, `reasons` holds notes worth showing (e.g. "this is
    early") but nothing has to be given. When the gate blocks the move,
    `needs_override` is True: the clinician may still move on by giving a reason,
    which the caller records. `to_phase` is None when there is no next phase.
    """

    allowed: bool
    to_phase: Phase | None
    reasons: tuple[str, ...]
    needs_override: bool


@dataclass(frozen=True)
class AgendaItem:
    code: str
    text: str
    priority: int  # 1 = most urgent


class AgendaCode(StrEnum):
    """Codes of agenda items that are not tasks (task items carry their TaskCode)."""

    RENEGOTIATE_CONTRACT = "renegotiate_contract"
    SYMPTOM_REVIEW = "symptom_review"
    MOVE_TO_MIDDLE = "move_to_middle"
    GATE_OVERDUE = "gate_overdue"
    GATE_STILL_MISSING = "gate_still_missing"
    ENGAGEMENT = "engagement"
    PERINATAL_DATES = "perinatal_dates"
    SESSION_LENGTH = "session_length"
    INTERVAL_HISTORY = "interval_history"
    NO_BASELINE_MEASURE = "no_baseline_measure"
    MEASURE_OVERDUE = "measure_overdue"
    REVIEW_MEASURE = "review_measure"
    LINK_MOOD_EVENTS = "link_mood_events"
    KEEP_FOCUS = "keep_focus"
    NO_FOCUS = "no_focus"
    FOCUS_HINT = "focus_hint"
    REVIEW_EXPERIMENTS = "review_experiments"
    PLAN_EXPERIMENT = "plan_experiment"
    CAREGIVER_MIDDLE = "caregiver_middle"
    MAINTENANCE = "maintenance"
    RAISE_ENDING = "raise_ending"
    ENDING_IN_VIEW = "ending_in_view"
    TERMINATION_DUE = "termination_due"
    LAST_SESSION = "last_session"


def _variant(state: CourseState) -> Variant:
    return get_variant(state.variant_code)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _held(count: int) -> str:
    if count == 0:
        return "no session has been held yet"
    return f"{_plural(count, 'session')} {'has' if count == 1 else 'have'} been held"


def _sentence_case(text: str) -> str:
    return text[:1].lower() + text[1:]


def open_tasks(state: CourseState) -> tuple[Task, ...]:
    """The tasks of the course's current phase that the record does not show as done."""
    tasks = tasks_for(state.phase, _variant(state).features)
    return tuple(task for task in tasks if task.code not in state.done)


def gate_status(state: CourseState) -> GateStatus:
    """The gate into the middle phase: open when every gate task is done.

    The answer is about the tasks only; an override (`state.gate_overridden`) does
    not open the gate, it lets the course past it (see `advance_decision`).
    """
    tasks = tasks_for(Phase.INITIAL, _variant(state).features)
    missing = tuple(task for task in tasks if task.gate and task.code not in state.done)
    return GateStatus(open=not missing, missing=missing)


def advance_decision(state: CourseState) -> AdvanceDecision:
    """May the course move to its next phase now, and what should the clinician know?"""
    plan = state.plan
    last = state.last_session_number
    if state.phase is Phase.INITIAL:
        gate = gate_status(state)
        missing = tuple(f"Still to do: {_sentence_case(task.todo)}" for task in gate.missing)
        if not gate.open and not state.gate_overridden:
            return AdvanceDecision(
                allowed=False, to_phase=Phase.MIDDLE, reasons=missing, needs_override=True
            )
        notes = list(missing)
        if last < plan.initial_last:
            notes.append(
                f"This is earlier than planned: the initial phase was to run to session "
                f"{plan.initial_last}, and {_held(last)}."
            )
        return AdvanceDecision(
            allowed=True, to_phase=Phase.MIDDLE, reasons=tuple(notes), needs_override=False
        )
    if state.phase is Phase.MIDDLE:
        if plan.total is None:
            return AdvanceDecision(
                allowed=False,
                to_phase=Phase.TERMINATION,
                reasons=(
                    "This course is open-ended: agree a planned number of sessions with the "
                    "client (a new contract) before moving to termination.",
                ),
                needs_override=False,
            )
        notes = []
        if last < plan.middle_last:
            notes.append(
                f"This is early: the middle phase was to run to session {plan.middle_last}, "
                f"and {_held(last)}."
            )
        if TaskCode.ENDING_RAISED not in state.done:
            notes.append("The ending has not been raised yet: raise it at the next session.")
        return AdvanceDecision(
            allowed=True, to_phase=Phase.TERMINATION, reasons=tuple(notes), needs_override=False
        )
    return AdvanceDecision(
        allowed=False,
        to_phase=None,
        reasons=(
            "Termination is the last phase. The course ends with the closing review, "
            "which is recorded on its own.",
        ),
        needs_override=False,
    )


def sessions_left(state: CourseState) -> int | None:
    """Planned sessions not yet held (never below 0); None for an open-ended course."""
    if state.plan.total is None:
        return None
    return max(0, state.plan.total - state.last_session_number)


def agenda_for(state: CourseState, session_number: int) -> tuple[AgendaItem, ...]:
    """What to cover in session `session_number`, most urgent first.

    The items follow the phase the course is in (which may lag or lead the plan),
    then the plan, the measures, the focus and the contract. Items of equal
    priority keep the order a session usually takes.
    """
    if session_number < 1:
        raise ProtocolError(
            f"Session numbers start at 1; there is no agenda for session {session_number}."
        )
    state.plan.validate()
    variant = _variant(state)
    items = _contract_items(state, session_number)
    if state.phase is Phase.INITIAL:
        items += _initial_items(state, variant, session_number)
    elif state.phase is Phase.MIDDLE:
        items += _middle_items(state, variant, session_number)
    else:
        items += _termination_items(state, variant, session_number)
    return tuple(sorted(items, key=lambda item: item.priority))


def _contract_items(state: CourseState, n: int) -> list[AgendaItem]:
    if state.contract_sessions is not None:
        if n > state.contract_sessions:
            return [
                AgendaItem(
                    AgendaCode.RENEGOTIATE_CONTRACT,
                    f"Session {n} is beyond the {state.contract_sessions} sessions agreed in "
                    "the contract: renegotiate the contract before this session.",
                    1,
                )
            ]
    elif state.plan.total is not None and n > state.plan.total:
        return [
            AgendaItem(
                AgendaCode.RENEGOTIATE_CONTRACT,
                f"Session {n} is beyond the {state.plan.total} planned sessions: agree a new "
                "plan with the client before this session.",
                1,
            )
        ]
    return []


def _measure_items(state: CourseState, variant: Variant, *, routine: bool) -> list[AgendaItem]:
    """Measure reminders; `routine` adds the every-session review (not in the initial
    phase, where the baseline measure is a task of its own)."""
    since = state.sessions_since_measure
    if since is None:
        if not routine:
            return []
        return [
            AgendaItem(
                AgendaCode.NO_BASELINE_MEASURE,
                f"No baseline measure yet: take one this session ({_measures(variant)}).",
                1,
            )
        ]
    items = []
    if since >= MEASURE_GAP_SESSIONS:
        items.append(
            AgendaItem(
                AgendaCode.MEASURE_OVERDUE,
                f"No symptom measure for {since} sessions: take one this session.",
                2,
            )
        )
    if routine:
        items.append(
            AgendaItem(
                AgendaCode.REVIEW_MEASURE,
                "Go over the latest symptom measure with the client and compare it with the "
                "baseline.",
                3,
            )
        )
    return items


def _measures(variant: Variant) -> str:
    return ", ".join(measure_label(code) for code in variant.default_measures)


def _task_item(task: Task, priority: int, variant: Variant) -> AgendaItem:
    text = task.todo
    if task.code is TaskCode.BASELINE_MEASURE:
        text = f"Take a baseline symptom measure ({_measures(variant)})."
    return AgendaItem(task.code, text, priority)


def _initial_items(state: CourseState, variant: Variant, n: int) -> list[AgendaItem]:
    plan = state.plan
    first = n == 1
    items = [
        AgendaItem(
            AgendaCode.SYMPTOM_REVIEW,
            "Review the symptoms, when they began and what made them worse; confirm the diagnosis."
            if first
            else "Review symptoms since the last session.",
            2,
        )
    ]
    gate = gate_status(state)
    if n > plan.initial_last:
        if gate.open or state.gate_overridden:
            why = "Every gate task is done" if gate.open else "The gate has been overridden"
            items.append(
                AgendaItem(
                    AgendaCode.MOVE_TO_MIDDLE,
                    f"{why}: move the course to the middle phase.",
                    1,
                )
            )
        else:
            names = ", ".join(_sentence_case(task.label) for task in gate.missing)
            items.append(
                AgendaItem(
                    AgendaCode.GATE_OVERDUE,
                    f"The plan moved to the middle phase after session {plan.initial_last}, "
                    f"but the gate still needs: {names}. Finish these, or override the gate "
                    "with a reason.",
                    1,
                )
            )
    items += _measure_items(state, variant, routine=False)
    # Gate tasks become urgent in the last planned initial session.
    gate_priority = 1 if n >= plan.initial_last else 2
    for task in open_tasks(state):
        items.append(_task_item(task, gate_priority if task.gate else 3, variant))
    if first:
        if variant.has(Feature.ENGAGEMENT_SESSION):
            items.append(
                AgendaItem(
                    AgendaCode.ENGAGEMENT,
                    "If there was no engagement session, talk through what could get in the "
                    "way of coming (practical and personal).",
                    3,
                )
            )
        if variant.has(Feature.PERINATAL):
            items.append(
                AgendaItem(
                    AgendaCode.PERINATAL_DATES,
                    "If the client is pregnant or has had a baby in the past year, record the "
                    "due date or the birth date.",
                    3,
                )
            )
        if variant.has(Feature.FLEXIBLE_SESSION_LENGTH):
            items.append(
                AgendaItem(
                    AgendaCode.SESSION_LENGTH,
                    "Agree a session length that suits the client's health and energy, and "
                    "ask about practical problems that need help alongside the sessions.",
                    3,
                )
            )
    return items


def _focus_items(state: CourseState) -> list[AgendaItem]:
    if not state.focus_areas:
        return [
            AgendaItem(
                AgendaCode.NO_FOCUS,
                f"No focus is recorded: agree one with the client (one problem area, "
                f"{MAX_FOCUS_AREAS} at most).",
                1,
            )
        ]
    labels = " and ".join(label_for(code, state.area_labels) for code in state.focus_areas)
    hints = " ".join(
        hint for hint in (get_area(code).agenda_hint for code in state.focus_areas) if hint
    )
    items = [AgendaItem(AgendaCode.KEEP_FOCUS, f"Keep to the agreed focus: {labels}.", 2)]
    if hints:
        items.append(AgendaItem(AgendaCode.FOCUS_HINT, hints, 4))
    return items


def _middle_items(state: CourseState, variant: Variant, n: int) -> list[AgendaItem]:
    plan = state.plan
    items = [
        AgendaItem(
            AgendaCode.INTERVAL_HISTORY,
            "Open with the interval history: how has the client been since the last "
            "session, and what happened with the people in their life?",
            2,
        )
    ]
    gate = gate_status(state)
    if gate.missing:
        names = ", ".join(_sentence_case(task.label) for task in gate.missing)
        items.append(
            AgendaItem(
                AgendaCode.GATE_STILL_MISSING,
                f"The course moved on without these, and they are still missing: {names}.",
                2,
            )
        )
    items += _measure_items(state, variant, routine=True)
    items.append(
        AgendaItem(
            AgendaCode.LINK_MOOD_EVENTS,
            "Link changes in mood to the week's events with people, in both directions.",
            3,
        )
    )
    items += _focus_items(state)
    if state.open_experiments > 0:
        items.append(
            AgendaItem(
                AgendaCode.REVIEW_EXPERIMENTS,
                f"Review the {_plural(state.open_experiments, 'between-session experiment')} "
                "agreed earlier: what happened, and what the client learned.",
                2,
            )
        )
    items.append(
        AgendaItem(
            AgendaCode.PLAN_EXPERIMENT,
            "If it fits, agree one interpersonal experiment for the coming week, tied to the "
            "focus.",
            4,
        )
    )
    if variant.has(Feature.CAREGIVER_INVOLVEMENT):
        middle_first = plan.initial_last + 1
        halfway = middle_first if plan.total is None else (middle_first + plan.middle_last) // 2
        if n <= halfway:
            items.append(
                AgendaItem(
                    AgendaCode.CAREGIVER_MIDDLE,
                    "If the focus involves a parent or caregiver, plan a joint session with "
                    "them in this phase.",
                    3,
                )
            )
    if plan.total is None:
        items.append(
            AgendaItem(
                AgendaCode.MAINTENANCE,
                "Maintenance: check that the gains are holding, and look for the early "
                "warning signs and triggers agreed when acute treatment ended.",
                2,
            )
        )
    else:
        items += _ending_items(state, n, plan.total)
    return items


def _ending_items(state: CourseState, n: int, total: int) -> list[AgendaItem]:
    termination_first = state.plan.middle_last + 1
    if n > total:
        return []  # the contract item already says what to do
    items = []
    if n >= termination_first:
        items.append(
            AgendaItem(
                AgendaCode.TERMINATION_DUE,
                f"The plan puts session {n} in the termination phase (from session "
                f"{termination_first}): move the course to termination.",
                1,
            )
        )
    left = total - n
    if left > ENDING_NOTICE_MAX:
        return items
    if TaskCode.ENDING_RAISED in state.done:
        if left > 0:
            items.append(
                AgendaItem(
                    AgendaCode.ENDING_IN_VIEW,
                    f"Keep the ending in view: {_plural(left, 'session')} left after this one.",
                    3,
                )
            )
        return items
    if left == 0:
        text = "Raise the ending now: this is the last planned session."
    elif n < termination_first:
        text = (
            f"Raise the ending now: {_plural(left, 'session')} left after this one, and "
            f"termination starts at session {termination_first}."
        )
    else:
        text = f"Raise the ending now: {_plural(left, 'session')} left after this one."
    items.append(AgendaItem(AgendaCode.RAISE_ENDING, text, 1 if left <= ENDING_NOTICE_MIN else 2))
    return items


def _termination_items(state: CourseState, variant: Variant, n: int) -> list[AgendaItem]:
    items = [
        AgendaItem(
            AgendaCode.INTERVAL_HISTORY,
            "Open with the interval history: how has the client been since the last session?",
            3,
        )
    ]
    items += _measure_items(state, variant, routine=True)
    for task in open_tasks(state):
        items.append(_task_item(task, 1 if task.code is TaskCode.ENDING_RAISED else 2, variant))
    if state.plan.total is not None and n == state.plan.total:
        items.append(
            AgendaItem(
                AgendaCode.LAST_SESSION,
                "Last planned session: once the review is done, close the course with the "
                "closing review.",
                2,
            )
        )
    return items
