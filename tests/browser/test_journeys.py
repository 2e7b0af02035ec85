"""End-to-end journeys through the real pages, in a real browser.

Each journey is what one person does in one sitting: a practice admin invites
a clinician who then sets up two-step sign-in before any client is shown; a
clinician keeps a client record from creation to archive and back; a client
opens their portal. Every step goes through the pages (links, forms, dialogs),
never through the ORM, which is only read afterwards to confirm the outcome.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from playwright.sync_api import Dialog, Page, expect
from pytest_django.live_server_helper import LiveServer

from openipt.accounts.models import Invitation, InvitationStatus, User
from openipt.practice.models import CareTeamMember, Client, ClientStatus, Membership, Role
from tests.browser.conftest import PageWatch, Viewport
from tests.browser.layout import sideways_overflow
from tests.factories import TEST_PASSWORD
from tests.world import TOTP_SECRET, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = ["desktop", "phone"]
# Matches "Sign in" on the password page and "Verify and sign in" on the code page.
SIGN_IN_BUTTON = re.compile(r"sign in", re.IGNORECASE)
INVITATION_LINK = re.compile(r"https?://\S+/invitation/[A-Za-z0-9_-]+/")
NEW_PASSWORD = "plum orchard lantern 1987 quietly"


@pytest.fixture
def world() -> World:
    # The live server needs committed rows, hence transactional_db (module mark).
    return build_world()


# Against the layout viewport (clientWidth): a mobile browser widens innerWidth
# to fit content that is too wide.


@pytest.fixture
def snap(screenshot: Callable[[Page, str], Path]) -> Callable[[Page, str], None]:
    """Screenshot a key step, then fail if that page scrolls sideways."""

    def take(page: Page, label: str) -> None:
        screenshot(page, label)
        overflow = sideways_overflow(page)
        assert overflow == 0, f"{label}: the page is {overflow}px wider than the viewport"

    return take


def totp_code(secret: str) -> str:
    """The authenticator code for `secret` now, never one about to expire.

    allauth accepts only the current window (and refuses a code twice), so
    wait for the next window rather than type a code in its last seconds.
    """
    remaining = 30 - time.time() % 30
    if remaining < 5:
        time.sleep(remaining + 0.5)
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


def sign_in(page: Page, live_server: LiveServer, user: User, *, secret: str | None) -> None:
    """Sign in through the pages: password, then (for staff) the authenticator code."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(TEST_PASSWORD)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    if secret is not None:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        page.locator('input[name="code"]').fill(totp_code(secret))
        page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))


def forgive_refused_page(page_watch: PageWatch, url: str, status: int) -> None:
    """Drop the console error Chromium logs for a page the test expects to be refused.

    Only that exact document load is forgiven: any other console error still fails.
    """
    logged = f"Failed to load resource: the server responded with a status of {status} "
    for watched in page_watch.pages:
        watched.console_errors[:] = [
            error
            for error in watched.console_errors
            if not (error.startswith(logged) and f"'url': '{url}'" in error)
        ]


def go_to_nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


# --- 1. Staff joins by invitation ---------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_invited_clinician_must_set_up_mfa_before_seeing_any_client(
    open_page: Callable[[Viewport], Page],
    snap: Callable[[Page, str], None],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN a practice admin who invites a new clinician through the Practice pages
    WHEN the clinician opens the e-mailed link in their own browser and sets a password
    THEN the e-mail names neither the practice nor the role, the clinician is sent
    straight to authenticator setup, /clients/ stays closed (MFA-required page, no
    client names) until a code from the app is confirmed, and only then do they reach
    their (empty) caseload."""
    admin_page = open_page(viewport)
    sign_in(admin_page, live_server, world.admin, secret=TOTP_SECRET)
    go_to_nav(admin_page, "Practice")
    admin_page.get_by_role("navigation", name="Practice administration").get_by_role(
        "link", name="Invitations"
    ).click()
    expect(admin_page.get_by_role("heading", name="Invitations")).to_be_visible()
    admin_page.get_by_role("button", name="Invite someone").click()
    expect(admin_page.get_by_role("heading", name="Invite a colleague")).to_be_visible()
    admin_page.get_by_label("Full name").fill("Nina Newcomer")
    admin_page.get_by_label("E-mail").fill("Nina.Newcomer@Example.test")
    admin_page.get_by_label("Role").select_option(label="Clinician")
    snap(admin_page, "invite-form")
    admin_page.get_by_role("button", name="Send invitation").click()

    expect(admin_page).to_have_url(f"{live_server.url}/manage/invitations/")
    expect(admin_page.get_by_text("Invitation sent.")).to_be_visible()
    invited_row = admin_page.get_by_role("row").filter(has_text="nina.newcomer@example.test")
    expect(invited_row.get_by_text(re.compile(r"^Pending"))).to_be_visible()
    snap(admin_page, "invitations")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina.newcomer@example.test"]
    body = str(message.body)
    found = INVITATION_LINK.findall(body)
    assert len(found) == 1, body
    link = found[0]
    # Promise: the e-mail says nothing about where (or why) the person is invited.
    text = f"{message.subject}\n{body.replace(link, '')}".lower()
    for detail in (world.practice_a.name, world.organisation.name, "riverside", "clinician"):
        assert detail.lower() not in text, detail
    assert link.startswith(live_server.url)

    # The invitee, in a browser of their own (no cookies of the admin's).
    page = open_page(viewport)
    page.goto(link)
    expect(page).to_have_url(f"{live_server.url}/invitation/")  # the token left the URL
    expect(page.get_by_role("heading", name="Set up your account")).to_be_visible()
    expect(page.get_by_text("two-step sign-in with an authenticator app")).to_be_visible()
    page.get_by_label("Your full name").fill("Nina Newcomer")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    snap(page, "accept")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    nina = User.objects.get(email="nina.newcomer@example.test")
    assert nina.full_name == "Nina Newcomer"
    assert nina.check_password(NEW_PASSWORD)
    assert Membership.objects.filter(
        user=nina, practice=world.practice_a, role=Role.CLINICIAN, is_active=True
    ).exists()
    assert Invitation.objects.get(email=nina.email).status == InvitationStatus.ACCEPTED

    # Signed in, but no client data until a second factor is active.
    page.goto(f"{live_server.url}/clients/")
    expect(page).to_have_url(f"{live_server.url}/accounts/mfa-required/")
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    for name in ("Alice Anders", "Bob Brown"):
        expect(page.get_by_text(name)).to_have_count(0)
    page.goto(f"{live_server.url}/clients/{world.client_1.public_id}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/mfa-required/")
    snap(page, "mfa-required")

    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    secret_key = page.locator("#authenticator_secret")
    expect(secret_key).to_be_hidden()  # tucked away until asked for
    page.get_by_text("Can't scan the code?").click()
    expect(secret_key).to_be_visible()
    snap(page, "activate")
    secret = secret_key.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    assert secret != TOTP_SECRET

    # A wrong code turns nothing on.
    right_code = totp_code(secret)
    wrong_code = f"{(int(right_code) + 1) % 1_000_000:06d}"
    page.locator('input[name="code"]').fill(wrong_code)
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator(".errorlist, [role=alert]").first).to_be_visible()
    assert not Authenticator.objects.filter(user=nina).exists()

    page.locator('input[name="code"]').fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert Authenticator.objects.filter(user=nina, type=Authenticator.Type.TOTP).exists()
    snap(page, "recovery-codes")
    page.get_by_role("button", name="I have saved them, continue").click()

    expect(page).to_have_url(f"{live_server.url}/courses/")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    expect(page.get_by_text("No active courses")).to_be_visible()
    page.goto(f"{live_server.url}/clients/")
    expect(page.get_by_text("No clients yet.")).to_be_visible()
    expect(page.get_by_text("Alice Anders")).to_have_count(0)
    snap(page, "caseload")


# --- 2. A client record from creation to archive and back ----------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_clinician_creates_edits_archives_and_restores_a_client_record(
    open_page: Callable[[Viewport], Page],
    snap: Callable[[Page, str], None],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN a signed-in clinician
    WHEN they create a client record, edit it, archive it and restore it
    THEN the record shows what was entered, a dismissed confirmation archives nothing,
    an archived record leaves the active list but is kept in full (shown with
    "Include archived"), and "Who accessed this record" names the clinician for
    each of those steps."""
    page = open_page(viewport)
    sign_in(page, live_server, world.clinician, secret=TOTP_SECRET)
    expect(page).to_have_url(f"{live_server.url}/courses/")
    page.goto(f"{live_server.url}/clients/")
    expect(page.get_by_role("link", name="Alice Anders")).to_be_visible()

    page.get_by_role("button", name="New client").click()
    expect(page.get_by_role("heading", name="New client")).to_be_visible()
    page.get_by_label("Given name").fill("Dolores")
    page.get_by_label("Family name").fill("Delgado")
    page.get_by_label("Preferred name").fill("Lola")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_label("Date of birth").fill("1984-03-14")
    page.get_by_label("Language").select_option(label="Español")
    page.get_by_label("E-mail").fill("dolores.delgado@example.test")
    page.get_by_role("group", name="Contact", exact=True).get_by_label("Phone").fill(
        "+34 600 000 111"
    )
    page.get_by_label("Address").fill("Calle Mayor 1\n28013 Madrid")
    emergency = page.get_by_role("group", name="Emergency contact")
    emergency.get_by_label("Name").fill("Marta Delgado")
    emergency.get_by_label("Relationship").fill("Sister")
    emergency.get_by_label("Phone").fill("+34 600 000 222")
    page.get_by_label("Access needs").fill("Spanish interpreter for sessions. Step-free access.")
    snap(page, "new-client")
    page.get_by_role("button", name="Create record").click()

    expect(page).to_have_url(re.compile(r"/clients/[0-9a-f-]{36}/$"))
    detail_url = page.url
    expect(page.get_by_text("Client record created.")).to_be_visible()
    expect(page.get_by_role("heading", name="Lola Delgado", level=1)).to_be_visible()
    person = page.get_by_role("region", name="Person")
    expect(person).to_contain_text("Dolores Delgado")
    expect(person).to_contain_text("Español")
    expect(page.get_by_role("region", name="Contact", exact=True)).to_contain_text("28013 Madrid")
    expect(page.get_by_role("region", name="Emergency contact")).to_contain_text("Sister")
    expect(page.get_by_role("region", name="Access needs")).to_contain_text(
        "Spanish interpreter for sessions. Step-free access."
    )
    expect(page.get_by_role("region", name="Care team")).to_contain_text("Clara Clinician")
    client = Client.objects.get(family_name="Delgado")
    assert client.practice == world.practice_a
    assert CareTeamMember.objects.filter(client=client, user=world.clinician).exists()
    snap(page, "created")

    page.get_by_role("button", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit client record")).to_be_visible()
    expect(page.get_by_label("Access needs")).to_have_value(
        "Spanish interpreter for sessions. Step-free access."
    )
    page.get_by_label("Preferred name").fill("Lo")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(detail_url)
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Lo Delgado", level=1)).to_be_visible()

    # Changing one's mind at the confirmation archives nothing.
    questions: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Archive record").click()
    expect(page.get_by_role("button", name="Archive record")).to_be_visible()
    assert questions == ["Archive this client record? It is kept in full and can be restored."]
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archive record").click()
    expect(page.get_by_text("Client record archived.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Archived \d"))).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Restore record")).to_be_visible()
    snap(page, "archived")

    go_to_nav(page, "Clients")
    expect(page.get_by_role("link", name="Alice Anders")).to_be_visible()
    expect(page.get_by_role("link", name="Lo Delgado")).to_have_count(0)
    page.get_by_label("Include archived").check()
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]archived=on"))
    expect(page.get_by_role("link", name="Lo Delgado")).to_be_visible()
    snap(page, "list-with-archived")
    page.get_by_role("link", name="Lo Delgado").click()

    expect(page).to_have_url(detail_url)
    page.get_by_role("button", name="Restore record").click()
    expect(page.get_by_text("Client record restored.")).to_be_visible()
    expect(page.get_by_role("button", name="Archive record")).to_be_visible()
    go_to_nav(page, "Clients")
    expect(page.get_by_role("link", name="Lo Delgado")).to_be_visible()

    page.goto(detail_url)
    page.get_by_role("link", name="Who accessed this record").click()
    expect(page.get_by_role("heading", name="Who accessed this record")).to_be_visible()
    rows = page.get_by_role("row").filter(has_text="Clara Clinician")
    for what in ("Created client", "Updated client", "Archived client", "Restored client"):
        expect(rows.filter(has_text=what)).to_have_count(1)
    expect(rows.filter(has_text="Updated client")).to_contain_text("preferred name")
    # Nobody else has touched this brand-new record.
    expect(page.locator("tbody tr")).to_have_count(rows.count())
    snap(page, "access-log")


# --- 3. The client portal ------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_client_sees_care_team_and_crisis_line_but_no_staff_pages(
    open_page: Callable[[Viewport], Page],
    page_watch: PageWatch,
    snap: Callable[[Page, str], None],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN a client with a portal account
    WHEN they sign in (password only) and open their portal
    THEN they see their own care team and the practice's crisis line, and the staff
    pages (the client list, another client's record) stay closed to them."""
    page = open_page(viewport)
    sign_in(page, live_server, world.client_user_1, secret=None)

    expect(page).to_have_url(f"{live_server.url}/me/")
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
    team = page.get_by_role("region", name="Your care team")
    expect(team).to_contain_text("Clara Clinician")
    expect(team).to_contain_text("Sam Supervisor")
    expect(team).not_to_contain_text("Colin Colleague")
    crisis = page.get_by_role("region", name="If you need help now")
    expect(crisis.locator("strong")).to_have_text(world.practice_a.crisis_line)
    expect(page.get_by_text("Bob Brown")).to_have_count(0)
    expect(page.get_by_role("link", name="Clients")).to_have_count(0)
    snap(page, "portal")

    client_list = f"{live_server.url}/clients/"
    response = page.goto(client_list)
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Alice Anders")).to_have_count(0)
    expect(page.get_by_text("Bob Brown")).to_have_count(0)
    snap(page, "clients-403")

    # Another client's record: not found, as if it did not exist.
    other_record = f"{live_server.url}/clients/{world.client_2.public_id}/"
    response = page.goto(other_record)
    assert response is not None
    assert response.status == 404
    expect(page.get_by_text("Bob Brown")).to_have_count(0)

    forgive_refused_page(page_watch, client_list, 403)
    forgive_refused_page(page_watch, other_record, 404)
