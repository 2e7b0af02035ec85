"""Writing client records and courses through the API, as the pages do.

GIVEN the shared world (Alice's course run by the clinician; Bob, the
clinician's other client, has no course yet)
WHEN records and courses are created and changed with tokens
THEN the answers have the GET's shape, the pages' services store and audit the
     change, refused and invalid requests store nothing, and an edit from an
     older version is a 409.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openipt.accounts.models import User
from openipt.api.routers import clients, courses
from openipt.audit.models import AuditAction, AuditEvent
from openipt.courses.models import Course, CourseStatus, PhaseBoundaryChange
from openipt.practice.models import CareTeamMember, Client, ClientStatus, Membership, Role
from tests.api.write_helpers import (
    WriteOp,
    api_operation_names,
    assert_refusals,
    domain_events,
    operation_names,
    writer,
)
from tests.world import World

CLIENT_KEYS = {
    "id",
    "practice_id",
    "given_name",
    "family_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "language",
    "email",
    "phone",
    "status",
    "version",
    "created_at",
}
COURSE_KEYS = {
    "id",
    "client_id",
    "variant",
    "planned_sessions",
    "frequency",
    "session_minutes",
    "start_date",
    "initial_last",
    "middle_last",
    "phase",
    "status",
    "version",
    "created_at",
    "state",
}
NEW_CLIENT = {
    "given_name": "Dana",
    "family_name": "Dunn",
    "date_of_birth": "1990-04-02",
    "pronouns": "she/her",
    "language": "es",
    "email": "dana@example.test",
    "phone": "555 0100",
    "address": "1 Canary Street",
    "access_needs": "Prefers mornings",
}


def _start(world: World) -> dict[str, Any]:
    return {
        "client_id": str(world.client_2.public_id),
        "variant": "ipt12",
        "planned_sessions": 12,
        "frequency": "weekly",
        "session_minutes": 50,
        "start_date": timezone.localdate().isoformat(),
    }


WRITE_OPS: dict[str, WriteOp] = {
    "client_update": WriteOp(
        "PATCH",
        lambda w: f"/clients/{w.client_1.public_id}",
        lambda w: {"version": 1, "phone": "555 0199"},
        200,
        readers=(),
    ),
    "course_create": WriteOp("POST", lambda w: "/courses", _start, 201),
    "course_update": WriteOp(
        "PATCH",
        lambda w: f"/courses/{w.course_1.public_id}",
        lambda w: {"planned_sessions": 14, "middle_last": 12, "reason": "Agreed with the client."},
        200,
    ),
}


def test_every_write_operation_of_these_routers_is_tested_here() -> None:
    names = operation_names((clients, courses))
    assert {"client_create"} | set(WRITE_OPS) == names - {
        "client_list",
        "client_get",
        "course_list",
        "course_get",
    }
    assert names <= api_operation_names()


@pytest.mark.parametrize("name", sorted(WRITE_OPS))
def test_owner_succeeds_and_everyone_else_is_refused(
    name: str, world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    op = WRITE_OPS[name]
    assert_refusals(op, world, client_for)
    response = writer(world.clinician).call(op.method, op.path(world), op.body(world))
    assert response.status_code == op.ok, response.content


# --- clients: create --------------------------------------------------------------------


def test_create_client_returns_the_record_and_joins_the_clinician_to_its_care_team(
    world: World,
) -> None:
    response = writer(world.clinician).post("/clients", NEW_CLIENT)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CLIENT_KEYS
    assert body["practice_id"] == str(world.practice_a.public_id)
    assert (body["given_name"], body["language"], body["version"]) == ("Dana", "es", 1)
    client = Client.objects.get(public_id=body["id"])
    assert client.address == "1 Canary Street"
    assert client.access_needs == "Prefers mornings"
    assert CareTeamMember.objects.filter(client=client, user=world.clinician).exists()
    # The record is now the clinician's to read.
    assert writer(world.clinician).get(f"/clients/{client.public_id}").json() == body
    (event,) = domain_events("client")
    assert event.action == AuditAction.CREATE and event.actor == world.clinician
    assert "address" in event.changed_fields
    assert "Canary" not in str(event.changed_fields)


def test_admin_creates_in_the_practice_named_and_does_not_join_the_care_team(
    world: World,
) -> None:
    body = {**NEW_CLIENT, "practice_id": str(world.practice_a.public_id)}
    response = writer(world.admin).post("/clients", body)
    assert response.status_code == 201, response.content
    client = Client.objects.get(public_id=response.json()["id"])
    assert client.practice == world.practice_a
    assert not CareTeamMember.objects.filter(client=client).exists()


def test_create_client_is_refused_to_roles_and_practices_that_may_not(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    before = Client.objects.count()
    for user in (world.facilitator, world.client_user_1, world.programme_manager):
        response = writer(user).post("/clients", NEW_CLIENT)
        assert response.status_code == 403, (user, response.content)
    # A practice the clinician does not work in is out of reach, like a missing one.
    other = {**NEW_CLIENT, "practice_id": str(world.practice_b.public_id)}
    assert writer(world.clinician).post("/clients", other).status_code == 404
    # The facilitator works in practice A but may not create records there.
    mine = {**NEW_CLIENT, "practice_id": str(world.practice_a.public_id)}
    assert writer(world.facilitator).post("/clients", mine).status_code == 403
    assert writer(None).post("/clients", NEW_CLIENT).status_code == 401
    assert (
        client_for(world.clinician)
        .post("/api/v1/clients", NEW_CLIENT, content_type="application/json")
        .status_code
        == 401
    )
    assert Client.objects.count() == before


def test_someone_in_two_practices_must_say_which(world: World) -> None:
    Membership.objects.create(
        user=world.clinician,
        organisation=world.organisation,
        practice=world.practice_b,
        role=Role.CLINICIAN,
    )
    response = writer(world.clinician).post("/clients", NEW_CLIENT)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"practice_id"}
    chosen = {**NEW_CLIENT, "practice_id": str(world.practice_b.public_id)}
    response = writer(world.clinician).post("/clients", chosen)
    assert response.status_code == 201
    assert response.json()["practice_id"] == str(world.practice_b.public_id)


def test_invalid_client_gets_the_forms_messages_and_nothing_is_saved(world: World) -> None:
    before = Client.objects.count()
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = writer(world.clinician).post(
        "/clients",
        {**NEW_CLIENT, "date_of_birth": future, "email": "not-an-address", "language": "xx"},
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert set(body["errors"]) == {"date_of_birth", "email", "language"}
    assert body["errors"]["date_of_birth"] == "The date of birth cannot be in the future."
    missing = writer(world.clinician).post("/clients", {"family_name": "Dunn"})
    assert missing.status_code == 422
    assert {"given_name", "date_of_birth"} <= set(missing.json()["errors"])
    old = {**NEW_CLIENT, "date_of_birth": "1850-01-01"}
    assert writer(world.clinician).post("/clients", old).json()["errors"] == {
        "date_of_birth": "Please check the year of birth."
    }
    nul = writer(world.clinician).post("/clients", {**NEW_CLIENT, "address": "a\x00b"})
    assert nul.status_code == 422
    assert set(nul.json()["errors"]) == {"address"}
    assert Client.objects.count() == before


# --- clients: update --------------------------------------------------------------------


def test_update_changes_only_what_is_sent_and_bumps_the_version(world: World) -> None:
    client = world.client_1
    client.address = "2 Old Road"
    client.save()
    url = f"/clients/{client.public_id}"
    response = writer(world.clinician).patch(url, {"version": 1, "phone": "555 0199"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == CLIENT_KEYS
    assert (body["phone"], body["version"], body["given_name"]) == ("555 0199", 2, "Alice")
    client.refresh_from_db()
    assert client.address == "2 Old Road"
    (event,) = domain_events("client")
    assert (event.action, event.changed_fields) == (AuditAction.UPDATE, ["phone"])


def test_supervisor_may_edit_a_record_as_on_the_page(world: World) -> None:
    response = writer(world.supervisor).patch(
        f"/clients/{world.client_1.public_id}", {"version": 1, "preferred_name": "Al"}
    )
    assert response.status_code == 200
    assert response.json()["preferred_name"] == "Al"


def test_update_from_an_older_version_is_409_and_changes_nothing(world: World) -> None:
    url = f"/clients/{world.client_1.public_id}"
    api = writer(world.clinician)
    assert api.patch(url, {"version": 1, "phone": "1"}).status_code == 200
    response = api.patch(url, {"version": 1, "phone": "2"})
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}
    assert "version" in response.json()["detail"]
    world.client_1.refresh_from_db()
    assert (world.client_1.phone, world.client_1.version) == ("1", 2)


def test_archived_record_must_be_restored_before_editing(world: World) -> None:
    Client.objects.filter(pk=world.client_1.pk).update(status=ClientStatus.ARCHIVED)
    response = writer(world.clinician).patch(
        f"/clients/{world.client_1.public_id}", {"version": 1, "phone": "2"}
    )
    assert response.status_code == 409
    assert "restore" in response.json()["detail"]


def test_invalid_update_is_422_and_nothing_is_saved(world: World) -> None:
    url = f"/clients/{world.client_1.public_id}"
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    api = writer(world.clinician)
    response = api.patch(url, {"version": 1, "date_of_birth": future, "given_name": ""})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"date_of_birth", "given_name"}
    assert api.patch(url, {"phone": "2"}).json()["errors"] == {"version": "Field required"}
    world.client_1.refresh_from_db()
    assert world.client_1.version == 1 and world.client_1.given_name == "Alice"


def test_status_and_practice_cannot_be_assigned(world: World) -> None:
    response = writer(world.clinician).patch(
        f"/clients/{world.client_1.public_id}",
        {"version": 1, "status": "archived", "practice_id": str(world.practice_b.public_id)},
    )
    assert response.status_code == 200
    world.client_1.refresh_from_db()
    assert world.client_1.status == ClientStatus.ACTIVE
    assert world.client_1.practice == world.practice_a


# --- courses: start ---------------------------------------------------------------------


def test_start_a_course_returns_the_course_with_its_state(world: World) -> None:
    response = writer(world.clinician).post("/courses", _start(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COURSE_KEYS
    assert body["client_id"] == str(world.client_2.public_id)
    assert (body["variant"], body["planned_sessions"], body["phase"]) == ("ipt12", 12, "initial")
    assert body["state"]["last_session_number"] == 0
    course = Course.objects.get(public_id=body["id"])
    assert course.created_by == world.clinician and course.practice == world.practice_a
    (event,) = domain_events("course")
    assert event.action == AuditAction.CREATE
    assert event.subject_client_public_id == world.client_2.public_id
    assert writer(world.clinician).get(f"/courses/{course.public_id}").json() == body


def test_variant_defaults_fill_the_phase_boundaries(world: World) -> None:
    body = {**_start(world), "variant": "ipt_m", "planned_sessions": None}
    response = writer(world.clinician).post("/courses", body)
    assert response.status_code == 201, response.content
    assert response.json()["planned_sessions"] is None


def test_invalid_course_gets_the_forms_and_services_messages(world: World) -> None:
    api = writer(world.clinician)
    far = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    response = api.post(
        "/courses",
        {**_start(world), "variant": "ipt99", "start_date": far, "planned_sessions": 0},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"variant", "start_date", "planned_sessions"}
    assert response.json()["errors"]["start_date"] == "The start date is more than a year away."
    # The variant's own rule, from the service: IPT-16 needs a number of sessions.
    open_ended = api.post(
        "/courses", {**_start(world), "variant": "ipt16", "planned_sessions": None}
    )
    assert open_ended.status_code == 422
    assert "planned number of sessions" in open_ended.json()["detail"]
    # One active course per client.
    taken = api.post("/courses", {**_start(world), "client_id": str(world.client_1.public_id)})
    assert taken.status_code == 422
    assert "already has an active course" in taken.json()["detail"]
    huge = api.post("/courses", {**_start(world), "session_minutes": 10**12})
    assert huge.status_code == 422 and "session_minutes" in huge.json()["errors"]
    assert Course.objects.count() == 1


def test_a_supervisor_is_refused_before_the_body_is_read(world: World) -> None:
    body = {**_start(world), "variant": "ipt99"}
    response = writer(world.supervisor).post("/courses", body)
    assert response.status_code == 403
    assert writer(world.colleague).post("/courses", body).status_code == 404


def test_archived_client_gets_no_new_course(world: World) -> None:
    Client.objects.filter(pk=world.client_2.pk).update(status=ClientStatus.ARCHIVED)
    response = writer(world.clinician).post("/courses", _start(world))
    assert response.status_code == 422
    assert "Restore" in response.json()["detail"]


# --- courses: change the plan -----------------------------------------------------------


def test_change_plan_keeps_the_reason_and_bumps_the_version(world: World) -> None:
    url = f"/courses/{world.course_1.public_id}"
    response = writer(world.clinician).patch(
        url, {"planned_sessions": 14, "middle_last": 12, "reason": "Holidays.", "version": 1}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == COURSE_KEYS
    assert (body["planned_sessions"], body["initial_last"], body["middle_last"]) == (14, 3, 12)
    assert body["version"] == 2
    change = PhaseBoundaryChange.objects.get(course=world.course_1)
    assert change.reason == "Holidays." and change.planned_sessions_before == 16
    (event,) = domain_events("course_plan")
    assert event.action == AuditAction.UPDATE and "Holidays" not in str(event.changed_fields)


def test_change_plan_needs_a_reason_and_a_valid_plan(world: World) -> None:
    url = f"/courses/{world.course_1.public_id}"
    api = writer(world.clinician)
    assert set(api.patch(url, {"planned_sessions": 14}).json()["errors"]) == {"reason"}
    blank = api.patch(url, {"planned_sessions": 14, "reason": ""})
    assert blank.status_code == 422 and set(blank.json()["errors"]) == {"reason"}
    crossed = api.patch(url, {"initial_last": 9, "middle_last": 5, "reason": "Why not."})
    assert crossed.status_code == 422
    assert crossed.json()["detail"]
    below_held = api.patch(url, {"planned_sessions": 0, "reason": "Stop."})
    assert below_held.status_code == 422
    world.course_1.refresh_from_db()
    assert (world.course_1.planned_sessions, world.course_1.version) == (16, 1)
    assert not PhaseBoundaryChange.objects.exists()


def test_change_plan_from_an_older_version_is_409(world: World) -> None:
    Course.objects.filter(pk=world.course_1.pk).update(version=5)
    url = f"/courses/{world.course_1.public_id}"
    body = {"planned_sessions": 14, "middle_last": 12, "reason": "Agreed."}
    response = writer(world.clinician).patch(url, {**body, "version": 4})
    assert response.status_code == 409
    assert not PhaseBoundaryChange.objects.exists()
    assert writer(world.clinician).patch(url, {**body, "version": 5}).status_code == 200


def test_closed_course_cannot_change(world: World) -> None:
    Course.objects.filter(pk=world.course_1.pk).update(status=CourseStatus.CLOSED)
    response = writer(world.clinician).patch(
        f"/courses/{world.course_1.public_id}",
        {"planned_sessions": 14, "middle_last": 12, "reason": "Late."},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "This course is closed."


def test_api_writes_are_also_recorded_as_api_calls(world: World) -> None:
    writer(world.clinician).post("/courses", _start(world))
    call = AuditEvent.objects.get(object_type="api_courses")
    assert call.action == AuditAction.CREATE and call.actor == world.clinician
