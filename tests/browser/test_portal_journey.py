"""A new client's first week in the portal, and what their clinician sees of it.

As a new client would: accept the invitation, set a password, see the home,
agree the treatment contract, complete a PHQ-9, write how an interpersonal
experiment went, make a mood-diary entry and send a message. Then the
clinician opens the next session's page and finds the report, the score and
the diary there, and replies to the message; the client reads the reply.
Run at desktop and phone sizes; screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.accounts.services import invitation_create
from openipt.courses.models import Contract, Course, Experiment, ExperimentStatus
from openipt.courses.services.course import course_start
from openipt.courses.services.experiments import experiment_assign
from openipt.courses.services.formulation import (
    FocusChoice,
    contract_propose,
    focus_set,
    formulation_save,
)
from openipt.courses.services.inventory import inventory_person_add
from openipt.courses.services.sessions import SessionContent, session_record
from openipt.diary.models import DiaryEntry
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_request_create
from openipt.messaging.models import Message
from openipt.practice.models import CareTeamMember, Client, Role
from openipt.practice.services import client_create
from tests.browser.conftest import Viewport
from tests.browser.test_sessions import no_sideways_scroll, sign_in_as_clinician
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and private passphrase 42"
FORMULATION = "Your low mood began when the arguments with Sam about money started."
EXPERIMENT = "Ask Sam for ten quiet minutes to talk about the rent."
REPORT = "We sat in the kitchen and I said I felt shut out. Sam listened."
DIARY_NOTE = "Better after talking with Sam."
MESSAGE = "Can we talk about the rent again next time?"
REPLY = "Yes, let's start with it on Tuesday."


class Journey:
    def __init__(self, world: World, client: Client, course: Course, link: str) -> None:
        self.world, self.client, self.course, self.link = world, client, course, link


@pytest.fixture
def journey(live_server: LiveServer) -> Journey:
    """A new client, Nadia, whose clinician held session 1, agreed an experiment with
    her, wrote the formulation and proposed a contract, then invited her to the portal."""
    world = build_world()
    clinician = world.clinician
    client = client_create(
        actor=clinician,
        practice=world.practice_a,
        data={
            "given_name": "Nadia",
            "family_name": "Novak",
            "date_of_birth": datetime.date(1990, 4, 2),
            "email": "nadia.novak@example.test",
        },
    )
    CareTeamMember.objects.get_or_create(client=client, user=clinician, role="clinician")
    course = course_start(
        actor=clinician,
        client=client,
        variant_code="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=timezone.localdate() - datetime.timedelta(days=6),
    )
    sam = inventory_person_add(
        actor=clinician, course=course, data={"name": "Sam", "relationship": "partner", "ring": 1}
    )
    session = session_record(
        actor=clinician,
        course=course,
        number=1,
        content=SessionContent(date=timezone.localdate() - datetime.timedelta(days=6)),
    )
    experiment_assign(actor=clinician, session=session, description=EXPERIMENT, person=sam)
    formulation_save(actor=clinician, course=course, text=FORMULATION)
    focus_set(
        actor=clinician,
        course=course,
        choices=[
            FocusChoice(area="role_dispute", dispute_person=sam, dispute_stage="renegotiation")
        ],
    )
    contract_propose(
        actor=clinician, course=course, sessions=16, frequency="weekly", session_minutes=50
    )
    _, token = invitation_create(
        actor=clinician,
        practice=world.practice_a,
        email="nadia.novak@example.test",
        role=Role.CLIENT,
        base_url=live_server.url,
        client=client,
    )
    mail.outbox.clear()
    return Journey(world, client, course, f"{live_server.url}/invitation/{token}/")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_new_client_uses_the_portal_and_the_clinician_sees_it_all_and_replies(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    journey: Journey,
    viewport: Viewport,
) -> None:
    page = open_page(viewport)
    url = live_server.url

    # Accept the invitation and set a password: clients land on their home.
    page.goto(journey.link)
    expect(page).to_have_url(f"{url}/invitation/")
    page.get_by_label("Your full name").fill("Nadia Novak")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(f"{url}/me/")
    main = page.locator("main")
    expect(main).to_contain_text("Session 1 of 16")
    expect(page.get_by_role("link", name=re.compile("crisis", re.IGNORECASE)).first).to_be_visible()
    no_sideways_scroll(page, "home")
    screenshot(page, "home")
    journey.client.refresh_from_db()
    assert journey.client.user is not None

    # The clinician sends the PHQ-9 now that the portal account exists.
    measure_request_create(
        actor=journey.world.clinician, course=journey.course, instrument_code="phq9"
    )

    # My plan: the formulation in her words, and agreeing the contract.
    page.goto(f"{url}/me/plan/")
    expect(main).to_contain_text(FORMULATION)
    page.get_by_role("button", name="I agree to this plan").click()
    contract = Contract.objects.get(course=journey.course)
    assert contract.agreed_at is not None and contract.agreed_via == "portal"
    screenshot(page, "plan-agreed")

    # The questionnaire waiting for her: every item answered "Several days".
    page.goto(f"{url}/me/questionnaires/")
    page.get_by_role("button", name="Fill it in").first.click()
    for item in page.locator("fieldset.question").all():
        if item.locator('input[name="phq9-difficulty"]').count():
            continue
        item.get_by_label("Several days", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    # A positive self-harm answer goes straight to the crisis page.
    expect(page).to_have_url(re.compile(r"/safety/crisis/"))
    screenshot(page, "crisis-after-questionnaire")
    administration = MeasureAdministration.objects.get(course=journey.course)
    assert administration.total == 9 and administration.mode == "portal"

    # The experiment agreed in session: how it went.
    page.goto(f"{url}/me/experiments/")
    expect(main).to_contain_text(EXPERIMENT)
    page.get_by_role("button", name="Write how it went").first.click()
    page.get_by_label("Yes, I tried it").check()
    page.get_by_label("What happened?").fill(REPORT)
    page.get_by_role("button", name="Save").click()
    experiment = Experiment.objects.get(course=journey.course)
    assert experiment.status == ExperimentStatus.DONE
    assert experiment.report_what_happened == REPORT

    # Today's mood, and who was involved.
    page.goto(f"{url}/me/diary/")
    page.locator('input[name="mood"][value="6"]').check()
    page.get_by_label("Sam").check()
    page.get_by_label("A note (optional)").fill(DIARY_NOTE)
    page.get_by_role("button", name="Save").click()
    entry = DiaryEntry.objects.get(client=journey.client)
    assert entry.mood == 6 and entry.note == DIARY_NOTE
    screenshot(page, "diary")

    # A message to the care team.
    page.goto(f"{url}/me/messages/")
    page.get_by_label("Your message").fill(MESSAGE)
    page.get_by_role("button", name="Send").click()
    expect(main).to_contain_text(MESSAGE)
    screenshot(page, "message-sent")
    call_command("db_worker", "--batch", "--no-startup-delay")
    told = [m for m in mail.outbox if journey.world.clinician.email in m.to]
    assert told, "the clinician was not told about the message"
    assert MESSAGE not in told[-1].body and "Nadia" not in told[-1].body

    # The clinician: everything on the next session's page, then the reply.
    staff = open_page(viewport)
    sign_in_as_clinician(staff, live_server, journey.world)
    staff.goto(f"{url}/courses/{journey.course.public_id}/sessions/new/")
    staff_main = staff.locator("main")
    expect(staff_main).to_contain_text(REPORT)
    expect(staff_main).to_contain_text("PHQ-9")
    expect(staff.locator("section.diary-card")).to_contain_text("(6/10)")
    staff.wait_for_function(
        "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)"
    )
    screenshot(staff, "clinician-next-session")
    staff.get_by_role("link", name="Open the diary").click()
    expect(staff_main).to_contain_text(DIARY_NOTE)
    expect(staff_main).to_contain_text("Sam")
    staff.goto(f"{url}/messages/{journey.client.public_id}/")
    expect(staff_main).to_contain_text(MESSAGE)
    staff.get_by_label("Your message").fill(REPLY)
    staff.get_by_role("button", name="Send reply").click()
    expect(staff_main).to_contain_text(REPLY)
    assert Message.objects.filter(thread__client=journey.client).count() == 2

    # The client reads the reply, and sees it was read.
    page.goto(f"{url}/me/messages/")
    expect(main).to_contain_text(REPLY)
    expect(main).to_contain_text(re.compile("Read by", re.IGNORECASE))
    screenshot(page, "reply")
