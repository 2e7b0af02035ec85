"""Personal access tokens: made once, stored as a digest, revoked by their owner, audited.

GIVEN staff signed in (MFA done) and clients
WHEN tokens are created on the settings page, by the service or the command, and revoked
THEN only the digest and prefix are stored, the token is shown once, clients are
     refused, revoking works only for the owner, and each change is audited.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.api.models import ApiToken
from openipt.api.services import api_token_create, api_token_revoke
from openipt.api.tokens import token_digest
from openipt.audit.models import AuditEvent
from tests.world import World


def test_create_stores_only_digest_and_prefix(world: World) -> None:
    row, token = api_token_create(actor=world.clinician, name="Tablet")
    assert token.startswith("oipt_") and len(token) > 40
    row.refresh_from_db()
    assert row.digest == token_digest(token)
    assert token.startswith(row.prefix) and len(row.prefix) == 12
    assert token not in {row.name, row.prefix, row.digest}
    event = AuditEvent.objects.get(object_type="api_token", action="create")
    assert event.object_public_id == row.public_id
    assert event.changed_fields == ["expires_at", "name"]


def test_clients_cannot_have_tokens(world: World) -> None:
    with pytest.raises(PermissionDenied):
        api_token_create(actor=world.client_user_1, name="Mine")


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [
        ("", None, "name"),
        ("x" * 101, None, "name"),
        ("Old", -1, "expires_at"),
        ("Far", 400, "expires_at"),
    ],
)
def test_bad_name_or_expiry_is_refused(
    world: World, name: str, days: int | None, field: str
) -> None:
    expires = None if days is None else timezone.now() + datetime.timedelta(days=days)
    with pytest.raises(ValidationError) as caught:
        api_token_create(actor=world.clinician, name=name, expires_at=expires)
    assert field in caught.value.message_dict
    assert ApiToken.objects.count() == 0


def test_revoke_is_for_the_owner_only_and_audited(world: World) -> None:
    row, _token = api_token_create(actor=world.clinician, name="Tablet")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=world.colleague, token=row)
    api_token_revoke(actor=world.clinician, token=row)
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert AuditEvent.objects.filter(object_type="api_token", action="revoke").count() == 1
    api_token_revoke(actor=world.clinician, token=row)  # twice: nothing more happens
    assert AuditEvent.objects.filter(object_type="api_token", action="revoke").count() == 1


def test_settings_page_shows_the_new_token_once(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    http = client_for(world.clinician)
    url = reverse("tokens:list")
    day = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = http.post(url, {"name": "Intake tablet", "expires_on": day})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    row = ApiToken.objects.get(user=world.clinician)
    page = response.content.decode()
    assert "shown only once" in page
    token = page.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert token_digest(token) == row.digest
    assert row.expires_at is not None and timezone.localdate(row.expires_at) > timezone.localdate()
    again = http.get(url).content.decode()
    assert "Intake tablet" in again and row.prefix in again and token not in again


def test_settings_page_form_errors(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    http = client_for(world.clinician)
    response = http.post(reverse("tokens:list"), {"name": "Old", "expires_on": "2020-01-01"})
    assert response.status_code == 200
    assert "Choose a date in the future." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_settings_page_revoke(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    row, _token = api_token_create(actor=world.clinician, name="Tablet")
    other = client_for(world.colleague).post(reverse("tokens:revoke", args=[row.public_id]))
    assert other.status_code == 404
    response = client_for(world.clinician).post(reverse("tokens:revoke", args=[row.public_id]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_clients_get_403_on_the_settings_page(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    assert client_for(world.client_user_1).get(reverse("tokens:list")).status_code == 403


def test_command_prints_a_working_token_once(world: World) -> None:
    out = io.StringIO()
    call_command("api_token_create", email=world.clinician.email, name="Demo", stdout=out)
    token = out.getvalue().strip()
    assert ApiToken.objects.get(user=world.clinician).digest == token_digest(token)
    response = HttpClient().get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_staff_find_the_token_page_in_the_menu_and_clients_do_not(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    link = f'href="{reverse("tokens:list")}"'
    for staff in (world.clinician, world.supervisor, world.admin, world.facilitator):
        page = client_for(staff).get(reverse("mfa_index")).content.decode()
        assert link in page, staff
    portal = client_for(world.client_user_1).get(reverse("mfa_index")).content.decode()
    assert link not in portal
