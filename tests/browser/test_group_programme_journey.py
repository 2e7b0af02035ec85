"""Issue 6 acceptance: a group IPT programme from screening to the dashboard, in a real browser.

Riverside Clinic (practice A) is a site of a group programme. Fay, its
facilitator, works on a 390×844 phone: she screens six people, records the
pre-group session of four of them, forms a group, places all six and starts it,
then records sessions 1 to 8 (attendance, each member's PHQ-9 falling over the
weeks, a task each, the checklist and her own rating). In session 5 one member
answers the self-harm question "Several days": the page says the supervisor has
been told. After session 8 the group is completed. Sam, who supervises Fay,
finds the alert first on his queue and acknowledges it with what he did, then
rates the session the queue flags. Pat, the programme manager, reads the
programme's dashboard: the counts, attendance and the mean PHQ-9 change match
what Fay entered, and the site's chart image loads. Nothing was pre-created but
the programme, the site and the supervision assignment. Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
from django.db.models import Count
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.audit.models import AuditAction, AuditEvent
from openipt.groups.models import (
    Attendance,
    FidelityRater,
    FidelityRating,
    Group,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberStatus,
    MemberTask,
    Programme,
    Screening,
    ScreeningOutcome,
)
from openipt.safety.models import AlertAction, AlertStatus, RiskAlert
from tests.browser.conftest import Viewport
from tests.browser.group_helpers import (
    SESSION_PAGE,
    MemberEntry,
    Person,
    SessionEntries,
    answers_for,
    fill_session,
    group_site_programme,
    no_sideways_scroll,
    record_pre_group,
    same_session_on,
    screen_person,
)
from tests.browser.test_safety_loop import sign_in
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GROUP_NAME = "Wednesday afternoon group"
PLANNED = 8
# Screened in this order; the first four have their pre-group session before the group
# starts, the last two choose their problem area in session 1.
PEOPLE = (
    Person("Amina", "Diallo", datetime.date(1988, 3, 14), "woman", 14, 4, "role_dispute"),
    Person("Bongani", "Mokoena", datetime.date(1979, 7, 2), "man", 17, 6, "grief"),
    Person("Chipo", "Banda", datetime.date(1995, 11, 23), "woman", 12, 3, "role_transition"),
    Person("Dumisani", "Nkosi", datetime.date(1983, 1, 9), "man", 19, 8, "interpersonal_deficits"),
    Person("Esther", "Wanjiru", datetime.date(1990, 5, 30), "woman", 15, 5),
    Person("Farah", "Hassan", datetime.date(1986, 9, 17), "woman", 20, 9),
)
AREA_AT_SESSION_1 = {"Esther": "role_dispute", "Farah": "grief"}
ABSENT = {3: {"Chipo"}, 6: {"Dumisani", "Farah"}}
RISK_SESSION, RISK_MEMBER = 5, PEOPLE[0]
# Fay ticks one checklist item and rates herself 2: the queue asks Sam to look at it.
WEAK_SESSION = 4
SHOTS = {1, RISK_SESSION, PLANNED}
REVIEWS = ("done", "partly", "not_done")
TOLD = "your supervisor has been told"
CHART_LOADED_JS = """() => {
  const img = document.querySelector("figure.site-chart img");
  return img !== null && img.complete && img.naturalWidth > 0 ? img.currentSrc : null;
}"""


@pytest.fixture
def world() -> World:
    # The live server needs committed rows (transactional_db, module mark).
    return build_world()


# --------------------------------------------------------------------------- Fay, on a phone


def screen_everyone(page: Page, live_server: LiveServer, shot: Callable[[str], None]) -> None:
    for index, person in enumerate(PEOPLE):
        if index == 0:
            page.get_by_role("button", name="Screen someone").click()
        else:
            page.goto(live_server.url + reverse("groups:screen"))
        expect(page.get_by_role("heading", name="Screen someone for a group")).to_be_visible()
        screen_person(page, person)
        if index == 0:
            shot("phone-screening-form")
        page.get_by_role("button", name="Save the screening").click()
        expect(page.get_by_role("heading", name=f"{person.name} can join a group")).to_be_visible()
        expect(page.locator(".score-total")).to_have_text(str(person.screening_total))
        if index == 0:
            shot("phone-screening-result")
            no_sideways_scroll(page)
        if person.problem_area:
            page.get_by_role("button", name="Record the pre-group session").click()
            record_pre_group(page, person)


def form_place_and_start(page: Page, live_server: LiveServer, shot: Callable[[str], None]) -> str:
    """Form the group, place the six from the waiting list, start it; the group page's URL."""
    home = live_server.url + reverse("facilitator_home")
    page.goto(home)
    waiting = page.locator(".waiting-people li")
    expect(waiting).to_have_count(len(PEOPLE))
    expect(waiting.filter(has_text="Pre-group session to do")).to_have_count(2)
    shot("phone-home-waiting")
    page.get_by_role("button", name="Form a group").click()
    page.locator("#id_name").fill(GROUP_NAME)
    page.get_by_role("button", name="Form the group").click()
    expect(page.get_by_text("The group is formed.")).to_be_visible()
    group_url = page.url
    for person in PEOPLE:
        page.goto(home)
        page.locator(".waiting-people").get_by_role("link", name=person.name).click()
        expect(page.get_by_role("heading", name=person.name, exact=True)).to_be_visible()
        page.get_by_role("button", name="Place in this group").click()
        expect(page.get_by_text(f"{person.name} is now in {GROUP_NAME}.")).to_be_visible()
    page.goto(home)
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    page.get_by_role("link", name=GROUP_NAME).click()
    expect(page.get_by_text(f"{len(PEOPLE)} are placed")).to_be_visible()
    page.get_by_role("button", name="Start the group").click()
    expect(page.get_by_text("The group has started.")).to_be_visible()
    expect(page.get_by_role("button", name="Record session 1")).to_be_visible()
    expect(page.locator("table.group-members tbody tr")).to_have_count(len(PEOPLE))
    shot("phone-group-page")
    no_sideways_scroll(page)
    return group_url


def entries_for(number: int, ids: dict[str, UUID]) -> SessionEntries:
    members = []
    for index, person in enumerate(PEOPLE):
        if person.given in ABSENT.get(number, ()):
            members.append(MemberEntry(ids[person.given], present=False))
            continue
        item_9 = 1 if (number, person) == (RISK_SESSION, RISK_MEMBER) else 0
        members.append(
            MemberEntry(
                ids[person.given],
                present=True,
                answers=answers_for(person.total_at(number, PLANNED), item_9=item_9),
                task=f"Week {number}: talk with someone close about one thing that matters",
                review=REVIEWS[(number + index) % len(REVIEWS)],
                problem_area=AREA_AT_SESSION_1.get(person.given, "") if number == 1 else "",
            )
        )
    weak = number == WEAK_SESSION
    return SessionEntries(
        members=members,
        notes=f"Session {number}: the group shared what changed since last week.",
        adherence_ticked=1 if weak else None,
        self_rating=2 if weak else 4,
    )


def record_session(
    page: Page, group_url: str, number: int, ids: dict[str, UUID], shot: Callable[[str], None]
) -> None:
    page.goto(group_url)
    page.get_by_role("button", name=f"Record session {number}").click()
    expect(page.get_by_role("heading", name=re.compile(rf"^Session {number}\b"))).to_be_visible()
    fill_session(page, entries_for(number, ids))
    if number in SHOTS:
        shot(f"phone-session-{number}-form")
    page.get_by_role("button", name=f"Save session {number}").click()
    expect(page).to_have_url(SESSION_PAGE)
    messages = page.locator(".messages")
    expect(messages).to_contain_text(f"Session {number} saved.")
    present = len(PEOPLE) - len(ABSENT.get(number, ()))
    expect(page.locator(".subtitle")).to_contain_text(f"{present} of {len(PEOPLE)} here")
    expect(page.locator(".session-row.is-absent")).to_have_count(len(PEOPLE) - present)
    alerts = page.locator(".session-row").filter(has_text="Safety alert raised")
    if number == RISK_SESSION:
        expect(messages).to_contain_text(TOLD)
        expect(page.get_by_text("the supervisor was told")).to_be_visible()
        expect(alerts).to_have_count(1)
        expect(alerts).to_contain_text(RISK_MEMBER.name)
        expect(alerts).to_contain_text(f"PHQ-9 {RISK_MEMBER.total_at(number, PLANNED)}")
    else:
        expect(messages).not_to_contain_text(TOLD)
        expect(alerts).to_have_count(0)
    if number in SHOTS:
        shot(f"phone-session-{number}-saved")
        no_sideways_scroll(page)


# --------------------------------------------------------------------------- Sam, Pat


def queue_section(page: Page, key: str) -> Locator:
    return page.locator(f"section.queue-{key}")


def supervisor_acknowledges_and_rates(
    open_page: Callable[[Viewport], Page],
    live_server: LiveServer,
    world: World,
    shot: Callable[[Page, str], Path],
) -> None:
    page = open_page("desktop")
    sign_in(page, live_server, world.supervisor)
    # A supervisor at a group site lands on the queue.
    expect(page).to_have_url(re.compile(r"/groups/supervision/$"))
    first = page.locator("section.queue-section").first
    expect(first).to_have_class(re.compile(r"\bqueue-alerts\b"))
    expect(first.locator(".queue-count")).to_have_text("(1)")
    expect(first.locator(".queue-item").first).to_contain_text(RISK_MEMBER.name)
    expect(first.locator(".queue-item").first).to_contain_text("Fay Facilitator")
    shot(page, "desktop-supervisor-queue")
    phone = open_page("phone")
    same_session_on(page, phone, page.url)
    expect(queue_section(phone, "alerts").locator(".queue-item")).to_contain_text(RISK_MEMBER.name)
    shot(phone, "phone-supervisor-queue")
    no_sideways_scroll(phone)

    first.get_by_role("link", name=re.compile(r"^Open the alert")).click()
    expect(page.get_by_role("heading", name=f"Risk alert: {RISK_MEMBER.name}")).to_be_visible()
    page.get_by_label("Contacted the client").check()
    page.get_by_label("Note").fill("Called her the same evening; she is safe and has a plan.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("heading", name="Acknowledged")).to_be_visible()
    expect(page.locator(".page-header .badge")).to_have_text("Acknowledged")
    shot(page, "desktop-alert-acknowledged")

    page.goto(live_server.url + reverse("groups:supervision_queue"))
    expect(queue_section(page, "alerts").locator(".queue-count")).to_have_text("(0)")
    weak = queue_section(page, "sessions").locator(".queue-item")
    expect(weak).to_have_count(1)
    expect(weak).to_contain_text(f"session {WEAK_SESSION}")
    weak.get_by_role("link", name=re.compile(r"^Rate this session")).click()
    page.get_by_role("radio", name=re.compile(r"^3 · Mostly kept to it")).check()
    page.get_by_role("button", name="Save rating").click()
    expect(page.get_by_text(f"Rating saved for session {WEAK_SESSION}")).to_be_visible()
    page.goto(live_server.url + reverse("groups:supervision_queue"))
    expect(queue_section(page, "sessions").locator(".queue-count")).to_have_text("(0)")


def expected_outcomes() -> dict[str, str]:
    changes = [p.end_total - p.screening_total for p in PEOPLE]
    ends = [p.end_total for p in PEOPLE]
    places = len(PEOPLE) * PLANNED
    present = places - sum(len(names) for names in ABSENT.values())
    return {
        "Attendance": f"{round(100 * present / places)}%",
        "Mean PHQ-9 change": f"{sum(changes) / len(changes):.1f}",
        "PHQ-9 below 5 at end": f"{round(100 * sum(e < 5 for e in ends) / len(ends))}%",
        "PHQ-9 below 10 at end": f"{round(100 * sum(e < 10 for e in ends) / len(ends))}%",
    }


def check_site_row(page: Page, world: World) -> None:
    tables = page.locator('section[aria-labelledby="totals-heading"] table')
    people, outcomes = tables.nth(0).locator("tbody tr"), tables.nth(1).locator("tbody tr")
    expect(people).to_have_count(1)
    expect(people.locator("th")).to_have_text(world.practice_a.name)
    expected = expected_outcomes()
    assert expected["Attendance"] == "94%" and expected["Mean PHQ-9 change"] == "-10.3"
    for label, value in (
        ("Groups running", "0"),
        ("Groups completed", "1"),
        ("In a group now", "0"),
        ("Completed", str(len(PEOPLE))),
        ("Left early", "0"),
        ("Waiting", "0"),
        ("Attendance", expected["Attendance"]),
    ):
        expect(people.locator(f'td[data-label="{label}"]')).to_have_text(value)
    for label, value in (
        ("Members scored", str(len(PEOPLE))),
        ("Mean PHQ-9 change", expected["Mean PHQ-9 change"]),
        ("Reliably improved", "100%"),
        ("Completers scored", str(len(PEOPLE))),
        ("PHQ-9 below 5 at end", expected["PHQ-9 below 5 at end"]),
        ("PHQ-9 below 10 at end", expected["PHQ-9 below 10 at end"]),
    ):
        expect(outcomes.locator(f'td[data-label="{label}"]')).to_have_text(value)


def manager_reads_the_dashboard(
    open_page: Callable[[Viewport], Page],
    live_server: LiveServer,
    world: World,
    programme: Programme,
    shot: Callable[[Page, str], Path],
) -> None:
    page = open_page("desktop")
    sign_in(page, live_server, world.programme_manager)
    expect(page).to_have_url(re.compile(r"/organisation/$"))
    row = page.locator("tbody tr").filter(has_text=programme.name)
    expect(row.locator('td[data-label="Groups completed"]')).to_have_text("1")
    expect(row.locator('td[data-label="Completed"]')).to_have_text(str(len(PEOPLE)))
    shot(page, "desktop-organisation")
    row.get_by_role("link", name=programme.name, exact=True).click()
    expect(page.get_by_role("heading", name=programme.name, level=1)).to_be_visible()
    check_site_row(page, world)
    expect(page.get_by_role("heading", name=world.practice_a.name)).to_be_visible()
    chart = page.wait_for_function(CHART_LOADED_JS).json_value()
    assert "size=narrow" not in chart
    shot(page, "desktop-dashboard")

    phone = open_page("phone")
    same_session_on(page, phone, page.url)
    check_site_row(phone, world)
    narrow = phone.wait_for_function(CHART_LOADED_JS).json_value()
    assert "size=narrow" in narrow
    shot(phone, "phone-dashboard")
    no_sideways_scroll(phone)


# --------------------------------------------------------------------------- the journey


def test_a_group_programme_from_screening_to_the_dashboard(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
) -> None:
    """GIVEN a programme at a group site, Sam supervising Fay and nobody screened yet
    WHEN Fay, on a phone, screens six eligible people, forms a group, places them, starts
    it and records its eight sessions (some absences, falling PHQ-9 totals, item 9 answered
    "Several days" once) THEN the group completes with one score per member present per
    session, the page says the supervisor was told; Sam finds the alert first on his queue
    and acknowledges it; and Pat's dashboard shows the same counts, attendance and mean
    PHQ-9 change, with the site's chart."""
    programme = group_site_programme(world)
    assert (programme.group_sessions, programme.min_phq9) == (PLANNED, 10)
    fay = open_page("phone")

    def shot(label: str) -> None:
        screenshot(fay, label)

    sign_in(fay, live_server, world.facilitator)
    expect(fay).to_have_url(re.compile(r"/groups/$"))
    expect(fay.get_by_role("heading", name="Your groups")).to_be_visible()
    screen_everyone(fay, live_server, shot)
    ids = {
        m.client.given_name: m.public_id
        for m in GroupMember.objects.select_related("client").filter(programme=programme)
    }
    assert sorted(ids) == sorted(p.given for p in PEOPLE)
    group_url = form_place_and_start(fay, live_server, shot)

    for number in range(1, PLANNED + 1):
        record_session(fay, group_url, number, ids, shot)
    fay.goto(group_url)
    expect(fay.locator(".page-header .badge")).to_have_text("Completed")
    expect(fay.get_by_role("button", name=re.compile(r"^Record session"))).to_have_count(0)
    expect(fay.locator(".session-list li")).to_have_count(PLANNED)
    shot("phone-group-completed")
    # The member who raised the alert: her record shows every score and the alert.
    fay.get_by_role("link", name=RISK_MEMBER.name).click()
    expect(fay.get_by_role("heading", name=RISK_MEMBER.name, exact=True)).to_be_visible()
    scores = fay.locator("table.history-table tbody tr")
    expect(scores).to_have_count(1 + PLANNED)
    expect(scores.filter(has_text="self-harm question answered yes")).to_contain_text(
        f"Session {RISK_SESSION}"
    )
    shot("phone-member-page")
    no_sideways_scroll(fay)

    supervisor_acknowledges_and_rates(open_page, live_server, world, screenshot)
    manager_reads_the_dashboard(open_page, live_server, world, programme, screenshot)
    check_the_records(programme, world, ids)


def check_the_records(programme: Programme, world: World, ids: dict[str, UUID]) -> None:
    group = Group.objects.get(programme=programme)
    assert group.status == GroupStatus.COMPLETED and group.completed_on is not None
    sessions = list(GroupSession.objects.filter(group=group).order_by("number"))
    assert [s.number for s in sessions] == list(range(1, PLANNED + 1))
    members = GroupMember.objects.filter(group=group)
    assert members.count() == len(PEOPLE)
    assert set(members.values_list("status", flat=True)) == {MemberStatus.COMPLETED}
    # Four areas from the pre-group session, two chosen in session 1.
    assert not members.filter(problem_area="").exists()
    screenings = Screening.objects.filter(programme=programme)
    assert set(screenings.values_list("outcome", flat=True)) == {ScreeningOutcome.ELIGIBLE}

    # One score per member present per session, and none for an absent member.
    by_id = {v: k for k, v in ids.items()}
    scores = MemberScore.objects.filter(session__group=group)
    present = Attendance.objects.filter(session__group=group, present=True)
    assert Attendance.objects.filter(session__group=group).count() == len(PEOPLE) * PLANNED
    absences = sum(len(names) for names in ABSENT.values())
    assert scores.count() == present.count() == len(PEOPLE) * PLANNED - absences
    assert set(scores.values_list("session_id", "member_id")) == set(
        present.values_list("session_id", "member_id")
    )
    assert not scores.values("session", "member").annotate(n=Count("id")).filter(n__gt=1).exists()
    for member_id, number, total in scores.values_list(
        "member__public_id", "session__number", "total"
    ):
        person = next(p for p in PEOPLE if p.given == by_id[member_id])
        assert total == person.total_at(number, PLANNED)
    tasks = MemberTask.objects.filter(session__group=group)
    assert tasks.count() == present.count()
    assert tasks.exclude(outcome="").filter(reviewed_at_session__isnull=False).exists()

    # Exactly one alert, for the member who answered item 9, acknowledged by Sam.
    alert = RiskAlert.objects.get()
    risky = scores.get(session__number=RISK_SESSION, member__public_id=ids[RISK_MEMBER.given])
    assert risky.risk_link_ids == ["phq9-9"]
    assert alert.source_public_id == risky.public_id
    assert alert.client.given_name == RISK_MEMBER.given
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == world.supervisor
    assert alert.action == AlertAction.CONTACTED_CLIENT
    rating = FidelityRating.objects.get(rater=FidelityRater.SUPERVISOR)
    assert (rating.session.number, rating.score, rating.rated_by) == (
        WEAK_SESSION,
        3,
        world.supervisor,
    )

    # The audit trail has the screenings and the sessions, by the people who did them.
    events = AuditEvent.objects.filter(action=AuditAction.CREATE)
    created = Counter(events.values_list("object_type", flat=True))
    assert created["group_screening"] == len(PEOPLE)
    assert created["group_session"] == PLANNED
    by_fay = events.filter(actor=world.facilitator)
    assert set(
        by_fay.filter(object_type="group_screening").values_list("object_public_id", flat=True)
    ) == set(screenings.values_list("public_id", flat=True))
    assert set(
        by_fay.filter(object_type="group_session").values_list("object_public_id", flat=True)
    ) == {s.public_id for s in sessions}
    assert AuditEvent.objects.filter(
        object_public_id=alert.public_id, actor=world.supervisor
    ).exists()
