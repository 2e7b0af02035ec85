"""The engine: open tasks, the gate, phase advances, sessions left and the agenda."""

from __future__ import annotations

from typing import Any

import pytest

from openipt.protocol.engine import (
    AgendaCode,
    AgendaItem,
    CourseState,
    advance_decision,
    agenda_for,
    gate_status,
    open_tasks,
    sessions_left,
)
from openipt.protocol.errors import ProtocolError, UnknownVariant
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.tasks import GATE_TASKS, TaskCode, tasks_for
from openipt.protocol.variants import VARIANTS

INITIAL_DONE = frozenset(task.code for task in tasks_for(Phase.INITIAL))
IPT_A_INITIAL_DONE = frozenset(t.code for t in tasks_for(Phase.INITIAL, VARIANTS["ipt_a"].features))


def make_state(
    variant: str = "ipt16",
    phase: Phase = Phase.INITIAL,
    last: int = 0,
    done: frozenset[TaskCode] = frozenset(),
    plan: PhasePlan | None = None,
    **kwargs: Any,
) -> CourseState:
    return CourseState(
        variant_code=variant,
        plan=plan or VARIANTS[variant].default_plan,
        phase=phase,
        last_session_number=last,
        done=done,
        **kwargs,
    )


def middle_state(variant: str = "ipt16", last: int = 4, **kwargs: Any) -> CourseState:
    defaults: dict[str, Any] = {
        "done": INITIAL_DONE,
        "focus_areas": ("role_dispute",),
        "sessions_since_measure": 0,
    }
    defaults.update(kwargs)
    return make_state(variant, Phase.MIDDLE, last, **defaults)


def codes(items: tuple[AgendaItem, ...]) -> list[str]:
    return [item.code for item in items]


def item(items: tuple[AgendaItem, ...], code: str) -> AgendaItem:
    found = [i for i in items if i.code == code]
    assert len(found) == 1, f"{code} appears {len(found)} times in {codes(items)}"
    return found[0]


# --- open tasks -------------------------------------------------------------------------


def test_open_tasks_are_the_current_phases_tasks_not_yet_done() -> None:
    state = make_state(done=frozenset({TaskCode.BASELINE_MEASURE, TaskCode.INVENTORY}))
    open_codes = [task.code for task in open_tasks(state)]
    assert TaskCode.BASELINE_MEASURE not in open_codes
    assert TaskCode.INVENTORY not in open_codes
    assert open_codes[:3] == [
        TaskCode.DIAGNOSIS_GIVEN,
        TaskCode.PSYCHOEDUCATION,
        TaskCode.SICK_ROLE_GIVEN,
    ]
    assert len(open_codes) == 9


def test_open_tasks_ignore_tasks_of_other_phases() -> None:
    state = make_state(phase=Phase.TERMINATION, last=14, done=frozenset({TaskCode.ENDING_RAISED}))
    assert [task.code for task in open_tasks(state)] == [
        TaskCode.PROGRESS_REVIEWED,
        TaskCode.ENDING_FEELINGS,
        TaskCode.WARNING_SIGNS,
        TaskCode.NEXT_STEP_AGREED,
    ]
    assert open_tasks(middle_state()) == ()


def test_adolescent_open_tasks_include_caregiver_and_circle() -> None:
    open_codes = {task.code for task in open_tasks(make_state("ipt_a"))}
    assert {TaskCode.CAREGIVER_START, TaskCode.CLOSENESS_CIRCLE} <= open_codes


def test_engine_refuses_an_unknown_variant() -> None:
    with pytest.raises(UnknownVariant, match="ipt99"):
        open_tasks(make_state(plan=PhasePlan(3, 14, 16), variant="ipt99"))


# --- the gate ---------------------------------------------------------------------------


def test_gate_is_open_when_every_gate_task_is_done() -> None:
    """GIVEN a course whose record shows the five gate tasks WHEN the gate is checked
    THEN it is open, even though other initial tasks are still open."""
    status = gate_status(make_state(done=GATE_TASKS))
    assert status.open
    assert status.missing == ()


@pytest.mark.parametrize("missing", sorted(GATE_TASKS))
def test_gate_stays_closed_for_each_missing_gate_task(missing: TaskCode) -> None:
    """GIVEN a course with every gate task done but one WHEN the gate is checked THEN it
    is closed and names exactly that task."""
    status = gate_status(make_state(done=INITIAL_DONE - {missing}))
    assert not status.open
    assert [task.code for task in status.missing] == [missing]


def test_gate_lists_every_missing_task_in_order() -> None:
    status = gate_status(make_state())
    assert [task.code for task in status.missing] == [
        TaskCode.BASELINE_MEASURE,
        TaskCode.INVENTORY,
        TaskCode.FORMULATION,
        TaskCode.FOCUS_CHOSEN,
        TaskCode.CONTRACT_AGREED,
    ]


def test_adolescent_gate_needs_the_closeness_circle() -> None:
    """GIVEN an IPT-A course with the standard gate tasks done WHEN the gate is checked
    THEN it stays closed until the closeness circle is drawn."""
    status = gate_status(make_state("ipt_a", done=GATE_TASKS))
    assert [task.code for task in status.missing] == [TaskCode.CLOSENESS_CIRCLE]
    assert gate_status(make_state("ipt_a", done=GATE_TASKS | {TaskCode.CLOSENESS_CIRCLE})).open


def test_override_does_not_open_the_gate() -> None:
    status = gate_status(make_state(gate_overridden=True))
    assert not status.open
    assert len(status.missing) == 5


# --- advancing --------------------------------------------------------------------------


def test_initial_to_middle_when_the_gate_is_open() -> None:
    decision = advance_decision(make_state(last=3, done=GATE_TASKS))
    assert decision.allowed
    assert decision.to_phase is Phase.MIDDLE
    assert decision.reasons == ()
    assert not decision.needs_override


@pytest.mark.parametrize("missing", sorted(GATE_TASKS))
def test_initial_to_middle_blocked_by_each_missing_gate_task(missing: TaskCode) -> None:
    """GIVEN an initial-phase course missing one gate task WHEN it asks to move on THEN
    the move is refused with one reason naming that task, and an override is offered."""
    decision = advance_decision(make_state(last=3, done=INITIAL_DONE - {missing}))
    assert not decision.allowed
    assert decision.to_phase is Phase.MIDDLE
    assert decision.needs_override
    assert len(decision.reasons) == 1
    task = next(t for t in tasks_for(Phase.INITIAL) if t.code is missing)
    assert decision.reasons[0].startswith("Still to do: ")
    assert task.prompt[1:] in decision.reasons[0]


def test_initial_to_middle_gives_one_reason_per_missing_task() -> None:
    decision = advance_decision(make_state(last=3))
    assert not decision.allowed
    assert len(decision.reasons) == 5
    assert "inventory" in decision.reasons[1]


def test_overridden_gate_lets_the_course_move_and_still_lists_what_is_missing() -> None:
    """GIVEN a clinician who overrode the closed gate (with a recorded reason) WHEN the
    course asks to move on THEN it may, no further override is needed, and the missing
    tasks are still listed."""
    decision = advance_decision(
        make_state(last=3, done=GATE_TASKS - {TaskCode.INVENTORY}, gate_overridden=True)
    )
    assert decision.allowed
    assert not decision.needs_override
    assert decision.reasons == (
        "Still to do: complete the interpersonal inventory: every important relationship.",
    )


@pytest.mark.parametrize(
    ("last", "held"),
    [
        (0, "no session has been held yet"),
        (1, "1 session has been held"),
        (2, "2 sessions have been held"),
    ],
)
def test_early_move_says_how_many_sessions_were_held(last: int, held: str) -> None:
    decision = advance_decision(make_state(last=last, done=GATE_TASKS))
    assert decision.reasons[-1].endswith(f"{held}.")


def test_moving_to_middle_before_the_planned_session_is_noted_not_blocked() -> None:
    decision = advance_decision(make_state(last=2, done=GATE_TASKS))
    assert decision.allowed
    assert not decision.needs_override
    assert len(decision.reasons) == 1
    assert "earlier than planned" in decision.reasons[0]
    assert "session 3" in decision.reasons[0]
    assert "2 sessions have been held" in decision.reasons[0]


def test_middle_to_termination_at_the_planned_point_is_reason_free() -> None:
    """GIVEN a middle-phase course at its planned end, ending already raised WHEN it
    asks to move on THEN termination is allowed with nothing to note."""
    decision = advance_decision(middle_state(last=14, done=INITIAL_DONE | {TaskCode.ENDING_RAISED}))
    assert decision.allowed
    assert decision.to_phase is Phase.TERMINATION
    assert decision.reasons == ()
    assert not decision.needs_override


def test_early_termination_is_allowed_but_flagged() -> None:
    """GIVEN a middle-phase course four sessions short of its planned end WHEN it asks
    to move on THEN it may, and the decision says it is early."""
    decision = advance_decision(middle_state(last=10, done=INITIAL_DONE | {TaskCode.ENDING_RAISED}))
    assert decision.allowed
    assert not decision.needs_override
    assert len(decision.reasons) == 1
    assert "early" in decision.reasons[0]
    assert "session 14" in decision.reasons[0]
    assert "10 sessions" in decision.reasons[0]


def test_termination_without_the_ending_raised_is_noted() -> None:
    decision = advance_decision(middle_state(last=14))
    assert decision.allowed
    assert decision.reasons == (
        "The ending has not been raised yet: raise it at the next session.",
    )


def test_termination_has_no_next_phase() -> None:
    """GIVEN a course in termination WHEN it asks to move on THEN there is nowhere to go:
    closing the course is a separate act."""
    decision = advance_decision(make_state(phase=Phase.TERMINATION, last=16, done=INITIAL_DONE))
    assert not decision.allowed
    assert decision.to_phase is None
    assert not decision.needs_override
    assert "closing review" in decision.reasons[0]


def test_open_ended_course_never_enters_termination_on_its_own() -> None:
    """GIVEN a maintenance course with no planned end WHEN it asks to move to
    termination THEN it may not until a number of sessions is agreed."""
    decision = advance_decision(middle_state("ipt_m", last=30))
    assert not decision.allowed
    assert decision.to_phase is Phase.TERMINATION
    assert not decision.needs_override
    assert "open-ended" in decision.reasons[0]


def test_maintenance_course_given_an_end_may_enter_termination() -> None:
    plan = VARIANTS["ipt_m"].plan_for(12)
    decision = advance_decision(
        middle_state("ipt_m", last=10, plan=plan, done=INITIAL_DONE | {TaskCode.ENDING_RAISED})
    )
    assert decision.allowed
    assert decision.to_phase is Phase.TERMINATION
    assert decision.reasons == ()


# --- sessions left ----------------------------------------------------------------------


@pytest.mark.parametrize(("last", "left"), [(0, 16), (1, 15), (14, 2), (16, 0), (18, 0)])
def test_sessions_left(last: int, left: int) -> None:
    assert sessions_left(make_state(last=last)) == left


def test_open_ended_course_has_no_count_of_sessions_left() -> None:
    assert sessions_left(middle_state("ipt_m", last=7)) is None


# --- agenda: initial phase --------------------------------------------------------------


def test_first_session_agenda() -> None:
    """GIVEN a new 16-session course WHEN session 1 is prepared THEN it opens with the
    symptom review and lists every initial task, gate tasks before the others, and
    nothing from the middle phase."""
    agenda = agenda_for(make_state(), 1)
    assert agenda[0].code == AgendaCode.SYMPTOM_REVIEW
    assert "confirm the diagnosis" in agenda[0].text
    assert codes(agenda)[1:6] == [
        TaskCode.BASELINE_MEASURE,
        TaskCode.INVENTORY,
        TaskCode.FORMULATION,
        TaskCode.FOCUS_CHOSEN,
        TaskCode.CONTRACT_AGREED,
    ]
    assert {i.priority for i in agenda[:6]} == {2}
    assert {TaskCode.DIAGNOSIS_GIVEN, TaskCode.SICK_ROLE_GIVEN} <= set(codes(agenda))
    assert item(agenda, TaskCode.SICK_ROLE_GIVEN).text.startswith("Give the sick role")
    assert item(agenda, TaskCode.HOPE_INSTILLED).priority == 3
    assert AgendaCode.INTERVAL_HISTORY not in codes(agenda)
    assert AgendaCode.NO_BASELINE_MEASURE not in codes(agenda)


def test_first_session_names_the_variants_measures() -> None:
    assert item(agenda_for(make_state(), 1), TaskCode.BASELINE_MEASURE).text == (
        "Take a baseline symptom measure (PHQ-9, GAD-7)."
    )
    perinatal = agenda_for(make_state("ipt_b"), 1)
    assert "(EPDS, PHQ-9)" in item(perinatal, TaskCode.BASELINE_MEASURE).text


def test_later_initial_session_drops_done_tasks() -> None:
    state = make_state(
        last=1, done=frozenset({TaskCode.BASELINE_MEASURE}), sessions_since_measure=1
    )
    agenda = agenda_for(state, 2)
    assert TaskCode.BASELINE_MEASURE not in codes(agenda)
    assert item(agenda, AgendaCode.SYMPTOM_REVIEW).text == "Review symptoms since the last session."


def test_last_initial_session_makes_gate_tasks_urgent() -> None:
    """GIVEN a course at its last planned initial session with the focus not chosen
    WHEN the session is prepared THEN the missing gate tasks are top priority."""
    state = make_state(last=2, done=GATE_TASKS - {TaskCode.FOCUS_CHOSEN}, sessions_since_measure=2)
    agenda = agenda_for(state, 3)
    assert agenda[0] == AgendaItem(
        TaskCode.FOCUS_CHOSEN,
        "Choose the focus with the client: one problem area, two at most.",
        1,
    )
    assert item(agenda, TaskCode.DIAGNOSIS_GIVEN).priority == 3


def test_still_initial_after_the_plan_moved_on_with_the_gate_closed() -> None:
    """GIVEN a course still in the initial phase at session 4 of a plan whose initial
    phase ended at 3 WHEN the session is prepared THEN the agenda says the gate is
    overdue and names what is missing."""
    state = make_state(last=3, done=GATE_TASKS - {TaskCode.CONTRACT_AGREED})
    gate = item(agenda_for(state, 4), AgendaCode.GATE_OVERDUE)
    assert gate.priority == 1
    assert "after session 3" in gate.text
    assert "treatment contract agreed" in gate.text
    assert "override" in gate.text


@pytest.mark.parametrize(
    ("done", "overridden", "why"),
    [(GATE_TASKS, False, "Every gate task is done"), (frozenset(), True, "overridden")],
)
def test_still_initial_with_the_way_clear_says_move_on(
    done: frozenset[TaskCode], overridden: bool, why: str
) -> None:
    agenda = agenda_for(make_state(last=3, done=done, gate_overridden=overridden), 4)
    assert why in item(agenda, AgendaCode.MOVE_TO_MIDDLE).text
    assert AgendaCode.GATE_OVERDUE not in codes(agenda)


def test_initial_agenda_before_the_planned_end_does_not_push_the_gate() -> None:
    agenda = agenda_for(make_state(last=1, done=GATE_TASKS), 2)
    assert AgendaCode.MOVE_TO_MIDDLE not in codes(agenda)
    assert AgendaCode.GATE_OVERDUE not in codes(agenda)


@pytest.mark.parametrize(
    ("variant", "present", "absent"),
    [
        (
            "ipt_b",
            {AgendaCode.ENGAGEMENT, AgendaCode.PERINATAL_DATES},
            {AgendaCode.SESSION_LENGTH},
        ),
        (
            "ipt_older",
            {AgendaCode.SESSION_LENGTH},
            {AgendaCode.ENGAGEMENT, AgendaCode.PERINATAL_DATES},
        ),
        (
            "ipt16",
            set(),
            {AgendaCode.ENGAGEMENT, AgendaCode.PERINATAL_DATES, AgendaCode.SESSION_LENGTH},
        ),
    ],
)
def test_first_session_variant_points(
    variant: str, present: set[AgendaCode], absent: set[AgendaCode]
) -> None:
    first = set(codes(agenda_for(make_state(variant), 1)))
    second = set(codes(agenda_for(make_state(variant, last=1), 2)))
    assert present <= first
    assert not absent & first
    assert not present & second


# --- agenda: middle phase ---------------------------------------------------------------


def test_first_middle_session_agenda() -> None:
    """GIVEN a course that has just entered the middle phase with a role dispute focus
    and two experiments agreed WHEN session 4 is prepared THEN it opens with the interval
    history, reviews the measure, links mood and events, keeps to the named focus and
    reviews the experiments, with no ending reminder yet."""
    agenda = agenda_for(middle_state(last=3, open_experiments=2), 4)
    assert codes(agenda) == [
        AgendaCode.INTERVAL_HISTORY,
        AgendaCode.KEEP_FOCUS,
        AgendaCode.REVIEW_EXPERIMENTS,
        AgendaCode.REVIEW_MEASURE,
        AgendaCode.LINK_MOOD_EVENTS,
        AgendaCode.FOCUS_HINT,
        AgendaCode.PLAN_EXPERIMENT,
    ]
    assert item(agenda, AgendaCode.KEEP_FOCUS).text == "Keep to the agreed focus: Role dispute."
    assert "2 between-session experiments" in item(agenda, AgendaCode.REVIEW_EXPERIMENTS).text
    assert "stage" in item(agenda, AgendaCode.FOCUS_HINT).text


def test_one_open_experiment_is_named_in_the_singular() -> None:
    agenda = agenda_for(middle_state(open_experiments=1), 5)
    assert "1 between-session experiment agreed" in item(agenda, AgendaCode.REVIEW_EXPERIMENTS).text


def test_no_experiment_review_without_open_experiments() -> None:
    assert AgendaCode.REVIEW_EXPERIMENTS not in codes(agenda_for(middle_state(), 5))


def test_focus_uses_the_practice_labels_for_both_areas() -> None:
    state = middle_state(
        focus_areas=("role_transition", "interpersonal_deficits"),
        area_labels={"role_transition": "Life changes"},
    )
    agenda = agenda_for(state, 5)
    assert item(agenda, AgendaCode.KEEP_FOCUS).text == (
        "Keep to the agreed focus: Life changes and Interpersonal deficits."
    )


def test_middle_phase_without_a_focus_asks_for_one_first() -> None:
    agenda = agenda_for(middle_state(focus_areas=()), 5)
    assert agenda[0].code == AgendaCode.NO_FOCUS
    assert agenda[0].priority == 1
    assert AgendaCode.KEEP_FOCUS not in codes(agenda)


def test_overridden_gate_leaves_a_reminder_in_the_middle_phase() -> None:
    """GIVEN a course that moved on with the inventory incomplete WHEN a middle session is
    prepared THEN the agenda still says the inventory is missing."""
    state = middle_state(done=GATE_TASKS - {TaskCode.INVENTORY}, gate_overridden=True)
    text = item(agenda_for(state, 5), AgendaCode.GATE_STILL_MISSING).text
    assert "interpersonal inventory complete" in text
    assert AgendaCode.GATE_STILL_MISSING not in codes(agenda_for(middle_state(), 5))


@pytest.mark.parametrize(("since", "flagged"), [(0, False), (3, False), (4, True), (9, True)])
def test_measure_gap_is_flagged_from_four_sessions(since: int, flagged: bool) -> None:
    """GIVEN a middle-phase course WHEN the last symptom measure is four or more sessions
    old THEN the agenda asks for one, saying how old the last one is."""
    agenda = agenda_for(middle_state(sessions_since_measure=since), 8)
    if flagged:
        overdue = item(agenda, AgendaCode.MEASURE_OVERDUE)
        assert overdue.text == f"No symptom measure for {since} sessions: take one this session."
        assert overdue.priority == 2
    else:
        assert AgendaCode.MEASURE_OVERDUE not in codes(agenda)


def test_measure_gap_is_flagged_in_the_initial_phase_too() -> None:
    state = make_state(
        last=4, done=frozenset({TaskCode.BASELINE_MEASURE}), sessions_since_measure=4
    )
    assert AgendaCode.MEASURE_OVERDUE in codes(agenda_for(state, 5))


def test_middle_phase_without_any_measure_asks_for_a_baseline() -> None:
    agenda = agenda_for(middle_state("ipt_older", sessions_since_measure=None), 5)
    first = agenda[0]
    assert first.code == AgendaCode.NO_BASELINE_MEASURE
    assert first.priority == 1
    assert "(GDS-15, PHQ-9)" in first.text
    assert AgendaCode.REVIEW_MEASURE not in codes(agenda)


@pytest.mark.parametrize(
    ("session", "left", "priority"),
    [(12, 4, 2), (13, 3, 2), (14, 2, 1)],
)
def test_ending_is_raised_two_to_four_sessions_before_the_end(
    session: int, left: int, priority: int
) -> None:
    """GIVEN a 16-session course in the middle phase WHEN sessions 12 to 14 are prepared
    and the ending has not been raised THEN the agenda asks to raise it, counting the
    sessions left, more urgently as they run out."""
    raise_ending = item(
        agenda_for(middle_state(last=session - 1), session), AgendaCode.RAISE_ENDING
    )
    assert raise_ending.priority == priority
    assert raise_ending.text == (
        f"Raise the ending now: {left} sessions left after this one, and termination "
        "starts at session 15."
    )


@pytest.mark.parametrize("session", [4, 10, 11])
def test_ending_not_raised_too_early(session: int) -> None:
    agenda = agenda_for(middle_state(last=session - 1), session)
    assert AgendaCode.RAISE_ENDING not in codes(agenda)
    assert AgendaCode.ENDING_IN_VIEW not in codes(agenda)


def test_ending_once_raised_stays_in_view() -> None:
    state = middle_state(last=12, done=INITIAL_DONE | {TaskCode.ENDING_RAISED})
    agenda = agenda_for(state, 13)
    assert AgendaCode.RAISE_ENDING not in codes(agenda)
    assert item(agenda, AgendaCode.ENDING_IN_VIEW).text == (
        "Keep the ending in view: 3 sessions left after this one."
    )


@pytest.mark.parametrize(
    ("variant", "session", "expected"),
    [
        ("ipt12", 7, None),
        ("ipt12", 8, "4 sessions left after this one, and termination starts at session 10"),
        ("ipt_a", 8, "4 sessions left after this one, and termination starts at session 9"),
        ("ipt_b", 4, "4 sessions left after this one, and termination starts at session 7"),
        ("ipc", 2, "4 sessions left after this one, and termination starts at session 6"),
        ("ipc", 5, "1 session left after this one, and termination starts at session 6"),
    ],
)
def test_ending_notice_follows_each_variants_plan(
    variant: str, session: int, expected: str | None
) -> None:
    agenda = agenda_for(middle_state(variant, last=session - 1), session)
    if expected is None:
        assert AgendaCode.RAISE_ENDING not in codes(agenda)
    else:
        assert expected in item(agenda, AgendaCode.RAISE_ENDING).text


@pytest.mark.parametrize(
    ("session", "text"),
    [
        (15, "Raise the ending now: 1 session left after this one."),
        (16, "Raise the ending now: this is the last planned session."),
    ],
)
def test_middle_phase_running_into_termination(session: int, text: str) -> None:
    """GIVEN a course still in the middle phase when the plan has reached termination
    WHEN the session is prepared THEN the agenda asks to move to termination and to
    raise the ending, both urgently."""
    agenda = agenda_for(middle_state(last=session - 1), session)
    due = item(agenda, AgendaCode.TERMINATION_DUE)
    assert due.priority == 1
    assert f"session {session} in the termination phase (from session 15)" in due.text
    assert item(agenda, AgendaCode.RAISE_ENDING) == AgendaItem(AgendaCode.RAISE_ENDING, text, 1)


@pytest.mark.parametrize(("session", "shown"), [(5, True), (6, True), (7, False), (8, False)])
def test_adolescent_middle_phase_plans_a_joint_caregiver_session_early(
    session: int, shown: bool
) -> None:
    """GIVEN an IPT-A course in the middle phase (sessions 5-8) WHEN sessions in its
    first half are prepared THEN the agenda suggests a joint session with a caregiver if
    the focus involves one; later it does not."""
    agenda = agenda_for(middle_state("ipt_a", last=session - 1, done=IPT_A_INITIAL_DONE), session)
    assert (AgendaCode.CAREGIVER_MIDDLE in codes(agenda)) is shown
    assert AgendaCode.CAREGIVER_MIDDLE not in codes(agenda_for(middle_state(), 5))


def test_adolescent_first_session_involves_the_caregiver_and_the_limited_sick_role() -> None:
    agenda = agenda_for(make_state("ipt_a"), 1)
    assert "parent or caregiver" in item(agenda, TaskCode.CAREGIVER_START).text
    assert "limited sick role" in item(agenda, TaskCode.SICK_ROLE_GIVEN).text
    assert item(agenda, TaskCode.CLOSENESS_CIRCLE).priority == 2
    assert "(PHQ-A)" in item(agenda, TaskCode.BASELINE_MEASURE).text


def test_adolescent_termination_brings_the_caregiver_back() -> None:
    state = make_state("ipt_a", Phase.TERMINATION, 8, IPT_A_INITIAL_DONE, sessions_since_measure=1)
    agenda = agenda_for(state, 9)
    assert item(agenda, TaskCode.CAREGIVER_END).priority == 2


def test_open_ended_maintenance_session_agenda() -> None:
    """GIVEN a maintenance course with no planned end, deep into its monthly sessions
    WHEN a session is prepared THEN the agenda checks the gains hold and never raises the
    ending, moves to termination or asks to renegotiate."""
    agenda = agenda_for(middle_state("ipt_m", last=29), 30)
    assert AgendaCode.MAINTENANCE in codes(agenda)
    assert AgendaCode.INTERVAL_HISTORY in codes(agenda)
    for code in (
        AgendaCode.RAISE_ENDING,
        AgendaCode.ENDING_IN_VIEW,
        AgendaCode.TERMINATION_DUE,
        AgendaCode.RENEGOTIATE_CONTRACT,
    ):
        assert code not in codes(agenda)


def test_maintenance_with_a_planned_end_raises_it() -> None:
    plan = VARIANTS["ipt_m"].plan_for(12)
    agenda = agenda_for(middle_state("ipt_m", last=9, plan=plan), 10)
    assert AgendaCode.MAINTENANCE not in codes(agenda)
    assert "termination starts at session 11" in item(agenda, AgendaCode.RAISE_ENDING).text


# --- agenda: termination ----------------------------------------------------------------


def test_termination_session_agenda() -> None:
    """GIVEN a course in its first termination session with the ending already raised
    WHEN it is prepared THEN progress, feelings about ending, warning signs and the next
    step are on it, and it is not yet the last session."""
    state = make_state(
        phase=Phase.TERMINATION,
        last=14,
        done=INITIAL_DONE | {TaskCode.ENDING_RAISED},
        sessions_since_measure=0,
    )
    agenda = agenda_for(state, 15)
    assert codes(agenda) == [
        TaskCode.PROGRESS_REVIEWED,
        TaskCode.ENDING_FEELINGS,
        TaskCode.WARNING_SIGNS,
        TaskCode.NEXT_STEP_AGREED,
        AgendaCode.INTERVAL_HISTORY,
        AgendaCode.REVIEW_MEASURE,
    ]
    assert "maintenance" in item(agenda, TaskCode.NEXT_STEP_AGREED).text
    assert "referral" in item(agenda, TaskCode.NEXT_STEP_AGREED).text


def test_termination_without_the_ending_raised_puts_it_first() -> None:
    state = make_state(
        phase=Phase.TERMINATION, last=14, done=INITIAL_DONE, sessions_since_measure=1
    )
    first = agenda_for(state, 15)[0]
    assert (first.code, first.priority) == (TaskCode.ENDING_RAISED, 1)


def test_last_planned_session_says_to_close() -> None:
    state = make_state(phase=Phase.TERMINATION, last=15, done=INITIAL_DONE)
    assert "closing review" in item(agenda_for(state, 16), AgendaCode.LAST_SESSION).text
    assert AgendaCode.LAST_SESSION not in codes(agenda_for(state, 15))


# --- agenda: the contract ---------------------------------------------------------------


@pytest.mark.parametrize("phase", list(Phase))
def test_session_beyond_the_contract_asks_to_renegotiate_first(phase: Phase) -> None:
    """GIVEN a course contracted for 16 sessions WHEN session 17 is prepared, in any
    phase THEN the first item says to renegotiate the contract before the session."""
    state = make_state(phase=phase, last=16, done=INITIAL_DONE, contract_sessions=16)
    first = agenda_for(state, 17)[0]
    assert first == AgendaItem(
        AgendaCode.RENEGOTIATE_CONTRACT,
        "Session 17 is beyond the 16 sessions agreed in the contract: renegotiate the "
        "contract before this session.",
        1,
    )


def test_session_within_the_contract_needs_no_renegotiation() -> None:
    state = make_state(phase=Phase.TERMINATION, last=15, done=INITIAL_DONE, contract_sessions=16)
    assert AgendaCode.RENEGOTIATE_CONTRACT not in codes(agenda_for(state, 16))


def test_session_beyond_the_plan_before_any_contract_asks_for_a_new_plan() -> None:
    state = make_state(last=16, done=frozenset())
    first = agenda_for(state, 17)[0]
    assert first.code == AgendaCode.RENEGOTIATE_CONTRACT
    assert "beyond the 16 planned sessions" in first.text


def test_maintenance_contract_limits_an_open_ended_course() -> None:
    state = middle_state("ipt_m", last=12, contract_sessions=12)
    assert agenda_for(state, 13)[0].code == AgendaCode.RENEGOTIATE_CONTRACT


@pytest.mark.parametrize("session", [0, -1])
def test_agenda_refuses_session_numbers_below_one(session: int) -> None:
    with pytest.raises(ProtocolError, match="start at 1"):
        agenda_for(make_state(), session)


def test_agenda_refuses_an_invalid_plan() -> None:
    with pytest.raises(ProtocolError, match="termination session"):
        agenda_for(make_state(plan=PhasePlan(3, 14, 14)), 1)


def test_agenda_refuses_an_unknown_focus_code() -> None:
    with pytest.raises(ProtocolError, match="'sorrow' is not a problem area"):
        agenda_for(middle_state(focus_areas=("sorrow",)), 5)
