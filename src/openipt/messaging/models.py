"""Secure messages: one thread per client with their care team, read receipts, attachments.

A thread is made the first time someone writes in it. A message's body and an
attachment's file name are encrypted at rest (names can say a lot: "letter
from the psychiatrist.pdf"); so is the attachment's content, in a file outside
every served directory. A new message writes one outbox row per person to tell
(`MessageNotification`) in its own transaction; the background worker sends the
e-mails later, and they say only that there is a new message, with a link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel


class Thread(PublicModel):
    """The one secure conversation between a client and their care team."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="message_threads"
    )
    client = models.OneToOneField(
        "practice.Client", on_delete=models.PROTECT, related_name="message_thread"
    )
    # Kept with each message so that the inbox can sort by it without a join.
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "last_message_at"])]

    def __str__(self) -> str:
        return f"Message thread {self.public_id}"


class SenderKind(models.TextChoices):
    CLIENT = "client", "Client"
    CARE_TEAM = "care_team", "Care team"


class Message(PublicModel):
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Which side wrote it, fixed when it was sent (a later change of accounts
    # does not move a message to the other side of the conversation).
    sender_kind = models.CharField(max_length=16, choices=SenderKind.choices)
    body = EncryptedTextField(blank=True)
    # A random key from the form: sending the same form twice stores one message.
    idempotency_key = models.CharField(max_length=64)
    flagged_needs_attention = models.BooleanField(default=False)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "author", "idempotency_key"],
                name="message_unique_idempotency_key",
            ),
            models.CheckConstraint(
                name="message_flag_has_who_and_when",
                condition=Q(flagged_needs_attention=False)
                | (Q(flagged_by__isnull=False) & Q(flagged_at__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.public_id}"

    @property
    def from_client(self) -> bool:
        return self.sender_kind == SenderKind.CLIENT


class ReaderKind(models.TextChoices):
    CLIENT = "client", "Client"
    CLINICIAN = "clinician", "Care-team clinician"
    SUPERVISOR = "supervisor", "Supervisor"


class MessageRead(models.Model):
    """Someone opened the thread while this message was in it: a read receipt.

    The client is shown "read by your clinician" only for reads by a care-team
    clinician, so a supervisor looking in does not look like an answer coming.
    """

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reader_kind = models.CharField(max_length=16, choices=ReaderKind.choices)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="message_read_unique")
        ]

    def __str__(self) -> str:
        return f"Message read {self.pk}"


class Attachment(PublicModel):
    """One file sent with a message. The file itself lives under settings.ATTACHMENT_DIR."""

    message = models.OneToOneField(Message, on_delete=models.PROTECT, related_name="attachment")
    original_name = EncryptedTextField()
    # Decided by looking at the file's first bytes, never taken from the browser.
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(help_text="Bytes, before encryption.")
    # A random name inside ATTACHMENT_DIR; never a path from outside.
    stored_name = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"Attachment {self.public_id}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    # The recipient read the message before the e-mail went out.
    CANCELLED = "cancelled", "Not needed"


class MessageNotification(PublicModel):
    """An outbox row: one contentless e-mail to one person about one new message.

    At most one row per person is waiting for a thread at any time: five
    messages in a row make one e-mail, not five. `last_error` holds an
    exception class name, never a message (messages can quote addresses).
    """

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "recipient"], name="message_notification_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Message notification {self.public_id}"
