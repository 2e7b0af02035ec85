"""Bearer-token authentication for the JSON API, and the audit event of every call.

A token acts as its owner: `request.user` becomes the owner, so every endpoint
goes through the same selectors and services as the pages. Each authenticated
call appends one `api_<resource>` audit event (the route's resource names, the
object id from the path, never a value), before the endpoint runs, so that a
call is in the trail even when it ends in a 404 or a 422.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from openipt.api.models import ApiToken
from openipt.api.selectors import token_for_secret
from openipt.api.services import api_token_touch
from openipt.audit.models import AuditAction
from openipt.audit.services import record

API_ROOT = "api/v1/"
_ACTIONS = {
    "POST": AuditAction.CREATE,
    "PUT": AuditAction.UPDATE,
    "PATCH": AuditAction.UPDATE,
}


def resource_of(route: str) -> str:
    """`api/v1/courses/<course_id>/measures` → `courses_measures` (no ids, no values)."""
    route = route.removeprefix(API_ROOT)
    parts = [p for p in route.split("/") if p and not p.startswith("<")]
    name = "_".join(p.replace("-", "_").replace("$", "") for p in parts) or "root"
    return name[:60]


def _object_id(kwargs: dict[str, Any]) -> uuid.UUID | None:
    for value in kwargs.values():
        try:
            return uuid.UUID(str(value))
        except ValueError:
            continue
    return None


def audit_call(request: HttpRequest, token: ApiToken) -> None:
    match = request.resolver_match
    route = match.route if match is not None else request.path_info.lstrip("/")
    kwargs = dict(match.kwargs) if match is not None else {}
    # A GET of one object (the route ends in its id) is a view; anything else read is a list.
    read = AuditAction.VIEW if route.rstrip("/").endswith(">") else AuditAction.LIST
    action = _ACTIONS.get(request.method or "GET", read)
    record(
        actor=token.user,
        action=action,
        object_type=f"api_{resource_of(route)}",
        object_public_id=_object_id(kwargs),
    )


class TokenAuth(HttpBearer):
    """`Authorization: Bearer oipt_…`: a live token of an active user, or 401."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        now = timezone.now()
        row = token_for_secret(token.strip(), now=now)
        if row is None:
            return None
        request.user = row.user
        api_token_touch(token=row, now=now)
        audit_call(request, row)
        return row
