"""Every allauth page we use renders inside OpenIPT's layout, with no inline code.

The CSP forbids inline script and style, so a page that relied on them would
silently break in the browser; these tests catch that on the server side.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from tests.factories import TEST_PASSWORD
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]

# A <script> is allowed only as an external file or an inert JSON data block.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"", re.I)


def assert_our_page(html: str, *, heading: str) -> None:
    assert 'class="site-header"' in html, "not rendered inside base.html"
    assert 'class="card narrow account-page"' in html, "not wrapped in the account card"
    assert re.search(r"<h1>\s*" + re.escape(heading), html), f"missing heading {heading!r}"
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)
    assert "pico.min.css" in html


def reauthenticate(http: HttpClient) -> None:
    response = http.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_login", "Sign in"),
        ("account_reset_password", "Reset your password"),
        ("account_reset_password_done", "Check your e-mail"),
        ("account_reset_password_from_key_done", "Your password is changed"),
        ("account_email_verification_sent", "Verify"),
        ("account_inactive", "Account Inactive"),
    ],
)
def test_anonymous_account_pages_use_our_layout(db: None, url_name: str, heading: str) -> None:
    response = HttpClient().get(reverse(url_name))
    assert response.status_code == 200
    assert_our_page(response.content.decode(), heading=heading)


def test_signup_page_says_accounts_are_by_invitation_only(db: None) -> None:
    """GIVEN a visitor WHEN they open the sign-up page THEN no form is offered and the page
    explains that accounts come from an invitation."""
    response = HttpClient().get(reverse("account_signup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert_our_page(html, heading="Accounts are by invitation only")
    assert 'name="password1"' not in html
    assert response.templates[0].name == "account/signup_closed.html"


def test_login_page_has_labelled_fields_and_reset_link(db: None) -> None:
    html = HttpClient().get(reverse("account_login")).content.decode()
    assert '<label for="id_login">' in html
    assert '<label for="id_password">' in html
    assert reverse("account_reset_password") in html
    assert "sign up" not in html.lower()


def test_password_reset_from_key_pages(world: World) -> None:
    user = world.clinician
    key = default_token_generator.make_token(user)
    uidb36 = user_pk_to_url_str(user)
    http = HttpClient()
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": uidb36, "key": key})
    response = http.get(url, follow=True)
    assert response.status_code == 200
    assert_our_page(response.content.decode(), heading="Choose a new password")
    assert "set-password" in response.redirect_chain[-1][0], "the key must leave the URL"

    bad = reverse("account_reset_password_from_key", kwargs={"uidb36": uidb36, "key": "bad-key"})
    response = HttpClient().get(bad, follow=True)
    assert response.status_code == 200
    assert_our_page(response.content.decode(), heading="This reset link no longer works")


def test_email_confirm_page_with_unknown_key(db: None) -> None:
    response = HttpClient().get(reverse("account_confirm_email", kwargs={"key": "nonsense"}))
    assert response.status_code in (200, 404)
    assert_our_page(response.content.decode(), heading="Confirm Email Address")


def test_mfa_authenticate_page_is_ours(world: World) -> None:
    http = HttpClient()
    response = http.post(
        reverse("account_login"), {"login": world.clinician.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    response = http.get(reverse("mfa_authenticate"))
    html = response.content.decode()
    assert response.status_code == 200
    assert_our_page(html, heading="Enter your sign-in code")
    assert 'autocomplete="one-time-code"' in html
    # This account has no security key, so no security-key button is offered.
    assert "mfa_webauthn_authenticate" not in html


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_logout", "Sign out?"),
        ("account_change_password", "Change your password"),
        ("account_reauthenticate", "Confirm it is you"),
        ("mfa_reauthenticate", "Confirm it is you"),
        ("mfa_index", "Sign-in security"),
        ("account_email", "Email Addresses"),
    ],
)
def test_signed_in_account_pages_use_our_layout(
    world: World, client_for: ClientFor, url_name: str, heading: str
) -> None:
    response = client_for(world.clinician).get(reverse(url_name))
    assert response.status_code == 200
    assert_our_page(response.content.decode(), heading=heading)


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("mfa_deactivate_totp", "Turn off the authenticator app?"),
        ("mfa_generate_recovery_codes", "Make new recovery codes?"),
        ("mfa_add_webauthn", "Add a security key"),
        ("mfa_list_webauthn", "Security keys"),
    ],
)
def test_mfa_management_pages_after_reauthentication(
    world: World, client_for: ClientFor, url_name: str, heading: str
) -> None:
    http = client_for(world.clinician)
    reauthenticate(http)
    response = http.get(reverse(url_name))
    assert response.status_code == 200
    assert_our_page(response.content.decode(), heading=heading)


def test_recovery_codes_can_be_made_viewed_and_downloaded(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    reauthenticate(http)
    response = http.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    response = http.get(reverse("mfa_view_recovery_codes"))
    html = response.content.decode()
    assert response.status_code == 200
    assert_our_page(html, heading="Your recovery codes")
    codes = re.findall(r"<li><code>([^<]+)</code></li>", html)
    assert len(codes) >= 8
    download = http.get(reverse("mfa_download_recovery_codes"))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/plain")
    assert codes[0] in download.content.decode()


def test_activate_totp_page_shows_qr_image_and_setup_key(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.staff_without_mfa)
    response = http.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(http)
    response = http.get(reverse("mfa_activate_totp"))
    html = response.content.decode()
    assert response.status_code == 200
    assert_our_page(html, heading="Set up an authenticator app")
    assert '<img src="data:image/svg+xml;base64,' in html
    secret = response.context["form"].secret
    assert re.search(r'<code class="totp-secret"[^>]*>' + re.escape(secret) + "</code>", html)


def test_reauthentication_by_emailed_code_works_for_staff_setting_up_mfa(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a staff member without MFA on the "confirm it is you" step
    WHEN they choose to get a code by e-mail instead of typing the password
    THEN the request and confirmation pages open (they are part of MFA setup)
    and a correct code lets them on to authenticator setup."""
    http = client_for(world.staff_without_mfa)
    response = http.get(reverse("account_request_reauthentication_code"))
    assert response.status_code == 200
    assert_our_page(response.content.decode(), heading="Confirm it is you")
    response = http.post(
        reverse("account_request_reauthentication_code"),
        {"recipient": world.staff_without_mfa.email},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_reauthentication_code")
    response = http.get(response["Location"])
    assert response.status_code == 200
    assert_our_page(response.content.decode(), heading="Enter Sign-In Code")
    (message,) = mail.outbox
    code = re.search(r"browser window\.\s+(\S+)\s", str(message.body))
    assert code, message.body
    response = http.post(reverse("account_confirm_reauthentication_code"), {"code": code.group(1)})
    assert response.status_code == 302
    assert http.get(reverse("mfa_activate_totp")).status_code == 200
