"""The portal home's "your group" card: `{% load groups_portal %}{% portal_group_card %}`."""

from __future__ import annotations

from typing import Any

from django import template

from openipt.groups.selectors.members import portal_group_card as card_for

register = template.Library()


@register.inclusion_tag("groups/portal_card.html", takes_context=True)
def portal_group_card(context: template.Context) -> dict[str, Any]:
    """The signed-in client's own group card (nothing about any other member)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"card": None}
    return {"card": card_for(actor=user)}
