"""The acceptance test of the course issue: a whole 16-session IPT course, in a real browser.

Tom Reyes, a clinician of the seeded demo practice, signs in with the demo
password and authenticator code, opens Sam Whitaker (who has no course yet) and
runs a standard 16-session course from start to close, only through the pages:

- initial phase: session 1, two people in the inventory, the inventory and the
  diagnosis, sick role and baseline measure ticked, the closeness circle saved
  as "Start of course", the formulation, the focus (a role transition), a goal
  with its starting rating, the contract and the client's agreement, sessions 2
  and 3; then through the gate into the middle phase, with no override;
- middle phase: a session with a communication analysis and an interpersonal
  experiment, reviewed in the next session; the other sessions briefly (date and
  a line of interval history, still through the session form); the ending raised
  when the agenda asks for it; someone moved closer on the circle, saved as
  "End of course" and compared with the start;
- termination phase: sessions 15 and 16, the progress review (every problem and
  goal rated at the start and now, warning signs, outcome, next step), closing
  the course, and the course summary with the ratings.

Each step asserts what the clinician sees (headings, badges, agenda items,
messages). The ORM only reads the outcome at the end. Screenshots named for the
README go to test-artifacts/screenshots/<test name>-<label>.png.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Dialog, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.courses.models import (
    CircleVersion,
    Course,
    CourseStatus,
    Experiment,
    ExperimentStatus,
    PhaseTransition,
    Session,
    TerminationReview,
)
from openipt.protocol.phases import Phase
from tests.browser.demo_helpers import sign_in_as_demo_staff
from tests.browser.layout import sideways_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLINICIAN = "Tom Reyes"
CLIENT = "Sam Whitaker"  # Samuel Whitaker's preferred name
VARIANT = "IPT (standard, 16 sessions)"
FORMULATION = (
    "Your low mood began last spring, when you left university and moved back home "
    "to work at the warehouse: your days, your friends and your sense of where you "
    "were going all changed at once. For the next weeks we will work on that change."
)
OLD_ROLE = "University student"
NEW_ROLE = "Living at home, working at the warehouse"
GOAL = "See a friend outside work every week"
EXPERIMENT = "Message Kai and suggest a call at the weekend."
WARNING_SIGNS = "Staying in my room after work; not answering Kai or Mum."


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


class Journey:
    """The clinician's browser tab on one course, with the moves a clinician repeats."""

    def __init__(self, page: Page, snap: Callable[[Page, str], Path], start: datetime.date):
        self.page = page
        self.snap = snap
        self.start = start

    # --- looking --------------------------------------------------------------------

    def see_message(self, text: str) -> None:
        expect(self.page.locator(".messages")).to_contain_text(text)

    def screenshot(self, label: str) -> None:
        self.snap(self.page, label)
        overflow = sideways_overflow(self.page)
        assert overflow == 0, f"{label}: the page is {overflow}px wider than the viewport"

    @property
    def agenda(self) -> Locator:
        """The overview's card for the next session."""
        return self.page.locator("section.agenda")

    @property
    def tasks(self) -> Locator:
        return self.page.locator("ul.task-list")

    def on_overview(self, *, phase: str, held: int) -> None:
        page = self.page
        expect(page.get_by_role("heading", name=VARIANT, level=1)).to_be_visible()
        progress = f"Session {held} of 16" if held else "No session yet · 16 planned"
        expect(page.locator(".page-header .subtitle")).to_contain_text(f"{progress} · {phase}")
        expect(page.get_by_role("heading", name=f"{phase}: tasks")).to_be_visible()

    # --- moving around ----------------------------------------------------------------

    def overview(self) -> None:
        """Back to the course overview from a course page that has the button."""
        self.page.get_by_role("button", name="Course overview").click()
        expect(self.page.get_by_role("heading", name=VARIANT, level=1)).to_be_visible()

    def overview_from_session(self) -> None:
        """A session page has no overview button: through the list of sessions."""
        self.page.get_by_role("button", name="All sessions").click()
        expect(self.page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
        self.overview()

    def course_record(self, name: str) -> None:
        """Open a part of the course record from the overview's links."""
        self.page.get_by_role("navigation", name="Course record").get_by_role(
            "link", name=name, exact=True
        ).click()

    def mark_task(self, label: str) -> None:
        row = self.tasks.locator("li").filter(has_text=label)
        row.get_by_role("button", name="Mark done").click()
        row = self.tasks.locator("li").filter(has_text=label)
        expect(row).to_have_class("done")
        expect(row.get_by_role("button", name="Undo")).to_be_visible()

    def advance(self, to: str, *, notes: Sequence[str] = ()) -> None:
        page = self.page
        page.locator(".page-header .actions").get_by_role(
            "button", name=f"Move to the {to} phase"
        ).click()
        expect(page.get_by_role("heading", name="Move to the next phase")).to_be_visible()
        expect(page.get_by_text(f"Moving on takes it into the {to} phase")).to_be_visible()
        reasons = page.locator("ul.reasons li")
        expect(reasons).to_have_count(len(notes))
        for note in notes:
            expect(reasons.filter(has_text=note)).to_have_count(1)
        expect(page.get_by_role("button", name="Override the gate and move on")).to_have_count(0)
        page.get_by_role("button", name=f"Move to the {to} phase").click()
        self.see_message(f"The course is now in the {to} phase.")

    # --- sessions ---------------------------------------------------------------------

    def date_of(self, number: int) -> datetime.date:
        return self.start + _days(7 * (number - 1))

    def open_session_form(self, number: int, *, phase: str) -> Locator:
        """From the overview, the "Record session N" button; returns the agenda card."""
        page = self.page
        page.locator(".page-header .actions").get_by_role(
            "button", name=f"Record session {number}"
        ).click()
        expect(page.get_by_role("heading", name=f"Record session {number}")).to_be_visible()
        expect(page.locator(".page-header .subtitle .badge")).to_have_text(phase)
        agenda = page.locator(".agenda-card")
        expect(agenda.get_by_role("heading", name=f"Agenda for session {number}")).to_be_visible()
        return agenda

    def fill_and_save_session(
        self,
        number: int,
        interval_history: str,
        *,
        techniques: Sequence[str] = (),
        adherence: Sequence[str] = (),
        summary: str = "",
    ) -> None:
        page = self.page
        form = page.locator("form.session-form")
        form.get_by_label("Date").fill(self.date_of(number).isoformat())
        expect(form.get_by_label("Attended")).to_be_checked()
        form.get_by_label("How have things been since we last met?").fill(interval_history)
        for name in techniques:
            form.get_by_label(name, exact=True).check()
        for item in adherence:
            form.get_by_label(item).check()
        if summary:
            form.get_by_label("Summary").fill(summary)
        form.get_by_role("button", name="Save session").click()
        self.see_message(f"Session {number} saved.")
        expect(page.get_by_role("heading", name=f"Session {number}", exact=True)).to_be_visible()
        expect(page.get_by_text(interval_history)).to_be_visible()

    def quick_session(self, number: int, *, phase: str, expect_on_agenda: str = "") -> None:
        """A session recorded briefly (date and a line of interval history), then back."""
        agenda = self.open_session_form(number, phase=phase)
        if expect_on_agenda:
            expect(agenda.locator("li").filter(has_text=expect_on_agenda)).to_have_count(1)
        self.fill_and_save_session(number, f"Week {number}: steadier; saw Kai once.")
        self.overview_from_session()


def test_new_clinician_runs_a_whole_16_session_course_in_the_demo(
    demo: None,
    page: Page,
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
) -> None:
    """GIVEN the seeded demo, and Sam Whitaker (Tom Reyes's client) with no course
    WHEN Tom starts a standard 16-session course and works through every phase in the browser
    THEN each page shows him where the course stands and what comes next, the gate opens
    without an override, the ending is raised when the agenda asks for it, and the closed
    course's summary shows every problem and goal rated at the start and at the end."""
    today = timezone.localdate()
    # Session 16 is today: the course started fifteen weeks ago.
    start = today - _days(7 * 15)
    j = Journey(page, screenshot, start)
    page.set_default_timeout(10_000)

    # --- Sign in and open the client -------------------------------------------------
    sign_in_as_demo_staff(page, live_server, CLINICIAN)
    expect(page.get_by_role("heading", name="Caseload", level=1)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_role("link", name=CLIENT).click()
    expect(page.get_by_role("heading", name=CLIENT, level=1)).to_be_visible()
    courses = page.locator("section", has=page.get_by_role("heading", name="IPT courses"))
    expect(courses.locator("li")).to_have_count(0)  # no course yet

    # --- Start a 16-session standard course --------------------------------------------
    courses.get_by_role("button", name="Start an IPT course").click()
    expect(page.get_by_role("heading", name="Start an IPT course")).to_be_visible()
    expect(page.get_by_label("Kind of IPT")).to_have_value("ipt16")
    expect(page.get_by_label("Planned sessions")).to_have_value("16")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_role("button", name="Start course").click()
    j.see_message("Course started. Begin with the initial phase tasks.")
    j.on_overview(phase="Initial phase", held=0)
    expect(j.agenda.get_by_role("heading", name="Next session (1)")).to_be_visible()
    expect(
        page.get_by_text("The gate into the middle phase needs the tasks marked ◆.")
    ).to_be_visible()
    expect(page.get_by_text("No focus chosen yet.")).to_be_visible()
    expect(page.get_by_text("No contract yet.")).to_be_visible()

    # --- Initial phase: session 1 (Sessions → record) -----------------------------------
    j.course_record("Sessions")
    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
    expect(page.get_by_text("No session has been recorded yet.")).to_be_visible()
    page.get_by_role("button", name="Record session 1").click()
    expect(page.get_by_role("heading", name="Record session 1")).to_be_visible()
    agenda = page.locator(".agenda-card")
    expect(agenda.locator("li").first).to_have_text(
        "Review the symptoms, when they began and what made them worse; confirm the diagnosis."
    )
    expect(agenda).to_contain_text("Take a baseline symptom measure (PHQ-9")
    expect(agenda).to_contain_text("Complete the interpersonal inventory")
    j.fill_and_save_session(
        1,
        "Low since the spring; sleeping badly since moving back home.",
        techniques=["Exploratory questions"],
        adherence=[
            "The depression was named as a treatable illness.",
            "The client was given the sick role",
        ],
        summary="Story of the low mood; PHQ-9 taken; diagnosis and sick role given.",
    )
    j.overview_from_session()
    j.on_overview(phase="Initial phase", held=1)

    # --- The interpersonal inventory: two people, then marked done ----------------------
    j.course_record("Interpersonal inventory")
    expect(page.get_by_role("heading", name="Interpersonal inventory")).to_be_visible()
    expect(page.get_by_text("Nobody is in the inventory yet.")).to_be_visible()
    for name, relationship, ring, area, button in (
        ("Mum", "parent", "1", "", "Add the first person"),
        ("Kai", "friend", "3", "role_transition", "Add a person"),
    ):
        page.get_by_role("button", name=button).first.click()
        expect(page.get_by_role("heading", name="Add a person")).to_be_visible()
        page.get_by_label("Name or alias").fill(name)
        page.locator('select[name="relationship"]').select_option(relationship)
        page.get_by_label("Ring in the closeness circle").select_option(ring)
        page.get_by_label("Emotional support").check()
        if area:
            page.get_by_label("Linked problem area").select_option(area)
        page.get_by_role("button", name="Add to the inventory").click()
        j.see_message(f"{name} was added to the inventory.")
    expect(page.locator("table.inventory-table tbody tr")).to_have_count(2)
    expect(page.get_by_text("2 people")).to_be_visible()
    j.overview()
    for task in (
        "Interpersonal inventory complete",
        "Diagnosis given",
        "Sick role given",
        "Baseline symptom measure",
    ):
        j.mark_task(task)

    # --- The closeness circle, saved as the start of the course ------------------------
    j.course_record("Closeness circle")
    expect(page.get_by_role("heading", name="Closeness circle", level=1)).to_be_visible()
    expect(page.locator("svg.closeness-circle g.circle-person")).to_have_count(2)
    expect(page.get_by_text("No version saved yet.")).to_be_visible()
    page.get_by_label("Name this version").fill("Start of course")
    page.get_by_role("button", name="Save version").click()
    j.see_message("The circle was saved as version 1, “Start of course”.")
    j.overview()

    # --- Formulation, focus, goal, contract ---------------------------------------------
    page.get_by_role("link", name="Formulation", exact=True).click()
    expect(page.get_by_role("heading", name="Interpersonal formulation")).to_be_visible()
    page.get_by_label("Formulation (in words the client will read)").fill(FORMULATION)
    page.get_by_role("button", name="Save as a new version").click()
    j.see_message("Formulation saved as a new version.")
    expect(page.locator("blockquote.formulation")).to_contain_text("moved back home")
    expect(page.get_by_role("link", name="Formulation (version 1)")).to_be_visible()

    page.get_by_role("link", name="Choose the focus").click()
    expect(page.get_by_role("heading", name="Choose the focus")).to_be_visible()
    main_area = page.locator("fieldset.focus-card").first
    expect(main_area.locator("legend")).to_have_text("Main problem area")
    main_area.get_by_label("Problem area").select_option(label="Role transition")
    main_area.get_by_label("In the client's situation").fill("Left university last spring")
    main_area.locator("summary", has_text="Role transition").click()
    main_area.get_by_label("Old role").fill(OLD_ROLE)
    main_area.get_by_label("New role").fill(NEW_ROLE)
    page.get_by_role("button", name="Save the focus").click()
    j.see_message("Focus saved.")
    focus_card = page.locator("section", has=page.get_by_role("heading", name="Focus and goals"))
    expect(focus_card).to_contain_text(f"Role transition · from {OLD_ROLE} to {NEW_ROLE}")

    focus_card.get_by_role("link", name="Goals").click()
    expect(page.get_by_role("heading", name="Goals", level=1)).to_be_visible()
    page.get_by_label(re.compile(r"^Goal")).fill(GOAL)
    page.get_by_label("Problem area").select_option(label="Role transition")
    page.get_by_label("Where things stand now (0–10)").fill("3")
    page.get_by_role("button", name="Add goal").click()
    j.see_message("Goal added.")
    expect(page.locator(".goal-list")).to_contain_text("start 3/10")
    j.overview()
    expect(focus_card).to_contain_text(f"{GOAL} (start 3/10)")

    page.get_by_role("link", name="Contract", exact=True).click()
    expect(page.get_by_role("heading", name="Treatment contract")).to_be_visible()
    expect(page.get_by_role("heading", name="Write the contract")).to_be_visible()
    expect(page.get_by_label("Number of sessions")).to_have_value("16")
    page.get_by_label("Anything else agreed").fill("Sessions on Thursdays at 5 pm.")
    page.get_by_role("button", name="Save", exact=True).click()
    j.see_message("Contract written. Record the client's agreement when they have agreed to it.")
    current = page.locator("section.contract-current")
    expect(current.get_by_role("heading", name="Version 1")).to_contain_text("Not yet agreed")
    expect(current).to_contain_text("Role transition")
    current.get_by_role("button", name="The client agrees (record in session)").click()
    j.see_message("The client's agreement is recorded.")
    expect(current.get_by_role("heading", name="Version 1")).to_contain_text("Agreed")
    j.overview()
    expect(page.locator(".badge-ok")).to_contain_text("Contract agreed")

    # --- Sessions 2 and 3; the gate is complete -------------------------------------
    j.quick_session(2, phase="Initial phase", expect_on_agenda="Review symptoms since the last")
    agenda = j.open_session_form(3, phase="Initial phase")
    # The gate tasks are done, so the agenda only carries the optional ones.
    expect(agenda).not_to_contain_text("Complete the interpersonal inventory")
    expect(agenda).to_contain_text("Leave the client with realistic hope")
    j.fill_and_save_session(3, "Told Mum about the plan for our sessions.")
    j.overview_from_session()
    j.on_overview(phase="Initial phase", held=3)
    expect(page.get_by_text("The gate into the middle phase is complete.")).to_be_visible()
    expect(j.agenda.get_by_role("heading", name="Next session (4)")).to_be_visible()
    expect(j.agenda.locator("li").first).to_have_text(
        "Every gate task is done: move the course to the middle phase."
    )
    for gate_task in (
        "Baseline symptom measure",
        "Interpersonal inventory complete",
        "Interpersonal formulation agreed",
        "Focus chosen",
        "Treatment contract agreed",
    ):
        expect(j.tasks.locator("li.done").filter(has_text=gate_task)).to_have_count(1)
    j.screenshot("course-overview-initial")

    # --- Through the gate into the middle phase (no override) ---------------------------
    j.advance("middle")
    j.on_overview(phase="Middle phase", held=3)
    expect(page.get_by_text("The middle phase has no one-off tasks")).to_be_visible()
    expect(j.agenda).to_contain_text("Keep to the agreed focus: Role transition.")
    expect(j.agenda).to_contain_text("Open with the interval history")
    expect(page.locator("ul.history")).to_contain_text(
        f"moved from the initial to the middle phase after session 3 by {CLINICIAN}"
    )
    expect(page.locator("ul.history")).not_to_contain_text("gate overridden")
    j.screenshot("course-overview-middle")

    # --- Session 4: a communication analysis, and an experiment -------------------------
    agenda = j.open_session_form(4, phase="Middle phase")
    expect(agenda).to_contain_text("Keep to the agreed focus: Role transition.")
    expect(agenda).to_contain_text("If it fits, agree one interpersonal experiment")
    form = page.locator("form.session-form")
    analysis = form.locator(".technique", has_text="Communication analysis")
    expect(analysis.locator(".technique-details")).to_be_hidden()
    form.get_by_label("Communication analysis").check()
    expect(analysis.locator(".technique-details")).to_be_visible()
    form.get_by_label("What was said").fill("Kai: 'You've gone quiet on us.' Sam: 'I'm busy.'")
    form.get_by_label("What the client meant").fill("I'm embarrassed about the warehouse.")
    form.get_by_label("What the other person heard").fill("I don't want to be your friend.")
    form.get_by_label("What each person felt").fill("Sam ashamed; Kai hurt.")
    form.get_by_label("What could be said instead").fill("I miss you; things are hard.")
    form.get_by_label("Work on the focus").fill(
        "Mourning the student role; what the new one offers."
    )
    j.fill_and_save_session(
        4,
        "A flat week; Kai messaged and Sam did not answer.",
        techniques=["Clarification"],
        adherence=[
            "The session stayed with the agreed problem area(s).",
            "The session opened by asking how things had been since the last one.",
        ],
    )
    # The saved session opens as its form, ready for corrections.
    form = page.locator("form.session-form")
    expect(form.get_by_label("Communication analysis")).to_be_checked()
    expect(form.get_by_label("What the other person heard")).to_have_value(
        "I don't want to be your friend."
    )
    expect(form.get_by_label("Clarification")).to_be_checked()
    experiments = page.locator("#experiments")
    experiments.get_by_label("What the client will try before the next session").fill(EXPERIMENT)
    experiments.get_by_label("Linked focus area").select_option(label="Role transition")
    experiments.get_by_label("With whom (from the inventory)").select_option(label="Kai")
    experiments.get_by_role("button", name="Agree experiment").click()
    j.see_message("Experiment agreed. It will come up for review next time.")
    agreed = page.locator("#experiments article.experiment")
    expect(agreed).to_contain_text(EXPERIMENT)
    expect(agreed).to_contain_text("with Kai")
    expect(agreed.locator(".badge").first).to_have_text("To try")
    j.overview_from_session()

    # --- Session 5: the experiment is reviewed --------------------------------------------
    expect(j.agenda).to_contain_text("Review the 1 between-session experiment agreed earlier")
    agenda = j.open_session_form(5, phase="Middle phase")
    expect(agenda).to_contain_text("Review the 1 between-session experiment agreed earlier")
    to_review = page.locator("#review")
    expect(to_review.get_by_role("heading", name="Experiments to review")).to_be_visible()
    expect(to_review).to_contain_text(EXPERIMENT)
    expect(to_review).to_contain_text("Save this session first")
    j.fill_and_save_session(
        5,
        "Called Kai on Sunday; they talked for an hour.",
        techniques=["Encouragement of affect"],
    )
    to_review = page.locator("#review")
    to_review.get_by_label("Reviewed together").check()
    to_review.get_by_label("Review note").fill("Relieved; Kai had missed him too.")
    to_review.get_by_role("button", name="Save review").click()
    j.see_message("Review saved.")
    reviewed = page.locator("#review article.experiment")
    expect(reviewed.locator(".badge").first).to_have_text("Reviewed")
    expect(reviewed).to_contain_text("reviewed in session 5")
    expect(reviewed).to_contain_text("Relieved; Kai had missed him too.")
    j.overview_from_session()
    expect(j.agenda).not_to_contain_text("between-session experiment agreed earlier")

    # --- Sessions 6 to 11, briefly -------------------------------------------------------
    for number in range(6, 11):
        j.quick_session(number, phase="Middle phase")
    # Five sessions left after the next one: too early to raise the ending.
    expect(j.agenda).not_to_contain_text("Raise the ending")
    j.quick_session(11, phase="Middle phase")

    # --- The agenda asks to raise the ending (4 sessions left after session 12) --------
    raise_ending = (
        "Raise the ending now: 4 sessions left after this one, and termination starts at "
        "session 15."
    )
    expect(j.agenda.get_by_role("heading", name="Next session (12)")).to_be_visible()
    expect(j.agenda.locator("li").filter(has_text=raise_ending)).to_have_count(1)
    # The termination task is offered here, in the middle phase, to tick once raised.
    expect(j.tasks.locator("li")).to_have_count(1)
    ending_task = j.tasks.locator("li").filter(has_text="Ending raised")
    expect(ending_task.get_by_role("button", name="Mark done")).to_be_visible()
    agenda = j.open_session_form(12, phase="Middle phase")
    expect(agenda.locator("li").filter(has_text=raise_ending)).to_have_count(1)
    j.fill_and_save_session(
        12,
        "Talked about the four sessions left; Sam is worried about coping alone.",
        adherence=["The ending was raised two to four sessions before it."],
    )
    j.overview_from_session()
    j.mark_task("Ending raised")
    expect(j.agenda).not_to_contain_text("Raise the ending now")
    expect(j.agenda).to_contain_text("Keep the ending in view: 3 sessions left after this one.")

    for number in (13, 14):
        j.quick_session(number, phase="Middle phase", expect_on_agenda="Keep the ending in view")
    expect(j.agenda.locator("li").first).to_have_text(
        "The plan puts session 15 in the termination phase (from session 15): move the "
        "course to termination."
    )

    # --- The circle at the end: Kai moved closer, compared with the start --------------
    j.course_record("Closeness circle")
    page.get_by_role("button", name="Move Kai closer").click()
    j.see_message("Kai moved to ring 2.")
    page.get_by_label("Name this version").fill("End of course")
    page.get_by_role("button", name="Save version").click()
    j.see_message("The circle was saved as version 2, “End of course”.")
    page.get_by_role("button", name="Compare versions").click()
    expect(page.get_by_role("heading", name="Compare closeness circles")).to_be_visible()
    sides = page.locator("figure.compare-side")
    expect(sides).to_have_count(2)
    expect(sides.nth(0).locator("figcaption")).to_contain_text("Start of course")
    expect(sides.nth(1).locator("figcaption")).to_contain_text("End of course")
    expect(page.locator("svg.closeness-circle")).to_have_count(2)
    expect(page.locator(".change-list")).to_contain_text("Kai moved closer: ring 3 → 2")
    expect(page.get_by_text("On the same ring: Mum.")).to_be_visible()
    boxes = [sides.nth(i).bounding_box() for i in (0, 1)]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]  # side by side
    j.screenshot("circle-start-vs-end")
    j.overview()

    # --- Into the termination phase; sessions 15 and 16 -----------------------------------
    j.advance("termination")
    j.on_overview(phase="Termination phase", held=14)
    expect(j.tasks.locator("li.done").filter(has_text="Ending raised")).to_have_count(1)
    j.quick_session(15, phase="Termination phase", expect_on_agenda="Review progress on each")
    agenda = j.open_session_form(16, phase="Termination phase")
    expect(agenda).to_contain_text(
        "Last planned session: once the review is done, close the course with the closing review."
    )
    j.fill_and_save_session(16, "Last session: proud of calling Kai; sad to stop.")
    j.overview_from_session()
    j.on_overview(phase="Termination phase", held=16)
    expect(
        j.agenda.get_by_text(
            "All planned sessions are recorded. Complete the progress review and close the course."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Close the course")).to_have_count(0)
    # Every planned session is recorded: the overview offers no seventeenth.
    actions = page.locator(".page-header .actions")
    expect(actions.get_by_role("button", name="Progress review")).to_be_visible()
    expect(actions.get_by_role("button", name=re.compile(r"^Record session"))).to_have_count(0)

    # --- The progress review ---------------------------------------------------------------
    page.locator(".page-header .actions").get_by_role("button", name="Progress review").click()
    expect(page.get_by_role("heading", name="Progress review", level=1)).to_be_visible()
    items = page.locator("fieldset.review-item")
    expect(items).to_have_count(2)
    problem = items.filter(has_text="Problem area")
    goal = items.filter(has_text=GOAL)
    expect(problem.locator("legend")).to_contain_text("Role transition")
    expect(goal.get_by_label("At the start")).to_have_value("3")  # from the goal
    expect(problem.get_by_label("At the start")).to_have_value("")
    problem.get_by_label("At the start").fill("2")
    problem.get_by_label("Now").fill("7")
    problem.get_by_label("What changed").fill("Sees work as a stage, not a failure.")
    goal.get_by_label("Now").fill("8")
    goal.get_by_label("What changed").fill("Climbing with Kai on Saturdays.")
    page.get_by_label("Feelings about ending").fill("Sad to stop, and proud of the calls.")
    page.get_by_label("Personal warning signs").fill(WARNING_SIGNS)
    page.get_by_label("What to do if they appear").fill("Text Kai; book a check-in with the GP.")
    page.get_by_label("People to turn to").fill("Mum; Kai; the practice on 020 7946 0100.")
    page.get_by_role("combobox", name="Outcome").select_option(label="Responded")
    page.get_by_role("combobox", name="Next step").select_option(label="End treatment")
    page.get_by_label("About the next step").fill("Back in touch if the warning signs return.")
    j.screenshot("termination-review")
    page.get_by_role("button", name="Complete the review").click()
    j.see_message("Progress review complete. You can close the course.")
    for task in (
        "Progress reviewed",
        "Feelings about ending acknowledged",
        "Warning signs and coping plan",
        "Next step agreed",
    ):
        expect(j.tasks.locator("li.done").filter(has_text=task)).to_have_count(1)

    # --- Close the course (the browser asks to confirm) --------------------------------
    asked: list[str] = []

    def confirm(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_role("button", name="Close the course").click()
    j.see_message("Course closed. The record is kept in full.")
    assert asked == ["Close this course? It becomes read-only; the record is kept in full."]
    expect(page.locator(".page-header .badge-archived")).to_contain_text(
        re.compile(r"^Closed \d{1,2} \w{3} \d{4}$")
    )
    expect(page.get_by_role("heading", name="Course closed")).to_be_visible()
    expect(page.locator(".page-header .actions")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark done")).to_have_count(0)

    # --- The course summary shows the ratings -------------------------------------------
    page.get_by_role("link", name="Course summary").click()
    expect(page.get_by_role("heading", name="Course summary", level=1)).to_be_visible()
    summary = page.locator("article.course-summary")
    details = summary.locator("dl.details")
    expect(details).to_contain_text("16 attended of 16 planned")
    expect(details).to_contain_text("Role transition")
    expect(details).to_contain_text("Responded")
    expect(details).to_contain_text("End treatment")
    expect(details).to_contain_text("Back in touch if the warning signs return.")
    expect(details).to_contain_text("Closed")
    rows = summary.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Role transition").locator("td")).to_have_text(
        [re.compile(r"^Role transition"), "2/10", "7/10"]
    )
    expect(rows.filter(has_text=GOAL).locator("td")).to_have_text(
        [re.compile(f"^{GOAL}"), "3/10", "8/10"]
    )
    expect(summary).to_contain_text(WARNING_SIGNS)
    j.screenshot("course-summary")

    # --- What the record now holds --------------------------------------------------------
    course = Course.objects.get(client__preferred_name="Sam", client__family_name="Whitaker")
    assert course.status == CourseStatus.CLOSED
    assert course.phase == Phase.TERMINATION
    sessions = list(course.sessions.order_by("number"))
    assert [s.number for s in sessions] == list(range(1, 17))
    assert [s.date for s in sessions] == [j.date_of(n) for n in range(1, 17)]
    assert {s.phase for s in sessions if s.number <= 3} == {Phase.INITIAL}
    assert {s.phase for s in sessions if 4 <= s.number <= 14} == {Phase.MIDDLE}
    assert {s.phase for s in sessions if s.number >= 15} == {Phase.TERMINATION}
    assert Session.objects.get(course=course, number=4).techniques.count() == 2
    transitions = PhaseTransition.objects.filter(course=course).order_by("created_at")
    assert [(t.to_phase, t.after_session, t.overridden) for t in transitions] == [
        (Phase.MIDDLE, 3, False),
        (Phase.TERMINATION, 14, False),
    ]
    experiment = Experiment.objects.get(course=course)
    assert experiment.status == ExperimentStatus.REVIEWED
    assert experiment.reviewed_in is not None and experiment.reviewed_in.number == 5
    assert list(
        CircleVersion.objects.filter(course=course)
        .order_by("number")
        .values_list("label", flat=True)
    ) == ["Start of course", "End of course"]
    review = TerminationReview.objects.get(course=course)
    assert review.completed_at is not None
    assert sorted((i.rating_at_start, i.rating_now) for i in review.items.all()) == [(2, 7), (3, 8)]
