"""The seeded demo, as a visitor of `make demo` meets it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from openipt.core.management.commands.demo_codes import totp_code
from openipt.core.management.commands.seed_demo import (
    DEMO_PASSWORD,
    DEMO_STAFF,
    NORTHFIELD,
    RIVERSIDE,
)
from tests.browser.conftest import Viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGN_IN_BUTTON = re.compile(r"sign in", re.IGNORECASE)


@pytest.fixture
def demo(settings: Settings) -> None:
    settings.DEMO = True
    call_command("seed_demo", stdout=StringIO())


def demo_code() -> str:
    if 30 - time.time() % 30 < 5:
        time.sleep(6)
    return totp_code(at=time.time())


def sign_in_as_supervisor(page: Page, live_server: LiveServer) -> None:
    """Sign in as the demo supervisor who works in both practices."""
    supervisor = next(p for p in DEMO_STAFF if p.full_name == "Sofia Lindqvist")
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text("every person here is fictional")).to_be_visible()
    page.locator('input[name="login"]').fill(supervisor.email)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    page.locator('input[name="code"]').fill(demo_code())
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).to_have_url(f"{live_server.url}/courses/")
    page.goto(f"{live_server.url}/clients/")


# Against the layout viewport (clientWidth), not window.innerWidth: a mobile
# browser widens innerWidth to fit content that is too wide.
SIDEWAYS_OVERFLOW_JS = (
    "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
)


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return int(page.evaluate(SIDEWAYS_OVERFLOW_JS))


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_supervisor_in_both_demo_practices_switches_between_them(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    viewport: Viewport,
) -> None:
    page = open_page(viewport)
    sign_in_as_supervisor(page, live_server)

    switcher = page.get_by_label("Practice")
    switcher.select_option(label=NORTHFIELD)
    # Switching lands on the caseload: the group site runs no individual courses.
    expect(page).to_have_url(f"{live_server.url}/courses/")
    expect(page.get_by_text("No active courses")).to_be_visible()
    page.goto(f"{live_server.url}/clients/")
    expect(page.get_by_role("link", name="Fatuma Njeri")).to_be_visible()
    screenshot(page, NORTHFIELD.split()[0].lower())

    page.get_by_label("Practice").select_option(label=RIVERSIDE)
    # Riverside's caseload: the supervisor reads every course of the practice.
    expect(page.get_by_role("link", name="Peggy O'Brien")).to_be_visible()
    expect(page.get_by_role("link", name="Fatuma Njeri")).to_have_count(0)


@pytest.mark.usefixtures("demo")
def test_phone_pages_never_scroll_sideways(phone_page: Page, live_server: LiveServer) -> None:
    phone_page.goto(f"{live_server.url}/accounts/login/")
    assert sideways_overflow(phone_page) == 0

    sign_in_as_supervisor(phone_page, live_server)

    assert sideways_overflow(phone_page) == 0
