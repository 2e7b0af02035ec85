"""Bearer-token authentication: who gets in, and the audit event of every call.

GIVEN tokens that are live, revoked, expired, of a disabled account or made up
WHEN they call the API
THEN only the live token gets in; every refusal is a 401 with the declared error
     body; the owner is the acting user; each call is audited with its resource name;
     last_used_at is written at most once a minute.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from openipt.api.models import ApiToken
from openipt.audit.models import AuditEvent
from tests.api.conftest import Api, raw_token_for
from tests.world import World


def _assert_401(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"detail", "errors"} and body["errors"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")  # type: ignore[index]


def test_no_token_made_up_token_and_wrong_scheme_get_401(world: World) -> None:
    _assert_401(Api(None).get("/clients"))
    _assert_401(Api("oipt_not-a-real-token").get("/clients"))
    _assert_401(Api("something-else").get("/clients"))
    response = Api(None).http.get("/api/v1/clients", headers={"Authorization": "Basic eDp5"})
    _assert_401(response)


def test_revoked_expired_and_disabled_tokens_get_401(world: World) -> None:
    now = timezone.now()
    _assert_401(Api(raw_token_for(world.clinician, revoked_at=now)).get("/clients"))
    expired = now - datetime.timedelta(seconds=1)
    _assert_401(Api(raw_token_for(world.clinician, expires_at=expired)).get("/clients"))
    token = raw_token_for(world.clinician)
    world.clinician.is_active = False
    world.clinician.save(update_fields=["is_active"])
    _assert_401(Api(token).get("/clients"))


def test_live_token_acts_as_its_owner(world: World, api_as: Callable[..., Api]) -> None:
    api: Api = api_as(world.clinician, expires_at=timezone.now() + datetime.timedelta(days=1))
    response = api.get("/clients")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == {str(world.client_1.public_id), str(world.client_2.public_id)}


def test_every_call_is_audited_with_its_resource(world: World, api_as: Callable[..., Api]) -> None:
    api: Api = api_as(world.clinician)
    before = AuditEvent.objects.count()
    api.get(f"/courses/{world.course_1.public_id}/outcomes")
    api.get("/courses/00000000-0000-4000-8000-000000000000")  # a 404 is audited too
    events = list(AuditEvent.objects.order_by("sequence")[before:])
    calls = [e for e in events if e.object_type.startswith("api_")]
    assert [(e.object_type, e.action) for e in calls] == [
        ("api_courses_outcomes", "list"),
        ("api_courses", "view"),
    ]
    assert calls[0].object_public_id == world.course_1.public_id
    assert all(e.actor == world.clinician for e in events)
    read = [e for e in events if e.object_type == "measure_outcomes"]
    assert read and read[0].subject_client_public_id == world.client_1.public_id


def test_last_used_is_written_at_most_once_a_minute(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    api.get("/clients")
    token = ApiToken.objects.get(user=world.clinician)
    first = token.last_used_at
    assert first is not None
    api.get("/clients")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    api.get("/clients")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > first
