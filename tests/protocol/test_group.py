"""Group IPT: variants and plans, the group session agenda, adherence, fidelity, eligibility."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openipt.protocol.engine import AgendaItem
from openipt.protocol.errors import ProtocolError, UnknownVariant
from openipt.protocol.group import (
    AREA_HINT_CODES,
    EXCLUSION_PROMPTS,
    FIDELITY_PASS_MEAN,
    FIDELITY_SCALE,
    GROUP_ADHERENCE_ITEMS,
    GROUP_AREA_HINTS,
    GROUP_VARIANTS,
    EligibilityDecision,
    EligibilityRules,
    Exclusion,
    GroupAgendaCode,
    GroupFeature,
    GroupSessionContext,
    GroupVariant,
    ScreeningOutcome,
    adherence_score,
    get_group_variant,
    group_adherence_items_for,
    group_agenda_for,
    screening_decision,
)
from openipt.protocol.phases import Phase, PhasePlan
from openipt.protocol.problem_areas import ProblemAreaCode

C = GroupAgendaCode
INI, MID, END = Phase.INITIAL, Phase.MIDDLE, Phase.TERMINATION
ALL_FEATURES = frozenset(GroupFeature)

# --------------------------------------------------------------------------- variants


def test_the_product_offers_exactly_these_group_variants() -> None:
    assert set(GROUP_VARIANTS) == {"group_who", "group_short", "group_clinic"}


@pytest.mark.parametrize("code", sorted(GROUP_VARIANTS))
def test_group_variant_is_filed_under_its_own_code(code: str) -> None:
    variant = get_group_variant(code)
    assert variant.code == code
    assert variant.name
    assert len(variant.summary) > 40
    assert variant.measure == "phq9"


def test_unknown_group_variant_is_an_unknown_variant_error() -> None:
    with pytest.raises(UnknownVariant, match="'ipt16'"):
        get_group_variant("ipt16")
    assert issubclass(UnknownVariant, ProtocolError)


@pytest.mark.parametrize(
    ("code", "name", "sessions", "low", "high", "plan", "minutes", "features"),
    [
        (
            "group_who",
            "Group IPT (WHO model)",
            8,
            6,
            12,
            PhasePlan(1, 7, 8),
            90,
            ALL_FEATURES,
        ),
        (
            "group_short",
            "Group IPT, short cycle",
            6,
            4,
            8,
            PhasePlan(1, 5, 6),
            90,
            ALL_FEATURES,
        ),
        (
            "group_clinic",
            "Clinic group IPT (IPT-G)",
            12,
            8,
            16,
            PhasePlan(2, 10, 12),
            90,
            frozenset(
                {
                    GroupFeature.PRE_GROUP_SESSION,
                    GroupFeature.MEMBER_TASKS,
                    GroupFeature.SYMPTOMS_EVERY_SESSION,
                }
            ),
        ),
    ],
)
def test_group_variant_defaults(
    code: str,
    name: str,
    sessions: int,
    low: int,
    high: int,
    plan: PhasePlan,
    minutes: int,
    features: frozenset[GroupFeature],
) -> None:
    """GIVEN a group variant WHEN its defaults are read THEN they match the protocol note
    (WHO model: 8 sessions 1 / 2–7 / 8; short cycle: 6; clinic group: 12, two to end)."""
    variant = GROUP_VARIANTS[code]
    assert variant.name == name
    assert variant.default_sessions == sessions == variant.default_plan.total
    assert (variant.min_sessions, variant.max_sessions) == (low, high)
    assert variant.default_plan == plan
    variant.default_plan.validate()
    assert variant.session_minutes == minutes
    assert variant.features == features
    assert all(variant.has(feature) for feature in features)
    assert not any(variant.has(feature) for feature in ALL_FEATURES - features)


def test_only_the_clinic_group_is_led_by_clinicians() -> None:
    """GIVEN the group variants WHEN asked who leads them THEN the WHO model and the short
    cycle use lay facilitators and the clinic group does not."""
    lay = {code for code, v in GROUP_VARIANTS.items() if v.has(GroupFeature.LAY_FACILITATORS)}
    assert lay == {"group_who", "group_short"}


WHO_PHASES = [INI, MID, MID, MID, MID, MID, MID, END]
SHORT_PHASES = [INI, MID, MID, MID, MID, END]
CLINIC_PHASES = [INI, INI, MID, MID, MID, MID, MID, MID, MID, MID, END, END]


@pytest.mark.parametrize(
    ("code", "session", "phase"),
    [("group_who", n, phase) for n, phase in enumerate(WHO_PHASES, start=1)]
    + [("group_short", n, phase) for n, phase in enumerate(SHORT_PHASES, start=1)]
    + [("group_clinic", n, phase) for n, phase in enumerate(CLINIC_PHASES, start=1)],
)
def test_default_plan_puts_every_group_session_in_its_phase(
    code: str, session: int, phase: Phase
) -> None:
    """GIVEN a group variant's default plan WHEN a session number is looked up THEN it
    falls in the phase the protocol note gives it."""
    assert GROUP_VARIANTS[code].default_plan.phase_of(session) is phase


@pytest.mark.parametrize(
    ("code", "total"), [("group_who", 8), ("group_short", 6), ("group_clinic", 12)]
)
def test_sessions_outside_the_default_plan_have_no_phase(code: str, total: int) -> None:
    plan = GROUP_VARIANTS[code].default_plan
    with pytest.raises(ProtocolError, match="start at 1"):
        plan.phase_of(0)
    with pytest.raises(ProtocolError, match=f"beyond the contract of {total} sessions"):
        plan.phase_of(total + 1)


@pytest.mark.parametrize(
    ("code", "total", "expected"),
    [
        ("group_who", 6, PhasePlan(1, 5, 6)),
        ("group_who", 8, PhasePlan(1, 7, 8)),
        ("group_who", 10, PhasePlan(1, 9, 10)),
        ("group_who", 12, PhasePlan(1, 11, 12)),
        ("group_short", 4, PhasePlan(1, 3, 4)),
        ("group_short", 6, PhasePlan(1, 5, 6)),
        ("group_short", 8, PhasePlan(1, 7, 8)),
        ("group_clinic", 8, PhasePlan(2, 6, 8)),
        ("group_clinic", 12, PhasePlan(2, 10, 12)),
        ("group_clinic", 16, PhasePlan(2, 14, 16)),
    ],
)
def test_plan_for_keeps_initial_and_termination_lengths(
    code: str, total: int, expected: PhasePlan
) -> None:
    """GIVEN a group variant WHEN a cycle of another length is planned THEN the initial
    and termination phases keep their default lengths and the middle phase takes the rest."""
    assert GROUP_VARIANTS[code].plan_for(total) == expected


@pytest.mark.parametrize(
    ("code", "total", "message"),
    [
        ("group_who", 5, "Group IPT (WHO model) runs for 6 to 12 group sessions; 5 is outside"),
        ("group_who", 13, "Group IPT (WHO model) runs for 6 to 12 group sessions; 13 is outside"),
        ("group_short", 3, "Group IPT, short cycle runs for 4 to 8 group sessions; 3 is outside"),
        ("group_short", 9, "Group IPT, short cycle runs for 4 to 8 group sessions; 9 is outside"),
        ("group_clinic", 7, "(IPT-G) runs for 8 to 16 group sessions; 7 is outside"),
        ("group_clinic", 17, "(IPT-G) runs for 8 to 16 group sessions; 17 is outside"),
        ("group_who", 0, "runs for 6 to 12 group sessions; 0 is outside"),
    ],
)
def test_plan_for_refuses_a_total_outside_the_range(code: str, total: int, message: str) -> None:
    """GIVEN a group variant WHEN a cycle outside its allowed range is planned THEN the
    plan is refused with a message giving the range and the number asked for."""
    with pytest.raises(ProtocolError, match=re.escape(message)):
        GROUP_VARIANTS[code].plan_for(total)


@pytest.mark.parametrize(
    ("code", "total", "initial_last", "middle_last", "expected"),
    [
        ("group_who", 8, 2, 6, PhasePlan(2, 6, 8)),
        ("group_who", 8, 2, None, PhasePlan(2, 7, 8)),
        ("group_who", 8, None, 5, PhasePlan(1, 5, 8)),
        ("group_who", 8, 1, 7, PhasePlan(1, 7, 8)),
        ("group_who", 6, 1, 2, PhasePlan(1, 2, 6)),
        ("group_who", 12, 2, 9, PhasePlan(2, 9, 12)),
        ("group_short", 4, 1, 2, PhasePlan(1, 2, 4)),
        ("group_short", 4, 2, 3, PhasePlan(2, 3, 4)),
        ("group_clinic", 12, 1, None, PhasePlan(1, 10, 12)),
        ("group_clinic", 12, 3, 9, PhasePlan(3, 9, 12)),
        ("group_clinic", 8, None, 7, PhasePlan(2, 7, 8)),
    ],
)
def test_plan_for_uses_a_programmes_own_boundaries(
    code: str,
    total: int,
    initial_last: int | None,
    middle_last: int | None,
    expected: PhasePlan,
) -> None:
    """GIVEN a programme with its own phase boundaries WHEN the plan is made THEN the
    boundaries given are used as they are and a boundary not given takes its default."""
    plan = GROUP_VARIANTS[code].plan_for(total, initial_last=initial_last, middle_last=middle_last)
    assert plan == expected


@pytest.mark.parametrize(
    ("code", "total", "initial_last", "middle_last", "message"),
    [
        (
            "group_who",
            8,
            0,
            6,
            "The initial phase must include group session 1; it was set to end at session 0.",
        ),
        (
            "group_who",
            8,
            -2,
            None,
            "The initial phase must include group session 1; it was set to end at session -2.",
        ),
        (
            "group_who",
            8,
            3,
            3,
            "The middle phase needs at least one session: it was set to end at session 3, "
            "but the initial phase runs to session 3.",
        ),
        (
            "group_who",
            8,
            4,
            2,
            "The middle phase needs at least one session: it was set to end at session 2, "
            "but the initial phase runs to session 4.",
        ),
        (
            "group_who",
            8,
            None,
            1,
            "The middle phase needs at least one session: it was set to end at session 1, "
            "but the initial phase runs to session 1.",
        ),
        (
            # the default middle boundary (7) leaves no middle after an initial phase to 7
            "group_who",
            8,
            7,
            None,
            "The middle phase needs at least one session: it was set to end at session 7, "
            "but the initial phase runs to session 7.",
        ),
        (
            "group_who",
            8,
            1,
            8,
            "The group needs at least one ending session: 8 sessions are planned, but the "
            "middle phase runs to session 8.",
        ),
        (
            "group_who",
            8,
            None,
            10,
            "The group needs at least one ending session: 8 sessions are planned, but the "
            "middle phase runs to session 10.",
        ),
        (
            "group_short",
            4,
            3,
            4,
            "The group needs at least one ending session: 4 sessions are planned, but the "
            "middle phase runs to session 4.",
        ),
        (
            "group_clinic",
            7,
            2,
            5,
            "Clinic group IPT (IPT-G) runs for 8 to 16 group sessions; 7 is outside that range.",
        ),
    ],
)
def test_plan_for_refuses_impossible_boundaries(
    code: str, total: int, initial_last: int | None, middle_last: int | None, message: str
) -> None:
    """GIVEN a programme's own boundaries WHEN they leave no initial session, no middle
    session or no ending session (or the total is out of range) THEN the plan is refused
    with a plain message naming the numbers."""
    with pytest.raises(ProtocolError, match=f"^{re.escape(message)}$"):
        GROUP_VARIANTS[code].plan_for(total, initial_last=initial_last, middle_last=middle_last)


@st.composite
def variant_and_total(draw: st.DrawFn) -> tuple[GroupVariant, int]:
    variant = GROUP_VARIANTS[draw(st.sampled_from(sorted(GROUP_VARIANTS)))]
    return variant, draw(st.integers(variant.min_sessions, variant.max_sessions))


@given(variant_and_total())
def test_every_allowed_total_gives_a_whole_plan(pair: tuple[GroupVariant, int]) -> None:
    """GIVEN any group variant and any total in its range WHEN the default plan is made
    THEN it validates, every session has exactly one phase, session 1 is initial and the
    last session is termination."""
    variant, total = pair
    plan = variant.plan_for(total)
    plan.validate()
    assert plan.total == total
    phases = [plan.phase_of(n) for n in range(1, total + 1)]
    assert phases[0] is Phase.INITIAL
    assert phases[-1] is Phase.TERMINATION
    assert phases == sorted(phases, key=[INI, MID, END].index)
    assert sum(plan.sessions_in(phase) or 0 for phase in Phase) == total
    assert all((plan.sessions_in(phase) or 0) >= 1 for phase in Phase)
    assert plan.sessions_in(Phase.INITIAL) == variant.default_plan.sessions_in(Phase.INITIAL)
    assert plan.sessions_in(END) == variant.default_plan.sessions_in(END)


@given(variant_and_total(), st.integers(-2, 18), st.integers(-2, 18))
def test_explicit_boundaries_are_either_used_or_refused(
    pair: tuple[GroupVariant, int], initial_last: int, middle_last: int
) -> None:
    """GIVEN any explicit boundaries WHEN a plan is made THEN it is exactly the one asked
    for when 1 ≤ initial < middle < total, and a ProtocolError otherwise."""
    variant, total = pair
    if 1 <= initial_last < middle_last < total:
        plan = variant.plan_for(total, initial_last=initial_last, middle_last=middle_last)
        assert plan == PhasePlan(initial_last, middle_last, total)
    else:
        with pytest.raises(ProtocolError):
            variant.plan_for(total, initial_last=initial_last, middle_last=middle_last)


# --------------------------------------------------------------------------- agenda

HINTS = [
    C.HINT_GRIEF,
    C.HINT_ROLE_DISPUTE,
    C.HINT_ROLE_TRANSITION,
    C.HINT_INTERPERSONAL_DEFICITS,
]
MIDDLE_WORK = [C.WORK_ON_AREAS, *HINTS, C.PRACTISE]
INITIAL_ONLY = {C.EXPLAIN_DEPRESSION, C.GROUP_RULES, C.SHARE_PROBLEM_AREAS}
MIDDLE_ONLY = {C.NO_PROBLEM_AREA, *MIDDLE_WORK}
TERMINATION_ONLY = {C.REVIEW_PROGRESS, C.WARNING_SIGNS, C.PLAN_AFTER_GROUP, C.CELEBRATE}


def context(
    code: str = "group_who",
    session: int = 1,
    plan: PhasePlan | None = None,
    *,
    members_present: int = 0,
    members_with_positive_risk: int = 0,
    members_without_problem_area: int = 0,
    open_tasks_to_review: int = 0,
) -> GroupSessionContext:
    return GroupSessionContext(
        variant_code=code,
        plan=plan or GROUP_VARIANTS[code].default_plan,
        session_number=session,
        members_present=members_present,
        members_with_positive_risk=members_with_positive_risk,
        members_without_problem_area=members_without_problem_area,
        open_tasks_to_review=open_tasks_to_review,
    )


def codes(items: tuple[AgendaItem, ...]) -> list[str]:
    return [item.code for item in items]


def agenda_codes(
    code: str = "group_who",
    session: int = 1,
    *,
    members_present: int = 0,
    members_without_problem_area: int = 0,
    open_tasks_to_review: int = 0,
) -> list[str]:
    ctx = context(
        code,
        session,
        members_present=members_present,
        members_without_problem_area=members_without_problem_area,
        open_tasks_to_review=open_tasks_to_review,
    )
    return codes(group_agenda_for(ctx))


def item(items: tuple[AgendaItem, ...], code: str) -> AgendaItem:
    (found,) = [entry for entry in items if entry.code == code]
    return found


def test_first_session_agenda() -> None:
    """GIVEN the first session of a WHO-model group WHEN its agenda is drawn up THEN it
    welcomes the group, reviews symptoms, explains depression, agrees the rules, has
    every member share a problem area and agrees tasks, in that order."""
    assert agenda_codes("group_who", 1) == [
        C.WELCOME,
        C.SYMPTOM_REVIEW,
        C.EXPLAIN_DEPRESSION,
        C.GROUP_RULES,
        C.SHARE_PROBLEM_AREAS,
        C.AGREE_TASKS,
    ]


def test_first_session_reviews_tasks_only_when_some_are_open() -> None:
    """GIVEN session 1 WHEN tasks agreed before the group (e.g. in the pre-group session)
    are open THEN they are reviewed; with none open there is nothing to review."""
    assert C.REVIEW_TASKS not in agenda_codes("group_who", 1)
    with_tasks = agenda_codes("group_who", 1, open_tasks_to_review=2)
    assert with_tasks.index(C.REVIEW_TASKS) == with_tasks.index(C.SYMPTOM_REVIEW) + 1


def test_second_initial_session_of_the_clinic_group() -> None:
    """GIVEN the clinic group's second session (still initial) WHEN its agenda is drawn
    up THEN members go on sharing problem areas, tasks are reviewed, and the one-off
    first-session items (explaining depression, rules) are not repeated."""
    assert agenda_codes("group_clinic", 2) == [
        C.WELCOME,
        C.SYMPTOM_REVIEW,
        C.REVIEW_TASKS,
        C.SHARE_PROBLEM_AREAS,
        C.AGREE_TASKS,
    ]


@pytest.mark.parametrize("session", [2, 3, 4, 5])
def test_early_middle_session_agenda(session: int) -> None:
    """GIVEN a WHO-model middle session more than two sessions before the last WHEN its
    agenda is drawn up THEN it works on each member's problem area with one hint line per
    area and a role play, and does not raise the ending yet."""
    assert agenda_codes("group_who", session) == [
        C.WELCOME,
        C.SYMPTOM_REVIEW,
        C.REVIEW_TASKS,
        C.WORK_ON_AREAS,
        C.AGREE_TASKS,
        *HINTS,
        C.PRACTISE,
    ]


@pytest.mark.parametrize("session", [6, 7])
def test_middle_sessions_from_two_before_the_end_raise_the_ending(session: int) -> None:
    """GIVEN a WHO-model group at session 6 or 7 of 8 WHEN the agenda is drawn up THEN it
    raises the ending, alongside the usual middle-phase work."""
    assert agenda_codes("group_who", session) == [
        C.WELCOME,
        C.SYMPTOM_REVIEW,
        C.REVIEW_TASKS,
        C.WORK_ON_AREAS,
        C.RAISE_ENDING,
        C.AGREE_TASKS,
        *HINTS,
        C.PRACTISE,
    ]


@pytest.mark.parametrize(
    ("session", "text"),
    [
        (
            6,
            "Remind the group that it ends at session 8, 2 more meetings after this one, "
            "and ask how members feel about that.",
        ),
        (
            7,
            "Remind the group that it ends at session 8, 1 more meeting after this one, "
            "and ask how members feel about that.",
        ),
        (8, "This is the last meeting: make room for how members feel about the group ending."),
    ],
)
def test_ending_item_wording(session: int, text: str) -> None:
    assert item(group_agenda_for(context("group_who", session)), C.RAISE_ENDING).text == text


def test_last_session_agenda() -> None:
    """GIVEN the last session of a WHO-model group WHEN its agenda is drawn up THEN it
    reviews progress, warning signs and the plan for after the group, names today's
    PHQ-9 as the end-of-group score, and ends with a celebration."""
    agenda = group_agenda_for(context("group_who", 8))
    assert codes(agenda) == [
        C.WELCOME,
        C.SYMPTOM_REVIEW,
        C.REVIEW_TASKS,
        C.REVIEW_PROGRESS,
        C.WARNING_SIGNS,
        C.PLAN_AFTER_GROUP,
        C.RAISE_ENDING,
        C.FINAL_SCORE,
        C.AGREE_TASKS,
        C.CELEBRATE,
    ]
    assert "end-of-group score" in item(agenda, C.FINAL_SCORE).text
    assert "PHQ-9" in item(agenda, C.FINAL_SCORE).text
    assert "after the group ends" in item(agenda, C.AGREE_TASKS).text


def test_first_of_two_termination_sessions() -> None:
    """GIVEN the clinic group's session 11 of 12 (first termination session) WHEN the
    agenda is drawn up THEN it reviews progress and raises the ending, but keeps the
    final score and the celebration for the last session."""
    agenda = agenda_codes("group_clinic", 11)
    assert agenda == [
        C.WELCOME,
        C.SYMPTOM_REVIEW,
        C.REVIEW_TASKS,
        C.REVIEW_PROGRESS,
        C.WARNING_SIGNS,
        C.PLAN_AFTER_GROUP,
        C.RAISE_ENDING,
        C.AGREE_TASKS,
    ]
    last = agenda_codes("group_clinic", 12)
    assert {C.FINAL_SCORE, C.CELEBRATE} <= set(last)


def test_agreeing_tasks_looks_to_the_next_meeting_before_the_last() -> None:
    agenda = group_agenda_for(context("group_who", 7))
    assert item(agenda, C.AGREE_TASKS).text == (
        "Agree with each member one task to try before the next meeting."
    )


@pytest.mark.parametrize("code", sorted(GROUP_VARIANTS))
def test_every_session_has_the_core_items_and_only_its_phase_items(code: str) -> None:
    """GIVEN every session of every group variant's default plan WHEN the agenda is drawn
    up THEN it always welcomes, reviews symptoms and agrees tasks, reviews tasks from
    session 2 on, and carries only the items of the session's phase."""
    plan = GROUP_VARIANTS[code].default_plan
    assert plan.total is not None
    for session in range(1, plan.total + 1):
        found = set(agenda_codes(code, session))
        assert {C.WELCOME, C.SYMPTOM_REVIEW, C.AGREE_TASKS} <= found
        assert (C.REVIEW_TASKS in found) == (session > 1)
        assert (C.RAISE_ENDING in found) == (session >= plan.total - 2)
        assert ({C.FINAL_SCORE, C.CELEBRATE} <= found) == (session == plan.total)
        phase = plan.phase_of(session)
        if phase is Phase.INITIAL:
            assert C.SHARE_PROBLEM_AREAS in found
            assert ({C.EXPLAIN_DEPRESSION, C.GROUP_RULES} <= found) == (session == 1)
            assert not found & (MIDDLE_ONLY | TERMINATION_ONLY)
        elif phase is Phase.MIDDLE:
            assert set(MIDDLE_WORK) <= found
            assert not found & (INITIAL_ONLY | TERMINATION_ONLY)
        else:
            assert {C.REVIEW_PROGRESS, C.WARNING_SIGNS, C.PLAN_AFTER_GROUP} <= found
            assert not found & (INITIAL_ONLY | MIDDLE_ONLY)


def test_a_custom_plan_decides_the_phase() -> None:
    """GIVEN a WHO-model group planned 1–2 / 3–8 / 9–10 WHEN session 2 and session 9 are
    prepared THEN session 2 is still initial and session 9 is already termination."""
    plan = GROUP_VARIANTS["group_who"].plan_for(10, initial_last=2, middle_last=8)
    second = codes(group_agenda_for(context("group_who", 2, plan)))
    assert C.SHARE_PROBLEM_AREAS in second
    assert C.WORK_ON_AREAS not in second
    ninth = codes(group_agenda_for(context("group_who", 9, plan)))
    assert C.REVIEW_PROGRESS in ninth
    assert C.CELEBRATE not in ninth


@pytest.mark.parametrize(("count", "phase_session"), [(1, 1), (1, 4), (2, 8), (5, 3)])
def test_positive_risk_comes_first_without_names(count: int, phase_session: int) -> None:
    """GIVEN members who answered the self-harm question positively last time WHEN the
    agenda is drawn up in any phase THEN a private check-in with the safety steps comes
    first, without a name or a count."""
    agenda = group_agenda_for(context("group_who", phase_session, members_with_positive_risk=count))
    assert agenda[0].code == C.RISK_CHECK
    assert agenda[0].priority == 1
    assert "privately" in agenda[0].text and "safety steps" in agenda[0].text
    assert not re.search(r"\d", agenda[0].text)


def test_risk_wording_for_one_and_for_several_members() -> None:
    one = group_agenda_for(context("group_who", 3, members_with_positive_risk=1))
    assert one[0].text == (
        "A member answered the self-harm question positively last time: check in with them "
        "privately and follow the safety steps."
    )
    several = group_agenda_for(context("group_who", 3, members_with_positive_risk=3))
    assert several[0].text.startswith("Some members answered the self-harm question")
    assert "each of them" in several[0].text


def test_no_risk_item_without_a_positive_answer() -> None:
    assert C.RISK_CHECK not in agenda_codes("group_who", 3, members_present=6)


def test_member_without_a_problem_area_is_urgent_in_the_middle_phase() -> None:
    """GIVEN a middle-phase session where a member has no agreed problem area WHEN the
    agenda is drawn up THEN agreeing one is a top-priority item (after the risk check)."""
    agenda = group_agenda_for(
        context("group_who", 4, members_without_problem_area=1, members_with_positive_risk=1)
    )
    assert codes(agenda)[:2] == [C.RISK_CHECK, C.NO_PROBLEM_AREA]
    assert agenda[1].priority == 1
    assert not re.search(r"\d", agenda[1].text)


@pytest.mark.parametrize("session", [1, 8])
def test_missing_problem_area_is_not_flagged_outside_the_middle_phase(session: int) -> None:
    """GIVEN session 1 (where members are still sharing their problems) or the last
    session WHEN members have no recorded problem area THEN no extra item is added."""
    assert C.NO_PROBLEM_AREA not in agenda_codes(
        "group_who", session, members_without_problem_area=3
    )


def test_one_hint_line_per_problem_area_keyed_by_the_area_codes() -> None:
    assert set(GROUP_AREA_HINTS) == set(ProblemAreaCode)
    assert set(AREA_HINT_CODES) == set(ProblemAreaCode)
    agenda = group_agenda_for(context("group_who", 3))
    for area in ProblemAreaCode:
        assert item(agenda, AREA_HINT_CODES[area]).text == GROUP_AREA_HINTS[area]
    words = [GROUP_AREA_HINTS[area].split(":")[0] for area in ProblemAreaCode]
    assert words == ["Grief", "Disputes", "Life changes", "Loneliness"]


def test_symptom_review_names_the_measure_and_the_screening_comparison() -> None:
    first = item(group_agenda_for(context("group_who", 1)), C.SYMPTOM_REVIEW).text
    later = item(group_agenda_for(context("group_who", 4)), C.SYMPTOM_REVIEW).text
    assert "PHQ-9" in first and "screening" in first
    assert "PHQ-9" in later and "screening" not in later


def test_a_group_without_member_tasks_or_routine_symptoms_omits_those_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN a group variant without member tasks or symptoms every session WHEN an agenda
    is drawn up THEN no task or symptom item appears (the features drive them)."""
    bare = replace(GROUP_VARIANTS["group_who"], code="bare", features=frozenset())
    monkeypatch.setitem(GROUP_VARIANTS, "bare", bare)
    found = set(agenda_codes("bare", 3, open_tasks_to_review=2))
    assert not found & {C.SYMPTOM_REVIEW, C.REVIEW_TASKS, C.AGREE_TASKS}
    assert C.WORK_ON_AREAS in found


FIRST = context("group_who", 1)


@pytest.mark.parametrize(
    ("ctx", "error", "message"),
    [
        (replace(FIRST, variant_code="ipt16"), UnknownVariant, "no group IPT variant called"),
        (replace(FIRST, session_number=0), ProtocolError, "start at 1"),
        (replace(FIRST, session_number=9), ProtocolError, "beyond the contract of 8 sessions"),
        (replace(FIRST, plan=PhasePlan(1, 7, None)), ProtocolError, "planned number of sessions"),
        (replace(FIRST, plan=PhasePlan(1, 1, 8)), ProtocolError, "middle phase must end after"),
        (replace(FIRST, members_present=-1), ProtocolError, "members present cannot be negative"),
        (
            replace(FIRST, members_with_positive_risk=-1),
            ProtocolError,
            "positive self-harm answer cannot be negative",
        ),
        (
            replace(FIRST, members_without_problem_area=-2),
            ProtocolError,
            "cannot be negative; it was -2",
        ),
        (
            replace(FIRST, open_tasks_to_review=-1),
            ProtocolError,
            "tasks to review cannot be negative",
        ),
    ],
)
def test_impossible_agenda_requests_are_refused(
    ctx: GroupSessionContext, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        group_agenda_for(ctx)


@st.composite
def contexts(draw: st.DrawFn) -> GroupSessionContext:
    variant, total = draw(variant_and_total())
    plan = variant.plan_for(total)
    return GroupSessionContext(
        variant_code=variant.code,
        plan=plan,
        session_number=draw(st.integers(1, total)),
        members_present=draw(st.integers(0, 12)),
        members_with_positive_risk=draw(st.integers(0, 12)),
        members_without_problem_area=draw(st.integers(0, 12)),
        open_tasks_to_review=draw(st.integers(0, 12)),
    )


@settings(max_examples=300)
@given(contexts())
def test_agenda_is_ordered_unique_readable_and_free_of_numbers(ctx: GroupSessionContext) -> None:
    """GIVEN any group session WHEN its agenda is drawn up THEN items are sorted by
    priority, codes are unique and stable, every text is a short sentence, and no text
    carries a number except the ending item's session count (no scores, no counts)."""
    agenda = group_agenda_for(ctx)
    priorities = [entry.priority for entry in agenda]
    assert priorities == sorted(priorities)
    assert set(priorities) <= {1, 2, 3}
    found = codes(agenda)
    assert len(found) == len(set(found))
    assert set(found) <= set(GroupAgendaCode)
    assert (C.RISK_CHECK in found) == (ctx.members_with_positive_risk > 0)
    assert ctx.plan.total is not None
    left = ctx.plan.total - ctx.session_number
    for entry in agenda:
        assert entry.text[0].isupper()
        assert entry.text.endswith(".")
        assert len(entry.text) <= 200
        digits = set(re.findall(r"\d+", entry.text.replace("PHQ-9", "")))
        if entry.code == C.RAISE_ENDING:
            assert digits <= {str(ctx.plan.total), str(left)}
        else:
            assert digits == set()


# --------------------------------------------------------------------------- adherence


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (
            Phase.INITIAL,
            [
                "symptoms_reviewed",
                "depression_explained",
                "group_rules_agreed",
                "problem_area_each_member",
                "tasks_agreed",
            ],
        ),
        (
            Phase.MIDDLE,
            [
                "symptoms_reviewed",
                "problem_area_each_member",
                "mood_linked_to_events",
                "tasks_reviewed",
                "tasks_agreed",
            ],
        ),
        (
            Phase.TERMINATION,
            [
                "symptoms_reviewed",
                "tasks_reviewed",
                "ending_raised",
                "progress_reviewed",
                "tasks_agreed",
            ],
        ),
    ],
)
def test_group_adherence_items_for_each_phase(phase: Phase, expected: list[str]) -> None:
    """GIVEN a group session in a phase WHEN its adherence checklist is drawn up THEN it
    holds only the items rated in that phase, in checklist order."""
    assert [entry.code for entry in group_adherence_items_for(phase)] == expected


def test_group_adherence_checklist_shape() -> None:
    assert 7 <= len(GROUP_ADHERENCE_ITEMS) <= 9
    assert len({entry.code for entry in GROUP_ADHERENCE_ITEMS}) == len(GROUP_ADHERENCE_ITEMS)
    for entry in GROUP_ADHERENCE_ITEMS:
        assert entry.phases
        assert entry.text[0].isupper() and entry.text.endswith(".")


@pytest.mark.parametrize(
    ("checked", "phase", "score"),
    [
        ([], Phase.MIDDLE, 0.0),
        (["symptoms_reviewed"], Phase.MIDDLE, 0.2),
        (["symptoms_reviewed", "tasks_agreed"], Phase.INITIAL, 0.4),
        (["symptoms_reviewed", "symptoms_reviewed", "tasks_agreed"], Phase.INITIAL, 0.4),
        # an item of another phase is known but does not count here
        (["symptoms_reviewed", "group_rules_agreed"], Phase.TERMINATION, 0.2),
        (
            [
                "symptoms_reviewed",
                "tasks_reviewed",
                "ending_raised",
                "progress_reviewed",
                "tasks_agreed",
            ],
            Phase.TERMINATION,
            1.0,
        ),
    ],
)
def test_adherence_score_is_the_share_of_the_phase_items_ticked(
    checked: list[str], phase: Phase, score: float
) -> None:
    """GIVEN the items a rater ticked WHEN the session's adherence is scored THEN the
    score is the share of that phase's items ticked, each counted once."""
    assert adherence_score(checked, phase) == pytest.approx(score)


@pytest.mark.parametrize("phase", list(Phase))
def test_ticking_every_item_of_a_phase_scores_one(phase: Phase) -> None:
    ticked = (entry.code for entry in group_adherence_items_for(phase))
    assert adherence_score(ticked, phase) == 1.0


def test_adherence_score_refuses_unknown_codes() -> None:
    """GIVEN a ticked code that is not on the group checklist WHEN the score is computed
    THEN a ProtocolError names the code (an individual-IPT item is not a group item)."""
    with pytest.raises(ProtocolError, match=re.escape("'focus_kept', 'nonsense'")):
        adherence_score(["symptoms_reviewed", "nonsense", "focus_kept"], Phase.MIDDLE)


def test_fidelity_scale_and_pass_mark() -> None:
    """GIVEN supervisor fidelity ratings WHEN delivery is judged THEN ratings run 1 to 5 and
    a mean of 3.0 or more is adequate."""
    assert FIDELITY_SCALE == (1, 5)
    assert FIDELITY_PASS_MEAN == 3.0
    assert FIDELITY_SCALE[0] <= FIDELITY_PASS_MEAN <= FIDELITY_SCALE[1]


# --------------------------------------------------------------------------- eligibility

DEFAULT = EligibilityRules()
ADOLESCENTS = EligibilityRules(min_age=12, max_age=18)


def decide(
    rules: EligibilityRules = DEFAULT,
    *,
    phq9: int = 14,
    risk: bool = False,
    age: int | None = 30,
    exclusions: tuple[Exclusion, ...] = (),
) -> EligibilityDecision:
    return screening_decision(
        rules, phq9_total=phq9, risk_positive=risk, age=age, exclusions=exclusions
    )


def test_default_rules() -> None:
    expected = EligibilityRules(
        min_phq9=10, max_phq9=None, min_age=18, max_age=None, refer_on_risk_item=True
    )
    assert expected == DEFAULT


def test_every_exclusion_has_a_question_for_the_facilitator() -> None:
    assert set(EXCLUSION_PROMPTS) == set(Exclusion)
    for prompt in EXCLUSION_PROMPTS.values():
        assert prompt[0].isupper() and prompt.endswith("?")
    assert [e.value for e in Exclusion] == [
        "active_suicidality",
        "psychosis",
        "bipolar",
        "substance_misuse",
        "needs_urgent_care",
    ]


@pytest.mark.parametrize(
    ("phq9", "outcome"),
    [
        (0, ScreeningOutcome.BELOW_THRESHOLD),
        (9, ScreeningOutcome.BELOW_THRESHOLD),
        (10, ScreeningOutcome.ELIGIBLE),
        (11, ScreeningOutcome.ELIGIBLE),
        (27, ScreeningOutcome.ELIGIBLE),
    ],
)
def test_phq9_threshold_at_the_default_minimum(phq9: int, outcome: ScreeningOutcome) -> None:
    """GIVEN the default rules (PHQ-9 of 10 or more, no upper limit) WHEN a person scores
    around the threshold THEN 9 is below it and 10 is eligible."""
    assert decide(phq9=phq9).outcome is outcome


def test_below_threshold_reason_names_the_numbers() -> None:
    decision = decide(phq9=9)
    assert decision.reasons == ("PHQ-9 total 9 is below this group's threshold of 10.",)


def test_eligible_decision_has_a_reason() -> None:
    decision = decide(phq9=10)
    assert decision.outcome is ScreeningOutcome.ELIGIBLE
    assert decision.reasons == (
        "PHQ-9 total 10 is within this group's range and no reason to refer was found.",
    )


@pytest.mark.parametrize("exclusion", list(Exclusion))
def test_any_exclusion_means_refer(exclusion: Exclusion) -> None:
    """GIVEN an otherwise eligible person WHEN the facilitator records any exclusion THEN
    the person is referred, with one plain reason."""
    decision = decide(exclusions=(exclusion,))
    assert decision.outcome is ScreeningOutcome.REFER
    assert len(decision.reasons) == 1
    assert "refer" in decision.reasons[0].lower()


def test_positive_risk_answer_means_refer() -> None:
    """GIVEN rules that refer on the self-harm question WHEN it is answered positively by
    an otherwise eligible person THEN the person is referred and the safety steps named."""
    decision = decide(risk=True)
    assert decision.outcome is ScreeningOutcome.REFER
    assert decision.reasons == (
        "The self-harm question was answered positively: follow the safety steps and refer "
        "for individual care.",
    )


def test_refer_beats_everything_and_lists_every_reason() -> None:
    """GIVEN a person out of the age range, with a positive risk answer, a score above the
    limit and every exclusion WHEN screened THEN the decision is REFER and every referral
    reason is listed in a fixed order."""
    rules = EligibilityRules(min_phq9=10, max_phq9=20, min_age=18)
    decision = screening_decision(
        rules,
        phq9_total=24,
        risk_positive=True,
        age=15,
        exclusions=reversed(list(Exclusion)),
    )
    assert decision.outcome is ScreeningOutcome.REFER
    assert len(decision.reasons) == len(Exclusion) + 2
    assert decision.reasons[0].startswith("Thinking of ending their life")
    assert "self-harm question" in decision.reasons[-2]
    assert "too severe for a group" in decision.reasons[-1]


@pytest.mark.parametrize(
    ("phq9", "risk", "age", "exclusions", "outcome"),
    [
        (3, False, 15, (Exclusion.PSYCHOSIS,), ScreeningOutcome.REFER),
        (3, True, 30, (), ScreeningOutcome.REFER),
        (14, True, 15, (), ScreeningOutcome.REFER),
        (3, False, 15, (), ScreeningOutcome.OUT_OF_AGE_RANGE),
        (3, False, 30, (), ScreeningOutcome.BELOW_THRESHOLD),
    ],
)
def test_precedence_refer_then_age_then_threshold(
    phq9: int, risk: bool, age: int, exclusions: tuple[Exclusion, ...], outcome: ScreeningOutcome
) -> None:
    """GIVEN several reasons not to admit someone WHEN screened THEN referral beats the age
    range, and the age range beats the PHQ-9 threshold."""
    assert decide(phq9=phq9, risk=risk, age=age, exclusions=exclusions).outcome is outcome


def test_duplicate_exclusions_are_listed_once() -> None:
    decision = decide(exclusions=(Exclusion.BIPOLAR, Exclusion.BIPOLAR))
    assert len(decision.reasons) == 1


@pytest.mark.parametrize(
    ("rules", "age", "outcome"),
    [
        (DEFAULT, 17, ScreeningOutcome.OUT_OF_AGE_RANGE),
        (DEFAULT, 18, ScreeningOutcome.ELIGIBLE),
        (DEFAULT, 95, ScreeningOutcome.ELIGIBLE),
        (DEFAULT, None, ScreeningOutcome.ELIGIBLE),
        (ADOLESCENTS, 11, ScreeningOutcome.OUT_OF_AGE_RANGE),
        (ADOLESCENTS, 12, ScreeningOutcome.ELIGIBLE),
        (ADOLESCENTS, 18, ScreeningOutcome.ELIGIBLE),
        (ADOLESCENTS, 19, ScreeningOutcome.OUT_OF_AGE_RANGE),
        (EligibilityRules(min_age=None, max_age=25), 26, ScreeningOutcome.OUT_OF_AGE_RANGE),
        (EligibilityRules(min_age=None, max_age=25), 0, ScreeningOutcome.ELIGIBLE),
        (EligibilityRules(min_age=None), 5, ScreeningOutcome.ELIGIBLE),
    ],
)
def test_age_limits_are_inclusive(
    rules: EligibilityRules, age: int | None, outcome: ScreeningOutcome
) -> None:
    """GIVEN a programme's age range WHEN a person at or just past a limit is screened THEN
    both limits are included; an unknown age is not checked."""
    assert decide(rules, age=age).outcome is outcome


@pytest.mark.parametrize(
    ("rules", "age", "reason"),
    [
        (DEFAULT, 17, "Age 17 is outside this group's range of 18 or older."),
        (ADOLESCENTS, 19, "Age 19 is outside this group's range of 12 to 18."),
        (
            EligibilityRules(min_age=None, max_age=25),
            26,
            "Age 26 is outside this group's range of 25 or younger.",
        ),
    ],
)
def test_age_reason_names_the_range(rules: EligibilityRules, age: int, reason: str) -> None:
    assert decide(rules, age=age).reasons == (reason,)


@pytest.mark.parametrize(
    ("phq9", "outcome"),
    [
        (10, ScreeningOutcome.ELIGIBLE),
        (19, ScreeningOutcome.ELIGIBLE),
        (20, ScreeningOutcome.ELIGIBLE),
        (21, ScreeningOutcome.REFER),
        (27, ScreeningOutcome.REFER),
    ],
)
def test_symptoms_above_the_maximum_are_referred(phq9: int, outcome: ScreeningOutcome) -> None:
    """GIVEN a programme that takes PHQ-9 totals up to 20 WHEN someone scores above it THEN
    they are referred for individual care (too severe for a group); 20 is still eligible."""
    decision = decide(EligibilityRules(max_phq9=20), phq9=phq9)
    assert decision.outcome is outcome
    if outcome is ScreeningOutcome.REFER:
        assert decision.reasons == (
            f"PHQ-9 total {phq9} is above this group's limit of 20; symptoms too severe for "
            "a group: refer for individual care.",
        )


def test_too_severe_beats_the_age_range() -> None:
    """GIVEN a person out of the age range with a PHQ-9 above the maximum WHEN screened THEN
    they are referred: a referral always beats the other outcomes."""
    decision = decide(EligibilityRules(max_phq9=20), phq9=24, age=16)
    assert decision.outcome is ScreeningOutcome.REFER


def test_risk_answer_without_automatic_referral_is_still_named() -> None:
    """GIVEN a programme that does not refer on the self-harm question alone WHEN it is
    answered positively THEN the person's outcome follows the other rules, and the reasons
    still tell the facilitator to follow the safety steps."""
    rules = EligibilityRules(refer_on_risk_item=False)
    eligible = decide(rules, risk=True)
    assert eligible.outcome is ScreeningOutcome.ELIGIBLE
    assert "follow the safety steps" in eligible.reasons[-1]
    below = decide(rules, risk=True, phq9=4)
    assert below.outcome is ScreeningOutcome.BELOW_THRESHOLD
    assert len(below.reasons) == 2
    out_of_range = decide(rules, risk=True, age=16)
    assert out_of_range.outcome is ScreeningOutcome.OUT_OF_AGE_RANGE
    assert "follow the safety steps" in out_of_range.reasons[-1]


@pytest.mark.parametrize(
    ("rules", "phq9", "age", "message"),
    [
        (DEFAULT, -1, 30, "A PHQ-9 total runs from 0 to 27; -1 is not one."),
        (DEFAULT, 28, 30, "A PHQ-9 total runs from 0 to 27; 28 is not one."),
        (DEFAULT, 14, -1, "An age cannot be negative; it was -1."),
        (EligibilityRules(min_phq9=28), 14, 30, "must be 0 to 27; it is 28."),
        (EligibilityRules(min_phq9=-1), 14, 30, "must be 0 to 27; it is -1."),
        (EligibilityRules(min_phq9=10, max_phq9=9), 14, 30, "must be 10 to 27; it is 9."),
        (EligibilityRules(max_phq9=30), 14, 30, "must be 10 to 27; it is 30."),
        (
            EligibilityRules(min_age=18, max_age=12),
            14,
            30,
            "The oldest age (12) is below the youngest age (18).",
        ),
    ],
)
def test_impossible_screening_input_is_refused(
    rules: EligibilityRules, phq9: int, age: int, message: str
) -> None:
    with pytest.raises(ProtocolError, match=re.escape(message)):
        decide(rules, phq9=phq9, age=age)


@given(
    phq9=st.integers(0, 27),
    risk=st.booleans(),
    age=st.one_of(st.none(), st.integers(0, 100)),
    exclusions=st.sets(st.sampled_from(list(Exclusion))),
    min_phq9=st.integers(0, 27),
    spread=st.one_of(st.none(), st.integers(0, 27)),
    refer_on_risk=st.booleans(),
    ages=st.tuples(
        st.one_of(st.none(), st.integers(0, 60)), st.one_of(st.none(), st.integers(0, 60))
    ),
)
def test_screening_outcome_follows_the_rule_for_any_input(
    phq9: int,
    risk: bool,
    age: int | None,
    exclusions: set[Exclusion],
    min_phq9: int,
    spread: int | None,
    refer_on_risk: bool,
    ages: tuple[int | None, int | None],
) -> None:
    """GIVEN any valid screening WHEN a decision is made THEN REFER exactly when there is an
    exclusion, a referring risk answer or a score above the maximum; otherwise the age
    range, then the threshold, then eligible; there is always at least one reason."""
    max_phq9 = None if spread is None else min(27, min_phq9 + spread)
    low, high = ages
    if low is not None and high is not None and high < low:
        low, high = high, low
    rules = EligibilityRules(
        min_phq9=min_phq9,
        max_phq9=max_phq9,
        min_age=low,
        max_age=high,
        refer_on_risk_item=refer_on_risk,
    )
    decision = screening_decision(
        rules, phq9_total=phq9, risk_positive=risk, age=age, exclusions=exclusions
    )
    refer = (
        bool(exclusions) or (risk and refer_on_risk) or (max_phq9 is not None and phq9 > max_phq9)
    )
    out_of_age = age is not None and (
        (low is not None and age < low) or (high is not None and age > high)
    )
    if refer:
        expected = ScreeningOutcome.REFER
    elif out_of_age:
        expected = ScreeningOutcome.OUT_OF_AGE_RANGE
    elif phq9 < min_phq9:
        expected = ScreeningOutcome.BELOW_THRESHOLD
    else:
        expected = ScreeningOutcome.ELIGIBLE
    assert decision.outcome is expected
    assert decision.reasons
    assert all(reason[0].isupper() and reason.endswith(".") for reason in decision.reasons)
