"""Promise 7: login throttling, and no answer reveals whether an account exists."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD
from tests.world import World

WRONG = "not the right password 1"
UNKNOWN_EMAIL = "nobody.here@example.test"
LOCKOUT_AFTER = 5  # settings.ACCOUNT_RATE_LIMITS["login_failed"]: 5/15m/key


def post_login(http: HttpClient, email: str, password: str) -> tuple[int, str]:
    response = http.post(reverse("account_login"), {"login": email, "password": password})
    return response.status_code, response.content.decode()


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="message message-error" role="alert">([^<]*)</p>', html)


def normalised(html: str, email: str) -> str:
    """The page with what legitimately differs (the typed address, CSRF tokens) blanked."""
    html = html.replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)


def test_wrong_password_and_unknown_email_get_the_same_answer(world: World) -> None:
    """GIVEN one known and one unknown e-mail address WHEN each is tried with a wrong
    password THEN status, error message and the whole page are identical."""
    known_status, known_html = post_login(HttpClient(), world.clinician.email, WRONG)
    unknown_status, unknown_html = post_login(HttpClient(), UNKNOWN_EMAIL, WRONG)
    assert known_status == unknown_status == 200
    assert errors(known_html) == errors(unknown_html)
    assert errors(known_html) == [
        "The email address and/or password you specified are not correct."
    ]
    assert normalised(known_html, world.clinician.email) == normalised(unknown_html, UNKNOWN_EMAIL)


def test_failed_login_is_audited_without_the_typed_address(world: World) -> None:
    post_login(HttpClient(), world.clinician.email, WRONG)
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.actor_id is None
    assert world.clinician.email not in str(event.__dict__)


def test_account_locks_after_five_failures_even_for_the_right_password(world: World) -> None:
    """GIVEN five wrong passwords for one account within 15 minutes
    WHEN the right password is then given (from another browser)
    THEN it is refused with the lockout message and no sign-in step starts."""
    for _ in range(LOCKOUT_AFTER):
        status, html = post_login(HttpClient(), world.clinician.email, WRONG)
        assert status == 200
        assert "not correct" in html

    http = HttpClient()
    status, html = post_login(http, world.clinician.email, TEST_PASSWORD)
    assert status == 200
    assert errors(html) == ["Too many failed login attempts. Try again later."]
    assert "_auth_user_id" not in http.session
    assert http.get(reverse("mfa_authenticate")).status_code == 302


def test_four_failures_do_not_lock_the_account(world: World) -> None:
    for _ in range(LOCKOUT_AFTER - 1):
        post_login(HttpClient(), world.clinician.email, WRONG)
    response = HttpClient().post(
        reverse("account_login"), {"login": world.clinician.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def test_lockout_of_one_account_leaves_others_alone(world: World) -> None:
    for _ in range(LOCKOUT_AFTER):
        post_login(HttpClient(), world.clinician.email, WRONG)
    response = HttpClient().post(
        reverse("account_login"), {"login": world.colleague.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def test_lockout_looks_the_same_for_unknown_addresses(world: World) -> None:
    """GIVEN five failures each for a known and an unknown address
    WHEN a sixth attempt is made THEN both get the same lockout answer."""
    for email in (world.clinician.email, UNKNOWN_EMAIL):
        for _ in range(LOCKOUT_AFTER):
            post_login(HttpClient(), email, WRONG)
    known_status, known_html = post_login(HttpClient(), world.clinician.email, WRONG)
    unknown_status, unknown_html = post_login(HttpClient(), UNKNOWN_EMAIL, WRONG)
    assert known_status == unknown_status == 200
    assert errors(known_html) == errors(unknown_html)
    assert errors(known_html) == ["Too many failed login attempts. Try again later."]


def test_lockout_is_not_dodged_by_changing_the_case_of_the_address(world: World) -> None:
    for _ in range(LOCKOUT_AFTER):
        post_login(HttpClient(), world.clinician.email.upper(), WRONG)
    _, html = post_login(HttpClient(), world.clinician.email, TEST_PASSWORD)
    assert errors(html) == ["Too many failed login attempts. Try again later."]


def test_password_reset_request_answers_the_same_for_known_and_unknown(world: World) -> None:
    """GIVEN a known and an unknown address WHEN a password reset is requested for each
    THEN both get the same redirect and the same page; only the real account's mailbox
    receives a reset link."""
    known = HttpClient().post(reverse("account_reset_password"), {"email": world.clinician.email})
    unknown = HttpClient().post(reverse("account_reset_password"), {"email": UNKNOWN_EMAIL})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")

    links = {
        message.to[0]: re.findall(r"https?://\S+/password/reset/key/\S+", str(message.body))
        for message in mail.outbox
    }
    assert links[world.clinician.email], "the real account gets a reset link"
    assert not links.get(UNKNOWN_EMAIL), "an unknown address never gets a working link"
