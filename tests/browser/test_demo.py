"""The seeded demo, as a visitor of `make demo` meets it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.core.management.commands.seed_demo import NORTHFIELD, RIVERSIDE
from tests.browser.conftest import Viewport
from tests.browser.demo_helpers import sign_in_as_demo_staff
from tests.browser.layout import sideways_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as_supervisor(page: Page, live_server: LiveServer) -> None:
    """Sign in as the demo supervisor who works in both practices."""
    sign_in_as_demo_staff(page, live_server, "Sofia Lindqvist")
    page.goto(f"{live_server.url}/clients/")


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
