"""Outcomes and the course chart in a real browser, at desktop and phone sizes.

The chart is an SVG image served by its own URL; matplotlib writes its colours as
inline `style` attributes, which the page's CSP would refuse in the HTML itself.
This test shows that the image loads and renders (it has a size), that nothing
is refused (the harness fails on any console error, CSP reports included), and
saves screenshots of the overview, the session page and the caseload under
test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.courses.models import Session
from openipt.courses.services.medication import (
    MedicationData,
    medication_add,
    medication_change_add,
)
from openipt.courses.services.timeline import life_event_add
from tests.browser.conftest import Viewport
from tests.browser.test_sessions import no_sideways_scroll, sign_in_as_clinician
from tests.measures_outcomes.helpers import give_gad7, phq9_series
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMAGE_RENDERED_JS = "(img) => img.complete && img.naturalWidth > 0 && img.clientHeight > 100"


@pytest.fixture
def world() -> World:
    world = build_world()
    course, actor = world.course_1, world.clinician
    phq9_series(actor, course, [19, 18, 18, 16, 13, 11, 9])
    for number, total in ((1, 14), (4, 11), (7, 8)):
        give_gad7(actor, course, number, total)
    medication = medication_add(
        actor=actor,
        course=course,
        data=MedicationData(agent="Sertraline", dose="50 mg", start_date=datetime.date(2026, 6, 1)),
    )
    medication_change_add(
        actor=actor, medication=medication, date=datetime.date(2026, 9, 17), dose="100 mg"
    )
    life_event_add(
        actor=actor,
        course=course,
        data={"date": datetime.date(2026, 9, 26), "kind": "conflict", "title": "Row with Sam"},
    )
    return world


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_overview_shows_outcomes_and_the_chart_renders_under_the_csp(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN Alice's PHQ-9 falling from 19 to 9 over seven sessions, three GAD-7 scores, a
    dose change and a conflict WHEN the clinician opens her course overview
    THEN both outcome panels are shown with their labels, each chart image renders
    without any console error, and the page does not scroll sideways."""
    page = open_page(viewport)
    sign_in_as_clinician(page, live_server, world)
    page.goto(f"{live_server.url}/courses/{world.course_1.public_id}/")
    phq9 = page.locator("section.outcome-panel", has=page.locator("#h-outcome-phq9"))
    expect(phq9).to_contain_text("Reliable improvement")
    expect(phq9).to_contain_text("On track")
    expect(phq9.locator(".outcome-figures")).to_contain_text("−10 points (−53 %)")
    expect(page.locator("#h-outcome-gad7")).to_be_visible()
    for image in page.locator(".outcome-chart img").all():
        image.scroll_into_view_if_needed()
        page.wait_for_function(IMAGE_RENDERED_JS, arg=image.element_handle())
        expect(image).to_have_attribute("alt", re.compile(r"chart: baseline \d+"))
    # The phone gets the narrow drawing; the desktop the wide one.
    current = phq9.locator("img").evaluate("(img) => img.currentSrc")
    assert current.endswith("?size=narrow") == (viewport == "phone")
    phq9.locator("details.chart-data summary").click()
    expect(phq9.locator("details.chart-data")).to_contain_text("Conflict: Row with Sam")
    no_sideways_scroll(page, "course overview")
    phq9.scroll_into_view_if_needed()
    screenshot(page, "overview")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_session_page_and_the_caseload_show_scores(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    page = open_page(viewport)
    sign_in_as_clinician(page, live_server, world)
    session = Session.objects.get(course=world.course_1, number=7)
    page.goto(f"{live_server.url}/courses/{world.course_1.public_id}/sessions/{session.public_id}/")
    scores = page.locator("section.session-scores")
    expect(scores).to_contain_text("Reliable improvement")
    no_sideways_scroll(page, "session page")
    scores.scroll_into_view_if_needed()
    screenshot(page, "session")
    page.goto(f"{live_server.url}/courses/")
    row = page.get_by_role("row", name=re.compile("Alice Anders"))
    expect(row).to_contain_text("PHQ-9 9")
    expect(row).to_contain_text("On track")
    screenshot(page, "caseload")
    # Opened on its own, the chart is a document under its own narrow policy, which
    # allows its inline styles and nothing else: it renders without a console error.
    page.goto(f"{live_server.url}/courses/{world.course_1.public_id}/charts/phq9.svg")
    expect(page.locator("#expected-band")).to_be_attached()
    # Back to a page: the harness's closing full-page screenshot needs an HTML document.
    page.go_back()
    expect(row).to_be_visible()
