"""Plain-language labels for audit events, for people reading an access log."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

register = template.Library()

# Object types as stored (stable codes) → words a client or clinician reads.
OBJECT_LABELS = {
    "client": "client record",
    "client_list": "client list",
    "client_access_log": "access log",
    "portal_home": "portal home page",
    "care_team_member": "care team",
    "invitation": "invitation",
    "membership": "practice role",
    "session": "session",
    "user": "account",
    "authenticator": "two-step sign-in",
    "programme_overview": "programme overview",
    "audit_trail": "audit trail",
}


@register.filter
def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type.replace("_", " "))


@register.filter
def field_labels(names: Iterable[str]) -> str:
    return ", ".join(name.replace("_", " ") for name in names)
