"""A session, recorded through the real pages in a real browser.

The clinician signs in, records session 2 of Alice's course from the list,
sees the engine's agenda first, records techniques including a communication
analysis, agrees an interpersonal experiment with Sam, and starts a process
note; the note is autosaved by drafts.js, so a reload (or a timeout) loses
nothing. Run at desktop and phone sizes; screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.courses.models import Experiment, NoteDraft, ProcessNote, Session
from openipt.courses.state import course_state
from openipt.protocol.engine import agenda_for
from tests.browser.conftest import Viewport
from tests.browser.layout import sideways_overflow
from tests.browser.test_login import SIGN_IN_BUTTON, fresh_totp_code, submit_password
from tests.factories import TEST_PASSWORD
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROCESS_NOTE = "I noticed I wanted to reassure her instead of staying with the anger."


@pytest.fixture
def world() -> World:
    # The live server needs committed rows, hence transactional_db (module mark).
    return build_world()


def sign_in_as_clinician(page: Page, live_server: LiveServer, world: World) -> None:
    submit_password(page, live_server, world.clinician, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.locator('input[name="code"]').fill(fresh_totp_code())
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def no_sideways_scroll(page: Page, label: str) -> None:
    overflow = sideways_overflow(page)
    assert overflow == 0, f"{label}: the page is {overflow}px wider than the viewport"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_clinician_records_a_session_and_the_process_note_draft_survives_a_reload(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN Alice's course after session 1, with Sam in her inventory
    WHEN the clinician records session 2 (agenda first; a communication analysis),
    agrees an experiment with Sam and types a process note without saving it
    THEN the session, its techniques and the experiment are stored, and after a reload
    the typed note is restored from the autosaved draft."""
    page = open_page(viewport)
    sign_in_as_clinician(page, live_server, world)
    course = world.course_1
    page.goto(f"{live_server.url}/courses/{course.public_id}/sessions/")
    expect(page.get_by_role("link", name="Session 1")).to_be_visible()
    screenshot(page, "list")
    page.get_by_role("button", name="Record session 2").click()

    # The page opens with the agenda for session 2, before the form.
    expect(page.get_by_role("heading", name="Record session 2")).to_be_visible()
    agenda = page.locator(".agenda-card")
    expect(agenda.get_by_role("heading", name="Agenda for session 2")).to_be_visible()
    first_item = sorted(agenda_for(course_state(course), 2), key=lambda i: i.priority)[0]
    expect(agenda.locator("li").first).to_have_text(first_item.text)
    agenda_box = agenda.bounding_box()
    form_box = page.locator("form.session-form").bounding_box()
    assert agenda_box is not None and form_box is not None
    assert agenda_box["y"] < form_box["y"]
    screenshot(page, "agenda")

    page.get_by_label("Date").fill("2026-09-08")
    page.get_by_label("How have things been since we last met?").fill(
        "Two rows with Sam; one good walk."
    )
    details = page.locator(".technique", has_text="Communication analysis").locator(
        ".technique-details"
    )
    expect(details).to_be_hidden()  # the structured fields appear with the tick
    page.get_by_label("Communication analysis").check()
    expect(details).to_be_visible()
    page.get_by_label("What was said").fill("You never listen to me.")
    page.get_by_label("What the client meant").fill("I feel alone with the baby.")
    page.get_by_label("What the other person heard").fill("You are a bad partner.")
    page.get_by_label("What each person felt").fill("Hurt, then angry.")
    page.get_by_label("What could be said instead").fill("Please sit with me tonight.")
    page.get_by_label("Clarification").check()
    page.get_by_label("Summary").fill("Agreed to try one calm talk.")
    screenshot(page, "form")
    no_sideways_scroll(page, "new session form")
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_text("Session 2 saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Session 2", exact=True)).to_be_visible()
    session = Session.objects.get(course=course, number=2)
    assert {u.technique for u in session.techniques.all()} == {
        "communication_analysis",
        "clarification",
    }
    assert (
        "You are a bad partner."
        in session.techniques.get(technique="communication_analysis").details
    )

    # Agree an interpersonal experiment with Sam.
    experiments = page.locator("#experiments")
    experiments.get_by_label("What the client will try before the next session").fill(
        "Ask Sam for ten minutes together on Sunday."
    )
    experiments.get_by_label("With whom (from the inventory)").select_option(label="Sam")
    experiments.get_by_role("button", name="Agree experiment").click()
    expect(page.get_by_text("Experiment agreed.")).to_be_visible()
    expect(
        page.locator("#experiments").get_by_text("Ask Sam for ten minutes together")
    ).to_be_visible()
    assert Experiment.objects.get().person == world.person_1

    # Type a process note and leave it unsaved: drafts.js keeps it.
    note = page.locator("textarea[name=process_note]")
    expect(
        page.get_by_text("Visible to the clinical team only — never shown to the client.")
    ).to_be_visible()
    note.click()
    note.type(PROCESS_NOTE[:30])
    note.press_sequentially(PROCESS_NOTE[30:])
    expect(page.locator("[data-draft-status]")).to_have_text(re.compile(r"^Draft saved \d\d:\d\d$"))
    draft = NoteDraft.objects.get(author=world.clinician, key__endswith=":process_note")
    assert draft.text == PROCESS_NOTE
    assert not ProcessNote.objects.exists()
    screenshot(page, "draft-saved")
    no_sideways_scroll(page, "session page")

    # Second step: the typed note survives a reload.
    page.reload()
    expect(
        page.get_by_text(re.compile(r"Restored your unsaved draft from \d\d:\d\d"))
    ).to_be_visible()
    expect(page.locator("textarea[name=process_note]")).to_have_value(PROCESS_NOTE)
    expect(page.get_by_role("button", name="Discard draft")).to_be_visible()
    screenshot(page, "restored")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session 2 saved.")).to_be_visible()
    assert ProcessNote.objects.get(session=session).text == PROCESS_NOTE
    assert not NoteDraft.objects.exists()
    expect(page.get_by_text("Restored your unsaved draft")).to_have_count(0)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_clinician_records_medication_and_a_dose_change(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN Alice's course WHEN the clinician adds sertraline and later raises the dose
    THEN both are on the medication page (refusals are tested in
    test_courses_sessions_medication.py: a 400 counts as a console error here)."""
    page = open_page(viewport)
    sign_in_as_clinician(page, live_server, world)
    page.goto(f"{live_server.url}/courses/{world.course_1.public_id}/medication/")
    page.get_by_role("button", name="Add medication").click()
    page.get_by_label("Medication").fill("Sertraline")
    page.get_by_label("Starting dose").fill("50 mg once a day")
    page.get_by_label("Prescriber").fill("Dr Okafor (GP)")
    page.get_by_label("Started").fill("2026-08-15")
    page.get_by_label("Side effects").fill("Some nausea in the first week.")
    page.get_by_role("button", name="Add medication").click()
    expect(page.get_by_text("Medication added.")).to_be_visible()

    page.get_by_text("Record a dose change").click()
    page.get_by_label("From").fill("2026-09-20")
    page.get_by_label("New dose").fill("100 mg once a day")
    page.get_by_label("Why").fill("Little effect after four weeks.")
    page.get_by_role("button", name="Save dose change").click()
    expect(page.get_by_text("Dose change recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sertraline 100 mg once a day")).to_be_visible()
    screenshot(page, "list")
    no_sideways_scroll(page, "medication page")


def test_the_supervisor_reads_a_session_without_a_form(
    page: Page, screenshot: Callable[[Page, str], Path], live_server: LiveServer, world: World
) -> None:
    """GIVEN a recorded session with techniques and a process note
    WHEN the practice supervisor opens it THEN they read the record and the process note
    (marked as for the clinical team only) and are offered no form."""
    from openipt.courses.services.sessions import SessionContent, TechniqueEntry, session_record

    session = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=SessionContent(
            date=world.session_1.date,
            interval_history="Two rows with Sam.",
            summary="Agreed to try one calm talk.",
            techniques=[
                TechniqueEntry(
                    "communication_analysis",
                    {"what_said": "You never listen.", "what_heard": "You are a bad partner."},
                )
            ],
            process_note=PROCESS_NOTE,
        ),
    )
    submit_password(page, live_server, world.supervisor, TEST_PASSWORD)
    page.locator('input[name="code"]').fill(fresh_totp_code())
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    page.goto(f"{live_server.url}/courses/{world.course_1.public_id}/sessions/{session.public_id}/")
    expect(page.get_by_role("heading", name="Session 2", exact=True)).to_be_visible()
    expect(page.get_by_text("You are a bad partner.")).to_be_visible()
    expect(page.get_by_text(PROCESS_NOTE)).to_be_visible()
    expect(page.locator("form.session-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Agree experiment")).to_have_count(0)
    screenshot(page, "read-only")
