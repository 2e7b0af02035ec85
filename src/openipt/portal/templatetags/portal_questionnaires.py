"""The "questionnaires waiting" block of the portal home page."""

from __future__ import annotations

from typing import Any

from django import template

from openipt.measures import selectors as measure_selectors
from openipt.practice.models import Client

register = template.Library()


@register.inclusion_tag("portal/_questionnaires_waiting.html")
def questionnaires_waiting(client: Client) -> dict[str, Any]:
    """The client's open questionnaires (one query), for their home page."""
    waiting = list(measure_selectors.open_requests_for_client(client))
    return {"count": len(waiting), "first": waiting[0] if waiting else None}
