"""Passwords: reset cannot bypass the second factor; the policy and the hasher are strong."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from tests.factories import TEST_PASSWORD
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]

NEW_PASSWORD = "a brand new long passphrase 7"


def reset_link_for(email: str) -> str:
    HttpClient().post(reverse("account_reset_password"), {"email": email})
    (message,) = [m for m in mail.outbox if m.to == [email]]
    (link,) = re.findall(r"https?://testserver(/\S+/password/reset/key/\S+)", str(message.body))
    return str(link)


def reset_password_via_email(http: HttpClient, email: str, password: str) -> object:
    link = reset_link_for(email)
    response = http.get(link)
    assert response.status_code == 302, "the key is moved out of the URL first"
    form_url = response["Location"]
    assert "set-password" in form_url
    return http.post(form_url, {"password1": password, "password2": password})


def test_password_reset_does_not_sign_in_or_skip_the_second_factor(world: World) -> None:
    """GIVEN a clinician with an authenticator app who resets their password by e-mail
    WHEN the new password is saved THEN they are not signed in, and signing in with it
    still stops at the TOTP step."""
    http = HttpClient()
    response = reset_password_via_email(http, world.clinician.email, NEW_PASSWORD)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == reverse("account_reset_password_from_key_done")  # type: ignore[index]
    assert "_auth_user_id" not in http.session
    assert http.get(reverse("clients:list")).status_code == 302

    world.clinician.refresh_from_db()
    assert world.clinician.check_password(NEW_PASSWORD)
    response = http.post(
        reverse("account_login"), {"login": world.clinician.email, "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in http.session
    assert http.get(reverse("clients:list")).status_code == 302


def test_password_reset_ends_other_sessions(world: World, client_for: ClientFor) -> None:
    """GIVEN a clinician signed in on one computer WHEN the password is reset from another
    THEN the first session no longer opens client records."""
    signed_in = client_for(world.clinician)
    key = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in.get(reverse("clients:list")).status_code == 200
    reset_password_via_email(HttpClient(), world.clinician.email, NEW_PASSWORD)
    response = signed_in.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Session.objects.filter(session_key=key).exists()


def test_reset_link_works_once(world: World) -> None:
    link = reset_link_for(world.clinician.email)
    http = HttpClient()
    form_url = http.get(link)["Location"]
    http.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    again = HttpClient().get(link, follow=True)
    assert "This reset link no longer works" in again.content.decode()


def test_reset_refuses_a_weak_new_password(world: World) -> None:
    http = HttpClient()
    response = reset_password_via_email(http, world.clinician.email, "short1")
    assert response.status_code == 200  # type: ignore[attr-defined]
    world.clinician.refresh_from_db()
    assert world.clinician.check_password(TEST_PASSWORD)


def test_argon2_is_the_password_hasher(world: World) -> None:
    """GIVEN any stored password THEN it is hashed with Argon2 (not PBKDF2 or weaker)."""
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    world.clinician.refresh_from_db()
    assert world.clinician.password.startswith("argon2$")
    assert identify_hasher(world.clinician.password).algorithm == "argon2"
