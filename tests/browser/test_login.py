"""Signing in through the real pages, in a real browser.

Staff pass the authenticator step before they see any client; clients go
straight to their portal; a wrong password says nothing about the account.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.accounts.models import User
from tests.browser.conftest import Viewport
from tests.factories import TEST_PASSWORD
from tests.world import World, build_world, current_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GENERIC_LOGIN_ERROR = "The email address and/or password you specified are not correct."
# Matches "Sign in" on the password page and "Verify and sign in" on the code page.
SIGN_IN_BUTTON = re.compile(r"sign in", re.IGNORECASE)


@pytest.fixture
def world() -> World:
    # The live server needs committed rows, hence transactional_db (module mark)
    # instead of the `db`-based world fixture of tests/conftest.py.
    return build_world()


def fresh_totp_code() -> str:
    """The current code, never one about to expire: allauth accepts only the current window."""
    remaining = 30 - time.time() % 30
    if remaining < 5:
        time.sleep(remaining + 0.5)
    return current_totp_code()


def submit_password(page: Page, live_server: LiveServer, user: User, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_clinician_signs_in_with_totp_and_sees_own_clients(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN a clinician with an authenticator WHEN they sign in with password and code
    THEN they land on their caseload and see their own client, not another practice's."""
    page = open_page(viewport)
    submit_password(page, live_server, world.clinician, TEST_PASSWORD)

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_text("Alice Anders")).to_have_count(0)
    screenshot(page, "code-step")
    page.locator('input[name="code"]').fill(fresh_totp_code())
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()

    # Clinicians start from their caseload of active courses (Alice has one).
    expect(page).to_have_url(f"{live_server.url}/courses/")
    expect(page.get_by_role("link", name="Alice Anders")).to_be_visible()
    expect(page.get_by_text("Charlie Chen")).to_have_count(0)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_client_signs_in_without_second_step_and_lands_on_portal(
    open_page: Callable[[Viewport], Page],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    page = open_page(viewport)
    submit_password(page, live_server, world.client_user_1, TEST_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/me/")
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()


def test_wrong_password_shows_the_same_generic_error_as_an_unknown_account(
    page: Page,
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
) -> None:
    """Promise 7: the answer must not reveal whether an account exists."""
    submit_password(page, live_server, world.clinician, "not the password at all")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text(GENERIC_LOGIN_ERROR)).to_be_visible()
    screenshot(page, "error")
    wrong_password_text = page.locator("main").inner_text()

    nobody = User(email="nobody.at.all@example.test")
    submit_password(page, live_server, nobody, "not the password at all")
    expect(page.get_by_text(GENERIC_LOGIN_ERROR)).to_be_visible()
    assert page.locator("main").inner_text() == wrong_password_text.replace(
        world.clinician.email, nobody.email
    )

    page.goto(f"{live_server.url}/clients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/clients/$"))
