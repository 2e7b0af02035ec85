"""Starting a course, the gate into the middle phase, focus, contract, caseload."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.courses.models import Course, CourseStatus, FocusArea, PhaseTransition
from openipt.courses.services.course import (
    course_advance_phase,
    course_change_plan,
    course_mark_task,
    course_start,
)
from openipt.courses.services.formulation import (
    FocusChoice,
    contract_propose,
    contract_record_agreement,
    focus_set,
    formulation_save,
    goal_add,
)
from openipt.practice.models import CareTeamMember
from openipt.protocol.phases import Phase
from tests.factories import CareTeamMemberFactory, ClientFactory
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def _start(world: World, **overrides: object) -> Course:
    params: dict[str, object] = {
        "actor": world.clinician,
        "client": world.client_2,
        "variant_code": "ipt16",
        "planned_sessions": 16,
        "frequency": "weekly",
        "session_minutes": 50,
        "start_date": datetime.date(2026, 10, 1),
    }
    params.update(overrides)
    return course_start(**params)  # type: ignore[arg-type]


def _complete_gate(world: World, course: Course) -> None:
    course_mark_task(actor=world.clinician, course=course, task="baseline_measure")
    course.inventory.create(name="Jo", relationship="friend", ring=2)
    course_mark_task(actor=world.clinician, course=course, task="inventory")
    formulation_save(actor=world.clinician, course=course, text="Since the move, ...")
    focus_set(
        actor=world.clinician,
        course=course,
        choices=[FocusChoice(area="role_transition", old_role="student", new_role="worker")],
    )
    contract = contract_propose(
        actor=world.clinician, course=course, sessions=16, frequency="weekly", session_minutes=50
    )
    contract_record_agreement(actor=world.clinician, contract=contract)


def test_starting_a_standard_course_uses_the_variant_plan(world: World) -> None:
    """GIVEN a clinician on the care team WHEN they start a standard 16-session course
    THEN its phases are sessions 1–3, 4–14 and 15–16 and it begins in the initial phase."""
    course = _start(world)
    assert (course.initial_last, course.middle_last, course.planned_sessions) == (3, 14, 16)
    assert course.phase == Phase.INITIAL
    assert AuditEvent.objects.filter(object_public_id=course.public_id, action="create").exists()


def test_phase_boundaries_can_be_set_at_the_start(world: World) -> None:
    course = _start(world, initial_last=4, middle_last=12)
    assert (course.initial_last, course.middle_last) == (4, 12)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"variant_code": "ipt99"}, "no IPT variant"),
        ({"initial_last": 5, "middle_last": 4}, ""),
        ({"planned_sessions": 14, "initial_last": 3, "middle_last": 14}, ""),
    ],
)
def test_impossible_plans_are_refused_with_a_message(
    world: World, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        _start(world, **overrides)
    assert message in " ".join(info.value.messages)
    assert not Course.objects.filter(client=world.client_2).exists()


def test_only_one_active_course_per_client(world: World) -> None:
    _start(world)
    with pytest.raises(ValidationError, match="already has an active course"):
        _start(world)


def test_a_clinician_not_on_the_care_team_cannot_start_a_course(world: World) -> None:
    with pytest.raises(PermissionDenied):
        _start(world, actor=world.colleague)
    with pytest.raises(PermissionDenied):
        _start(world, actor=world.supervisor)


def test_the_middle_phase_is_closed_until_the_gate_is_complete(world: World) -> None:
    """GIVEN a new course with nothing recorded
    WHEN the clinician tries to move into the middle phase without a reason
    THEN it is refused and the message names what is missing."""
    course = _start(world)
    with pytest.raises(ValidationError) as info:
        course_advance_phase(actor=world.clinician, course=course)
    text = " ".join(info.value.messages).lower()
    assert "formulation" in text and "contract" in text
    course.refresh_from_db()
    assert course.phase == Phase.INITIAL


def test_the_gate_can_be_overridden_with_a_reason_that_is_recorded(world: World) -> None:
    """GIVEN an incomplete gate WHEN the clinician overrides it with a reason
    THEN the course moves on, and the override, its reason and the missing tasks are kept."""
    course = _start(world)
    moved = course_advance_phase(
        actor=world.clinician, course=course, override_reason="Client in crisis; agreed verbally"
    )
    assert moved.phase == Phase.MIDDLE
    transition = PhaseTransition.objects.get(course=course)
    assert transition.overridden
    assert transition.override_reason == "Client in crisis; agreed verbally"
    assert "contract_agreed" in transition.missing_tasks
    event = AuditEvent.objects.filter(object_type="course_phase").latest("sequence")
    assert "gate_override" in event.changed_fields


def test_a_complete_gate_opens_the_middle_phase_without_a_reason(world: World) -> None:
    course = _start(world)
    _complete_gate(world, course)
    moved = course_advance_phase(actor=world.clinician, course=course)
    assert moved.phase == Phase.MIDDLE
    assert not PhaseTransition.objects.get(course=course).overridden


def test_inventory_cannot_be_marked_complete_while_empty(world: World) -> None:
    course = _start(world)
    with pytest.raises(ValidationError, match="at least one person"):
        course_mark_task(actor=world.clinician, course=course, task="inventory")


def test_recorded_tasks_cannot_be_ticked(world: World) -> None:
    course = _start(world)
    with pytest.raises(ValidationError, match="done by recording it"):
        course_mark_task(actor=world.clinician, course=course, task="contract_agreed")


def test_focus_is_at_most_two_areas(world: World) -> None:
    course = _start(world)
    choices = [
        FocusChoice(area="grief"),
        FocusChoice(area="role_dispute", dispute_stage="impasse"),
        FocusChoice(area="interpersonal_deficits"),
    ]
    with pytest.raises(ValidationError):
        focus_set(actor=world.clinician, course=course, choices=choices)
    assert not FocusArea.objects.filter(course=course).exists()


def test_changing_focus_after_the_initial_phase_needs_a_reason_and_keeps_the_old_one(
    world: World,
) -> None:
    """GIVEN a course in the middle phase with an agreed focus
    WHEN the clinician changes the focus without a reason THEN it is refused;
    WITH a reason THEN the old focus is ended (kept) with that reason."""
    course = _start(world)
    _complete_gate(world, course)
    course = course_advance_phase(actor=world.clinician, course=course)
    new_focus = [FocusChoice(area="role_dispute", dispute_stage="renegotiation")]
    with pytest.raises(ValidationError, match="give a reason"):
        focus_set(actor=world.clinician, course=course, choices=new_focus)
    focus_set(
        actor=world.clinician, course=course, choices=new_focus, reason="The dispute surfaced"
    )
    ended = FocusArea.objects.get(course=course, area="role_transition")
    assert ended.ended_at is not None
    assert ended.end_reason == "The dispute surfaced"
    assert FocusArea.objects.get(course=course, ended_at=None).area == "role_dispute"


def test_grief_for_a_non_death_loss_follows_the_practice_setting(world: World) -> None:
    course = _start(world)
    with pytest.raises(ValidationError, match="role transition"):
        focus_set(
            actor=world.clinician,
            course=course,
            choices=[FocusChoice(area="grief", loss_is_death=False)],
        )
    world.practice_a.grief_includes_non_death_losses = True
    world.practice_a.save()
    course.refresh_from_db()
    focus_set(
        actor=world.clinician,
        course=course,
        choices=[FocusChoice(area="grief", loss_is_death=False)],
    )
    assert FocusArea.objects.filter(course=course, area="grief").exists()


def test_renegotiating_an_agreed_contract_needs_a_reason_and_moves_the_plan(
    world: World,
) -> None:
    """GIVEN an agreed 16-session contract WHEN a 12-session contract is agreed instead
    THEN a reason was required, and the course plan follows: 12 sessions, the
    termination phase keeps its two sessions (middle phase ends after session 10)."""
    course = _start(world)
    _complete_gate(world, course)
    with pytest.raises(ValidationError, match="renegotiated"):
        contract_propose(
            actor=world.clinician,
            course=course,
            sessions=12,
            frequency="weekly",
            session_minutes=50,
        )
    contract = contract_propose(
        actor=world.clinician,
        course=course,
        sessions=12,
        frequency="weekly",
        session_minutes=50,
        reason="Moving abroad in three months",
    )
    contract_record_agreement(actor=world.clinician, contract=contract)
    course.refresh_from_db()
    assert (course.planned_sessions, course.middle_last) == (12, 10)
    assert course.contracts.count() == 2


def test_a_contract_needs_a_focus_first(world: World) -> None:
    course = _start(world)
    with pytest.raises(ValidationError, match="focus"):
        contract_propose(
            actor=world.clinician,
            course=course,
            sessions=16,
            frequency="weekly",
            session_minutes=50,
        )


def test_changing_the_plan_needs_a_reason_and_is_kept(world: World) -> None:
    course = _start(world)
    with pytest.raises(ValidationError, match="reason"):
        course_change_plan(
            actor=world.clinician,
            course=course,
            planned_sessions=16,
            initial_last=4,
            middle_last=14,
            reason=" ",
        )
    course_change_plan(
        actor=world.clinician,
        course=course,
        planned_sessions=16,
        initial_last=4,
        middle_last=13,
        reason="UK practice: longer ending",
    )
    change = course.boundary_changes.get()
    assert (change.initial_last_before, change.initial_last_after) == (3, 4)
    assert change.reason == "UK practice: longer ending"


def test_goal_ratings_are_0_to_10(world: World) -> None:
    course = _start(world)
    with pytest.raises(ValidationError, match="0 to 10"):
        goal_add(actor=world.clinician, course=course, text="Call my sister", rating_at_start=11)


def test_formulation_is_encrypted_at_rest(world: World) -> None:
    course = _start(world)
    formulation_save(actor=world.clinician, course=course, text="Canary-formulation-7731")
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM courses_formulation")
        raw = cursor.fetchone()[0]
    assert "Canary-formulation-7731" not in raw
    assert raw.startswith("enc1:")


def test_a_supervisor_reads_but_cannot_change_a_course(world: World) -> None:
    with pytest.raises(PermissionDenied):
        course_mark_task(actor=world.supervisor, course=world.course_1, task="diagnosis_given")


def test_a_closed_course_cannot_be_closed_without_a_review(world: World) -> None:
    from openipt.courses.services.course import course_close

    with pytest.raises(ValidationError, match="progress review"):
        course_close(actor=world.clinician, course=world.course_1)
    world.course_1.refresh_from_db()
    assert world.course_1.status == CourseStatus.ACTIVE


# --- pages -------------------------------------------------------------------------------


def test_start_page_creates_a_course(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    url = reverse("courses:start", args=[world.client_2.public_id])
    response = http.post(
        url,
        {
            "variant": "ipt12",
            "planned_sessions": "12",
            "frequency": "weekly",
            "session_minutes": "50",
            "start_date": "2026-10-05",
        },
    )
    assert response.status_code == 302
    course = Course.objects.get(client=world.client_2)
    assert (course.variant, course.initial_last, course.middle_last) == ("ipt12", 3, 9)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("variant", "ipt99", "Select a valid choice"),
        ("planned_sessions", "0", "greater than or equal to 1"),
        ("start_date", "yesterday", "Enter a valid date"),
        ("middle_last", "2", ""),
    ],
)
def test_start_page_refuses_bad_input_with_a_message(
    world: World, client_for: ClientFor, field: str, value: str, message: str
) -> None:
    data = {
        "variant": "ipt16",
        "planned_sessions": "16",
        "frequency": "weekly",
        "session_minutes": "50",
        "start_date": "2026-10-05",
        "initial_last": "3",
        "middle_last": "14",
    }
    data[field] = value
    response = client_for(world.clinician).post(
        reverse("courses:start", args=[world.client_2.public_id]), data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Course.objects.filter(client=world.client_2).exists()


def test_overview_shows_the_phase_and_the_next_agenda(world: World, client_for: ClientFor) -> None:
    response = client_for(world.clinician).get(
        reverse("courses:overview", args=[world.course_1.public_id])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Session 1 of 16" in body
    assert "Next session (2)" in body
    assert "Initial phase" in body


def test_gate_override_through_the_page(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    url = reverse("courses:advance", args=[world.course_1.public_id])
    refused = http.post(url, {"override_reason": ""})
    assert refused.status_code == 400
    assert "give a reason" in refused.content.decode()
    moved = http.post(url, {"override_reason": "Agreed with supervisor"})
    assert moved.status_code == 302
    world.course_1.refresh_from_db()
    assert world.course_1.phase == Phase.MIDDLE


def test_caseload_lists_courses_with_overdue_items_in_constant_queries(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = http.get(reverse("courses:caseload"))
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    before, body = count()
    assert "Alice Anders" in body
    assert "No baseline measure" in body
    for number in range(6):
        client = ClientFactory.create(practice=world.practice_a, family_name=f"Case{number}")
        CareTeamMemberFactory.create(client=client, user=world.clinician)
        course_start(
            actor=world.clinician,
            client=client,
            variant_code="ipt16",
            planned_sessions=16,
            frequency="weekly",
            session_minutes=50,
            start_date=datetime.date(2026, 10, 1),
        )
    after, body = count()
    assert "Case5" in body
    assert after == before


def test_colleague_caseload_is_empty(world: World, client_for: ClientFor) -> None:
    body = client_for(world.colleague).get(reverse("courses:caseload")).content.decode()
    assert "Alice Anders" not in body
    assert not CareTeamMember.objects.filter(user=world.colleague).exists()


def test_formulation_draft_survives_and_is_cleared_on_save(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician whose formulation text was autosaved but not saved
    WHEN they come back to the page THEN the draft is restored with a notice;
    WHEN they save THEN the draft is gone and a new version exists."""
    http = client_for(world.clinician)
    course = world.course_1
    saved = http.post(
        reverse("courses:draft_save", args=[course.public_id]),
        {"key": "formulation", "text": "Draft: since the move to the city"},
    )
    assert saved.status_code == 200
    page = http.get(reverse("courses:formulation", args=[course.public_id])).content.decode()
    assert "Restored your unsaved draft" in page
    assert "Draft: since the move to the city" in page
    response = http.post(
        reverse("courses:formulation", args=[course.public_id]),
        {"text": "Since the move to the city, ..."},
    )
    assert response.status_code == 302
    page = http.get(reverse("courses:formulation", args=[course.public_id])).content.decode()
    assert "Restored your unsaved draft" not in page
    assert course.formulations.count() == 1


def test_overview_offers_to_raise_the_ending_when_it_is_due(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a 16-session course in the middle phase at session 10 (four before the end
    of the middle phase) WHEN the clinician opens the overview THEN they can tick
    "ending raised" there; at session 5 they cannot yet."""
    from openipt.courses.models import Session

    course = world.course_1
    course = course_advance_phase(actor=world.clinician, course=course, override_reason="t")
    http = client_for(world.clinician)
    url = reverse("courses:overview", args=[course.public_id])
    for number in range(2, 6):
        Session.objects.create(
            course=course,
            number=number,
            date=datetime.date(2026, 9, number),
            phase="middle",
            recorded_by=world.clinician,
        )
    assert 'value="ending_raised"' not in http.get(url).content.decode()
    for number in range(6, 11):
        Session.objects.create(
            course=course,
            number=number,
            date=datetime.date(2026, 9, number),
            phase="middle",
            recorded_by=world.clinician,
        )
    assert 'value="ending_raised"' in http.get(url).content.decode()


def test_retiring_a_goal_with_a_malformed_id_is_not_a_server_error(
    world: World, client_for: ClientFor
) -> None:
    goal = goal_add(actor=world.clinician, course=world.course_1, text="Call Sam")
    http = client_for(world.clinician)
    url = reverse("courses:goals", args=[world.course_1.public_id])
    assert http.post(url, {"end_goal": "not-a-uuid"}).status_code == 302
    goal.refresh_from_db()
    assert goal.ended_at is None
    assert http.post(url, {"end_goal": str(goal.public_id)}).status_code == 302
    goal.refresh_from_db()
    assert goal.ended_at is not None
