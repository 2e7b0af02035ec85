"""The safety loop, end to end, in a real browser with the real background worker.

A clinician records a PHQ-9 in session with item 9 answered "More than half
the days". The alert is on their home page at once; the database worker
(`manage.py db_worker`, run here in-process) sends the notification e-mail,
which names no client, no questionnaire and no score; the clinician follows
its link, acknowledges with what they did, and every step is in the audit
trail. A second alert that nobody acknowledges escalates at its deadline (the
sweep is given a clock past the deadline) and reaches the supervisor's home.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.measures.demo import answers_for_total
from openipt.measures.engine import shipped
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_submit
from openipt.safety.models import AlertStatus, RiskAlert
from openipt.safety.services import risk_alerts_escalate_overdue
from tests.browser.conftest import Viewport
from tests.browser.test_login import SIGN_IN_BUTTON, fresh_totp_code, submit_password
from tests.factories import TEST_PASSWORD
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Item answers for items 1–8 (by display text) and item 9 = "More than half the days".
ITEM_ANSWERS = {
    "phq9-1": "More than half the days",
    "phq9-2": "Nearly every day",
    "phq9-3": "Several days",
    "phq9-4": "More than half the days",
    "phq9-5": "Not at all",
    "phq9-6": "Nearly every day",
    "phq9-7": "Several days",
    "phq9-8": "Not at all",
    "phq9-9": "More than half the days",
}
EXPECTED_TOTAL = 2 + 3 + 1 + 2 + 0 + 3 + 1 + 0 + 2
ONE_MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def world() -> World:
    # The live server needs committed rows, hence transactional_db (module mark).
    return build_world()


def sign_in(page: Page, live_server: LiveServer, user: User) -> None:
    submit_password(page, live_server, user, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.locator('input[name="code"]').fill(fresh_totp_code())
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def run_worker() -> None:
    """The real database worker: process everything queued, then exit."""
    call_command("db_worker", "--batch", "--no-startup-delay")


def assert_no_health_information(world: World, message: mail.EmailMessage) -> None:
    # The link is the one thing the e-mail carries; its UUID may contain any digits.
    body = re.sub(r"https?://\S+", "", str(message.body))
    text = f"{message.subject}\n{body}".lower()
    client = world.client_1
    for forbidden in (
        client.given_name,
        client.family_name,
        "phq",
        "questionnaire",
        "score",
        "item",
        "self-harm",
        "suicid",
        "risk",
        str(EXPECTED_TOTAL),
    ):
        assert forbidden.lower() not in text, f"the e-mail mentions {forbidden!r}"


@pytest.mark.parametrize("viewport", ["desktop"])
def test_item_9_alert_reaches_the_clinician_is_acknowledged_and_an_ignored_one_escalates(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN Alice's clinician recording a PHQ-9 with item 9 = 2 in session
    WHEN it is saved THEN an alert is raised with the answers, shown on the
    clinician's home at once, e-mailed by the worker without health information,
    acknowledged with a documented action and audited at each step; AND an alert
    left unacknowledged past its deadline escalates to the supervisor's home."""
    course = world.course_1
    page = open_page(viewport)
    sign_in(page, live_server, world.clinician)

    # The clinician records the questionnaire from the course's pages.
    page.goto(live_server.url + reverse("measures:record", kwargs={"public_id": course.public_id}))
    page.get_by_role("radio", name=re.compile(r"^PHQ-9")).check()
    page.get_by_role("button", name="Open the questionnaire").click()
    for link_id, answer in ITEM_ANSWERS.items():
        item = page.locator("fieldset", has=page.locator(f'input[name="{link_id}"]'))
        item.get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_role("heading", name="A risk alert was raised")).to_be_visible()
    expect(page.locator("main")).to_contain_text(str(EXPECTED_TOTAL))
    screenshot(page, "result-with-alert")

    administration = MeasureAdministration.objects.get(course=course)
    assert administration.total == EXPECTED_TOTAL
    assert administration.risk_link_ids == ["phq9-9"]
    alert = RiskAlert.objects.get(source_public_id=administration.public_id)
    assert alert.status == AlertStatus.OPEN

    # At once on the clinician's home, before any e-mail has gone out.
    page.goto(live_server.url + "/")
    alerts = page.locator("section.safety-alerts")
    expect(alerts).to_contain_text("Risk alerts to acknowledge (1)")
    expect(alerts).to_contain_text(world.client_1.display_name)
    screenshot(page, "clinician-home-with-alert")

    # The worker delivers the notification: a link and nothing else.
    assert mail.outbox == []
    run_worker()
    assert [m.to for m in mail.outbox] == [[world.clinician.email]]
    message = mail.outbox[0]
    assert_no_health_information(world, message)
    link = re.search(r"https?://\S+", str(message.body))
    assert link is not None
    path = urlparse(link.group(0)).path
    assert path == reverse("safety:alert_detail", kwargs={"public_id": alert.public_id})

    # The clinician follows the link and acknowledges with what they did.
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", name=re.compile("Risk alert"))).to_be_visible()
    page.get_by_label("Contacted the client").check()
    page.get_by_label("Note").fill("Called Alice; she is safe tonight and will see her GP.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("heading", name="Acknowledged")).to_be_visible()
    history = page.locator("main")
    for step in ("Raised", "E-mail sent", "Acknowledged"):
        expect(history).to_contain_text(step)
    screenshot(page, "alert-acknowledged")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.action == "contacted_client"

    # Every step is in the audit trail: raised, e-mail sent, acknowledged.
    alert_events = AuditEvent.objects.filter(object_public_id=alert.public_id)
    fields_changed = [set(e.changed_fields) for e in alert_events.order_by("id")]
    assert {"status", "risk_link_ids", "ack_deadline"} <= fields_changed[0]
    assert any("acknowledged_by" in f for f in fields_changed)
    notification_ids = set(alert.notifications.values_list("public_id", flat=True))
    assert AuditEvent.objects.filter(
        object_type="risk_alert_notification", object_public_id__in=notification_ids
    ).exists()

    # The home page no longer lists it.
    page.goto(live_server.url + "/")
    expect(page.locator("section.safety-alerts")).to_have_count(0)

    # A second positive answer that nobody acknowledges escalates at the deadline.
    second = measure_submit(
        actor=world.clinician,
        course=course,
        instrument_code="phq9",
        answers=answers_for_total(shipped("phq9"), 12, risk=1),
    )
    ignored = RiskAlert.objects.get(source_public_id=second.public_id)
    run_worker()
    mail.outbox.clear()
    # A clock one minute before the deadline escalates nothing.
    assert risk_alerts_escalate_overdue(now=ignored.ack_deadline - ONE_MINUTE) == 0
    # The deadline passes (moved into the past rather than waiting four hours);
    # the sweep, as cron runs it, escalates and the worker sends the e-mail.
    RiskAlert.objects.filter(pk=ignored.pk).update(ack_deadline=timezone.now() - ONE_MINUTE)
    call_command("safety_sweep", "--quiet")
    ignored.refresh_from_db()
    assert ignored.status == AlertStatus.ESCALATED
    run_worker()
    assert [m.to for m in mail.outbox] == [[world.supervisor.email]]
    assert_no_health_information(world, mail.outbox[0])

    supervisor_page = open_page(viewport)
    sign_in(supervisor_page, live_server, world.supervisor)
    supervisor_page.goto(live_server.url + "/")
    alerts = supervisor_page.locator("section.safety-alerts")
    expect(alerts).to_contain_text(world.client_1.display_name)
    expect(alerts).to_contain_text("Escalated")
    screenshot(supervisor_page, "supervisor-home-escalated")
