"""Promise 5: staff see no client data until a second factor is active; sign-in asks for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.mfa import has_active_second_factor
from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD, CareTeamMemberFactory
from tests.world import TOTP_SECRET, World, current_totp_code

ClientFor = Callable[[User | None], HttpClient]

CLIENT_NAMES = ("Alice", "Anders", "Bob", "Brown", "Charlie", "Chen")


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The current code; near the end of a 30 s window, wait for the next so it cannot expire."""
    if 30 - time.time() % 30 < 1.5:
        time.sleep(1.6)
    if secret == TOTP_SECRET:
        return current_totp_code()
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


def sign_in_with_password(http: HttpClient, email: str, password: str = TEST_PASSWORD) -> str:
    response = http.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()
    return str(response["Location"])


def client_data_urls(world: World) -> list[tuple[str, str]]:
    c1 = world.client_1.public_id
    return [
        ("GET", reverse("home")),
        ("GET", reverse("clients:list")),
        ("GET", reverse("clients:list") + "?q=Alice"),
        ("GET", reverse("clients:detail", kwargs={"public_id": c1})),
        ("GET", reverse("clients:edit", kwargs={"public_id": c1})),
        ("GET", reverse("clients:care_team", kwargs={"public_id": c1})),
        ("GET", reverse("clients:access_log", kwargs={"public_id": c1})),
        ("GET", reverse("clients:create")),
        ("GET", reverse("manage:invite_client", kwargs={"client_id": c1})),
        ("GET", reverse("manage:members")),
        ("GET", reverse("manage:invitations")),
        ("GET", reverse("manage:audit")),
        ("GET", reverse("facilitator_home")),
        ("GET", reverse("programme_overview")),
        ("POST", reverse("clients:archive", kwargs={"public_id": c1})),
    ]


def test_staff_without_mfa_are_sent_to_mfa_setup_from_every_client_data_page(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician on Alice's care team who has not set up a second factor
    WHEN they open any page that shows or changes client data
    THEN they are redirected to the MFA-required page and no client name is shown."""
    CareTeamMemberFactory(client=world.client_1, user=world.staff_without_mfa)  # type: ignore[no-untyped-call]
    http = client_for(world.staff_without_mfa)
    for method, url in client_data_urls(world):
        response = http.post(url) if method == "POST" else http.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_required"), url
        landed = http.get(response["Location"])
        assert landed.status_code == 200
        html = landed.content.decode()
        assert "Set up two-step sign-in" in html
        for name in CLIENT_NAMES:
            assert name not in html, (url, name)
    world.client_1.refresh_from_db()
    assert world.client_1.status == "active", "the archive POST must not have run"


def test_htmx_request_from_staff_without_mfa_gets_hx_redirect(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a staff member without MFA WHEN htmx asks for a client fragment
    THEN the answer is an empty HX-Redirect to the MFA page, not the fragment."""
    http = client_for(world.staff_without_mfa)
    response = http.get(reverse("clients:list"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("mfa_required")
    assert response.content == b""


def test_after_activating_totp_staff_get_through(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN a staff member blocked for lack of MFA WHEN they activate an authenticator app
    through the real pages THEN client pages open for them."""
    CareTeamMemberFactory(client=world.client_1, user=world.staff_without_mfa)  # type: ignore[no-untyped-call]
    http = client_for(world.staff_without_mfa)
    assert http.get(reverse("clients:list"))["Location"] == reverse("mfa_required")

    # allauth asks for the password again before an authenticator is added.
    response = http.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302
    response = http.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = response.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert has_active_second_factor(world.staff_without_mfa)
    assert AuditEvent.objects.filter(action=AuditAction.MFA, actor=world.staff_without_mfa).exists()

    response = http.get(reverse("clients:list"))
    assert response.status_code == 200
    assert "Alice" in response.content.decode()


def test_wrong_code_does_not_activate_totp(world: World, client_for: ClientFor) -> None:
    http = client_for(world.staff_without_mfa)
    http.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    http.get(reverse("mfa_activate_totp"))
    response = http.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert not has_active_second_factor(world.staff_without_mfa)
    assert http.get(reverse("clients:list"))["Location"] == reverse("mfa_required")


def test_recovery_codes_alone_are_not_a_second_factor(world: World, client_for: ClientFor) -> None:
    """GIVEN a staff member whose only authenticator is a set of recovery codes
    WHEN they open the client list THEN they are still sent to set up MFA."""
    Authenticator.objects.create(
        user=world.staff_without_mfa,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": "0" * 40, "used_mask": 0},
    )
    response = client_for(world.staff_without_mfa).get(reverse("clients:list"))
    assert response["Location"] == reverse("mfa_required")


def test_clients_without_mfa_are_not_forced(world: World, client_for: ClientFor) -> None:
    """GIVEN a client with no second factor WHEN they open their portal THEN it opens."""
    assert not has_active_second_factor(world.client_user_1)
    response = client_for(world.client_user_1).get(reverse("portal:home"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == []
    assert "Alice" in response.content.decode()


def test_programme_manager_without_mfa_is_forced(world: World, client_for: ClientFor) -> None:
    """GIVEN a programme manager whose authenticator was removed
    WHEN they open the organisation overview THEN they are sent to set up MFA."""
    http = client_for(world.programme_manager)
    assert http.get(reverse("programme_overview")).status_code == 200
    Authenticator.objects.filter(user=world.programme_manager).delete()
    response = http.get(reverse("programme_overview"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_required")


def test_mfa_setup_pages_stay_reachable_without_mfa(world: World, client_for: ClientFor) -> None:
    http = client_for(world.staff_without_mfa)
    for name in ("mfa_required", "mfa_index", "account_reauthenticate", "account_logout"):
        assert http.get(reverse(name)).status_code == 200, name


def test_full_login_asks_for_password_then_totp_and_lands_home(world: World) -> None:
    """GIVEN a clinician with an authenticator app WHEN they sign in with the right password
    THEN they are not signed in until the TOTP code is given; with it they land on home."""
    http = HttpClient()
    location = sign_in_with_password(http, world.clinician.email)
    assert location == reverse("mfa_authenticate")
    # Between the two steps nothing is accessible.
    assert "_auth_user_id" not in http.session
    response = http.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    response = http.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert http.session["_auth_user_id"] == str(world.clinician.pk)
    response = http.get(response["Location"], follow=True)
    assert response.status_code == 200
    assert "Alice" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=world.clinician).exists()


def test_wrong_totp_code_is_refused(world: World) -> None:
    """GIVEN a clinician past the password step WHEN they type a wrong code
    THEN they stay signed out on the code page with an error."""
    http = HttpClient()
    sign_in_with_password(http, world.clinician.email)
    right = totp_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = http.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert "_auth_user_id" not in http.session
    assert http.get(reverse("clients:list")).status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED, actor=None, object_public_id=world.clinician.public_id
    ).exists()


def test_staff_without_mfa_signing_in_is_sent_to_setup(world: World) -> None:
    http = HttpClient()
    location = sign_in_with_password(http, world.staff_without_mfa.email)
    assert location == reverse("home")
    response = http.get(location)
    assert response["Location"] == reverse("mfa_required")


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_malformed_codes_are_refused_without_error(world: World, code: str) -> None:
    http = HttpClient()
    sign_in_with_password(http, world.clinician.email)
    response = http.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in http.session
