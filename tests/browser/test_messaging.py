"""Secure messages, end to end, in a real browser with the real background worker.

Alice writes to her care team from the portal and attaches her notes; the
database worker e-mails her clinician a prompt with no content; the clinician
follows the link to the inbox, reads the thread, flags the message and replies;
Alice sees the reply and that her message was read. Screenshots at desktop and
phone sizes go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import FilePayload, Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from openipt.messaging.models import Message
from tests.browser.conftest import Viewport
from tests.browser.test_login import submit_password
from tests.browser.test_safety_loop import sign_in
from tests.factories import TEST_PASSWORD
from tests.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALICE_WRITES = (
    "Hi, I tried talking to Sam about the move like we planned. It went better than I "
    "expected, but I froze when he mentioned my mum. Could we go over it next time?"
)
CLINICIAN_REPLIES = "Thank you for telling me, Alice. Let's start there on Thursday."
NOTES = b"What he said: that I never call.\nWhat I said: that I miss how things were.\n"


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    # The live server needs committed rows, hence transactional_db (module mark).
    settings.ATTACHMENT_DIR = tmp_path / "attachments"
    return build_world()


def run_worker() -> None:
    """The real database worker: process everything queued, then exit."""
    call_command("db_worker", "--batch", "--no-startup-delay")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_client_writes_clinician_is_told_without_content_and_replies(
    open_page: Callable[[Viewport], Page],
    screenshot: Callable[[Page, str], Path],
    live_server: LiveServer,
    world: World,
    viewport: Viewport,
) -> None:
    """GIVEN Alice signed in to her portal WHEN she sends a message with her notes attached
    THEN her clinician gets an e-mail with only a link, sees the thread first in the inbox,
    flags and answers it; and Alice sees the answer and a read receipt."""
    alice = open_page(viewport)
    submit_password(alice, live_server, world.client_user_1, TEST_PASSWORD)
    expect(alice).to_have_url(f"{live_server.url}/me/")

    # The nav leads to the thread, with the practice's promise above the form.
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    expect(alice.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    expect(alice.get_by_role("heading", name="When messages are read")).to_be_visible()
    expect(alice.get_by_role("link", name="If you need help now, see who to call")).to_be_visible()
    alice.get_by_label("Your message").fill(ALICE_WRITES)
    alice.get_by_label("Attach a file (optional)").set_input_files(
        files=FilePayload(name="notes.txt", mimeType="text/plain", buffer=NOTES)
    )
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.get_by_text("Message sent.")).to_be_visible()
    expect(alice.locator(".msg-list")).to_contain_text(ALICE_WRITES)
    expect(alice.get_by_role("link", name="notes.txt")).to_be_visible()
    expect(alice.get_by_text("Not read yet")).to_be_visible()
    screenshot(alice, "client-sent")
    message = Message.objects.get()
    assert message.attachment.content_type == "text/plain"

    # The worker e-mails the clinician: a prompt and a link, nothing else.
    assert mail.outbox == []
    run_worker()
    [email] = mail.outbox
    assert email.to == [world.clinician.email]
    text = f"{email.subject}\n{email.body}".lower()
    for forbidden in ("alice", "anders", "sam", "move", "mum", "notes", "riverside", "clara"):
        assert forbidden not in text, f"the e-mail mentions {forbidden!r}"
    link = re.search(r"https?://\S+", str(email.body))
    assert link is not None
    path = urlparse(link.group(0)).path
    assert path == "/messages/"

    # The clinician follows the link: Alice's thread is in the inbox, unread.
    clinician = open_page(viewport)
    sign_in(clinician, live_server, world.clinician)
    clinician.goto(live_server.url + path)
    row = clinician.locator(".inbox-list li", has_text="Alice Anders")
    expect(row).to_contain_text("1 unread")
    screenshot(clinician, "clinician-inbox")
    row.get_by_role("link", name="Alice Anders").click()
    expect(clinician.locator(".msg-list")).to_contain_text(ALICE_WRITES)
    with clinician.expect_download() as download_info:
        clinician.get_by_role("link", name="notes.txt").click()
    download = download_info.value
    assert download.suggested_filename == "notes.txt"
    assert Path(download.path()).read_bytes() == NOTES

    clinician.get_by_role("button", name=re.compile(r"^Flag as needing attention")).click()
    expect(clinician.get_by_text("Marked as needing attention.")).to_be_visible()
    clinician.get_by_label("Your message").fill(CLINICIAN_REPLIES)
    clinician.get_by_role("button", name="Send reply").click()
    expect(clinician.get_by_text("Message sent.")).to_be_visible()
    expect(clinician.locator(".msg-list")).to_contain_text(CLINICIAN_REPLIES)
    screenshot(clinician, "clinician-replied")
    message.refresh_from_db()
    assert message.flagged_needs_attention

    # Alice is told by e-mail too, and sees the answer and that she was read.
    mail.outbox.clear()
    run_worker()
    assert [m.to for m in mail.outbox] == [[world.client_user_1.email]]
    assert "sam" not in mail.outbox[0].body.lower()
    alice.goto(f"{live_server.url}/me/messages/")
    expect(alice.locator(".msg-list")).to_contain_text(CLINICIAN_REPLIES)
    expect(alice.get_by_text(re.compile(r"Read by your clinician \d\d:\d\d"))).to_be_visible()
    expect(alice.get_by_text("New", exact=True)).to_be_visible()
    expect(alice.get_by_text("Needs attention")).to_have_count(0)
    screenshot(alice, "client-sees-reply")
