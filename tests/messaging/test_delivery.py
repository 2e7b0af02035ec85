"""The new-message e-mails: no content at all, sent by the worker, retried, never lost."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks

from openipt.audit.models import AuditEvent
from openipt.messaging.models import MessageNotification, NotificationStatus
from openipt.messaging.services import (
    MAX_ATTEMPTS,
    message_mark_read,
    message_notifications_deliver_pending,
)
from openipt.messaging.tasks import deliver_message_notifications
from openipt.practice.models import CareTeamMember
from tests.messaging.helpers import PDF_BYTES, send, upload
from tests.world import World

FAILING = "tests.safety.crashing_backend.FailingEmailBackend"
MINUTE = datetime.timedelta(minutes=1)
CLIENT_TEXT = "Sam shouted at me again and I could not sleep"
CLINICIAN_TEXT = "Thank you for telling me about Sam; we will talk about it on Thursday"

# Anything that would tell a reader of the inbox, or of a lock screen, who is involved
# or what was said: the people's names, the practice, the words of the messages, the file.
FORBIDDEN = re.compile(
    r"alice|anders|clara|clinician|riverside|sam\b|shout|sleep|thursday|letter|\.pdf|"
    r"sam shouted",
    re.IGNORECASE,
)


def test_the_email_to_the_clinician_says_only_that_there_is_a_message(world: World) -> None:
    """GIVEN Alice writes about Sam and attaches a letter WHEN the outbox is sent THEN her
    clinician's e-mail (subject, body and every header) contains no message text, no name
    of anyone, no practice and no file name: only the prompt and a link to the inbox."""
    send(world, body=CLIENT_TEXT, attachment=upload("letter from Riverside.pdf", PDF_BYTES))

    report = message_notifications_deliver_pending()

    assert report.sent == 1
    [email] = mail.outbox
    assert email.to == [world.clinician.email]
    assert email.subject == "You have a new message in OpenIPT"
    assert "You have a new message in OpenIPT." in email.body
    assert "http://testserver/messages/\n" in email.body
    whole = email.message().as_string()
    headers_and_body = whole.replace(world.clinician.email, "")
    assert not FORBIDDEN.search(headers_and_body), headers_and_body
    assert not email.attachments


def test_the_email_to_the_client_links_to_her_messages_and_nothing_else(world: World) -> None:
    send(world, world.clinician, CLINICIAN_TEXT)

    message_notifications_deliver_pending()

    [email] = mail.outbox
    assert email.to == [world.client_user_1.email]
    assert email.subject == "You have a new message in OpenIPT"
    assert "http://testserver/me/messages/\n" in email.body
    whole = email.message().as_string().replace(world.client_user_1.email, "")
    assert not FORBIDDEN.search(whole), whole


def test_sending_a_message_queues_the_worker_after_commit_and_the_task_sends_it(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """GIVEN a new message WHEN its transaction commits THEN a task is queued for the
    database worker (nothing is sent inside the request); running the task sends the
    e-mail and marks the row sent. (The browser test runs the real `db_worker`.)"""
    with django_capture_on_commit_callbacks(execute=True):
        send(world, body=CLIENT_TEXT)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "openipt.messaging.tasks.deliver_message_notifications"
    assert mail.outbox == []

    assert deliver_message_notifications.call() == 1

    assert len(mail.outbox) == 1
    row = MessageNotification.objects.get()
    assert row.status == NotificationStatus.SENT
    assert row.sent_at is not None
    audited = AuditEvent.objects.get(object_type="message_notification")
    assert sorted(audited.changed_fields) == ["sent_at", "status"]


def test_a_failing_mail_server_is_retried_with_backoff_then_the_email_goes(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """GIVEN an SMTP server that refuses WHEN delivery runs THEN the row stays pending with
    the attempt counted and the next try a minute later (a retry task is queued for then);
    an earlier run leaves it alone; once the server is back the e-mail is sent."""
    send(world, body=CLIENT_TEXT)
    row = MessageNotification.objects.get()
    now = timezone.now()
    with override_settings(EMAIL_BACKEND=FAILING), django_capture_on_commit_callbacks(execute=True):
        report = message_notifications_deliver_pending(now=now)
    row.refresh_from_db()
    assert report.retrying == 1
    assert (row.status, row.attempts, row.last_error) == (
        NotificationStatus.PENDING,
        1,
        "SMTPServerDisconnected",
    )
    assert row.next_attempt_at == now + MINUTE
    assert DBTaskResult.objects.filter(run_after=row.next_attempt_at).exists()

    assert message_notifications_deliver_pending(now=now + MINUTE / 2).sent == 0
    assert message_notifications_deliver_pending(now=now + MINUTE).sent == 1
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.attempts == 2
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND=FAILING)
def test_delivery_gives_up_after_the_last_attempt(world: World) -> None:
    send(world)
    row = MessageNotification.objects.get()
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        message_notifications_deliver_pending(now=now)
        row.refresh_from_db()
        now = row.next_attempt_at
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert message_notifications_deliver_pending(now=now + datetime.timedelta(days=1)).sent == 0


def test_no_email_when_the_recipient_has_already_read_everything(world: World) -> None:
    send(world)
    message_mark_read(actor=world.clinician, client=world.client_1)

    report = message_notifications_deliver_pending()

    assert report.cancelled == 1
    assert mail.outbox == []
    assert MessageNotification.objects.get().status == NotificationStatus.CANCELLED


def test_a_message_that_arrives_while_an_email_waits_is_not_lost(world: World) -> None:
    """GIVEN an e-mail waiting for Alice's first message WHEN the clinician reads it and
    Alice writes again before the worker runs THEN the waiting e-mail still goes (it now
    stands for the second message too)."""
    send(world, body="One")
    message_mark_read(actor=world.clinician, client=world.client_1)
    send(world, body="Two")
    assert MessageNotification.objects.count() == 1

    assert message_notifications_deliver_pending().sent == 1
    assert len(mail.outbox) == 1


def test_no_email_to_someone_who_left_the_care_team(world: World) -> None:
    send(world)
    CareTeamMember.objects.filter(client=world.client_1, user=world.clinician).delete()

    assert message_notifications_deliver_pending().cancelled == 1
    assert mail.outbox == []


@pytest.mark.parametrize("quiet", [True, False])
def test_the_sweep_command_sends_what_is_waiting(
    world: World, quiet: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    send(world)
    call_command("messaging_sweep", *(["--quiet"] if quiet else []))
    assert len(mail.outbox) == 1
    out = capsys.readouterr().out
    assert ("sent 1" in out) != quiet
    assert "alice" not in out.lower()
