"""Every API operation × who calls it: the one who may, and the outsiders who may not.

GIVEN a seeded world (Alice's course with a questionnaire, an alert, an
appointment, focus and goal; Fay's group with a session)
WHEN each operation is called with the token of the person it is for, of a
     clinician of practice B, of a client, a revoked or expired token, or none
THEN the first succeeds and everyone else is refused: 401 without a live token,
     404 for a single record (as for a missing id), and lists without the record.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from openipt.accounts.models import User
from openipt.api.main import api
from tests.api import test_writes_clients_courses as clients_courses_writes
from tests.api import test_writes_records as records_writes
from tests.api.conftest import Api, raw_token_for
from tests.api.seed import Seed, build_seed
from tests.world import World

PHQ9 = {f"phq9-{n}": 0 for n in range(1, 10)}


@dataclass(frozen=True)
class Op:
    method: str
    path: Callable[[Seed], str]
    owner: str  # the world's role the record is for
    single: bool  # one record (outsiders: 404) or a list (outsiders: without it)
    body: Any = None
    ok: int = 200
    marker: Callable[[Seed], str] = lambda s: ""  # the id a list must contain for the owner


def _course(s: Seed) -> str:
    return f"/courses/{s.world.course_1.public_id}"


OPS: dict[str, Op] = {
    "client_list": Op("GET", lambda s: "/clients", "clinician", False,
                      marker=lambda s: str(s.world.client_1.public_id)),
    "client_get": Op("GET", lambda s: f"/clients/{s.world.client_1.public_id}", "clinician", True),
    "course_list": Op("GET", lambda s: "/courses", "clinician", False,
                      marker=lambda s: str(s.world.course_1.public_id)),
    "course_get": Op("GET", _course, "clinician", True),
    "course_session_list": Op("GET", lambda s: _course(s) + "/sessions", "clinician", True),
    "session_get": Op("GET", lambda s: f"/sessions/{s.world.session_1.public_id}", "clinician",
                      True),
    "course_inventory_list": Op("GET", lambda s: _course(s) + "/inventory", "clinician", True),
    "course_focus_list": Op("GET", lambda s: _course(s) + "/focus", "clinician", True),
    "course_goal_list": Op("GET", lambda s: _course(s) + "/goals", "clinician", True),
    "course_measure_create": Op("POST", lambda s: _course(s) + "/measures", "clinician", True,
                                body={"instrument": "phq9", "answers": PHQ9}, ok=201),
    "course_measure_list": Op("GET", lambda s: _course(s) + "/measures", "clinician", True),
    "measure_get": Op("GET", lambda s: f"/measures/{s.measure.public_id}", "clinician", True),
    "course_outcomes": Op("GET", lambda s: _course(s) + "/outcomes", "clinician", True),
    "alert_list": Op("GET", lambda s: "/alerts", "clinician", False,
                     marker=lambda s: str(s.alert.public_id)),
    "alert_get": Op("GET", lambda s: f"/alerts/{s.alert.public_id}", "clinician", True),
    "alert_acknowledge": Op("POST", lambda s: f"/alerts/{s.alert.public_id}/acknowledge",
                            "clinician", True, body={"action": "contacted_client"}),
    "appointment_list": Op("GET", lambda s: "/appointments", "clinician", False,
                           marker=lambda s: str(s.appointment.public_id)),
    "appointment_get": Op("GET", lambda s: f"/appointments/{s.appointment.public_id}",
                          "clinician", True),
    "group_list": Op("GET", lambda s: "/groups", "facilitator", False,
                     marker=lambda s: str(s.group.public_id)),
    "group_get": Op("GET", lambda s: f"/groups/{s.group.public_id}", "facilitator", True),
    "group_session_list": Op("GET", lambda s: f"/groups/{s.group.public_id}/sessions",
                             "facilitator", True),
    "group_session_get": Op("GET", lambda s: f"/group-sessions/{s.group_session.public_id}",
                            "facilitator", True),
    "group_member_list": Op("GET", lambda s: f"/groups/{s.group.public_id}/members",
                            "facilitator", True),
    "inventory_person_get": Op("GET", lambda s: f"/inventory/{s.world.person_1.public_id}",
                               "clinician", True),
    # Instrument definitions are public knowledge: any live token reads them.
    "instrument_list": Op("GET", lambda s: "/instruments", "clinician", False),
    "instrument_get": Op("GET", lambda s: "/instruments/phq9", "clinician", False),
}  # fmt: skip
OUTSIDERS = ("clinician_b", "client", "client_b")
# The writes have owner-and-refusal tests of their own, operation by operation, next to
# their rules (who may write differs from who may read: a supervisor reads, a clinician
# books): test_writes_clients_courses.py, test_writes_records.py,
# test_writes_appointments.py and test_writes_groups.py. FHIR: tests/fhir/.
WRITES_TESTED_ELSEWHERE = {
    "client_create",
    *clients_courses_writes.WRITE_OPS,
    *records_writes.WRITE_OPS,
    "appointment_create",
    "appointment_move",
    "appointment_cancel",
    "appointment_mark_held",
    "group_create",
    "group_session_record",
}


def test_every_operation_is_in_this_table() -> None:
    names = {
        op.url_name or op.view_func.__name__
        for router in [r for _p, r in api._routers]
        for view in router.path_operations.values()
        for op in view.operations
    }
    assert not set(OPS) & WRITES_TESTED_ELSEWHERE
    assert names - {"fhir_patient_everything"} == set(OPS) | WRITES_TESTED_ELSEWHERE


def _call(api: Api, op: Op, seed: Seed) -> Any:
    path = op.path(seed)
    return api.post(path, op.body) if op.method == "POST" else api.get(path)


@pytest.mark.parametrize("name", sorted(OPS))
def test_owner_succeeds_and_outsiders_are_refused(
    name: str, world: World, api_as: Callable[..., Api]
) -> None:
    op = OPS[name]
    seed = build_seed(world)
    users: dict[str, User] = world.users_by_role_name()
    owner = _call(api_as(users[op.owner]), op, seed)
    assert owner.status_code == op.ok, owner.content
    if not op.single and op.marker(seed):
        assert op.marker(seed) in owner.content.decode()
    now = timezone.now()
    for token in (
        None,
        raw_token_for(users[op.owner], revoked_at=now),
        raw_token_for(users[op.owner], expires_at=now - datetime.timedelta(minutes=1)),
    ):
        assert _call(Api(token), op, seed).status_code == 401, token
    if op.path(seed).startswith("/instruments"):
        return
    for role in OUTSIDERS:
        response = _call(api_as(users[role]), op, seed)
        if op.single:
            assert response.status_code == 404, (role, response.content)
            assert response.json() == {"detail": "Not found.", "errors": {}}
        else:
            assert response.status_code == 200, role
            if op.marker(seed):
                assert op.marker(seed) not in response.content.decode(), role


def test_supervisor_reads_but_may_not_submit(world: World, api_as: Callable[..., Api]) -> None:
    supervisor = api_as(world.supervisor)
    assert supervisor.get(f"/courses/{world.course_1.public_id}").status_code == 200
    response = supervisor.post(
        f"/courses/{world.course_1.public_id}/measures", {"instrument": "phq9", "answers": PHQ9}
    )
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}


def test_colleague_off_the_care_team_sees_nothing(world: World, api_as: Callable[..., Api]) -> None:
    colleague = api_as(world.colleague)
    assert colleague.get("/clients").json()["items"] == []
    assert colleague.get(f"/courses/{world.course_1.public_id}").status_code == 404


def test_second_acknowledgement_is_409(world: World, api_as: Callable[..., Api]) -> None:
    seed = build_seed(world)
    clinician = api_as(world.clinician)
    url = f"/alerts/{seed.alert.public_id}/acknowledge"
    first = clinician.post(url, {"action": "risk_assessment"})
    assert first.status_code == 200 and first.json()["status"] == "acknowledged"
    again = clinician.post(url, {"action": "risk_assessment"})
    assert again.status_code == 409
    assert set(again.json()) == {"detail", "errors"}
    other = clinician.post(f"/alerts/{seed.alert.public_id}/acknowledge", {"action": "other"})
    assert other.status_code == 409


def test_other_without_a_note_is_a_field_error(world: World, api_as: Callable[..., Api]) -> None:
    seed = build_seed(world)
    response = api_as(world.clinician).post(
        f"/alerts/{seed.alert.public_id}/acknowledge", {"action": "other"}
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"note"}


def test_course_detail_carries_phase_and_gate(world: World, api_as: Callable[..., Api]) -> None:
    body = api_as(world.clinician).get(f"/courses/{world.course_1.public_id}").json()
    state = body["state"]
    assert state["phase"] == "initial"
    assert state["last_session_number"] == 1
    assert state["gate"]["open"] is False
    codes = {task["code"] for task in state["gate"]["missing"]}
    assert "formulation" in codes
    assert state["advance"] == {
        "allowed": False,
        "to_phase": "middle",
        "needs_override": True,
        "reasons": state["advance"]["reasons"],
    }
