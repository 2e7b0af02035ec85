"""The message pages: the client's thread, the inbox, the clinician's thread, downloads."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.messaging.models import Attachment, Message
from openipt.messaging.services import message_flag, message_mark_read
from openipt.practice.models import Client, Role
from openipt.safety.services import safety_settings_update
from tests.factories import CareTeamMemberFactory, ClientFactory, MembershipFactory
from tests.messaging.helpers import PDF_BYTES, TEXT_BYTES, new_key, send, upload
from tests.world import World

Http = Callable[[User | None], HttpClient]
MY_THREAD = "/me/messages/"
INBOX = "/messages/"


def thread_url(world: World) -> str:
    return reverse("messaging:thread", kwargs={"client_id": world.client_1.public_id})


def test_paths_are_the_promised_ones(world: World) -> None:
    assert reverse("messaging:my_thread") == MY_THREAD
    assert reverse("messaging:inbox") == INBOX


# --- the client's page ---------------------------------------------------------------------


def test_client_sees_her_thread_oldest_first_with_the_reply_time_promise(
    world: World, client_for: Http
) -> None:
    safety_settings_update(
        actor=world.admin,
        practice=world.practice_a,
        ack_deadline_hours=4,
        on_call=None,
        reply_time_statement="We answer within two working days.",
    )
    send(world, body="My first message")
    send(world, world.clinician, "The clinician's answer")

    response = client_for(world.client_user_1).get(MY_THREAD)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("My first message") < html.index("The clinician&#x27;s answer")
    assert "We answer within two working days." in html
    # The promise comes before the form, with the way to crisis help.
    assert html.index("We answer within two working days.") < html.index('name="body"')
    assert reverse("safety:crisis") in html
    assert "Clara Clinician" in html
    assert 'aria-current="page">Messages<' in html


def test_the_client_sees_when_her_clinician_read_her_message(
    world: World, client_for: Http
) -> None:
    send(world)
    http = client_for(world.client_user_1)
    assert "Not read yet" in http.get(MY_THREAD).content.decode()

    message_mark_read(actor=world.clinician, client=world.client_1)

    assert re.search(r"Read by your clinician \d\d:\d\d", http.get(MY_THREAD).content.decode())


def test_opening_the_page_marks_care_team_messages_read_and_is_audited(
    world: World, client_for: Http
) -> None:
    send(world, world.clinician, "A reply")
    http = client_for(world.client_user_1)
    first = http.get(MY_THREAD).content.decode()
    assert '<span class="badge badge-new">New</span>' in first
    second = http.get(MY_THREAD).content.decode()
    assert "badge-new" not in second
    views = AuditEvent.objects.filter(object_type="message_thread", action="view")
    assert views.count() == 2
    assert {v.actor for v in views} == {world.client_user_1}


def test_client_sends_a_message_and_is_sent_back_to_the_thread(
    world: World, client_for: Http
) -> None:
    http = client_for(world.client_user_1)
    response = http.post(MY_THREAD, {"body": "Can we move Thursday?", "idempotency_key": new_key()})
    assert response.status_code == 302
    assert response["Location"] == MY_THREAD + "#latest"
    message = Message.objects.get()
    assert message.author == world.client_user_1
    assert message.body == "Can we move Thursday?"
    assert "Message sent." in http.get(MY_THREAD).content.decode()


def test_submitting_the_same_form_twice_stores_one_message(world: World, client_for: Http) -> None:
    http = client_for(world.client_user_1)
    data = {"body": "Only once", "idempotency_key": new_key()}
    assert http.post(MY_THREAD, data).status_code == 302
    assert http.post(MY_THREAD, data).status_code == 302
    assert Message.objects.count() == 1


def test_each_page_load_gives_the_form_a_new_key(world: World, client_for: Http) -> None:
    http = client_for(world.client_user_1)
    pattern = r'name="idempotency_key" value="([0-9a-f]{32})"'
    first = re.search(pattern, http.get(MY_THREAD).content.decode())
    second = re.search(pattern, http.get(MY_THREAD).content.decode())
    assert first and second and first.group(1) != second.group(1)


def test_a_bad_file_is_refused_with_a_clear_message_and_the_text_is_kept(
    world: World, client_for: Http
) -> None:
    """GIVEN Alice wrote a long message and attached a program renamed .pdf WHEN she sends
    THEN 400, the reason is on the page next to the file field, her words are still in
    the box (with the same key, so the retry is not a second message) and nothing is stored."""
    key = new_key()
    text = "I wrote all this & I do not want to lose it"
    response = client_for(world.client_user_1).post(
        MY_THREAD,
        {
            "body": text,
            "idempotency_key": key,
            "attachment": upload("letter.pdf", b"MZ\x90\x00" + b"\x00" * 64),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This kind of file cannot be sent." in html
    assert "I wrote all this &amp; I do not want to lose it</textarea>" in html
    assert f'value="{key}"' in html
    assert 'aria-invalid="true"' in html
    assert not Message.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=100)
def test_a_file_that_is_too_large_is_refused(world: World, client_for: Http) -> None:
    response = client_for(world.client_user_1).post(
        MY_THREAD,
        {"body": "Here", "idempotency_key": new_key(), "attachment": upload("a.txt", b"a" * 101)},
    )
    assert response.status_code == 400
    assert "Files can be at most 100 bytes." in response.content.decode()


def test_an_empty_message_is_refused(world: World, client_for: Http) -> None:
    response = client_for(world.client_user_1).post(
        MY_THREAD, {"body": "  ", "idempotency_key": new_key()}
    )
    assert response.status_code == 400
    assert "Write a message, or attach a file." in response.content.decode()


def test_a_tampered_key_is_refused_and_replaced(world: World, client_for: Http) -> None:
    response = client_for(world.client_user_1).post(
        MY_THREAD, {"body": "Kept", "idempotency_key": "<script>"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This form had expired. Please send your message again." in html
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', html)
    assert "Kept</textarea>" in html


def test_staff_have_no_own_thread(world: World, client_for: Http) -> None:
    assert client_for(world.clinician).get(MY_THREAD).status_code == 404


# --- the care team's side ----------------------------------------------------------------


def test_clinician_reads_and_replies_in_the_thread(world: World, client_for: Http) -> None:
    send(world, body="Hello from Alice")
    http = client_for(world.clinician)
    page = http.get(thread_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello from Alice" in html
    assert "Flag as needing attention" in html
    assert "Send reply" in html

    response = http.post(thread_url(world), {"body": "Hello Alice", "idempotency_key": new_key()})
    assert response.status_code == 302
    assert response["Location"] == thread_url(world) + "#latest"
    reply = Message.objects.latest("id")
    assert (reply.author, reply.body) == (world.clinician, "Hello Alice")


def test_supervisor_reads_the_thread_without_a_form_and_cannot_post(
    world: World, client_for: Http
) -> None:
    send(world)
    http = client_for(world.supervisor)
    html = http.get(thread_url(world)).content.decode()
    assert 'name="body"' not in html
    assert "Flag as needing attention" not in html
    response = http.post(thread_url(world), {"body": "Hi", "idempotency_key": new_key()})
    assert response.status_code == 403
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "who", ["colleague", "admin", "facilitator", "clinician_b", "client", "programme_manager"]
)
def test_others_get_404_on_the_clinician_thread_page(
    world: World, client_for: Http, who: str
) -> None:
    send(world)
    http = client_for(world.users_by_role_name()[who])
    assert http.get(thread_url(world)).status_code == 404
    response = http.post(thread_url(world), {"body": "Hi", "idempotency_key": new_key()})
    assert response.status_code == 404
    assert Message.objects.count() == 1


def test_clinician_flags_and_clears_from_the_thread_page(world: World, client_for: Http) -> None:
    message = send(world)
    http = client_for(world.clinician)
    url = reverse("messaging:flag", kwargs={"public_id": message.public_id})
    response = http.post(url, {"flagged": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{thread_url(world)}#m-{message.public_id}"
    message.refresh_from_db()
    assert message.flagged_needs_attention
    html = http.get(thread_url(world)).content.decode()
    assert "Needs attention" in html and "Clear flag" in html

    http.post(url, {"flagged": "0"})
    message.refresh_from_db()
    assert not message.flagged_needs_attention


def test_the_client_never_sees_a_flag(world: World, client_for: Http) -> None:
    message = send(world)
    message_flag(actor=world.clinician, message=message, flagged=True)
    html = client_for(world.client_user_1).get(MY_THREAD).content.decode()
    assert "attention" not in html.lower()
    url = reverse("messaging:flag", kwargs={"public_id": message.public_id})
    assert client_for(world.client_user_1).post(url, {"flagged": "0"}).status_code == 404


# --- the inbox ---------------------------------------------------------------------------------


def _client_on_caseload(world: World, given: str) -> tuple[Client, User]:
    """Another of the clinician's clients, with a portal account."""
    membership = MembershipFactory.create(
        practice=world.practice_a, role=Role.CLIENT, user__full_name=f"{given} Example"
    )
    client = ClientFactory.create(
        practice=world.practice_a, given_name=given, family_name="Example", user=membership.user
    )
    CareTeamMemberFactory.create(client=client, user=world.clinician, role="clinician")
    return client, membership.user


def test_inbox_lists_flagged_then_unread_then_newest(world: World, client_for: Http) -> None:
    """GIVEN three of the clinician's clients wrote, Bob first, then Carla, then Dana WHEN
    Bob's message is flagged and Dana's has been read THEN the inbox lists Bob (flagged),
    Carla (unread), Dana (read, though newest), with Carla's unread count."""
    carla, carla_user = _client_on_caseload(world, "Carla")
    dana, dana_user = _client_on_caseload(world, "Dana")
    bob_message = send(world, world.client_user_2, "Hi, Bob here", client=world.client_2)
    send(world, carla_user, "Carla here", client=carla)
    send(world, carla_user, "Carla again", client=carla)
    send(world, dana_user, "Dana here", client=dana)
    message_flag(actor=world.clinician, message=bob_message, flagged=True)
    message_mark_read(actor=world.clinician, client=dana)

    html = client_for(world.clinician).get(INBOX).content.decode()

    names = re.findall(r'class="inbox-who"[^>]*>([^<]+)<', html)
    assert names == ["Bob Brown", "Carla Example", "Dana Example"]
    assert "2 unread" in html
    assert html.count("Needs attention") == 1


def test_inbox_shows_only_threads_in_reach(world: World, client_for: Http) -> None:
    send(world)  # Alice, on the clinician's care team
    send(world, world.client_user_b, "Practice B", client=world.client_b)
    assert "Alice" in client_for(world.clinician).get(INBOX).content.decode()
    colleague = client_for(world.colleague).get(INBOX).content.decode()
    assert "Alice" not in colleague and "Charlie" not in colleague
    supervisor = client_for(world.supervisor).get(INBOX).content.decode()
    assert "Alice" in supervisor and "Charlie" not in supervisor
    assert "Charlie" in client_for(world.clinician_b).get(INBOX).content.decode()


def test_inbox_is_for_clinicians_and_supervisors(world: World, client_for: Http) -> None:
    assert client_for(world.admin).get(INBOX).status_code == 403
    assert client_for(world.facilitator).get(INBOX).status_code == 403
    response = client_for(world.client_user_1).get(INBOX)
    assert response.status_code == 302 and response["Location"] == MY_THREAD


def test_inbox_query_count_does_not_grow_with_threads(
    world: World, client_for: Http, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """GIVEN 2 threads, then 12 WHEN the clinician opens the inbox THEN the same number of
    queries (the rows come from one query with their counts)."""
    http = client_for(world.clinician)
    send(world)
    send(world, world.client_user_2, "Hi", client=world.client_2)
    http.get(INBOX)  # warm the session and anything cached per process

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert http.get(INBOX).status_code == 200
    for n in range(10):
        extra = ClientFactory.create(practice=world.practice_a, given_name=f"Extra{n}")
        CareTeamMemberFactory.create(client=extra, user=world.clinician, role="clinician")
        send(world, world.clinician, f"Hello {n}", client=extra)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = http.get(INBOX).content.decode()
    assert html.count('class="inbox-who"') == 12


def test_the_inbox_listing_is_audited(world: World, client_for: Http) -> None:
    client_for(world.clinician).get(INBOX)
    assert AuditEvent.objects.filter(object_type="message_inbox", action="list").count() == 1


def test_start_a_conversation_goes_to_the_thread(world: World, client_for: Http) -> None:
    http = client_for(world.clinician)
    html = http.get(INBOX).content.decode()
    assert str(world.client_1.public_id) in html  # Alice has no thread yet: offered to start
    response = http.get(INBOX, {"start": str(world.client_1.public_id)})
    assert response["Location"] == thread_url(world)
    assert http.get(INBOX, {"start": "nonsense"})["Location"] == INBOX


# --- attachments -----------------------------------------------------------------------------


def test_attachment_is_downloaded_with_safe_headers_by_thread_members(
    world: World, client_for: Http
) -> None:
    """GIVEN Alice attached a text file WHEN she, her clinician or the supervisor download it
    THEN it comes as an attachment (never shown inline), with nosniff, private no-store
    caching, a sandboxing CSP and the real type; each download is audited."""
    message = send(world, attachment=upload("my notes.html", TEXT_BYTES, "text/html"))
    url = reverse("messaging:attachment", kwargs={"public_id": message.attachment.public_id})
    assert not url.startswith(settings.STATIC_URL)
    for user in (world.client_user_1, world.clinician, world.supervisor):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == TEXT_BYTES  # type: ignore[attr-defined]
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="my notes.html.txt"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        assert "sandbox" in response["Content-Security-Policy"]
    audited = AuditEvent.objects.filter(object_type="message_attachment", action="view")
    assert audited.count() == 3


@pytest.mark.parametrize(
    "who", ["colleague", "admin", "facilitator", "clinician_b", "client_b", "programme_manager"]
)
def test_attachment_is_404_for_everyone_outside_the_thread(
    world: World, client_for: Http, who: str
) -> None:
    message = send(world, attachment=upload("a.pdf", PDF_BYTES))
    url = reverse("messaging:attachment", kwargs={"public_id": message.attachment.public_id})
    assert client_for(world.users_by_role_name()[who]).get(url).status_code == 404


def test_another_client_of_the_practice_cannot_download(world: World, client_for: Http) -> None:
    message = send(world, attachment=upload("a.pdf", PDF_BYTES))
    url = reverse("messaging:attachment", kwargs={"public_id": message.attachment.public_id})
    assert client_for(world.client_user_2).get(url).status_code == 404


def test_an_attachment_is_not_reachable_under_the_static_url(
    world: World, client_for: Http
) -> None:
    message = send(world, attachment=upload("a.pdf", PDF_BYTES))
    stored = Attachment.objects.get(message=message).stored_name
    http = client_for(world.client_user_1)
    for guess in (f"attachments/{stored}", stored, f"../attachments/{stored}"):
        assert http.get(f"{settings.STATIC_URL}{guess}").status_code == 404
    html = http.get(MY_THREAD).content.decode()
    assert stored not in html
    assert reverse("messaging:attachment", kwargs={"public_id": message.attachment.public_id}) in (
        html
    )


# --- the block for the portal home --------------------------------------------------------------


def test_the_portal_home_block_counts_unread_messages(world: World) -> None:
    template = Template("{% load messaging %}{% portal_unread client %}")
    assert "No new messages." in template.render(Context({"client": world.client_1}))
    send(world, world.clinician, "One")
    send(world, world.clinician, "Two")
    html = template.render(Context({"client": world.client_1}))
    assert "You have 2 new messages from your care team." in html
    assert MY_THREAD in html


def test_nav_links_lead_to_messages(world: World, client_for: Http) -> None:
    client_page = client_for(world.client_user_1).get(reverse("safety:crisis")).content.decode()
    assert f'href="{MY_THREAD}"' in client_page
    staff_page = client_for(world.clinician).get(reverse("safety:crisis")).content.decode()
    assert f'href="{INBOX}"' in staff_page
    admin_page = client_for(world.admin).get(reverse("safety:crisis")).content.decode()
    assert f'href="{INBOX}"' not in admin_page
