"""The closeness circle in a real browser: build it, move someone, keep two versions,
compare them side by side, on a desktop and on a 390 px phone, and in print.

Every step goes through the pages (links, forms, buttons); the ORM is only used
to set up the world and to read the outcome.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.courses.models import CircleVersion, InventoryPerson, LifeEvent
from tests.browser.conftest import PageWatch, Viewport
from tests.browser.layout import sideways_overflow
from tests.factories import TEST_PASSWORD
from tests.world import World, build_world, current_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGN_IN_BUTTON = re.compile(r"sign in", re.IGNORECASE)


@pytest.fixture
def world() -> World:
    # The live server needs committed rows, hence transactional_db (module mark).
    return build_world()


def sign_in_clinician(page: Page, live_server: LiveServer, world: World) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill(world.clinician.email)
    page.locator('input[name="password"]').fill(TEST_PASSWORD)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    # allauth accepts only the current window: never type a code about to expire.
    remaining = 30 - time.time() % 30
    if remaining < 5:
        time.sleep(remaining + 0.5)
    page.locator('input[name="code"]').fill(current_totp_code())
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))


def assert_no_sideways_scroll(page: Page, label: str) -> None:
    overflow = sideways_overflow(page)
    assert overflow == 0, f"{label}: the page is {overflow}px wider than the viewport"


def forgive_refused_page(page_watch: PageWatch, url: str, status: int) -> None:
    """Drop the console error Chromium logs for a form the test expects to be refused."""
    logged = f"Failed to load resource: the server responded with a status of {status} "
    for watched in page_watch.pages:
        watched.console_errors[:] = [
            error
            for error in watched.console_errors
            if not (error.startswith(logged) and f"'url': '{url}'" in error)
        ]


def add_person(
    page: Page,
    name: str,
    relationship: str,
    ring: str,
    area: str = "",
    snap: Callable[[], object] | None = None,
) -> None:
    page.get_by_role("button", name=re.compile(r"^Add (a|the first) person$")).first.click()
    page.get_by_label("Name or alias").fill(name)
    page.locator('select[name="relationship"]').select_option(relationship)
    page.get_by_label("Ring in the closeness circle").select_option(ring)
    page.get_by_label("Emotional support").check()
    if area:
        page.get_by_label("Linked problem area").select_option(area)
    if snap is not None:
        snap()
    page.get_by_role("button", name="Add to the inventory").click()
    expect(page.get_by_text(f"{name} was added to the inventory.")).to_be_visible()


def save_version(page: Page, label: str) -> None:
    page.get_by_label("Name this version").fill(label)
    page.get_by_role("button", name="Save version").click()
    expect(
        page.get_by_text(re.compile(f"The circle was saved as version \\d, “{label}”"))
    ).to_be_visible()


def test_clinician_builds_moves_and_compares_the_circle(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    page_watch: PageWatch,
    live_server: LiveServer,
    world: World,
) -> None:
    """GIVEN Alice's course with Sam (partner, ring 1) in her inventory
    WHEN her clinician adds Maria (ring 3) and her late grandfather (ring 2, grief),
    saves the circle as "Start", moves Maria closer, saves "End" and compares them
    THEN both circles are drawn side by side and Maria is listed as having moved
    closer, on a desktop, on a phone and on paper."""
    # A few more people, so that the drawing is as busy as a real one.
    for name, relationship, ring in (
        ("Dad", "parent", 2),
        ("Priya from work", "coworker", 3),
        ("Tom", "friend", 3),
    ):
        InventoryPerson.objects.create(
            course=world.course_1, name=name, relationship=relationship, ring=ring, position=9
        )
    for day, kind, title, onset in (
        (datetime.date(2026, 5, 2), "death", "Grandad Joe died", True),
        (datetime.date(2026, 5, 20), "conflict", "Row with Maria about the funeral", False),
        (datetime.date(2026, 6, 1), "job", "Back to work full time", False),
        (datetime.date(2025, 10, 1), "move", "Moved in with Sam", False),
    ):
        LifeEvent.objects.create(
            course=world.course_1, date=day, kind=kind, title=title, linked_to_onset=onset
        )
    page = open_page("desktop")
    sign_in_clinician(page, live_server, world)
    base = f"{live_server.url}/courses/{world.course_1.public_id}"
    page.goto(f"{base}/inventory/")
    expect(page.get_by_role("heading", name="Interpersonal inventory")).to_be_visible()

    add_person(page, "Maria", "sibling", "3")
    add_person(
        page, "Grandad Joe", "deceased", "2", area="grief", snap=lambda: screenshot(page, "form")
    )
    rows = page.locator("table.inventory-table tbody tr")
    expect(rows).to_have_count(6)
    screenshot(page, "inventory")
    page.get_by_role("link", name="Grandad Joe", exact=True).click()
    expect(page.get_by_role("heading", name="Grandad Joe")).to_be_visible()
    screenshot(page, "person")
    page.go_back()

    page.get_by_role("navigation", name="Relationships").get_by_role(
        "link", name="Closeness circle"
    ).click()
    circle = page.locator("svg.closeness-circle")
    expect(circle).to_be_visible()
    expect(circle.locator("g.circle-person")).to_have_count(6)
    save_version(page, "Start")

    page.get_by_role("button", name="Move Maria closer").click()
    expect(page.get_by_text("Maria moved to ring 2.")).to_be_visible()
    screenshot(page, "circle")
    assert_no_sideways_scroll(page, "circle")
    save_version(page, "End")

    page.get_by_role("button", name="Compare versions").click()
    expect(page.get_by_role("heading", name="Compare closeness circles")).to_be_visible()
    expect(page.locator("svg.closeness-circle")).to_have_count(2)
    expect(page.locator(".change-list")).to_contain_text("Maria moved closer: ring 3 → 2")
    boxes = [page.locator("figure.compare-side").nth(i).bounding_box() for i in (0, 1)]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]  # side by side
    screenshot(page, "compare")
    assert sorted(CircleVersion.objects.values_list("label", flat=True)) == ["End", "Start"]
    maria = InventoryPerson.objects.get(course=world.course_1, relationship="sibling")
    assert maria.ring == 2 and maria.support_kinds == ["emotional"]

    # On paper (A4 width): navigation hidden, the two circles still side by side.
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator("form.compare-form")).to_be_hidden()
    boxes = [page.locator("figure.compare-side").nth(i).bounding_box() for i in (0, 1)]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]
    screenshot(page, "compare-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 800})

    # The same pages on a phone, in the same signed-in session.
    phone = open_page("phone")
    # The cookies Playwright returns are what add_cookies takes; only its type
    # hints name the two dicts differently.
    phone.context.add_cookies(cast(Any, page.context.cookies()))
    for path, label in (
        ("inventory/", "phone-inventory"),
        ("circle/", "phone-circle"),
        ("timeline/", "phone-timeline"),
        ("circle/compare/", "phone-compare"),
    ):
        phone.goto(f"{base}/{path}")
        expect(phone.locator("main h1")).to_be_visible()
        assert_no_sideways_scroll(phone, label)
        screenshot(phone, label)
    drawn = phone.locator("svg.closeness-circle").first.bounding_box()
    assert drawn and 300 <= drawn["width"] <= 390  # the circle scales to the phone

    page.goto(f"{base}/timeline/")
    expect(page.locator("svg.timeline-svg g.is-onset")).to_have_count(1)
    screenshot(page, "timeline")
    page.get_by_role("button", name="Add an event").click()
    page.get_by_label("Date").fill("2099-01-01")
    page.locator('select[name="kind"]').select_option("illness")
    page.get_by_label("What happened").fill("Dad's heart operation")
    page.get_by_role("checkbox", name="Dad", exact=True).check()
    page.get_by_role("button", name="Add to the timeline").click()
    expect(page.get_by_text("is more than a year from today")).to_be_visible()
    expect(page.get_by_label("What happened")).to_have_value("Dad's heart operation")
    screenshot(page, "event-form")
    forgive_refused_page(page_watch, f"{base}/timeline/add/", 400)
    page.get_by_label("Date").fill("2026-10-20")
    page.get_by_role("button", name="Add to the timeline").click()
    expect(page.locator("svg.timeline-svg g.timeline-event")).to_have_count(5)
