"""The demo's measurement stories, as the demo supervisor sees them in a browser.

The seeded demo has a course on track (Jordan), one not on track (Aisha), two
in remission (Margaret, Wei, whose course is closed) and one open risk alert
(Lucía). The supervisor reads every course of Riverside Clinic, so one sign-in
shows them all. Screenshots of the caseload and the two contrasting overviews
go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.core.management.commands.seed_demo import RIVERSIDE
from tests.browser.conftest import Viewport
from tests.browser.demo_helpers import sign_in_as_demo_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The charts are drawn on request; wait for them before taking a screenshot.
ALL_IMAGES_LOADED_JS = "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)"


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_demo_supervisor_sees_on_track_not_on_track_remission_and_the_open_alert(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    viewport: Viewport,
) -> None:
    page = open_page(viewport)
    sign_in_as_demo_staff(page, live_server, "Sofia Lindqvist")
    # She supervises both demo practices; the individual courses are at Riverside.
    page.get_by_label("Practice").select_option(label=RIVERSIDE)
    # The caseload URL is the same before and after the switch: wait for Riverside's
    # courses (the other practice has none) rather than for the URL.
    expect(page.locator("table.caseload")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/courses/")

    # The home page: the open alert first, then the caseload with scores.
    alerts = page.locator("section.safety-alerts")
    expect(alerts).to_contain_text("Risk alerts to acknowledge (1)")
    expect(alerts).to_contain_text("Lucía")
    rows = page.locator("table.caseload tbody tr")
    expect(rows.filter(has_text="Aisha")).to_contain_text("Not on track")
    expect(rows.filter(has_text="Jordan")).to_contain_text("On track")
    screenshot(page, "caseload")

    # Aisha: stuck above the expected range, with the prompt to review.
    rows.filter(has_text="Aisha").get_by_role("link").first.click()
    expect(page.locator("main")).to_contain_text("Not on track")
    expect(page.locator("main")).to_contain_text("review the focus, medication and frequency")
    expect(page.locator("section.outcome-panel").first.locator("img").first).to_be_visible()
    page.wait_for_function(ALL_IMAGES_LOADED_JS)
    screenshot(page, "not-on-track")

    # Margaret: in remission on the PHQ-9, with her GDS-15 beside it.
    page.goto(f"{live_server.url}/courses/")
    rows.filter(has_text="O'Brien").get_by_role("link").first.click()
    panels = page.locator("section.outcome-panel")
    phq9 = panels.filter(has=page.locator("#h-outcome-phq9"))
    expect(phq9.locator("li", has_text="Remission")).to_contain_text("Yes")
    expect(panels.filter(has=page.locator("#h-outcome-gds15"))).to_be_visible()
    page.wait_for_function(ALL_IMAGES_LOADED_JS)
    screenshot(page, "remission")
