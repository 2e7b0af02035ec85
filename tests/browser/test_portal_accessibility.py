"""Every portal page, as a client sees it, checked by axe-core and at 200 % text size.

A client with a few weeks of use (a plan waiting for agreement, an experiment,
diary entries, a questionnaire to fill in, a message, an appointment, a safety
plan) signs in through the login page and visits each portal page on a
desktop and on a 390 px phone. Each page must have no serious or critical
axe violation, and must not scroll sideways when the text is made twice as
large. Screenshots of every page are saved for people to look at.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.appointments.services.appointments import appointment_create
from openipt.diary.services import diary_entry_save
from openipt.measures.services import measure_request_create
from openipt.messaging.services.messages import message_send
from openipt.safety.services.plans import PlanSections, safety_plan_save
from tests.browser.conftest import Viewport, axe_violations
from tests.browser.layout import sideways_overflow
from tests.factories import TEST_PASSWORD
from tests.portal.helpers import build_plan
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The innermost elements that stick out on the right, to say what to fix.
OVERFLOWING_JS = """() => {
  const limit = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll("body *")].filter(
    (el) => el.getBoundingClientRect().right > limit + 1 &&
      ![...el.children].some((c) => c.getBoundingClientRect().right > limit + 1));
  const named = (el) => typeof el.className === "string" && el.className
    ? el.tagName.toLowerCase() + "." + el.className.split(" ").join(".")
    : el.tagName.toLowerCase();
  return out.slice(0, 3).map((el) => named(el) + " '" +
    (el.textContent || "").trim().slice(0, 30) + "'");
}"""
# Through the CSSOM, which the page's CSP allows (it refuses style attributes in markup).
DOUBLE_TEXT_JS = "() => { document.documentElement.style.fontSize = '200%'; }"


@pytest.fixture
def world() -> World:
    return build_world()


def seed_portal(world: World) -> dict[str, str]:
    """A client's portal after a few weeks; returns the pages to visit by name."""
    plan = build_plan(world)
    client = world.client_1
    user = world.client_user_1
    today = timezone.localdate()
    for back, mood in enumerate((6, 5, 4, 6, 3)):
        diary_entry_save(
            actor=user,
            client=client,
            day=today - datetime.timedelta(days=back),
            mood=mood,
            note="Walked with Sam after work." if back == 1 else "",
            people_ids=[world.person_1.public_id] if back % 2 else [],
        )
    request = measure_request_create(
        actor=world.clinician, course=world.course_1, instrument_code="phq9"
    )
    message_send(
        actor=world.clinician,
        client=client,
        body="Hello Alice, see you on Tuesday.",
        idempotency_key=uuid.uuid4().hex,
    )
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    appointment = appointment_create(
        actor=world.clinician,
        client=client,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=50),
        location="Room 2",
    )
    safety_plan_save(
        actor=world.clinician,
        client=client,
        sections=PlanSections(
            warning_signs="Not sleeping, not answering the phone.",
            people_to_ask="My sister, 07700 900123.",
        ),
        base_version=0,
        reviewed_with_client=True,
    )
    return {
        "home": reverse("portal:home"),
        "plan": reverse("portal:plan"),
        "experiments": reverse("portal:experiments"),
        "experiment": reverse("portal:experiment", kwargs={"public_id": plan.experiment.public_id}),
        "diary": reverse("portal:diary"),
        "questionnaires": reverse("portal:questionnaires"),
        "questionnaire": reverse("portal:questionnaire", kwargs={"public_id": request.public_id}),
        "messages": reverse("messaging:my_thread"),
        "appointments": reverse("appointments:my_list"),
        "appointment": reverse(
            "appointments:my_detail", kwargs={"public_id": appointment.public_id}
        ),
        "data": reverse("portal:data"),
        "data-copy": reverse("portal:data_copy"),
        "access-log": reverse("portal:access_log"),
        "crisis": reverse("safety:crisis"),
        "safety-plan": reverse("safety:my_plan"),
    }


def sign_in(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.IGNORECASE)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_portal_page_passes_axe_and_reads_at_double_text_size(
    world: World,
    live_server: LiveServer,
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    axe_source: str,
    viewport: Viewport,
    language: str,
) -> None:
    world.client_1.language = language
    world.client_1.save()
    pages = seed_portal(world)
    page = open_page(viewport)
    sign_in(page, live_server, world.client_user_1.email)
    problems: list[str] = []
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, name
        expect(page.locator("html")).to_have_attribute("lang", language)
        problems.extend(f"{name}: {v}" for v in axe_violations(page, axe_source))
        screenshot(page, name)
        page.evaluate(DOUBLE_TEXT_JS)
        overflow = sideways_overflow(page)
        if overflow > 0:
            culprits = ", ".join(page.evaluate(OVERFLOWING_JS))
            problems.append(f"{name}: {overflow}px too wide at 200 % text ({culprits})")
        if name in ("home", "diary"):
            screenshot(page, f"{name}-200pct")
    assert problems == [], "\n".join(problems)
