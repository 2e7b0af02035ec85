"""Sending, reading and flagging secure messages; each write audited in its transaction.

The audit trail records who sent, read or flagged which message (by public id)
and which fields were written, never a message's text or a file's name.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.messaging import attachments
from openipt.messaging.models import (
    Attachment,
    Message,
    MessageNotification,
    MessageRead,
    NotificationStatus,
    SenderKind,
    Thread,
)
from openipt.messaging.selectors import ThreadAccess, thread_access_for
from openipt.messaging.services.delivery import enqueue_delivery
from openipt.practice.models import CareTeamRole, Client, Practice, Role

if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_BODY_LENGTH = 10_000
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _audit(
    actor: User | None,
    client: Client,
    action: AuditAction,
    object_type: str,
    object_public_id: object,
    fields: Iterable[str] = (),
) -> None:
    record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_public_id=object_public_id,  # type: ignore[arg-type]
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=fields,
    )


def _require_sender(actor: User, client: Client) -> ThreadAccess:
    access = thread_access_for(actor=actor, client=client)
    if not access.can_send:
        raise PermissionDenied
    return access


def _existing(client: Client, actor: User, key: str) -> Message | None:
    return (
        Message.objects.filter(thread__client=client, author=actor, idempotency_key=key)
        .select_related("thread")
        .first()
    )


def _validate(
    body: str, attachment: UploadedFile | attachments.CheckedFile | None, key: str
) -> tuple[str, attachments.CheckedFile | None]:
    errors: dict[str, str | ValidationError] = {}
    if not _KEY.match(key or ""):
        # Only a tampered or very old form gets here; the page makes a new key.
        errors["idempotency_key"] = _("This form had expired. Please send your message again.")
    checked: attachments.CheckedFile | None = None
    if isinstance(attachment, attachments.CheckedFile):
        checked = attachment
    elif attachment is not None:
        try:
            checked = attachments.check_upload(attachment)
        except ValidationError as exc:
            errors["attachment"] = exc
    body = (body or "").strip()
    if len(body) > MAX_BODY_LENGTH:
        errors["body"] = _("Please keep a message under %(limit)s characters.") % {
            "limit": f"{MAX_BODY_LENGTH:,}"
        }
    elif not body and checked is None and "attachment" not in errors:
        errors["body"] = _("Write a message, or attach a file.")
    if errors:
        raise ValidationError(errors)
    return body, checked


@transaction.atomic
def message_send(
    *,
    actor: User,
    client: Client,
    body: str,
    idempotency_key: str,
    attachment: UploadedFile | attachments.CheckedFile | None = None,
    now: datetime.datetime | None = None,
) -> Message:
    """Send a message in `client`'s thread, as the client or as a care-team clinician.

    GIVEN a form sent twice with the same idempotency key WHEN the second arrives
    THEN the first message is returned and nothing new is stored, sent or audited.
    Supervisors read threads but may not write in them (403); anyone outside the
    thread gets a 404. The people on the other side are told by a contentless
    e-mail, sent by the background worker after this transaction commits.
    """
    access = _require_sender(actor, client)
    client = access.client
    existing = _existing(client, actor, idempotency_key) if idempotency_key else None
    if existing is not None:
        return existing
    body, checked = _validate(body, attachment, idempotency_key)
    now = now or timezone.now()
    thread, _created = Thread.objects.get_or_create(
        client=client, defaults={"practice": client.practice}
    )
    stored_name = attachments.store(checked.content) if checked is not None else None
    try:
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    thread=thread,
                    author=actor,
                    sender_kind=access.sender_kind,
                    body=body,
                    idempotency_key=idempotency_key,
                )
        except IntegrityError:
            # The same form, sent at the same moment by a second request that won.
            if stored_name is not None:
                attachments.discard(stored_name)
                stored_name = None
            existing = _existing(client, actor, idempotency_key)
            if existing is None:
                raise
            return existing
        fields = ["body"] if body else []
        if checked is not None and stored_name is not None:
            fields.append("attachment")
        _audit(actor, client, AuditAction.CREATE, "message", message.public_id, fields)
        if checked is not None and stored_name is not None:
            attachment_row = Attachment.objects.create(
                message=message,
                original_name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                stored_name=stored_name,
            )
            _audit(
                actor,
                client,
                AuditAction.CREATE,
                "message_attachment",
                attachment_row.public_id,
                ["content_type", "original_name", "size"],
            )
        Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
        if _queue_notifications(message, client=client, actor=actor, now=now):
            enqueue_delivery()
    except BaseException:
        # The row pointing at the file will not exist: do not leave the file behind.
        if stored_name is not None:
            attachments.discard(stored_name)
        raise
    return message


def _recipients(message: Message, client: Client, actor: User) -> list[User]:
    """Who hears about a new message: the other side of the conversation."""
    if message.sender_kind == SenderKind.CLIENT:
        people = User.objects.filter(
            is_active=True,
            care_assignments__client=client,
            care_assignments__role=CareTeamRole.CLINICIAN,
            memberships__practice_id=client.practice_id,
            memberships__role=Role.CLINICIAN,
            memberships__is_active=True,
        )
    else:
        if client.user_id is None:
            return []
        people = User.objects.filter(
            pk=client.user_id,
            is_active=True,
            memberships__practice_id=client.practice_id,
            memberships__role=Role.CLIENT,
            memberships__is_active=True,
        )
    return list(people.exclude(pk=actor.pk).exclude(email="").distinct().order_by("id"))


def _queue_notifications(
    message: Message, *, client: Client, actor: User, now: datetime.datetime
) -> int:
    """One outbox row per recipient, unless one is already waiting for them in this thread."""
    made = 0
    for user in _recipients(message, client, actor):
        waiting = MessageNotification.objects.filter(
            recipient=user,
            message__thread_id=message.thread_id,
            status=NotificationStatus.PENDING,
        ).exists()
        if waiting:
            continue
        MessageNotification.objects.create(message=message, recipient=user, next_attempt_at=now)
        made += 1
    return made


@transaction.atomic
def message_mark_read(*, actor: User, client: Client, now: datetime.datetime | None = None) -> int:
    """Opening a thread: every message in it is now read by `actor`, and the read is audited.

    GIVEN anyone who may see the thread WHEN they open it THEN an audit event
    (a view of the thread, no content) is written, and their read receipts are
    recorded for every message they had not read; returns how many. Outside the
    thread: 404.
    """
    access = thread_access_for(actor=actor, client=client)
    client = access.client
    now = now or timezone.now()
    thread = Thread.objects.filter(client=client).first()
    marked = 0
    if thread is not None:
        unread = list(
            Message.objects.filter(thread=thread)
            .exclude(author=actor)
            .exclude(reads__user=actor)
            .values_list("pk", flat=True)
        )
        MessageRead.objects.bulk_create(
            [
                MessageRead(message_id=pk, user=actor, reader_kind=access.reader_kind, read_at=now)
                for pk in unread
            ],
            ignore_conflicts=True,
        )
        marked = len(unread)
    _audit(
        actor,
        client,
        AuditAction.VIEW,
        "message_thread",
        thread.public_id if thread is not None else None,
    )
    return marked


@transaction.atomic
def message_flag(
    *, actor: User, message: Message, flagged: bool, now: datetime.datetime | None = None
) -> Message:
    """A care-team clinician marks a client's message as needing attention, or clears the mark.

    GIVEN a message from the client WHEN a clinician on their care team flags it
    THEN the thread sorts first in every inbox that shows it until someone clears
    the flag. Supervisors: 403. Messages from the care team cannot be flagged.
    """
    access = thread_access_for(actor=actor, client=message.thread.client)
    if not access.can_flag:
        raise PermissionDenied
    if not message.from_client:
        raise ValidationError(_("Only a message from the client can be flagged."))
    if message.flagged_needs_attention == flagged:
        return message
    message.flagged_needs_attention = flagged
    message.flagged_by = actor if flagged else None
    message.flagged_at = (now or timezone.now()) if flagged else None
    message.save(
        update_fields=["flagged_needs_attention", "flagged_by", "flagged_at", "updated_at"]
    )
    _audit(
        actor,
        access.client,
        AuditAction.UPDATE,
        "message",
        message.public_id,
        ["flagged_at", "flagged_by", "flagged_needs_attention"],
    )
    return message


def attachment_downloaded(*, actor: User, attachment: Attachment, client: Client) -> None:
    """Audit that someone downloaded an attachment (the view has checked that they may)."""
    _audit(actor, client, AuditAction.VIEW, "message_attachment", attachment.public_id)


def inbox_listed(*, actor: User, practice: Practice) -> None:
    record(actor=actor, action=AuditAction.LIST, object_type="message_inbox", practice=practice)
