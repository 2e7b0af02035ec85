"""Template helpers of the message pages, and the unread-messages block of the portal home."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from openipt.messaging.attachments import human_size
from openipt.messaging.selectors import unread_count_for_client
from openipt.practice.models import Client

register = template.Library()


@register.filter
def message_time(value: datetime.datetime | None, today: datetime.date | None = None) -> str:
    """ "10:42" today, "3 Mar, 10:42" this year, "3 Mar 2025, 10:42" before that."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = today or timezone.localdate()
    if local.date() == today:
        return date_format(local, "H:i")
    if local.year == today.year:
        return date_format(local, "j M, H:i")
    return date_format(local, "j M Y, H:i")


@register.filter
def file_size(size: int) -> str:
    return human_size(size)


@register.inclusion_tag("messaging/partials/portal_unread.html")
def portal_unread(client: Client) -> dict[str, Any]:
    """The client's unread messages (one query), for their home page."""
    return {"unread_count": unread_count_for_client(client=client)}
