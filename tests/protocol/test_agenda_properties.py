"""Properties every agenda keeps, whatever the course looks like."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from openipt.protocol.engine import AgendaCode, CourseState, agenda_for, sessions_left
from openipt.protocol.phases import Phase
from openipt.protocol.problem_areas import ProblemAreaCode
from openipt.protocol.tasks import TaskCode
from openipt.protocol.variants import VARIANTS


@st.composite
def states(draw: st.DrawFn) -> tuple[CourseState, int]:
    variant = VARIANTS[draw(st.sampled_from(sorted(VARIANTS)))]
    upper = variant.max_sessions if variant.max_sessions is not None else 40
    total = draw(
        st.one_of(
            st.none() if variant.default_plan.total is None else st.nothing(),
            st.integers(min_value=variant.min_sessions, max_value=upper),
        )
    )
    plan = variant.plan_for(total)
    phase = draw(st.sampled_from(list(Phase)))
    last = draw(st.integers(min_value=0, max_value=(plan.total or 40) + 3))
    state = CourseState(
        variant_code=variant.code,
        plan=plan,
        phase=phase,
        last_session_number=last,
        done=frozenset(draw(st.sets(st.sampled_from(list(TaskCode))))),
        focus_areas=tuple(
            draw(st.lists(st.sampled_from(list(ProblemAreaCode)), max_size=2, unique=True))
        ),
        contract_sessions=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=40))),
        sessions_since_measure=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=12))),
        gate_overridden=draw(st.booleans()),
        open_experiments=draw(st.integers(min_value=0, max_value=3)),
    )
    return state, draw(st.integers(min_value=1, max_value=(plan.total or 40) + 3))


@settings(max_examples=300)
@given(states())
def test_agenda_is_ordered_unique_and_readable(pair: tuple[CourseState, int]) -> None:
    state, session = pair
    agenda = agenda_for(state, session)
    assert agenda
    priorities = [item.priority for item in agenda]
    assert priorities == sorted(priorities)
    assert set(priorities) <= {1, 2, 3, 4}
    codes = [item.code for item in agenda]
    assert len(codes) == len(set(codes))
    for item in agenda:
        assert item.text[0].isupper()
        assert item.text.endswith((".", "?"))


@settings(max_examples=300)
@given(states())
def test_open_ended_agenda_never_talks_of_ending(pair: tuple[CourseState, int]) -> None:
    state, session = pair
    codes = {item.code for item in agenda_for(state, session)}
    if state.plan.total is None:
        assert sessions_left(state) is None
        assert not codes & {
            AgendaCode.RAISE_ENDING,
            AgendaCode.ENDING_IN_VIEW,
            AgendaCode.TERMINATION_DUE,
            AgendaCode.LAST_SESSION,
        }


@settings(max_examples=300)
@given(states())
def test_renegotiation_is_asked_exactly_when_the_session_is_past_the_limit(
    pair: tuple[CourseState, int],
) -> None:
    state, session = pair
    limit = state.contract_sessions if state.contract_sessions is not None else state.plan.total
    agenda = agenda_for(state, session)
    beyond = limit is not None and session > limit
    assert (agenda[0].code == AgendaCode.RENEGOTIATE_CONTRACT) is beyond
