"""Who may send, read and flag messages, and what each write leaves behind."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from openipt.audit.models import AuditEvent
from openipt.messaging.models import (
    Message,
    MessageNotification,
    MessageRead,
    NotificationStatus,
    ReaderKind,
    SenderKind,
    Thread,
)
from openipt.messaging.selectors import (
    MessageLine,
    conversation,
    message_get_for_flagging,
    own_thread_access,
    staff_thread_access,
    unread_count_for_client,
    unread_count_for_staff,
)
from openipt.messaging.services import (
    MAX_BODY_LENGTH,
    message_flag,
    message_mark_read,
)
from tests.messaging.helpers import new_key, send
from tests.world import World

SECRET_TEXT = "I argued with my sister about the funeral again"


def alices_view(world: World) -> list[MessageLine]:
    user = world.client_user_1
    return conversation(access=own_thread_access(user=user), actor=user)


def test_client_writes_to_own_care_team_and_the_thread_is_made_on_first_message(
    world: World,
) -> None:
    """GIVEN Alice has never written WHEN she sends a message THEN her one thread is
    created, the message is stored as from the client, and sending again reuses the thread."""
    assert not Thread.objects.filter(client=world.client_1).exists()

    first = send(world, body="  First message  ")
    second = send(world, body="Second")

    thread = Thread.objects.get(client=world.client_1)
    assert first.thread == second.thread == thread
    assert thread.practice == world.practice_a
    assert first.body == "First message"
    assert first.sender_kind == SenderKind.CLIENT
    assert first.author == world.client_user_1
    thread.refresh_from_db()
    assert thread.last_message_at == second.created_at


def test_care_team_clinician_replies_in_the_clients_thread(world: World) -> None:
    send(world)
    reply = send(world, world.clinician, "Thanks, see you on Thursday.")
    assert reply.sender_kind == SenderKind.CARE_TEAM
    assert Thread.objects.filter(client=world.client_1).count() == 1


def test_supervisor_reads_but_may_not_send(world: World) -> None:
    """GIVEN the practice's supervisor WHEN they try to write in Alice's thread THEN 403;
    they can open it (read access as a supervisor)."""
    with pytest.raises(PermissionDenied):
        send(world, world.supervisor, "A word from the supervisor")
    access = staff_thread_access(actor=world.supervisor, client_public_id=world.client_1.public_id)
    assert access.reader_kind == ReaderKind.SUPERVISOR
    assert not access.can_send
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "who",
    ["colleague", "admin", "facilitator", "clinician_b", "client_b", "programme_manager"],
)
def test_nobody_outside_the_thread_can_send_or_read_it(world: World, who: str) -> None:
    """GIVEN someone who is not Alice, not on her care team and not a supervisor of her
    practice WHEN they send to or open her thread THEN a 404, as for a missing client."""
    actor = world.users_by_role_name()[who]
    with pytest.raises(Http404):
        send(world, actor, "Hello")
    with pytest.raises(Http404):
        message_mark_read(actor=actor, client=world.client_1)
    with pytest.raises(Http404):
        staff_thread_access(actor=actor, client_public_id=world.client_1.public_id)
    assert not Message.objects.exists()


def test_another_client_of_the_same_practice_cannot_write_in_alices_thread(world: World) -> None:
    with pytest.raises(Http404):
        send(world, world.client_user_2, "Hi Alice")
    # Bob's own page is his own thread, never Alice's.
    assert own_thread_access(user=world.client_user_2).client == world.client_2


def test_sending_the_same_form_twice_stores_one_message(world: World) -> None:
    """GIVEN a form submitted twice (a double click, a retried request) WHEN both arrive
    with the same idempotency key THEN one message, one audit event and one e-mail."""
    key = new_key()
    first = send(world, body="Only once please", key=key)
    again = send(world, body="Only once please", key=key)

    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="message", action="create").count() == 1
    assert MessageNotification.objects.count() == 1


def test_the_same_key_from_the_other_side_is_a_different_message(world: World) -> None:
    key = new_key()
    send(world, key=key)
    send(world, world.clinician, "Reply", key=key)
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [("   ", "body"), ("x" * (MAX_BODY_LENGTH + 1), "body")],
)
def test_an_empty_or_overlong_message_is_refused(world: World, body: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        send(world, body=body)
    assert field in caught.value.message_dict
    assert not Message.objects.exists()


def test_a_malformed_idempotency_key_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        send(world, key="not a key!")
    assert "idempotency_key" in caught.value.message_dict


def test_message_text_is_encrypted_at_rest_and_never_in_the_audit(world: World) -> None:
    message = send(world, body=SECRET_TEXT)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message WHERE id = %s", [message.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:")
    assert "funeral" not in stored

    event = AuditEvent.objects.get(object_type="message", action="create")
    assert event.object_public_id == message.public_id
    assert event.subject_client_public_id == world.client_1.public_id
    assert event.changed_fields == ["body"]
    for audit in AuditEvent.objects.all():
        assert "funeral" not in repr(audit.__dict__)


def test_opening_the_thread_records_receipts_and_audits_the_read(world: World) -> None:
    """GIVEN Alice's message WHEN her clinician opens the thread THEN a read receipt by a
    care-team clinician is recorded, Alice's page shows it, and the read is audited."""
    message = send(world)
    assert message_mark_read(actor=world.clinician, client=world.client_1) == 1
    # Opening it again reads nothing new, but is audited again: every read is.
    assert message_mark_read(actor=world.clinician, client=world.client_1) == 0

    read = MessageRead.objects.get(message=message)
    assert (read.user, read.reader_kind) == (world.clinician, ReaderKind.CLINICIAN)
    views = AuditEvent.objects.filter(object_type="message_thread", action="view")
    assert views.count() == 2
    assert {v.actor for v in views} == {world.clinician}
    assert {v.subject_client_public_id for v in views} == {world.client_1.public_id}
    assert all(v.changed_fields == [] for v in views)

    [line] = conversation(
        access=own_thread_access(user=world.client_user_1), actor=world.client_user_1
    )
    assert line.mine and line.own_side
    assert line.read_at == read.read_at


def test_a_supervisor_reading_is_not_shown_to_the_client_as_read_by_their_clinician(
    world: World,
) -> None:
    """GIVEN a supervisor opens Alice's thread WHEN Alice looks at her message THEN it still
    says not read: only her care-team clinicians' reads are receipts (an answer may come)."""
    send(world)
    message_mark_read(actor=world.supervisor, client=world.client_1)
    assert MessageRead.objects.get().reader_kind == ReaderKind.SUPERVISOR
    [line] = conversation(
        access=own_thread_access(user=world.client_user_1), actor=world.client_user_1
    )
    assert line.read_at is None


def test_opening_an_empty_thread_is_still_audited(world: World) -> None:
    assert message_mark_read(actor=world.client_user_1, client=world.client_1) == 0
    event = AuditEvent.objects.get(object_type="message_thread")
    assert event.object_public_id is None
    assert event.subject_client_public_id == world.client_1.public_id


def test_unread_count_for_client_counts_care_team_messages_until_she_opens_them(
    world: World,
) -> None:
    send(world)
    assert unread_count_for_client(client=world.client_1) == 0
    send(world, world.clinician, "One")
    send(world, world.clinician, "Two")
    assert unread_count_for_client(client=world.client_1) == 2
    assert unread_count_for_client(client=world.client_2) == 0
    message_mark_read(actor=world.client_user_1, client=world.client_1)
    assert unread_count_for_client(client=world.client_1) == 0


def test_clinician_flags_a_clients_message_and_clears_it(world: World) -> None:
    """GIVEN a message from Alice WHEN her clinician flags it THEN it is marked as needing
    attention with who and when (audited, without content); clearing removes all three."""
    message = send(world, body=SECRET_TEXT)
    found = message_get_for_flagging(actor=world.clinician, public_id=message.public_id)
    message_flag(actor=world.clinician, message=found, flagged=True)
    message.refresh_from_db()
    assert message.flagged_needs_attention
    assert message.flagged_by == world.clinician
    assert message.flagged_at is not None

    message_flag(actor=world.clinician, message=message, flagged=False)
    message.refresh_from_db()
    assert not message.flagged_needs_attention
    assert message.flagged_by is None and message.flagged_at is None
    updates = AuditEvent.objects.filter(object_type="message", action="update")
    assert updates.count() == 2
    assert updates.first().changed_fields == [
        "flagged_at",
        "flagged_by",
        "flagged_needs_attention",
    ]


def test_only_care_team_clinicians_flag(world: World) -> None:
    message = send(world)
    with pytest.raises(PermissionDenied):
        message_get_for_flagging(actor=world.supervisor, public_id=message.public_id)
    with pytest.raises(PermissionDenied):
        message_flag(actor=world.supervisor, message=message, flagged=True)
    for outsider in (world.client_user_1, world.colleague, world.admin, world.clinician_b):
        with pytest.raises(Http404):
            message_get_for_flagging(actor=outsider, public_id=message.public_id)
    message.refresh_from_db()
    assert not message.flagged_needs_attention


def test_a_care_team_message_cannot_be_flagged(world: World) -> None:
    reply = send(world, world.clinician, "See you Thursday")
    with pytest.raises(ValidationError):
        message_flag(actor=world.clinician, message=reply, flagged=True)


def test_a_client_message_tells_the_care_team_clinicians_only(world: World) -> None:
    """GIVEN Alice's care team is a clinician and a supervisor WHEN she writes THEN one
    e-mail is queued, for the clinician (the supervisor reads threads but is not paged)."""
    message = send(world)
    rows = MessageNotification.objects.filter(message=message)
    assert [r.recipient for r in rows] == [world.clinician]
    assert rows.get().status == NotificationStatus.PENDING


def test_a_clinician_message_tells_the_client(world: World) -> None:
    message = send(world, world.clinician, "See you Thursday")
    assert [r.recipient for r in MessageNotification.objects.filter(message=message)] == [
        world.client_user_1
    ]


def test_a_client_without_a_portal_account_gets_no_email(world: World) -> None:
    client = world.client_1
    client.user = None
    client.save(update_fields=["user"])
    send(world, world.clinician, "A note for when you join")
    assert not MessageNotification.objects.exists()


def test_several_messages_in_a_row_make_one_waiting_email(world: World) -> None:
    send(world, body="One")
    send(world, body="Two")
    send(world, body="Three")
    assert MessageNotification.objects.filter(status=NotificationStatus.PENDING).count() == 1


def test_unread_count_for_staff_covers_their_inbox_only(world: World) -> None:
    send(world)  # Alice, on the clinician's care team
    send(world, world.client_user_2, "Hi", client=world.client_2)
    send(world, world.client_user_b, "Other practice", client=world.client_b)
    assert unread_count_for_staff(actor=world.clinician, practice=world.practice_a) == 2
    assert unread_count_for_staff(actor=world.colleague, practice=world.practice_a) == 0
    message_mark_read(actor=world.clinician, client=world.client_1)
    assert unread_count_for_staff(actor=world.clinician, practice=world.practice_a) == 1
