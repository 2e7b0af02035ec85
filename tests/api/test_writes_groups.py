"""Forming a group and recording a group session through the API.

GIVEN the group world (Fay leads the running "Tuesday group" of Grace, Hana
and Ivy; Finn leads "Thursday group"; Sam supervises Fay, Sue supervises Finn)
WHEN groups are formed and sessions recorded with tokens
THEN the rules are the facilitator pages': only a facilitator forms a group,
     only the group's own facilitator records its sessions (its supervisor
     reads: 403; anyone else: 404), a positive item 9 raises the safety loop's
     alert for Fay's supervisor and the answer names it, a retried POST with
     the same Idempotency-Key stores nothing twice, and bad input is a 422
     with a message per member and question, storing nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.groups.models import (
    Attendance,
    Group,
    GroupComposition,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberTask,
)
from openipt.safety.models import AlertNotification, NotificationKind, RiskAlert
from tests.api.conftest import Api
from tests.groups.world import GroupWorld, build_group_world, phq9_answers
from tests.world import World

GROUP_KEYS = {
    "id",
    "programme_id",
    "name",
    "planned_sessions",
    "initial_last",
    "middle_last",
    "max_size",
    "status",
    "started_on",
    "completed_on",
    "created_at",
}
SESSION_KEYS = {
    "id",
    "group_id",
    "number",
    "held_on",
    "status",
    "adherence_percent",
    "version",
    "created_at",
}
CALM = phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0)  # total 8, item 9 = 0
RISK = phq9_answers(2, 2, 2, 1, 1, 1, 1, 1, 1)  # total 12, item 9 = 1
TODAY = timezone.localdate()


@pytest.fixture
def group_world(world: World) -> GroupWorld:
    return build_group_world(world)


def _entry(member: GroupMember, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"member_id": str(member.public_id), "present": True, "answers": CALM}
    entry.update(overrides)
    return entry


def _session_body(gw: GroupWorld, *entries: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": 1,
        "held_on": TODAY.isoformat(),
        "entries": list(entries) or [_entry(m) for m in gw.members],
        "notes": "Members agreed the group's rules.",
        "adherence_checked": ["symptoms_reviewed", "group_rules_agreed"],
        "self_fidelity": 4,
    }
    body.update(overrides)
    return body


def _url(group: Group) -> str:
    return f"/groups/{group.public_id}/sessions"


def _nothing_stored() -> bool:
    return not (
        GroupSession.objects.exists()
        or Attendance.objects.exists()
        or MemberScore.objects.exists()
        or RiskAlert.objects.exists()
    )


# --- forming a group ---------------------------------------------------------------------


def test_facilitator_forms_a_group_as_the_page_does(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    api: Api = api_as(gw.facilitator)
    response = api.post("/groups", {"name": "  Friday group  "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == GROUP_KEYS
    assert body["status"] == "forming"
    assert body["name"] == "Friday group"
    assert body["programme_id"] == str(gw.programme.public_id)
    assert body["planned_sessions"] == 8
    group = Group.objects.get(public_id=body["id"])
    assert group.facilitator == gw.facilitator
    assert group.practice == gw.world.practice_a
    assert api.get(f"/groups/{body['id']}").json() == body
    event = AuditEvent.objects.get(
        object_type="group", object_public_id=group.public_id, action=AuditAction.CREATE
    )
    assert event.actor == gw.facilitator


def test_a_programme_that_separates_groups_needs_a_fitting_label(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    gw.programme.composition = GroupComposition.BY_GENDER
    gw.programme.save()
    api: Api = api_as(gw.facilitator)
    before = Group.objects.count()
    refused = api.post("/groups", {"name": "Women's group", "composition_label": "purple"})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"composition_label"}
    assert Group.objects.count() == before
    formed = api.post("/groups", {"name": "Women's group", "composition_label": "Women"})
    assert formed.status_code == 201, formed.content
    assert Group.objects.get(public_id=formed.json()["id"]).composition_label == "woman"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "A", "programme_id": "00000000-0000-4000-8000-000000000000"}, "programme_id"),
        ({"name": "A", "site_id": "00000000-0000-4000-8000-000000000000"}, "site_id"),
        ({"name": "A", "composition_label": "x" * 61}, "composition_label"),
        ({}, "name"),
    ],
)
def test_forming_with_bad_input_is_a_422_and_forms_nothing(
    body: dict[str, Any], field: str, group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    before = Group.objects.count()
    response = api_as(group_world.facilitator).post("/groups", body)
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) == {field}
    assert Group.objects.count() == before


@pytest.mark.parametrize(
    "role", ["clinician", "supervisor", "admin", "client", "clinician_b", "programme_manager"]
)
def test_only_facilitators_form_groups(
    role: str, group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    user: User = group_world.world.users_by_role_name()[role]
    before = Group.objects.count()
    response = api_as(user).post("/groups", {"name": "Not mine"})
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert Api(None).post("/groups", {"name": "Not mine"}).status_code == 401
    assert Group.objects.count() == before


# --- the member list (the ids a session is recorded with) ----------------------------------

MEMBER_KEYS = {"id", "client_id", "name", "status", "problem_area", "enrolled_at", "created_at"}


def test_the_member_list_gives_the_ids_to_record_with(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    response = api_as(gw.facilitator).get(f"/groups/{gw.group.public_id}/members")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert all(set(item) == MEMBER_KEYS for item in items)
    assert {item["id"] for item in items} == {str(m.public_id) for m in gw.members}
    assert {item["status"] for item in items} == {"enrolled"}
    assert "Grace Okafor" in {item["name"] for item in items}
    # Scores are never part of it.
    assert "phq9" not in response.content.decode()
    assert AuditEvent.objects.filter(
        object_type="group_members", object_public_id=gw.group.public_id
    ).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("supervisor", 200),
        ("facilitator_2", 404),
        ("supervisor_2", 404),
        ("clinician", 404),
        ("client", 404),
        ("clinician_b", 404),
    ],
)
def test_the_member_list_is_for_the_facilitator_and_their_supervisor(
    who: str, status: int, group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    people: dict[str, User] = {
        "facilitator_2": gw.facilitator_2,
        "supervisor_2": gw.supervisor_2,
        **gw.world.users_by_role_name(),
    }
    url = f"/groups/{gw.group.public_id}/members"
    response = api_as(people[who]).get(url)
    assert response.status_code == status, (who, response.content)
    if status == 404:
        assert response.json() == {"detail": "Not found.", "errors": {}}
    assert Api(None).get(url).status_code == 401


# --- recording a session -----------------------------------------------------------------


def test_recording_a_session_stores_the_whole_meeting(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    grace, hana, ivy = gw.members
    api: Api = api_as(gw.facilitator)
    body = _session_body(
        gw,
        _entry(grace, task_text="Ask my sister to visit."),
        _entry(hana),
        _entry(ivy, present=False, answers={}),
    )
    response = api.post(_url(gw.group), body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert set(out) == SESSION_KEYS | {"alerts"}
    assert out["alerts"] == []
    assert out["number"] == 1
    assert out["adherence_percent"] == 40  # 2 of the initial phase's 5 items
    read = api.get(f"/group-sessions/{out['id']}").json()
    assert read == {k: v for k, v in out.items() if k != "alerts"}
    session = GroupSession.objects.get(public_id=out["id"])
    assert session.notes == "Members agreed the group's rules."
    assert {a.member_id: a.present for a in Attendance.objects.filter(session=session)} == {
        grace.pk: True,
        hana.pk: True,
        ivy.pk: False,
    }
    assert MemberScore.objects.filter(session=session).count() == 2
    assert MemberTask.objects.get(session=session).member == grace
    # The service's audit: the session, and one event per member naming the client.
    assert AuditEvent.objects.filter(
        object_type="group_session", object_public_id=session.public_id, action="create"
    ).exists()
    subjects = set(
        AuditEvent.objects.filter(object_type="group_session_member").values_list(
            "subject_client_public_id", flat=True
        )
    )
    assert subjects == {m.client.public_id for m in gw.members}


def test_a_positive_item_9_raises_the_alert_for_the_facilitators_supervisor(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    """GIVEN Sam supervises Fay WHEN Fay records Hana's PHQ-9 with item 9 above zero THEN
    the alert commits with the session, Sam (not Sue) is told, and the answer names it."""
    gw = group_world
    grace, hana, ivy = gw.members
    body = _session_body(gw, _entry(grace), _entry(hana, answers=RISK), _entry(ivy))
    response = api_as(gw.facilitator).post(_url(gw.group), body)
    assert response.status_code == 201, response.content
    alerts = response.json()["alerts"]
    assert len(alerts) == 1
    assert alerts[0]["member_id"] == str(hana.public_id)
    alert = RiskAlert.objects.get(public_id=alerts[0]["id"])
    assert alert.client == hana.client
    assert alert.risk_link_ids == ["phq9-9"]
    score = MemberScore.objects.get(member=hana)
    assert alert.source_public_id == score.public_id
    told = {
        n.recipient.email
        for n in AlertNotification.objects.filter(alert=alert, kind=NotificationKind.INITIAL)
    }
    assert told == {gw.supervisor.email}
    # Sam reads the alert through the API too.
    assert api_as(gw.supervisor).get(f"/alerts/{alert.public_id}").status_code == 200


def test_the_same_idempotency_key_returns_the_stored_session(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    grace, hana, ivy = gw.members
    api: Api = api_as(gw.facilitator)
    body = _session_body(gw, _entry(grace, answers=RISK), _entry(hana), _entry(ivy))
    key = {"Idempotency-Key": "phone-7f3a"}
    first = api.post(_url(gw.group), body, **key)
    second = api.post(_url(gw.group), body, **key)
    assert first.status_code == 201, first.content
    assert second.status_code == 200, second.content
    assert second.json() == first.json()
    assert GroupSession.objects.count() == 1
    assert MemberScore.objects.count() == 3
    assert RiskAlert.objects.count() == 1
    # Another group's facilitator may use the same key: it is scoped to the group.
    other = _session_body(gw, _entry(gw.member_2))
    response = api_as(gw.facilitator_2).post(_url(gw.group_2), other, **key)
    assert response.status_code == 201, response.content
    assert GroupSession.objects.count() == 2


def test_a_retry_without_a_key_is_refused_not_stored_twice(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    api: Api = api_as(gw.facilitator)
    assert api.post(_url(gw.group), _session_body(gw)).status_code == 201
    again = api.post(_url(gw.group), _session_body(gw))
    assert again.status_code == 409
    assert "already recorded" in again.json()["detail"]
    # A new key cannot store the same session number again either.
    fresh = api.post(_url(gw.group), _session_body(gw), **{"Idempotency-Key": "new"})
    assert fresh.status_code == 409
    assert GroupSession.objects.count() == 1


def test_a_member_without_a_problem_area_gets_one_but_a_chosen_one_is_not_changed(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    grace, hana, ivy = gw.members
    GroupMember.objects.filter(pk=ivy.pk).update(problem_area="")
    api: Api = api_as(gw.facilitator)
    refused = api.post(
        _url(gw.group),
        _session_body(
            gw, _entry(grace, problem_area="grief"), _entry(hana), _entry(ivy, problem_area="grief")
        ),
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {f"{grace.public_id}:problem_area"}
    assert _nothing_stored()
    same = _entry(grace, problem_area="role_dispute")  # the area she has: no change
    response = api.post(
        _url(gw.group),
        _session_body(gw, same, _entry(hana), _entry(ivy, problem_area="grief")),
    )
    assert response.status_code == 201, response.content
    ivy.refresh_from_db()
    grace.refresh_from_db()
    assert ivy.problem_area == "grief"
    assert grace.problem_area == "role_dispute"


def _bad_entries(gw: GroupWorld) -> list[tuple[dict[str, Any], set[str]]]:
    grace, hana, ivy = gw.members
    incomplete = {k: v for k, v in CALM.items() if k != "phq9-3"}
    return [
        (
            _session_body(gw, _entry(grace, answers=incomplete), _entry(hana), _entry(ivy)),
            {f"{grace.public_id}:phq9-3"},
        ),
        (
            _session_body(
                gw, _entry(grace, answers={**CALM, "phq9-9": 7}), _entry(hana), _entry(ivy)
            ),
            {f"{grace.public_id}:phq9-9"},
        ),
        (
            _session_body(gw, _entry(grace, present=False), _entry(hana), _entry(ivy)),
            {f"{grace.public_id}:present"},
        ),
        (
            _session_body(
                gw, _entry(grace, previous_task_outcome="done"), _entry(hana), _entry(ivy)
            ),
            {f"{grace.public_id}:previous_task_outcome"},
        ),
        (
            _session_body(gw, _entry(grace, task_text="x" * 1001), _entry(hana), _entry(ivy)),
            {f"{grace.public_id}:task_text"},
        ),
        (_session_body(gw, _entry(grace), _entry(hana)), {"entries"}),
        (_session_body(gw, _entry(grace), _entry(hana), _entry(gw.member_2)), {"entries"}),
        (_session_body(gw, number=2), {"number"}),
        (
            _session_body(gw, held_on=(TODAY + datetime.timedelta(days=2)).isoformat()),
            {"held_on"},
        ),
        (_session_body(gw, adherence_checked=["made_up"]), {"adherence_checked"}),
        (_session_body(gw, self_fidelity=9), {"self_fidelity"}),
        (_session_body(gw, notes="x" * 10001), {"notes"}),
    ]


@pytest.mark.parametrize("case", range(12))
def test_bad_input_is_a_422_per_member_and_question_storing_nothing(
    case: int, group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    body, fields = _bad_entries(gw)[case]
    response = api_as(gw.facilitator).post(_url(gw.group), body)
    assert response.status_code == 422, response.content
    out = response.json()
    assert set(out) == {"detail", "errors"}
    assert set(out["errors"]) == fields, out
    assert _nothing_stored()


def test_a_malformed_body_names_the_fields(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    body = _session_body(gw, {"member_id": "nope", "present": "maybe"}, held_on="someday")
    body["number"] = 0
    response = api_as(gw.facilitator).post(_url(gw.group), body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"held_on", "number", "entries.0.member_id", "entries.0.present"} <= set(errors)
    too_long = api_as(gw.facilitator).post(
        _url(gw.group), _session_body(gw), **{"Idempotency-Key": "k" * 65}
    )
    assert too_long.status_code == 422
    assert set(too_long.json()["errors"]) == {"Idempotency-Key"}
    assert _nothing_stored()


def test_a_group_that_has_not_started_is_a_409(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    api: Api = api_as(gw.facilitator)
    formed = api.post("/groups", {"name": "Friday group"}).json()
    response = api.post(f"/groups/{formed['id']}/sessions", _session_body(gw, entries=[]))
    assert response.status_code == 409
    assert "Start the group first" in response.json()["detail"]
    Group.objects.filter(pk=gw.group.pk).update(status=GroupStatus.COMPLETED)
    ended = api.post(_url(gw.group), _session_body(gw))
    assert ended.status_code == 409
    assert _nothing_stored()


def test_the_supervisor_reads_but_may_not_record(
    group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    supervisor: Api = api_as(gw.supervisor)
    assert supervisor.get(f"/groups/{gw.group.public_id}").status_code == 200
    response = supervisor.post(_url(gw.group), _session_body(gw))
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert _nothing_stored()


@pytest.mark.parametrize("who", ["facilitator_2", "supervisor_2", "clinician", "client", "admin"])
def test_everyone_else_gets_404_and_nothing_is_stored(
    who: str, group_world: GroupWorld, api_as: Callable[..., Api]
) -> None:
    gw = group_world
    people: dict[str, User] = {
        "facilitator_2": gw.facilitator_2,
        "supervisor_2": gw.supervisor_2,
        **gw.world.users_by_role_name(),
    }
    response = api_as(people[who]).post(_url(gw.group), _session_body(gw))
    assert response.status_code == 404, (who, response.content)
    assert response.json() == {"detail": "Not found.", "errors": {}}
    assert Api(None).post(_url(gw.group), _session_body(gw)).status_code == 401
    assert _nothing_stored()
