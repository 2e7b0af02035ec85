"""Writes of secure messaging, each audited in its transaction, never with message text."""

from openipt.messaging.services.delivery import (
    MAX_ATTEMPTS,
    enqueue_delivery,
    message_notifications_deliver_pending,
)
from openipt.messaging.services.messages import (
    MAX_BODY_LENGTH,
    attachment_downloaded,
    inbox_listed,
    message_flag,
    message_mark_read,
    message_send,
)

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_BODY_LENGTH",
    "attachment_downloaded",
    "enqueue_delivery",
    "inbox_listed",
    "message_flag",
    "message_mark_read",
    "message_notifications_deliver_pending",
    "message_send",
]
