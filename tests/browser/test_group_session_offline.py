"""Recording a group session on a phone with a connection that drops, in a real browser.

Fay opens session 1 of her Tuesday group on a 390×844 phone and enters who is
here and each member's PHQ-9. The connection drops as she presses Save: the
page says nothing was sent and keeps her entries on the phone; nothing is
stored. Back online, a reload puts everything back (with the same idempotency
key) and Save stores the session once. Then a save whose answer is lost on the
way back (the server commits, the phone sees a network error), pressing Save
again, and one more resend of the same form all leave exactly one session and
one score per member present.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from openipt.groups.models import Attendance, GroupMember, GroupSession, MemberScore, MemberTask
from tests.browser.conftest import PageWatch, Viewport, axe_violations
from tests.browser.test_safety_loop import sign_in
from tests.groups.world import GroupWorld, build_group_world
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_SENT = "Not sent: no connection. Your entries are kept on this phone"
RESTORED = "Restored what you entered before the connection dropped"
DRAFT_KEYS_JS = """() => Object.keys(localStorage).filter((k) => k.startsWith("openipt.groups."))"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Answers per member (items 1–9), by given name; Ivy is absent.
ANSWERS = {"Grace": (2, 1, 1, 2, 0, 1, 1, 0, 0), "Hana": (1, 1, 2, 1, 1, 0, 0, 0, 0)}


@pytest.fixture
def world() -> World:
    # The live server needs committed rows (transactional_db, module mark).
    return build_world()


def _member(gw: GroupWorld, given: str) -> GroupMember:
    return next(m for m in gw.members if m.client.given_name == given)


def fill_in(page: Page, gw: GroupWorld) -> None:
    for given, values in ANSWERS.items():
        member = _member(gw, given)
        for number, value in enumerate(values, start=1):
            page.locator(
                f'input[name="m-{member.public_id}-phq9-{number}"][value="{value}"]'
            ).check()
    ivy = _member(gw, "Ivy")
    page.locator(f'input[name="m-{ivy.public_id}-present"]').uncheck()
    grace = _member(gw, "Grace")
    page.locator(f'input[name="m-{grace.public_id}-task"]').fill("Ask my sister for a walk")


def key_on_page(page: Page) -> str:
    return page.locator('input[name="idempotency_key"]').input_value()


def test_a_session_survives_a_dropped_connection_and_is_stored_once(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    page_watch: PageWatch,
    axe_source: str,
    world: World,
) -> None:
    """GIVEN Fay on a phone with session 1 filled in WHEN the connection drops as she
    saves THEN nothing is stored and her entries stay on the phone; WHEN she reloads
    online THEN they are restored and one Save stores the session; WHEN a save's answer
    is lost and she saves again, and the form is sent once more THEN still one session."""
    gw = build_group_world(world)
    grace, ivy = _member(gw, "Grace"), _member(gw, "Ivy")
    page = open_page("phone")
    sign_in(page, live_server, gw.facilitator)
    record_url = live_server.url + reverse(
        "groups:session_record", kwargs={"public_id": gw.group.public_id}
    )
    page.goto(record_url)
    expect(page.get_by_role("heading", name=re.compile(r"^Session 1"))).to_be_visible()
    screenshot(page, "phone-form")
    assert axe_violations(page, axe_source) == []
    assert page.evaluate(OVERFLOW_JS) <= 0
    key = key_on_page(page)
    fill_in(page, gw)

    # The connection drops: Save says so, keeps the entries, stores nothing.
    page.context.set_offline(True)
    page.get_by_role("button", name="Save session 1").click()
    expect(page.locator(".session-save").get_by_text(NOT_SENT)).to_be_visible()
    screenshot(page, "phone-not-sent")
    assert not GroupSession.objects.exists()
    drafts = page.evaluate(DRAFT_KEYS_JS)
    assert len(drafts) == 1 and key in drafts[0] and str(gw.group.public_id) in drafts[0]
    stored = page.evaluate(f"() => localStorage.getItem({drafts[0]!r})")
    for member in gw.members:  # field names carry ids, never a name
        assert member.client.family_name not in stored

    # Back online, a reload (a new page, a new key from the server) restores everything.
    page.context.set_offline(False)
    page.reload()
    expect(page.get_by_text(RESTORED).first).to_be_visible()
    assert key_on_page(page) == key
    expect(page.locator(f'input[name="m-{grace.public_id}-phq9-1"][value="2"]')).to_be_checked()
    expect(page.locator(f'input[name="m-{ivy.public_id}-present"]')).not_to_be_checked()
    expect(page.locator(f'input[name="m-{grace.public_id}-task"]')).to_have_value(
        "Ask my sister for a walk"
    )
    screenshot(page, "phone-restored")
    form_body = page.evaluate(
        "() => new URLSearchParams(new FormData(document.querySelector('form[data-offline-key]')))"
        ".toString()"
    )

    # The server stores the session, but its answer never reaches the phone.
    def lose_the_answer(route: Route) -> None:
        route.fetch()  # the request reaches the server, which commits
        route.abort("internetdisconnected")

    page.route(record_url, lose_the_answer)
    page.get_by_role("button", name="Save session 1").click()
    expect(page.locator(".session-save").get_by_text(NOT_SENT)).to_be_visible()
    page.unroute(record_url)
    # That aborted request is the simulated lost answer, not a fault of the page.
    for watched in page_watch.pages:
        watched.console_errors[:] = [
            e for e in watched.console_errors if "ERR_INTERNET_DISCONNECTED" not in e
        ]
    session = GroupSession.objects.get()
    assert page.evaluate(DRAFT_KEYS_JS) != []  # the phone still holds the entries

    # Save again: the same key brings back the stored session, nothing is stored twice.
    page.get_by_role("button", name="Save session 1").click()
    expect(page).to_have_url(re.compile(rf"/groups/sessions/{session.public_id}/$"))
    expect(page.get_by_text("nothing was stored twice")).to_be_visible()
    assert page.evaluate(DRAFT_KEYS_JS) == []  # saved: the copy on the phone is gone
    screenshot(page, "phone-saved")

    # One more resend of the very same form (e.g. from another tab): still one session.
    response = page.request.post(
        record_url,
        data=form_body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.ok
    assert response.url.endswith(f"/groups/sessions/{session.public_id}/")

    assert GroupSession.objects.count() == 1
    assert session.idempotency_key == key
    assert MemberScore.objects.filter(session=session).count() == 2
    assert Attendance.objects.filter(session=session).count() == 3
    assert not Attendance.objects.get(session=session, member=ivy).present
    assert MemberTask.objects.get(session=session).text == "Ask my sister for a walk"
    totals = dict(MemberScore.objects.filter(session=session).values_list("member_id", "total"))
    assert totals == {_member(gw, g).pk: sum(v) for g, v in ANSWERS.items()}

    # The session page reads well on the phone too.
    page.reload()
    expect(page.get_by_text(f"PHQ-9 {sum(ANSWERS['Grace'])}")).to_be_visible()
    screenshot(page, "phone-session-page")
    assert axe_violations(page, axe_source) == []
    assert page.evaluate(OVERFLOW_JS) <= 0
    # At 200 % text the form still fits the phone's width (one question a row).
    page.goto(
        live_server.url + reverse("groups:session_edit", kwargs={"public_id": session.public_id})
    )
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    assert page.evaluate(OVERFLOW_JS) <= 0
    screenshot(page, "phone-correct-200pct")
