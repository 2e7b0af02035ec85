"""Writing a course's record through the API: sessions, the inventory, the focus and goals.

GIVEN Alice's course (session 1 held, Sam in her inventory) run by the clinician
WHEN the record is written with tokens
THEN the answers have the GET's shape, the pages' services store and audit the
     change, refused and invalid requests store nothing, an edit from an older
     version is a 409, and the process note's text never comes back.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from openipt.accounts.models import User
from openipt.api.routers import record_inventory, record_sessions, records
from openipt.audit.models import AuditAction, AuditEvent
from openipt.courses.models import (
    Course,
    CourseStatus,
    FocusArea,
    Goal,
    InventoryPerson,
    ProcessNote,
    RelationshipKind,
    Session,
    TechniqueUse,
)
from tests.api.write_helpers import (
    WriteOp,
    api_operation_names,
    assert_refusals,
    domain_events,
    operation_names,
    writer,
)
from tests.world import World

SECRET = "Canary process note 7f3a"
SESSION_KEYS = {
    "id",
    "course_id",
    "number",
    "date",
    "attendance",
    "phase",
    "version",
    "process_note_version",
    "created_at",
}
PERSON_KEYS = {
    "id",
    "course_id",
    "name",
    "relationship",
    "ring",
    "contact_frequency",
    "problem_area",
    "removed_at",
    "version",
    "created_at",
}
FOCUS_KEYS = {"id", "course_id", "area", "label", "dispute_stage", "ended_at", "created_at"}
GOAL_KEYS = {
    "id",
    "course_id",
    "focus_area_id",
    "text",
    "position",
    "rating_at_start",
    "ended_at",
    "created_at",
}
TRANSITION = {"area": "role_transition", "old_role": "Student", "new_role": "Nurse"}


def _course(w: World) -> str:
    return f"/courses/{w.course_1.public_id}"


def _session_2(w: World) -> dict[str, Any]:
    return {"number": 2, "date": "2026-09-08", "summary": "Went through the inventory."}


def _focus(w: World) -> FocusArea:
    return FocusArea.objects.create(
        course=w.course_1, area="role_transition", chosen_by=w.clinician
    )


def _goal(w: World) -> Goal:
    return Goal.objects.create(course=w.course_1, text="Sleep better", position=1)


WRITE_OPS: dict[str, WriteOp] = {
    "course_session_create": WriteOp("POST", lambda w: _course(w) + "/sessions", _session_2, 201),
    "session_update": WriteOp(
        "PATCH",
        lambda w: f"/sessions/{w.session_1.public_id}",
        lambda w: {"version": 1, "attendance": "cancelled"},
        200,
    ),
    "course_inventory_create": WriteOp(
        "POST",
        lambda w: _course(w) + "/inventory",
        lambda w: {"name": "Jo", "relationship": "friend"},
        201,
    ),
    "inventory_person_update": WriteOp(
        "PATCH",
        lambda w: f"/inventory/{w.person_1.public_id}",
        lambda w: {"version": 1, "ring": 2},
        200,
    ),
    "course_focus_set": WriteOp(
        "PUT", lambda w: _course(w) + "/focus", lambda w: {"areas": [TRANSITION]}, 200
    ),
    "course_goal_create": WriteOp(
        "POST", lambda w: _course(w) + "/goals", lambda w: {"text": "See friends weekly"}, 201
    ),
    "goal_end": WriteOp("POST", lambda w: f"/goals/{_goal(w).public_id}/end", lambda w: {}, 200),
}
READS = {
    "course_session_list",
    "session_get",
    "course_inventory_list",
    "inventory_person_get",
    "course_focus_list",
    "course_goal_list",
}


def test_every_operation_of_these_routers_is_tested_here() -> None:
    names = operation_names((records, record_sessions, record_inventory))
    assert names == set(WRITE_OPS) | READS
    assert names <= api_operation_names()


@pytest.mark.parametrize("name", sorted(WRITE_OPS))
def test_owner_succeeds_and_everyone_else_is_refused(
    name: str, world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    op = WRITE_OPS[name]
    path, body = op.path(world), op.body(world)
    fixed = WriteOp(op.method, lambda w: path, lambda w: body, op.ok, op.readers, op.outsiders)
    assert_refusals(fixed, world, client_for)
    response = writer(world.clinician).call(op.method, path, body)
    assert response.status_code == op.ok, response.content


@pytest.mark.parametrize("name", sorted(WRITE_OPS))
def test_a_closed_course_is_read_only(name: str, world: World) -> None:
    op = WRITE_OPS[name]
    path, body = op.path(world), op.body(world)
    Course.objects.filter(pk=world.course_1.pk).update(status=CourseStatus.CLOSED)
    response = writer(world.clinician).call(op.method, path, body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == "This course is closed."


def test_reading_one_inventory_person(world: World) -> None:
    url = f"/inventory/{world.person_1.public_id}"
    body = writer(world.supervisor).get(url).json()
    assert set(body) == PERSON_KEYS and body["name"] == "Sam" and body["version"] == 1
    for user in (world.colleague, world.clinician_b, world.client_user_1):
        assert writer(user).get(url).status_code == 404
    assert writer(None).get(url).status_code == 401
    event = AuditEvent.objects.filter(object_type="inventory_person").get()
    assert (event.action, event.object_public_id) == (AuditAction.VIEW, world.person_1.public_id)


# --- sessions -----------------------------------------------------------------------------


def test_record_a_session_with_techniques_and_a_process_note(world: World) -> None:
    body = {
        **_session_2(world),
        "attendance": "attended",
        "interval_history": "A hard week.",
        "techniques": [
            {"code": "communication_analysis", "details": {"what_said": "You never call."}},
            {"code": "clarification"},
        ],
        "adherence": ["inventory_complete", "diagnosis_given"],
        "process_note": SECRET,
    }
    response = writer(world.clinician).post(_course(world) + "/sessions", body)
    assert response.status_code == 201, response.content
    assert SECRET.encode() not in response.content
    out = response.json()
    assert set(out) == SESSION_KEYS
    assert (out["number"], out["phase"], out["version"], out["process_note_version"]) == (
        2,
        "initial",
        1,
        1,
    )
    session = Session.objects.get(public_id=out["id"])
    assert session.interval_history == "A hard week."
    assert session.adherence == ["diagnosis_given", "inventory_complete"]
    assert set(
        TechniqueUse.objects.filter(session=session).values_list("technique", flat=True)
    ) == {
        "communication_analysis",
        "clarification",
    }
    assert ProcessNote.objects.get(session=session).text == SECRET
    assert [e.action for e in domain_events("session")] == [AuditAction.CREATE]
    assert [e.action for e in domain_events("process_note")] == [AuditAction.CREATE]
    assert SECRET not in str(list(AuditEvent.objects.values_list("changed_fields", flat=True)))
    # Read back by anyone who may read the course: the note's version, never its text.
    for reader in (world.clinician, world.supervisor):
        got = writer(reader).get(f"/sessions/{session.public_id}")
        assert got.json() == out and SECRET.encode() not in got.content
        listed = writer(reader).get(_course(world) + "/sessions")
        assert SECRET.encode() not in listed.content


def test_invalid_session_gets_a_message_per_field_and_nothing_is_saved(world: World) -> None:
    api = writer(world.clinician)
    url = _course(world) + "/sessions"
    response = api.post(
        url,
        {
            "number": 1,
            "date": "2026-08-01",
            "techniques": [{"code": "mind_reading"}],
            "adherence": ["not_an_item"],
            "process_note": "x",
        },
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"number", "date", "techniques", "adherence"}
    assert "already been recorded" in response.json()["errors"]["number"]
    beyond = api.post(url, {"number": 17, "date": "2026-10-01"})
    assert beyond.status_code == 422 and "contract" in beyond.json()["errors"]["number"]
    huge = api.post(url, {"number": 10**6, "date": "2026-10-01"})
    assert huge.status_code == 422 and set(huge.json()["errors"]) == {"number"}
    bad = api.post(url, {"number": 2, "date": "someday", "attendance": "maybe"})
    assert bad.status_code == 422 and {"date", "attendance"} <= set(bad.json()["errors"])
    assert Session.objects.filter(course=world.course_1).count() == 1
    assert not ProcessNote.objects.exists()


def test_session_edit_changes_only_what_is_sent(world: World) -> None:
    url = f"/sessions/{world.session_1.public_id}"
    response = writer(world.clinician).patch(url, {"version": 1, "attendance": "no_show"})
    assert response.status_code == 200, response.content
    out = response.json()
    assert set(out) == SESSION_KEYS
    assert (out["attendance"], out["version"], out["process_note_version"]) == ("no_show", 2, None)
    world.session_1.refresh_from_db()
    assert world.session_1.interval_history == "First meeting."
    (event,) = domain_events("session")
    assert event.changed_fields == ["attendance"]


def test_session_edit_from_an_older_version_is_409(world: World) -> None:
    url = f"/sessions/{world.session_1.public_id}"
    api = writer(world.clinician)
    assert api.patch(url, {"version": 1, "summary": "First."}).status_code == 200
    stale = api.patch(url, {"version": 1, "summary": "Overwritten?"})
    assert stale.status_code == 409
    assert "session" in stale.json()["detail"]
    world.session_1.refresh_from_db()
    assert world.session_1.summary == "First." and world.session_1.version == 2


def test_process_note_edits_need_the_notes_version(world: World) -> None:
    """GIVEN a session without a note WHEN a note is written, then edited twice
    THEN an edit must send the note's current version; a stale one is refused, and
    an edit of other fields leaves the note as it is."""
    url = f"/sessions/{world.session_1.public_id}"
    api = writer(world.clinician)
    first = api.patch(url, {"version": 1, "process_note": "First thoughts."})
    assert first.status_code == 200 and first.json()["process_note_version"] == 1
    # Writing the note again without saying which version it is based on: refused.
    blind = api.patch(url, {"version": 1, "process_note": "Blind overwrite."})
    assert blind.status_code == 409 and "process note" in blind.json()["detail"]
    second = api.patch(url, {"version": 1, "process_note": SECRET, "process_note_version": 1})
    assert second.status_code == 200, second.content
    assert second.json()["process_note_version"] == 2
    assert SECRET.encode() not in second.content
    other = api.patch(url, {"version": 1, "summary": "Went well."})
    assert other.status_code == 200
    note = ProcessNote.objects.get(session=world.session_1)
    assert (note.text, note.version) == (SECRET, 2)
    assert [e.action for e in domain_events("process_note")] == [
        AuditAction.CREATE,
        AuditAction.UPDATE,
    ]


def test_supervisor_reads_sessions_but_cannot_write_notes(world: World) -> None:
    url = f"/sessions/{world.session_1.public_id}"
    response = writer(world.supervisor).patch(url, {"version": 1, "process_note": "Mine."})
    assert response.status_code == 403
    assert not ProcessNote.objects.exists()


def test_invalid_session_edit_is_422_and_nothing_changes(world: World) -> None:
    url = f"/sessions/{world.session_1.public_id}"
    api = writer(world.clinician)
    response = api.patch(
        url, {"version": 1, "date": "2020-01-01", "adherence": ["ending_raised_ahead"]}
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"date", "adherence"}
    too_long = api.patch(url, {"version": 1, "summary": "x" * 20_001})
    assert too_long.status_code == 422 and set(too_long.json()["errors"]) == {"summary"}
    nul = api.patch(url, {"version": 1, "process_note": "a\x00b"})
    assert nul.status_code == 422 and set(nul.json()["errors"]) == {"process_note"}
    world.session_1.refresh_from_db()
    assert world.session_1.version == 1 and world.session_1.date == datetime.date(2026, 9, 1)


# --- inventory --------------------------------------------------------------------------


def test_add_a_person_to_the_inventory(world: World) -> None:
    body = {
        "name": "  Jo   Bloggs ",
        "relationship": "friend",
        "ring": 3,
        "contact_frequency": "weekly",
        "support_kinds": ["practical", "confidant"],
        "conflict": "Argue about money.",
        "changed_near_onset": True,
    }
    response = writer(world.clinician).post(_course(world) + "/inventory", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert set(out) == PERSON_KEYS
    assert (out["name"], out["ring"], out["version"], out["removed_at"]) == (
        "Jo Bloggs",
        3,
        1,
        None,
    )
    assert b"money" not in response.content
    person = InventoryPerson.objects.get(public_id=out["id"])
    assert person.conflict == "Argue about money."
    assert person.support_kinds == ["confidant", "practical"]
    (event,) = domain_events("inventory_person")
    assert event.action == AuditAction.CREATE and "conflict" in event.changed_fields


def test_invalid_person_gets_the_services_messages_and_nothing_is_saved(world: World) -> None:
    response = writer(world.clinician).post(
        _course(world) + "/inventory",
        {"name": " ", "relationship": "pet", "ring": 5, "support_kinds": ["money"]},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"name", "relationship", "ring", "support_kinds"}
    assert errors["ring"] == "Choose a ring from 1 (closest) to 4."
    missing = writer(world.clinician).post(_course(world) + "/inventory", {"ring": 1})
    assert missing.status_code == 422 and {"name", "relationship"} <= set(missing.json()["errors"])
    assert InventoryPerson.objects.count() == 1


def test_edit_a_person_keeps_what_is_not_sent(world: World) -> None:
    person = world.person_1
    person.good_things = "Kind."
    person.save()
    url = f"/inventory/{person.public_id}"
    response = writer(world.clinician).patch(url, {"version": 1, "ring": 3, "conflict": "Some."})
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["ring"], out["version"], out["name"]) == (3, 2, "Sam")
    person.refresh_from_db()
    assert (person.good_things, person.conflict) == ("Kind.", "Some.")
    (event,) = domain_events("inventory_person")
    assert sorted(event.changed_fields) == ["conflict", "ring"]


def test_person_edit_from_an_older_version_is_409(world: World) -> None:
    url = f"/inventory/{world.person_1.public_id}"
    api = writer(world.clinician)
    assert api.patch(url, {"version": 1, "ring": 2}).status_code == 200
    stale = api.patch(url, {"version": 1, "ring": 4})
    assert stale.status_code == 409
    world.person_1.refresh_from_db()
    assert world.person_1.ring == 2


def test_removed_person_and_bad_values_are_refused(world: World) -> None:
    url = f"/inventory/{world.person_1.public_id}"
    api = writer(world.clinician)
    bad = api.patch(url, {"version": 1, "relationship": "pet", "name": ""})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"relationship", "name"}
    InventoryPerson.objects.filter(pk=world.person_1.pk).update(
        removed_at=datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)
    )
    removed = api.patch(url, {"version": 1, "ring": 3})
    assert removed.status_code == 422 and "removed" in removed.json()["detail"]
    world.person_1.refresh_from_db()
    assert (world.person_1.ring, world.person_1.relationship) == (1, RelationshipKind.PARTNER)


# --- focus ----------------------------------------------------------------------------------


def test_set_the_focus_and_send_it_again(world: World) -> None:
    url = _course(world) + "/focus"
    api = writer(world.clinician)
    dispute = {
        "area": "role_dispute",
        "dispute_person_id": str(world.person_1.public_id),
        "dispute_stage": "impasse",
    }
    response = api.put(url, {"areas": [TRANSITION, dispute]})
    assert response.status_code == 200, response.content
    out = response.json()
    assert [set(item) for item in out] == [FOCUS_KEYS, FOCUS_KEYS]
    assert {item["area"] for item in out} == {"role_transition", "role_dispute"}
    row = FocusArea.objects.get(area="role_dispute")
    assert row.dispute_person == world.person_1 and row.chosen_by == world.clinician
    again = api.put(url, {"areas": [dispute, TRANSITION]})
    assert sorted(i["id"] for i in again.json()) == sorted(i["id"] for i in out)
    assert len(domain_events("focus")) == 1
    assert writer(world.clinician).get(_course(world)).json()["state"]["focus_areas"]


def test_changing_the_focus_after_the_initial_phase_needs_a_reason(world: World) -> None:
    url = _course(world) + "/focus"
    api = writer(world.clinician)
    assert api.put(url, {"areas": [TRANSITION]}).status_code == 200
    Course.objects.filter(pk=world.course_1.pk).update(phase="middle")
    grief = {"area": "grief", "grief_person_id": str(world.person_1.public_id)}
    refused = api.put(url, {"areas": [grief]})
    assert refused.status_code == 422 and "reason" in refused.json()["detail"]
    changed = api.put(url, {"areas": [grief], "reason": "Her father died."})
    assert changed.status_code == 200
    ended = FocusArea.objects.get(area="role_transition")
    assert ended.ended_at is not None and ended.end_reason == "Her father died."


def test_invalid_focus_gets_the_forms_messages_by_area(world: World) -> None:
    url = _course(world) + "/focus"
    api = writer(world.clinician)
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    response = api.put(
        url,
        {
            "areas": [
                {"area": "role_dispute"},
                {"area": "grief", "grief_person_id": str(world.person_1.public_id),
                 "loss_date": future},
            ]
        },
    )  # fmt: skip
    assert response.status_code == 422
    # Every area's problems at once, as the page's formset shows them.
    assert response.json()["errors"] == {
        "areas.0.dispute_stage": "Say which stage the dispute is in.",
        "areas.1.loss_date": "The loss cannot be in the future.",
    }
    unknown = api.put(url, {"areas": [{"area": "loneliness"}]})
    assert set(unknown.json()["errors"]) == {"areas.0.area"}
    blank = api.put(url, {"areas": [TRANSITION, {"area": ""}]})
    assert blank.json()["errors"] == {"areas.1.area": "Choose a problem area."}
    stranger = api.put(
        url, {"areas": [{**TRANSITION, "area": "role_dispute", "dispute_stage": "impasse",
                         "dispute_person_id": "00000000-0000-4000-8000-000000000000"}]}
    )  # fmt: skip
    assert set(stranger.json()["errors"]) == {"areas.0.dispute_person_id"}
    empty = api.put(url, {"areas": []})
    assert empty.status_code == 422 and "at least one" in empty.json()["detail"]
    three = api.put(url, {"areas": [TRANSITION, TRANSITION, TRANSITION]})
    assert three.status_code == 422 and set(three.json()["errors"]) == {"areas"}
    assert not FocusArea.objects.exists()


# --- goals ----------------------------------------------------------------------------------


def test_add_a_goal_linked_to_the_focus(world: World) -> None:
    focus = _focus(world)
    body = {"text": " Start the new job calmly ", "focus_area_id": str(focus.public_id),
            "rating_at_start": 3}  # fmt: skip
    response = writer(world.clinician).post(_course(world) + "/goals", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert set(out) == GOAL_KEYS
    assert (out["text"], out["focus_area_id"], out["rating_at_start"], out["position"]) == (
        "Start the new job calmly",
        str(focus.public_id),
        3,
        1,
    )
    (event,) = domain_events("goal")
    assert event.action == AuditAction.CREATE


def test_invalid_goal_gets_a_message_per_field(world: World) -> None:
    focus = _focus(world)
    focus.ended_at = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)
    focus.save()
    response = writer(world.clinician).post(
        _course(world) + "/goals",
        {"text": "   ", "focus_area_id": str(focus.public_id), "rating_at_start": 11},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"text", "focus_area_id", "rating_at_start"}
    assert not Goal.objects.exists()


def test_end_a_goal_keeps_it_in_the_record(world: World) -> None:
    goal = _goal(world)
    url = f"/goals/{goal.public_id}/end"
    response = writer(world.clinician).post(url, {})
    assert response.status_code == 200
    out = response.json()
    assert set(out) == GOAL_KEYS and out["ended_at"] is not None
    again = writer(world.clinician).post(url, {})
    assert again.status_code == 200 and again.json()["ended_at"] == out["ended_at"]
    assert len(domain_events("goal")) == 1
    listed = writer(world.clinician).get(_course(world) + "/goals").json()["items"]
    assert [g["id"] for g in listed] == [str(goal.public_id)]
