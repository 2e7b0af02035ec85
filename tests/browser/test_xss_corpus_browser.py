"""Promise 16 in a real browser: pages full of stored payloads run none of them.

GIVEN the payload world of tests/security/xss_world.py (every free-text field
holds a script tag, an event handler, a javascript: URL, an SVG onload, an
attribute-breaking quote, an htmx attribute or a URL of another origin, each
of which would set `window.__xss` and open a dialog, or make a request)
WHEN the clinician and then the client open the pages that show them
THEN each page shows its payloads as text, no dialog opens, `window.__xss`
stays undefined and no request names a payload's address. The harness
(tests/browser/conftest.py) also fails the test on any console error (a CSP
violation would be one) and on any request to another origin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Dialog, Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.accounts.models import User
from tests.browser.conftest import PageWatch, Viewport
from tests.browser.test_login import SIGN_IN_BUTTON, fresh_totp_code, submit_password
from tests.factories import TEST_PASSWORD
from tests.security.xss_world import SIGNATURES, XssWorld, build_xss_world
from tests.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def xss() -> XssWorld:
    # The live server needs committed rows, hence transactional_db (module mark).
    return build_xss_world(build_world())


def _flat(text: str) -> str:
    return "".join(text.split())


def _sign_in(page: Page, live_server: LiveServer, user: User, *, staff: bool) -> None:
    submit_password(page, live_server, user, TEST_PASSWORD)
    if staff:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        page.locator('input[name="code"]').fill(fresh_totp_code())
        page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def _visit_and_check(
    page: Page,
    live_server: LiveServer,
    dialogs: list[str],
    stops: list[tuple[str, str]],
    screenshot: Callable[[Page, str], Path],
) -> None:
    """Open each page, let its scripts and htmx run, and check that nothing ran."""
    for path, value in stops:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        # All of the text, hidden parts too; <br> adds no space to it, so compare without.
        body = _flat(page.locator("body").text_content() or "")
        assert _flat(value) in body, f"{path} does not show {value!r}"
        assert page.evaluate("() => typeof window.__xss") == "undefined", path
        assert dialogs == [], f"{path} opened a dialog: {dialogs}"
    screenshot(page, "last")


def test_pages_holding_payloads_open_no_dialog_and_run_no_payload(
    open_page: Callable[[Viewport], Page],
    page_watch: PageWatch,
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    xss: XssWorld,
) -> None:
    w, written = xss.world, xss.written
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    course = {"public_id": xss.course.public_id}
    staff_page = open_page("desktop")
    staff_page.on("dialog", on_dialog)
    _sign_in(staff_page, live_server, w.clinician, staff=True)
    _visit_and_check(
        staff_page,
        live_server,
        dialogs,
        [
            (
                reverse("clients:detail", kwargs={"public_id": w.client_1.public_id}),
                written["client.access_needs"],
            ),
            (reverse("courses:overview", kwargs=course), written["client.preferred_name"]),
            (reverse("courses:formulation", kwargs=course), written["formulation.text"]),
            (reverse("courses:goals", kwargs=course), written["goal.text"]),
            (
                reverse(
                    "courses:inventory_person",
                    kwargs={**course, "person_id": xss.person.public_id},
                ),
                written["person.conflict"],
            ),
            (
                reverse(
                    "courses:session_detail",
                    kwargs={**course, "session_id": xss.sessions[0].public_id},
                ),
                written["process_note.text"],
            ),
            (
                reverse("messaging:thread", kwargs={"client_id": w.client_1.public_id}),
                written["message.from_client"],
            ),
            (
                reverse("safety:alert_detail", kwargs={"public_id": xss.alert.public_id}),
                written["alert.action_note"],
            ),
        ],
        screenshot,
    )

    client_page = open_page("phone")
    client_page.on("dialog", on_dialog)
    _sign_in(client_page, live_server, w.client_user_1, staff=False)
    _visit_and_check(
        client_page,
        live_server,
        dialogs,
        [
            (reverse("portal:home"), written["client.preferred_name"]),
            (reverse("portal:plan"), written["goal_2.text"]),
            (reverse("portal:experiments"), written["experiment_open.description"]),
            (reverse("portal:diary"), written["diary.note"]),
            (reverse("messaging:my_thread"), written["message.from_clinician"]),
            (reverse("safety:my_plan"), written["safety_plan.distraction"]),
            (reverse("portal:data_copy"), written["appointment.location"]),
        ],
        screenshot,
    )

    requested = [url for watched in page_watch.pages for url in watched.requests]
    assert [url for url in requested if any(s in url for s in SIGNATURES)] == []
