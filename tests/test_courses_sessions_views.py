"""Session pages: list, record, edit. Rules, bad input, concurrency, access and audit."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.courses.models import CourseStatus, ProcessNote, Session
from openipt.courses.services.sessions import SessionContent, session_record
from openipt.courses.state import course_state
from openipt.protocol.engine import agenda_for
from tests.test_courses_sessions import COMMUNICATION_ANALYSIS, agree_contract, choose_focus
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
PROCESS_NOTE = "Private-process-note: I noticed I wanted to rescue her."


def list_url(world: World) -> str:
    return reverse("courses:sessions", kwargs={"public_id": world.course_1.public_id})


def new_url(world: World) -> str:
    return reverse("courses:session_new", kwargs={"public_id": world.course_1.public_id})


def detail_url(world: World, session: Session) -> str:
    return reverse(
        "courses:session_detail",
        kwargs={"public_id": world.course_1.public_id, "session_id": session.public_id},
    )


def session_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": "2",
        "date": "2026-09-08",
        "attendance": "attended",
        "interval_history": "A hard week: two rows with Sam.",
        "mood_event_links": "Low after each row; brighter after the walk.",
        "problem_area_work": "Mapped the expectations on each side.",
        "summary": "Agreed to try one calm talk.",
        "techniques": ["communication_analysis", "clarification"],
        "process_note": PROCESS_NOTE,
    }
    for field, value in COMMUNICATION_ANALYSIS.items():
        data[f"tech__communication_analysis__{field}"] = value
    data.update(overrides)
    return data


def text_of(response: Any) -> str:
    return str(response.content.decode())


# --- list -----------------------------------------------------------------------------------


def test_the_list_shows_sessions_and_offers_the_next_number(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.clinician).get(list_url(world))
    assert response.status_code == 200
    page = text_of(response)
    assert "Session 1" in page
    assert "Record session 2" in page
    event = AuditEvent.objects.latest("sequence")
    assert (event.action, event.object_type, event.object_public_id) == (
        "list",
        "session_list",
        world.course_1.public_id,
    )


def test_the_list_keeps_a_constant_number_of_queries(
    world: World, client_for: ClientFor, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """GIVEN a course with 2 sessions, then 12 WHEN the list is opened
    THEN it takes no more queries with 12 sessions than with 2."""
    http = client_for(world.clinician)
    http.get(list_url(world))  # warm up the session
    session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=SessionContent(date=datetime.date(2026, 9, 8), process_note="n"),
    )
    with CaptureQueriesContext(connection) as few:
        assert http.get(list_url(world)).status_code == 200
    for number in range(3, 13):
        session_record(
            actor=world.clinician,
            course=world.course_1,
            number=number,
            content=SessionContent(date=datetime.date(2026, 9, 8), process_note="n", techniques=[]),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(list_url(world))
    assert text_of(response).count("Session 1") >= 1
    assert "Session 12" in text_of(response)


def test_the_list_says_to_renegotiate_when_the_contract_is_used_up(
    world: World, client_for: ClientFor
) -> None:
    agree_contract(world, sessions=1)
    page = text_of(client_for(world.clinician).get(list_url(world)))
    assert "renegotiate the contract first" in page
    assert "Record session 2" not in page
    response = client_for(world.clinician).get(new_url(world))
    assert response.status_code == 302
    assert response["Location"] == list_url(world)


# --- the new session page -------------------------------------------------------------------


def test_the_session_page_opens_with_the_engines_agenda_in_priority_order(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN Alice's course after session 1 WHEN the clinician opens "Record session 2"
    THEN the page opens with the engine's agenda for session 2, most urgent first,
    before the form."""
    response = client_for(world.clinician).get(new_url(world))
    assert response.status_code == 200
    page = text_of(response)
    items = sorted(agenda_for(course_state(world.course_1), 2), key=lambda i: i.priority)
    assert items, "the engine has something to say about session 2"
    positions = [page.index(_escaped(item.text)) for item in items]
    assert positions == sorted(positions)
    event = AuditEvent.objects.latest("sequence")
    assert (event.action, event.object_type) == ("view", "session_new")
    assert page.index("Agenda for session 2") < page.index(
        '<form method="post" class="card session-form"'
    )


def _escaped(text: str) -> str:
    from django.utils.html import escape

    return str(escape(text))


def test_the_form_names_the_current_focus_and_offers_technique_fields(
    world: World, client_for: ClientFor
) -> None:
    choose_focus(world, "role_dispute")
    page = text_of(client_for(world.clinician).get(new_url(world)))
    assert "Current focus: Role dispute." in page
    for field in COMMUNICATION_ANALYSIS:
        assert f'name="tech__communication_analysis__{field}"' in page
    assert "What the other person heard" in page
    assert "Visible to the clinical team only — never shown to the client." in page
    assert 'value="2"' in page  # the next number


def test_recording_a_session_through_the_page(world: World, client_for: ClientFor) -> None:
    response = client_for(world.clinician).post(new_url(world), session_form())
    assert response.status_code == 302
    session = Session.objects.get(course=world.course_1, number=2)
    assert response["Location"] == detail_url(world, session)
    assert session.phase == "initial"
    assert {u.technique for u in session.techniques.all()} == {
        "communication_analysis",
        "clarification",
    }
    assert ProcessNote.objects.get(session=session).text == PROCESS_NOTE


def test_fields_of_an_unticked_technique_are_not_kept(world: World, client_for: ClientFor) -> None:
    data = session_form(techniques=["clarification"])
    client_for(world.clinician).post(new_url(world), data)
    session = Session.objects.get(course=world.course_1, number=2)
    assert [u.technique for u in session.techniques.all()] == ["clarification"]


def test_a_double_submit_stores_one_session(world: World, client_for: ClientFor) -> None:
    """GIVEN the clinician presses "Save session" twice for session 2
    WHEN both requests arrive THEN one session is stored, and the second request gets a
    clear form error (400, text kept), not a 500."""
    http = client_for(world.clinician)
    first = http.post(new_url(world), session_form())
    second = http.post(new_url(world), session_form(summary="Typed again."))
    assert first.status_code == 302
    assert second.status_code == 400
    page = text_of(second)
    assert "Session 2 has already been recorded for this course." in page
    assert "Typed again." in page
    assert Session.objects.filter(course=world.course_1, number=2).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"number": "0"}, "Session numbers start at 1."),
        ({"number": "-3"}, "Session numbers start at 1."),
        ({"number": "17"}, "renegotiate the contract first"),
        ({"number": "two"}, "Enter a whole number."),
        ({"number": "1"}, "Session 1 has already been recorded"),
        ({"date": "2026-08-31"}, "a session cannot be dated before that"),
        ({"date": "last tuesday"}, "Enter a valid date."),
        ({"date": ""}, "This field is required."),
        ({"attendance": "maybe"}, "Select a valid choice."),
        ({"techniques": ["hypnosis"]}, "Select a valid choice."),
        ({"adherence": ["focus_kept"]}, "Select a valid choice."),
        ({"summary": "x" * 20_001}, "at most 20000 characters"),
    ],
)
def test_bad_input_is_a_400_that_keeps_the_typed_text(
    world: World, client_for: ClientFor, overrides: dict[str, Any], message: str
) -> None:
    response = client_for(world.clinician).post(new_url(world), session_form(**overrides))
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert "A hard week: two rows with Sam." in page
    assert "I feel alone with the baby." in page
    assert not Session.objects.filter(course=world.course_1, number=2).exists()


def test_a_session_beyond_the_contract_is_refused_through_the_page(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a contract of 2 sessions WHEN session 3 is posted THEN 400 with the advice
    to renegotiate the contract first."""
    agree_contract(world, sessions=2)
    response = client_for(world.clinician).post(new_url(world), session_form(number="3"))
    assert response.status_code == 400
    assert "beyond the agreed contract of 2 sessions: renegotiate the contract first" in text_of(
        response
    )


# --- a session's page ------------------------------------------------------------------------


def _recorded_session_2(world: World) -> Session:
    return session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=SessionContent(
            date=datetime.date(2026, 9, 8), summary="Saved summary.", process_note=PROCESS_NOTE
        ),
    )


def test_editing_a_session(world: World, client_for: ClientFor) -> None:
    session = _recorded_session_2(world)
    data = session_form(summary="Edited summary.", version="1", note_version="1")
    del data["number"]
    response = client_for(world.clinician).post(detail_url(world, session), data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.summary, session.version) == ("Edited summary.", 2)
    event = AuditEvent.objects.filter(object_type="session", action="update").get()
    assert "summary" in event.changed_fields


def test_a_stale_save_is_a_409_and_the_loser_keeps_their_text(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN two clinicians' tabs opened session 2 at version 1, and one saved
    WHEN the other saves THEN 409: nothing is overwritten, their text stays in the form,
    and a deliberate second save (with the version now offered) succeeds."""
    session = _recorded_session_2(world)
    http = client_for(world.clinician)
    first = session_form(summary="First tab.", version="1", note_version="1")
    assert http.post(detail_url(world, session), first).status_code == 302
    second = session_form(summary="Second tab's careful words.", version="1", note_version="1")
    response = http.post(detail_url(world, session), second)
    assert response.status_code == 409
    page = text_of(response)
    assert "Someone else saved this session while you were editing." in page
    assert "Second tab&#x27;s careful words." in page
    session.refresh_from_db()
    assert session.summary == "First tab."
    assert 'name="version" value="2"' in page
    again = session_form(summary="Second tab's careful words.", version="2", note_version="1")
    assert http.post(detail_url(world, session), again).status_code == 302
    session.refresh_from_db()
    assert session.summary == "Second tab's careful words."


def test_a_stale_process_note_is_a_409(world: World, client_for: ClientFor) -> None:
    session = _recorded_session_2(world)
    note = ProcessNote.objects.get(session=session)
    note.text, note.version = "Changed elsewhere.", 2
    note.save()
    data = session_form(process_note="My older note.", version="1", note_version="1")
    response = client_for(world.clinician).post(detail_url(world, session), data)
    assert response.status_code == 409
    assert "Someone else saved this process note" in text_of(response)
    assert "My older note." in text_of(response)
    assert ProcessNote.objects.get(session=session).text == "Changed elsewhere."


def test_a_closed_course_shows_the_record_read_only(world: World, client_for: ClientFor) -> None:
    """GIVEN a closed course WHEN the clinician opens session 1 THEN the record is shown
    without a form; a post is refused (400) and changes nothing; "record" sends back."""
    world.course_1.status = CourseStatus.CLOSED
    world.course_1.save()
    http = client_for(world.clinician)
    page = text_of(http.get(detail_url(world, world.session_1)))
    assert "This course is closed" in page
    assert "session-form" not in page
    assert "First meeting." in page
    data = session_form(summary="Too late.", version="1")
    response = http.post(detail_url(world, world.session_1), data)
    assert response.status_code == 400
    world.session_1.refresh_from_db()
    assert world.session_1.summary == ""
    assert http.get(new_url(world)).status_code == 302
    assert http.post(new_url(world), session_form()).status_code == 302
    assert not Session.objects.filter(number=2).exists()


def test_the_supervisor_reads_the_session_and_its_process_note_but_cannot_write(
    world: World, client_for: ClientFor
) -> None:
    session = _recorded_session_2(world)
    http = client_for(world.supervisor)
    response = http.get(detail_url(world, session))
    assert response.status_code == 200
    page = text_of(response)
    assert PROCESS_NOTE in page
    assert "Clinical team only" in page
    assert "session-form" not in page
    assert http.post(detail_url(world, session), session_form(version="1")).status_code == 403
    assert http.get(new_url(world)).status_code == 403
    assert http.post(new_url(world), session_form()).status_code == 403
    assert not Session.objects.filter(number=3).exists()


def test_reading_a_session_is_audited_and_the_process_note_separately(
    world: World, client_for: ClientFor
) -> None:
    session = _recorded_session_2(world)
    client_for(world.supervisor).get(detail_url(world, session))
    events = AuditEvent.objects.filter(actor=world.supervisor, action="view")
    kinds = {(e.object_type, e.object_public_id) for e in events}
    note = ProcessNote.objects.get(session=session)
    assert ("session", session.public_id) in kinds
    assert ("process_note", note.public_id) in kinds
    assert all(e.subject_client_public_id == world.client_1.public_id for e in events)


def test_a_session_of_another_course_is_a_404(world: World, client_for: ClientFor) -> None:
    from openipt.courses.models import Course

    other = Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )
    url = reverse(
        "courses:session_detail",
        kwargs={"public_id": other.public_id, "session_id": world.session_1.public_id},
    )
    assert client_for(world.clinician).get(url).status_code == 404


# --- who may see what ----------------------------------------------------------------------


def _every_url(world: World, session: Session) -> list[tuple[str, str]]:
    from openipt.courses.models import Experiment, Medication

    experiment = Experiment.objects.create(
        course=world.course_1, assigned_in=world.session_1, description="Call Sam."
    )
    medication = Medication.objects.create(
        course=world.course_1,
        agent="Sertraline",
        dose="50 mg",
        start_date=datetime.date(2026, 8, 1),
        side_effects="Secret side effects.",
    )
    course = {"public_id": world.course_1.public_id}
    in_session = {**course, "session_id": session.public_id}
    return [
        ("GET", reverse("courses:sessions", kwargs=course)),
        ("GET", reverse("courses:session_new", kwargs=course)),
        ("GET", reverse("courses:session_detail", kwargs=in_session)),
        ("GET", reverse("courses:experiments", kwargs=course)),
        ("GET", reverse("courses:medication", kwargs=course)),
        ("GET", reverse("courses:medication_new", kwargs=course)),
        (
            "GET",
            reverse(
                "courses:medication_edit", kwargs={**course, "medication_id": medication.public_id}
            ),
        ),
        ("POST", reverse("courses:session_new", kwargs=course)),
        ("POST", reverse("courses:session_detail", kwargs=in_session)),
        ("POST", reverse("courses:experiment_assign", kwargs=in_session)),
        (
            "POST",
            reverse(
                "courses:experiment_review",
                kwargs={**in_session, "experiment_id": experiment.public_id},
            ),
        ),
        ("POST", reverse("courses:medication_new", kwargs=course)),
        (
            "POST",
            reverse(
                "courses:medication_edit", kwargs={**course, "medication_id": medication.public_id}
            ),
        ),
        (
            "POST",
            reverse(
                "courses:medication_change",
                kwargs={**course, "medication_id": medication.public_id},
            ),
        ),
        ("POST", reverse("courses:draft_save", kwargs=course)),
        ("POST", reverse("courses:draft_discard", kwargs=course)),
    ]


def test_the_client_never_reaches_a_session_page_or_sees_the_process_note(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN Alice signed in to the portal and a session with a process note
    WHEN she requests every session, experiment, medication and draft URL of her course
    THEN each answers 404 (like a missing id) and no page contains the process note."""
    session = _recorded_session_2(world)
    http = client_for(world.client_user_1)
    for method, url in _every_url(world, session):
        if method == "GET":
            response = http.get(url)
        else:
            response = http.post(
                url,
                {
                    **session_form(),
                    "key": "session:new:summary",
                    "text": "x",
                    "key_prefix": "session:new:",
                },
            )
        assert response.status_code == 404, (method, url, response.status_code)
        assert PROCESS_NOTE not in text_of(response)
        assert "Secret side effects." not in text_of(response)
    portal = text_of(http.get(reverse("portal:home")))
    assert PROCESS_NOTE not in portal
    assert "Clinical team only" not in portal


@pytest.mark.parametrize(
    "who", ["colleague", "clinician_b", "admin", "facilitator", "client_b", "programme_manager"]
)
def test_everyone_outside_the_care_team_and_supervision_gets_404(
    world: World, client_for: ClientFor, who: str
) -> None:
    session = _recorded_session_2(world)
    http = client_for(world.users_by_role_name()[who])
    for method, url in _every_url(world, session):
        response = http.get(url) if method == "GET" else http.post(url, session_form())
        assert response.status_code == 404, (who, method, url, response.status_code)
        assert PROCESS_NOTE not in text_of(response)


def test_the_supervisor_gets_403_on_every_write(world: World, client_for: ClientFor) -> None:
    session = _recorded_session_2(world)
    http = client_for(world.supervisor)
    before = (
        AuditEvent.objects.filter(actor=world.supervisor)
        .exclude(action__in=["view", "list"])
        .count()
    )
    for method, url in _every_url(world, session):
        if method != "POST" or url.endswith("/drafts/discard/"):
            continue
        data = {**session_form(), "key": "session:new:summary", "text": "x", "status": "done"}
        assert http.post(url, data).status_code == 403, url
    after = (
        AuditEvent.objects.filter(actor=world.supervisor)
        .exclude(action__in=["view", "list"])
        .count()
    )
    assert after == before
