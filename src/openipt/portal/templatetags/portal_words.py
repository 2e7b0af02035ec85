"""Client-facing words for the stored codes the portal shows (statuses, phases, rhythms)."""

from __future__ import annotations

import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

register = template.Library()

WORDS: dict[str, Promise] = {
    # phases
    "initial": _("getting started"),
    "middle": _("middle phase"),
    "termination": _("final phase"),
    # course status
    "active": _("running"),
    "closed": _("finished"),
    # attendance
    "attended": _("attended"),
    "cancelled": _("cancelled"),
    "no_show": _("missed"),
    # experiments
    "assigned": _("to try"),
    "done": _("tried"),
    "not_done": _("not tried"),
    "reviewed": _("talked through together"),
    # rhythm
    "weekly": _("every week"),
    "fortnightly": _("every two weeks"),
    "monthly": _("every month"),
    # agreement
    "in_session": _("in a session"),
    "portal": _("in the portal"),
    # focus areas, in the client's words
    "grief": _("coming to terms with a loss"),
    "role_dispute": _("a disagreement in an important relationship"),
    "role_transition": _("a change in your life"),
    "interpersonal_deficits": _("closer connections with other people"),
}


@register.filter
def portal_word(code: object) -> str:
    """The client-facing word for a stored code, or the code itself when there is none."""
    text = str(code or "")
    return str(WORDS.get(text, text.replace("_", " ")))


@register.filter
def when(value: object) -> str:
    """An ISO date or date-time from the data export, written for people to read."""
    text = str(value or "")
    if not text:
        return ""
    try:
        if "T" in text:
            moment = datetime.datetime.fromisoformat(text)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return date_filter(moment, "j M Y, H:i")
        return date_filter(datetime.date.fromisoformat(text), "j M Y")
    except ValueError:
        return text
