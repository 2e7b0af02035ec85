"""A demo conversation between a client and their clinician, written through the services.

The people and their words are invented. The messages are then moved back a few
days (demo data only) so the thread reads like a real week, and the waiting
e-mails are marked not needed: the demo never sends mail about its own past.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from openipt.messaging.models import (
    Message,
    MessageNotification,
    MessageRead,
    NotificationStatus,
    Thread,
)
from openipt.messaging.services import message_mark_read, message_send

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Client

# (who, days ago, hour, minute, text); "client" or "clinician".
DEMO_CONVERSATION: tuple[tuple[str, int, int, int, str], ...] = (
    (
        "client",
        5,
        19,
        12,
        "Hi Maya, I tried the conversation with my brother that we planned. It went better "
        "than I expected, but I froze when he brought up Dad. Could we go over it on Tuesday?",
    ),
    (
        "clinician",
        4,
        9,
        40,
        "Thank you for letting me know, Jordan. Having that conversation at all was a real "
        "step. Yes, let's start Tuesday's session there. If you can, jot down what you "
        "remember about the moment you froze.",
    ),
    (
        "client",
        2,
        21,
        5,
        "Will do. I've attached the notes I wrote straight after we talked.",
    ),
    ("clinician", 1, 8, 55, "Got them, thank you. See you on Tuesday at 10."),
)
DEMO_NOTES = (
    "What he said: that I never call unless something is wrong.\n"
    "What I said: that I want to call more, and that I miss how things were.\n"
    "When he mentioned Dad I went quiet and changed the subject.\n"
    "Afterwards: relieved, tired, a bit proud.\n"
)


@transaction.atomic
def seed_demo_messages(*, client: Client, client_user: User, clinician: User) -> Thread:
    """Four messages over the past week; the last one (the clinician's) still unread."""
    now = timezone.now()
    sent: list[tuple[Message, datetime.datetime]] = []
    for n, (who, days_ago, hour, minute, text) in enumerate(DEMO_CONVERSATION):
        attachment = None
        if n == 2:
            attachment = SimpleUploadedFile(
                "notes after talking with my brother.txt",
                DEMO_NOTES.encode(),
                content_type="text/plain",
            )
        message = message_send(
            actor=client_user if who == "client" else clinician,
            client=client,
            body=text,
            idempotency_key=f"demo-message-{n}",
            attachment=attachment,
        )
        when = (now - datetime.timedelta(days=days_ago)).replace(
            hour=hour, minute=minute, second=0, microsecond=0
        )
        sent.append((message, when))
        # Each side reads what came before it answered.
        reader = clinician if who == "client" else client_user
        if n + 1 < len(DEMO_CONVERSATION):
            message_mark_read(actor=reader, client=client)
    for message, when in sent:
        Message.objects.filter(pk=message.pk).update(created_at=when, updated_at=when)
        if message.from_client:
            # The clinician reads messages in working hours: the next morning.
            read_at = (when + datetime.timedelta(days=1)).replace(hour=8, minute=30)
        else:
            read_at = when + datetime.timedelta(hours=2)
        MessageRead.objects.filter(message=message).update(read_at=read_at)
    thread = Thread.objects.get(client=client)
    Thread.objects.filter(pk=thread.pk).update(last_message_at=sent[-1][1])
    MessageNotification.objects.filter(
        message__thread=thread, status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.CANCELLED)
    thread.refresh_from_db()
    return thread
