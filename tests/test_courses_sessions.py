"""Session services: recording and editing sessions, techniques, adherence, process notes.

The clinical rules (protocol note §2, §4) and promise 17 (no silent overwrite,
one record per double submit) are tested here on the services; the pages are
tested in test_courses_sessions_views.py.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from openipt.audit.models import AuditEvent
from openipt.courses.models import (
    Contract,
    CourseStatus,
    FocusArea,
    ProcessNote,
    Session,
    TechniqueUse,
)
from openipt.courses.services import sessions as session_services
from openipt.courses.services.sessions import (
    SessionContent,
    StaleEditError,
    TechniqueEntry,
    session_record,
    session_update,
    technique_details,
)
from openipt.protocol.adherence import items_for
from openipt.protocol.phases import Phase
from tests.world import World

pytestmark = pytest.mark.django_db

CANARY = "canary-7f3b-session-text"
DUPLICATE_1 = (
    "Session 1 has already been recorded for this course. "
    "Open it from the list of sessions to change it."
)
DUPLICATE_2 = DUPLICATE_1.replace("Session 1", "Session 2")
COMMUNICATION_ANALYSIS = {
    "what_said": "You never listen to me.",
    "what_meant": "I feel alone with the baby.",
    "what_heard": "You are a bad partner.",
    "what_felt": "Hurt; then angry.",
    "alternatives": "I need you to sit with me for ten minutes tonight.",
}


def content(**overrides: Any) -> SessionContent:
    values: dict[str, Any] = {"date": datetime.date(2026, 9, 8)}
    values.update(overrides)
    return SessionContent(**values)


def unchanged_session_1(world: World, **overrides: Any) -> SessionContent:
    """Session 1 of the world as it is saved, with `overrides` on top."""
    values: dict[str, Any] = {
        "date": world.session_1.date,
        "interval_history": world.session_1.interval_history,
    }
    values.update(overrides)
    return SessionContent(**values)


def agree_contract(world: World, sessions: int) -> Contract:
    return Contract.objects.create(
        course=world.course_1,
        number=1,
        sessions=sessions,
        frequency="weekly",
        session_minutes=50,
        focus_areas=["role_dispute"],
        proposed_by=world.clinician,
        agreed_at=timezone.now(),
        agreed_via="in_session",
        agreement_recorded_by=world.clinician,
    )


def choose_focus(world: World, area: str = "role_dispute") -> FocusArea:
    return FocusArea.objects.create(course=world.course_1, area=area, chosen_by=world.clinician)


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608 - fixed names only
            [pk],
        )
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


# --- recording ---------------------------------------------------------------------------


def test_recording_a_session_takes_its_phase_from_the_course_plan(world: World) -> None:
    """GIVEN a 16-session course whose initial phase ends at session 3
    WHEN the clinician records sessions 2 and 4
    THEN session 2 is in the initial phase and session 4 in the middle phase."""
    second = session_record(
        actor=world.clinician, course=world.course_1, number=2, content=content()
    )
    fourth = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=4,
        content=content(date=datetime.date(2026, 9, 22)),
    )
    assert second.phase == Phase.INITIAL
    assert fourth.phase == Phase.MIDDLE
    assert second.recorded_by == world.clinician
    assert second.version == 1


def test_techniques_keep_their_structured_fields_as_json(world: World) -> None:
    """GIVEN a session in which a communication analysis and clarification were used
    WHEN it is recorded THEN each technique is one row, and the analysis keeps what was
    said, meant, heard, felt and the alternatives as JSON (blank fields left out)."""
    session = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=content(
            techniques=[
                TechniqueEntry("communication_analysis", {**COMMUNICATION_ANALYSIS}),
                TechniqueEntry("clarification"),
                TechniqueEntry("role_play", {"scenario": "", "roles": " "}),
            ]
        ),
    )
    uses = {use.technique: use for use in session.techniques.all()}
    assert set(uses) == {"communication_analysis", "clarification", "role_play"}
    assert json.loads(uses["communication_analysis"].details) == COMMUNICATION_ANALYSIS
    assert technique_details(uses["communication_analysis"]) == COMMUNICATION_ANALYSIS
    assert uses["clarification"].details == ""
    assert uses["role_play"].details == ""


def test_adherence_items_are_stored_as_codes_in_checklist_order(world: World) -> None:
    initial_items = [item.code for item in items_for(Phase.INITIAL)]
    chosen = list(reversed(initial_items[:2]))
    session = session_record(
        actor=world.clinician, course=world.course_1, number=2, content=content(adherence=chosen)
    )
    assert session.adherence == initial_items[:2]


def test_adherence_item_of_another_phase_is_refused(world: World) -> None:
    """GIVEN session 2 (initial phase) WHEN a middle-phase-only checklist item is ticked
    THEN the session is refused: the checklist follows the session's phase."""
    middle_only = next(
        item.code for item in items_for(Phase.MIDDLE) if Phase.INITIAL not in item.phases
    )
    with pytest.raises(ValidationError) as caught:
        session_record(
            actor=world.clinician,
            course=world.course_1,
            number=2,
            content=content(adherence=[middle_only]),
        )
    assert "adherence" in caught.value.message_dict


@pytest.mark.parametrize(
    "entry",
    [TechniqueEntry("hypnosis"), TechniqueEntry("clarification", {"what_said": "x"})],
    ids=["unknown technique", "field the technique does not have"],
)
def test_unknown_techniques_and_fields_are_refused(world: World, entry: TechniqueEntry) -> None:
    with pytest.raises(ValidationError) as caught:
        session_record(
            actor=world.clinician,
            course=world.course_1,
            number=2,
            content=content(techniques=[entry]),
        )
    assert "techniques" in caught.value.message_dict
    assert not Session.objects.filter(course=world.course_1, number=2).exists()


def test_a_second_session_with_the_same_number_is_refused(world: World) -> None:
    """GIVEN session 1 is recorded WHEN someone records "session 1" again
    THEN it is refused with a clear message, together with any other problem."""
    with pytest.raises(ValidationError) as caught:
        session_record(
            actor=world.clinician,
            course=world.course_1,
            number=1,
            content=content(date=datetime.date(2026, 8, 1)),
        )
    assert caught.value.message_dict["number"] == [DUPLICATE_1]
    assert "date" in caught.value.message_dict
    assert Session.objects.filter(course=world.course_1).count() == 1


def test_a_racing_duplicate_is_refused_by_the_unique_constraint(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN two saves of "session 2" racing, both past the early check
    (simulated: the check sees no session) WHEN the second one inserts
    THEN the database's unique constraint refuses it with the same clear message,
    not a 500, and the surrounding transaction stays usable."""
    session_record(actor=world.clinician, course=world.course_1, number=2, content=content())
    monkeypatch.setattr(session_services, "_number_taken", lambda course, number: False)
    with transaction.atomic():
        with pytest.raises(ValidationError) as caught:
            session_record(
                actor=world.clinician,
                course=world.course_1,
                number=2,
                content=content(summary="The second submit.", process_note="n"),
            )
        # The refusal rolled back to a savepoint only: the transaction still works.
        assert Session.objects.filter(course=world.course_1).count() == 2
    assert caught.value.message_dict["number"] == [DUPLICATE_2]
    assert not ProcessNote.objects.exists()


@pytest.mark.parametrize("number", [0, -1, -16])
def test_session_zero_or_negative_is_refused(world: World, number: int) -> None:
    """GIVEN a course WHEN a session numbered 0 or below is recorded THEN it is refused:
    session numbers start at 1."""
    with pytest.raises(ValidationError) as caught:
        session_record(
            actor=world.clinician, course=world.course_1, number=number, content=content()
        )
    assert caught.value.message_dict["number"] == ["Session numbers start at 1."]


def test_a_session_beyond_the_agreed_contract_is_refused(world: World) -> None:
    """GIVEN a contract for 12 sessions (the plan says 16)
    WHEN session 13 is recorded THEN it is refused until the contract is renegotiated;
    session 12 is still fine."""
    agree_contract(world, sessions=12)
    with pytest.raises(ValidationError) as caught:
        session_record(actor=world.clinician, course=world.course_1, number=13, content=content())
    assert "renegotiate the contract first" in caught.value.message_dict["number"][0]
    assert "12 sessions" in caught.value.message_dict["number"][0]
    session_record(actor=world.clinician, course=world.course_1, number=12, content=content())


def test_without_a_contract_the_plan_sets_the_limit(world: World) -> None:
    """GIVEN no contract yet and a plan of 16 sessions WHEN session 17 is recorded
    THEN it is refused with the same advice."""
    with pytest.raises(ValidationError) as caught:
        session_record(actor=world.clinician, course=world.course_1, number=17, content=content())
    assert "renegotiate the contract first" in caught.value.message_dict["number"][0]


def test_a_session_dated_before_the_course_started_is_refused(world: World) -> None:
    """GIVEN a course that started on 1 September 2026
    WHEN a session dated 31 August is recorded THEN it is refused; 1 September is fine."""
    with pytest.raises(ValidationError) as caught:
        session_record(
            actor=world.clinician,
            course=world.course_1,
            number=2,
            content=content(date=datetime.date(2026, 8, 31)),
        )
    assert "before that" in caught.value.message_dict["date"][0]
    session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=content(date=datetime.date(2026, 9, 1)),
    )


def test_a_closed_course_is_read_only(world: World) -> None:
    """GIVEN a closed course WHEN the clinician records or edits a session
    THEN both are refused."""
    world.course_1.status = CourseStatus.CLOSED
    world.course_1.save()
    with pytest.raises(ValidationError, match="closed"):
        session_record(actor=world.clinician, course=world.course_1, number=2, content=content())
    with pytest.raises(ValidationError, match="closed"):
        session_update(
            actor=world.clinician,
            session=world.session_1,
            expected_version=1,
            content=content(summary="Late edit."),
            expected_note_version=None,
        )
    world.session_1.refresh_from_db()
    assert world.session_1.summary == ""


@pytest.mark.parametrize("who", ["supervisor", "colleague", "clinician_b", "admin"])
def test_only_the_care_team_clinician_records_sessions(world: World, who: str) -> None:
    actor = world.users_by_role_name()[who]
    with pytest.raises(PermissionDenied):
        session_record(actor=actor, course=world.course_1, number=2, content=content())
    with pytest.raises(PermissionDenied):
        session_update(
            actor=actor,
            session=world.session_1,
            expected_version=1,
            content=content(),
            expected_note_version=None,
        )


def test_recording_writes_the_process_note_separately(world: World) -> None:
    session = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=content(process_note="  I felt pulled to rescue her.  "),
    )
    note = ProcessNote.objects.get(session=session)
    assert note.text == "I felt pulled to rescue her."
    assert note.author == world.clinician
    assert note.version == 1


# --- editing -----------------------------------------------------------------------------


def test_editing_bumps_the_version_and_replaces_techniques(world: World) -> None:
    session = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=content(
            techniques=[
                TechniqueEntry("clarification"),
                TechniqueEntry("role_play", {"scenario": "Ask for help."}),
            ]
        ),
    )
    kept_id = session.techniques.get(technique="role_play").public_id
    updated = session_update(
        actor=world.clinician,
        session=session,
        expected_version=1,
        content=content(
            summary="Practised asking.",
            techniques=[
                TechniqueEntry("role_play", {"scenario": "Ask Sam for help."}),
                TechniqueEntry("decision_analysis", {"problem": "Moving out?"}),
            ],
        ),
        expected_note_version=None,
    )
    assert updated.version == 2
    assert updated.summary == "Practised asking."
    uses = {u.technique: u for u in TechniqueUse.objects.filter(session=session)}
    assert set(uses) == {"role_play", "decision_analysis"}
    assert uses["role_play"].public_id == kept_id
    assert technique_details(uses["role_play"]) == {"scenario": "Ask Sam for help."}


def test_an_edit_from_an_older_version_is_refused(world: World) -> None:
    """GIVEN two people opened session 1 at version 1 and the first saved (version 2)
    WHEN the second saves from version 1 THEN StaleEditError: nothing is overwritten."""
    session_update(
        actor=world.clinician,
        session=world.session_1,
        expected_version=1,
        content=content(summary="First save."),
        expected_note_version=None,
    )
    with pytest.raises(StaleEditError) as caught:
        session_update(
            actor=world.clinician,
            session=world.session_1,
            expected_version=1,
            content=content(summary="Second save."),
            expected_note_version=None,
        )
    assert caught.value.what == "session"
    world.session_1.refresh_from_db()
    assert world.session_1.summary == "First save."


def test_a_process_note_edit_from_an_older_version_is_refused(world: World) -> None:
    """GIVEN the process note was written (version 1) and then edited (version 2)
    WHEN an edit based on version 1 arrives THEN it is refused and the note keeps v2."""
    session_update(
        actor=world.clinician,
        session=world.session_1,
        expected_version=1,
        content=unchanged_session_1(world, process_note="v1"),
        expected_note_version=None,
    )
    session_update(
        actor=world.clinician,
        session=world.session_1,
        expected_version=1,
        content=unchanged_session_1(world, process_note="v2"),
        expected_note_version=1,
    )
    with pytest.raises(StaleEditError) as caught:
        session_update(
            actor=world.clinician,
            session=world.session_1,
            expected_version=1,
            content=unchanged_session_1(world, process_note="from an old tab"),
            expected_note_version=1,
        )
    assert caught.value.what == "process_note"
    assert ProcessNote.objects.get(session=world.session_1).text == "v2"
    # Someone else created the note meanwhile: an editor who saw no note is refused too.
    with pytest.raises(StaleEditError):
        session_update(
            actor=world.clinician,
            session=world.session_1,
            expected_version=1,
            content=unchanged_session_1(world, process_note="mine"),
            expected_note_version=None,
        )


def test_an_edit_that_changes_nothing_keeps_the_version(world: World) -> None:
    before = AuditEvent.objects.count()
    session = session_update(
        actor=world.clinician,
        session=world.session_1,
        expected_version=1,
        content=unchanged_session_1(world),
        expected_note_version=None,
    )
    assert session.version == 1
    assert AuditEvent.objects.count() == before


# --- audit and encryption --------------------------------------------------------------------


def test_session_writes_are_audited_with_field_names_only(world: World) -> None:
    session = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=content(
            interval_history=CANARY,
            summary=CANARY,
            process_note=CANARY,
            techniques=[TechniqueEntry("communication_analysis", {"what_said": CANARY})],
        ),
    )
    created = AuditEvent.objects.get(object_type="session", object_public_id=session.public_id)
    assert created.action == "create"
    assert created.actor_id == world.clinician.pk
    assert created.subject_client_public_id == world.client_1.public_id
    assert {"interval_history", "summary", "techniques", "number"} <= set(created.changed_fields)
    note_event = AuditEvent.objects.get(object_type="process_note")
    assert note_event.changed_fields == ["text"]

    session_update(
        actor=world.clinician,
        session=session,
        expected_version=1,
        content=content(interval_history=CANARY, summary="Shorter."),
        expected_note_version=1,
    )
    updated = AuditEvent.objects.filter(object_type="session", action="update").get()
    assert sorted(updated.changed_fields) == ["summary", "techniques"]
    for event in AuditEvent.objects.all():
        assert CANARY not in json.dumps(event.changed_fields)


def test_clinical_text_is_encrypted_in_the_raw_columns(world: World) -> None:
    session = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=content(
            interval_history=CANARY,
            mood_event_links=CANARY,
            problem_area_work=CANARY,
            summary=CANARY,
            process_note=CANARY,
            techniques=[TechniqueEntry("communication_analysis", {"what_said": CANARY})],
        ),
    )
    columns = ["interval_history", "mood_event_links", "problem_area_work", "summary"]
    values = [raw_column(Session._meta.db_table, name, session.pk) for name in columns]
    use = session.techniques.get()
    values.append(raw_column(TechniqueUse._meta.db_table, "details", use.pk))
    note = ProcessNote.objects.get(session=session)
    values.append(raw_column(ProcessNote._meta.db_table, "text", note.pk))
    for value in values:
        assert value.startswith("enc1:")
        assert CANARY not in value
    # The test can fail: the ORM still reads the text back.
    assert Session.objects.get(pk=session.pk).summary == CANARY
