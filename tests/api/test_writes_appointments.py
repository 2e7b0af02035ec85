"""Booking, moving, cancelling and marking appointments held through the API.

GIVEN the shared world (Clara treats Alice and Bob; Sam supervises; Ada is the
practice admin; Bea works at practice B)
WHEN appointments are written with tokens
THEN the rules are the booking pages': only a care-team clinician books and
     changes (supervisors, admins, facilitators and clients are refused with
     403, people outside the client's reach get 404), clashes and out-of-date
     versions are 409, bad input is a 422 naming the field, and nothing is
     stored by a refused call.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from openipt.accounts.models import User
from openipt.appointments.models import Appointment, AppointmentStatus
from openipt.audit.models import AuditAction, AuditEvent
from tests.access.appointments_table import _book
from tests.api.conftest import Api
from tests.world import World

OUT_KEYS = {
    "id",
    "client_id",
    "course_id",
    "session_id",
    "starts_at",
    "ends_at",
    "kind",
    "location",
    "status",
    "cancelled_at",
    "version",
    "created_at",
}


def _at(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _booking(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_id": str(world.client_1.public_id),
        "course_id": str(world.course_1.public_id),
        "starts_at": _at(7).isoformat(),
        "duration_minutes": 50,
        "kind": "video",
        "location": "The link the practice sent",
    }
    body.update(overrides)
    return body


# --- booking --------------------------------------------------------------------------------


def test_clinician_books_and_gets_the_appointment_as_get_shows_it(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    response = api.post("/appointments", _booking(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == OUT_KEYS
    assert body["status"] == "scheduled"
    assert body["kind"] == "video"
    assert body["version"] == 1
    assert body["course_id"] == str(world.course_1.public_id)
    stored = Appointment.objects.get(public_id=body["id"])
    assert stored.clinician == world.clinician
    assert stored.created_by == world.clinician
    assert stored.ends_at - stored.starts_at == datetime.timedelta(minutes=50)
    assert stored.starts_at == _at(7)
    assert api.get(f"/appointments/{body['id']}").json() == body
    # The booking service's own audit event, with the client it concerns.
    event = AuditEvent.objects.get(
        object_type="appointment", object_public_id=stored.public_id, action=AuditAction.CREATE
    )
    assert event.actor == world.clinician
    assert event.subject_client_public_id == world.client_1.public_id
    assert "starts_at" in event.changed_fields
    assert AuditEvent.objects.filter(
        object_type="api_appointments", action=AuditAction.CREATE
    ).exists()


def test_a_time_without_offset_is_read_in_the_practice_time_zone(
    world: World, api_as: Callable[..., Api]
) -> None:
    naive = _at(5, hour=9).replace(tzinfo=None).isoformat()
    response = api_as(world.clinician).post(
        "/appointments", _booking(world, starts_at=naive, course_id=None)
    )
    assert response.status_code == 201, response.content
    stored = Appointment.objects.get(public_id=response.json()["id"])
    assert stored.starts_at == _at(5, hour=9)
    assert stored.course is None


@pytest.mark.parametrize("role", ["supervisor", "admin", "facilitator", "client", "client_b"])
def test_roles_that_do_not_schedule_are_refused_with_403(
    role: str, world: World, api_as: Callable[..., Api]
) -> None:
    """Practice admins (and supervisors, facilitators, clients) do not book: the page
    refuses them, and so does the API, even for a client they can read."""
    user: User = world.users_by_role_name()[role]
    response = api_as(user).post("/appointments", _booking(world))
    assert response.status_code == 403, response.content
    assert set(response.json()) == {"detail", "errors"}
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("role", ["clinician_b", "colleague"])
def test_a_client_outside_reach_is_404(role: str, world: World, api_as: Callable[..., Api]) -> None:
    user: User = world.users_by_role_name()[role]
    response = api_as(user).post("/appointments", _booking(world, course_id=None))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}
    assert not Appointment.objects.exists()


def test_booking_without_a_live_token_is_401(world: World) -> None:
    response = Api(None).post("/appointments", _booking(world))
    assert response.status_code == 401
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"duration_minutes": 10**12}, "duration_minutes"),
        ({"kind": "teleport"}, "kind"),
        ({"location": "x" * 201}, "location"),
        ({"starts_at": "2020-01-01T10:00:00+00:00"}, "starts_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"starts_at": "9999-12-31T23:59:00+00:00"}, "starts_at"),
        ({"course_id": "00000000-0000-4000-8000-000000000000"}, "course_id"),
        ({"client_id": "not-a-uuid"}, "client_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    overrides: dict[str, Any], field: str, world: World, api_as: Callable[..., Api]
) -> None:
    response = api_as(world.clinician).post("/appointments", _booking(world, **overrides))
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert set(body["errors"]) == {field}, body
    assert not Appointment.objects.exists()


def test_a_course_of_another_client_is_refused(world: World, api_as: Callable[..., Api]) -> None:
    response = api_as(world.clinician).post(
        "/appointments", _booking(world, client_id=str(world.client_2.public_id))
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "course_id": "Choose one of this client's current courses."
    }
    assert not Appointment.objects.exists()


def test_an_overlapping_time_is_a_409_that_says_which(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    assert api.post("/appointments", _booking(world)).status_code == 201
    clash = _booking(
        world,
        client_id=str(world.client_2.public_id),
        course_id=None,
        starts_at=(_at(7) + datetime.timedelta(minutes=30)).isoformat(),
    )
    response = api.post("/appointments", clash)
    assert response.status_code == 409
    assert "already has an appointment" in response.json()["detail"]
    assert Appointment.objects.count() == 1


# --- moving ------------------------------------------------------------------------------


def test_move_changes_the_time_and_bumps_the_version(
    world: World, api_as: Callable[..., Api]
) -> None:
    appointment = _book(world)
    api: Api = api_as(world.clinician)
    new_start = _at(10, hour=14)
    response = api.post(
        f"/appointments/{appointment.public_id}/move",
        {"version": 1, "starts_at": new_start.isoformat(), "duration_minutes": 60},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == OUT_KEYS
    assert body["version"] == 2
    assert api.get(f"/appointments/{appointment.public_id}").json() == body
    appointment.refresh_from_db()
    assert appointment.starts_at == new_start
    assert appointment.duration_minutes == 60
    event = AuditEvent.objects.filter(
        object_type="appointment", object_public_id=appointment.public_id, action="update"
    ).get()
    assert set(event.changed_fields) == {"starts_at", "ends_at"}


def test_move_keeps_what_is_left_out(world: World, api_as: Callable[..., Api]) -> None:
    appointment = _book(world)
    before = (appointment.starts_at, appointment.ends_at)
    response = api_as(world.clinician).post(
        f"/appointments/{appointment.public_id}/move", {"version": 1, "kind": "phone"}
    )
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert appointment.kind == "phone"
    assert (appointment.starts_at, appointment.ends_at) == before


def test_move_from_an_old_version_is_a_409_and_changes_nothing(
    world: World, api_as: Callable[..., Api]
) -> None:
    appointment = _book(world)
    api: Api = api_as(world.clinician)
    url = f"/appointments/{appointment.public_id}/move"
    assert api.post(url, {"version": 1, "location": "Room 2"}).status_code == 200
    response = api.post(url, {"version": 1, "location": "Room 3"})
    assert response.status_code == 409
    assert "version 2" in response.json()["detail"]
    appointment.refresh_from_db()
    assert appointment.location == "Room 2"
    assert appointment.version == 2


def test_move_requires_a_version(world: World, api_as: Callable[..., Api]) -> None:
    appointment = _book(world)
    response = api_as(world.clinician).post(
        f"/appointments/{appointment.public_id}/move", {"kind": "phone"}
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"version"}
    appointment.refresh_from_db()
    assert appointment.kind == "in_person"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "duration_minutes": 500}, "duration_minutes"),
        ({"version": 1, "starts_at": "2020-01-01T10:00:00+00:00"}, "starts_at"),
        ({"version": 1, "kind": "carrier pigeon"}, "kind"),
    ],
)
def test_move_bad_input_is_a_422(
    body: dict[str, Any], field: str, world: World, api_as: Callable[..., Api]
) -> None:
    appointment = _book(world)
    response = api_as(world.clinician).post(f"/appointments/{appointment.public_id}/move", body)
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) == {field}
    appointment.refresh_from_db()
    assert appointment.version == 1


def test_move_onto_another_appointment_is_a_409(world: World, api_as: Callable[..., Api]) -> None:
    first = _book(world, days=3)
    second = _book(world, days=4)
    response = api_as(world.clinician).post(
        f"/appointments/{second.public_id}/move",
        {"version": 1, "starts_at": first.starts_at.isoformat()},
    )
    assert response.status_code == 409
    second.refresh_from_db()
    assert second.version == 1


# --- cancelling and marking held -----------------------------------------------------------


def test_cancel_cancels_once(world: World, api_as: Callable[..., Api]) -> None:
    appointment = _book(world)
    api: Api = api_as(world.clinician)
    url = f"/appointments/{appointment.public_id}/cancel"
    response = api.post(url, {"version": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == OUT_KEYS
    assert body["status"] == "cancelled"
    assert body["cancelled_at"] is not None
    again = api.post(url, {})
    assert again.status_code == 422
    assert "Only a booked appointment" in again.json()["detail"]


def test_cancel_without_a_version_cancels_what_is_there(
    world: World, api_as: Callable[..., Api]
) -> None:
    appointment = _book(world)
    api: Api = api_as(world.clinician)
    api.post(f"/appointments/{appointment.public_id}/move", {"version": 1, "kind": "phone"})
    response = api.post(f"/appointments/{appointment.public_id}/cancel", {})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 3
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_cancel_from_an_old_version_is_a_409(world: World, api_as: Callable[..., Api]) -> None:
    appointment = _book(world)
    api: Api = api_as(world.clinician)
    api.post(f"/appointments/{appointment.public_id}/move", {"version": 1, "kind": "phone"})
    response = api.post(f"/appointments/{appointment.public_id}/cancel", {"version": 1})
    assert response.status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_mark_held_links_the_session(world: World, api_as: Callable[..., Api]) -> None:
    appointment = _book(world, started=True)
    response = api_as(world.clinician).post(
        f"/appointments/{appointment.public_id}/held",
        {"session_id": str(world.session_1.public_id)},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["session_id"] == str(world.session_1.public_id)


def test_mark_held_refuses_a_future_appointment_and_a_foreign_session(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    future = _book(world)
    response = api.post(f"/appointments/{future.public_id}/held", {})
    assert response.status_code == 422
    assert "once it has started" in response.json()["detail"]
    started = _book(world, started=True)
    response = api.post(
        f"/appointments/{started.public_id}/held",
        {"session_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"session_id"}
    assert Appointment.objects.filter(status=AppointmentStatus.COMPLETED).count() == 0


# --- who may change an appointment ---------------------------------------------------------

CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("move", {"version": 1, "kind": "phone"}),
    ("cancel", {"version": 1}),
    ("held", {}),
]


@pytest.mark.parametrize(("action", "body"), CHANGES)
def test_supervisor_reads_but_may_not_change(
    action: str, body: dict[str, Any], world: World, api_as: Callable[..., Api]
) -> None:
    appointment = _book(world, started=action == "held")
    supervisor: Api = api_as(world.supervisor)
    assert supervisor.get(f"/appointments/{appointment.public_id}").status_code == 200
    response = supervisor.post(f"/appointments/{appointment.public_id}/{action}", body)
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.version == 1
    assert appointment.status == AppointmentStatus.SCHEDULED


@pytest.mark.parametrize(("action", "body"), CHANGES)
@pytest.mark.parametrize("role", ["clinician_b", "colleague", "admin", "facilitator", "client"])
def test_outsiders_get_404_and_change_nothing(
    role: str, action: str, body: dict[str, Any], world: World, api_as: Callable[..., Api]
) -> None:
    appointment = _book(world, started=action == "held")
    user: User = world.users_by_role_name()[role]
    response = api_as(user).post(f"/appointments/{appointment.public_id}/{action}", body)
    assert response.status_code == 404, (role, response.content)
    assert response.json() == {"detail": "Not found.", "errors": {}}
    appointment.refresh_from_db()
    assert appointment.version == 1
    assert Api(None).post(f"/appointments/{appointment.public_id}/{action}", body).status_code == (
        401
    )


def test_a_body_that_is_not_json_is_a_422(world: World, api_as: Callable[..., Api]) -> None:
    api: Api = api_as(world.clinician)
    response = api.http.post(
        "/api/v1/appointments",
        data="{not json",
        content_type="application/json",
        headers=api.headers,
    )
    # ninja refuses a body it cannot parse before any operation runs (as for every POST);
    # it is answered with the 422 every operation with a body declares.
    assert response.status_code == 422
    assert json.loads(response.content) == {
        "detail": "The request body is not valid JSON.",
        "errors": {"body": "Send a JSON object."},
    }
    assert not Appointment.objects.exists()
