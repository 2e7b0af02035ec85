"""Helpers for the write-operation tests: a JSON client that also PATCHes and PUTs, and the
refusals every write operation owes (no live token, people out of reach, browser sessions)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.test import Client as HttpClient
from django.utils import timezone

from openipt.accounts.models import User
from openipt.api.main import api
from openipt.audit.models import AuditAction, AuditEvent
from tests.api.conftest import Api, raw_token_for
from tests.world import World


class WriteApi(Api):
    """`Api` with every method the write operations use."""

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return call_with(self.http, method, path, body, self.headers)

    def patch(self, path: str, body: Any) -> Any:
        return self.call("PATCH", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.call("PUT", path, body)


def call_with(
    http: HttpClient, method: str, path: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    send = getattr(http, method.lower())
    if method == "GET":
        return send("/api/v1" + path, headers=headers or {})
    return send(
        "/api/v1" + path,
        data=json.dumps(body if body is not None else {}),
        content_type="application/json",
        headers=headers or {},
    )


def writer(user: User | None) -> WriteApi:
    return WriteApi(raw_token_for(user) if user is not None else None)


@dataclass(frozen=True)
class WriteOp:
    """One write operation: who may, with what body, and what everyone else gets."""

    method: str
    path: Callable[[World], str]
    body: Callable[[World], Any]
    ok: int
    # Roles of the world that may read the record but not change it (403).
    readers: tuple[str, ...] = ("supervisor",)
    # Roles that cannot see the record at all (404, like a missing id).
    outsiders: tuple[str, ...] = ("colleague", "clinician_b", "client", "client_b", "facilitator")


def operation_names(router_modules: tuple[Any, ...]) -> set[str]:
    """The url names of the operations declared in these router modules."""
    names: set[str] = set()
    for module in router_modules:
        for view in module.router.path_operations.values():
            for op in view.operations:
                names.add(op.url_name)
    return names


def api_operation_names() -> set[str]:
    return {
        op.url_name or op.view_func.__name__
        for _prefix, router in api._routers
        for view in router.path_operations.values()
        for op in view.operations
    }


def assert_refusals(
    op: WriteOp, world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    """Everyone but the owner is refused, and nothing they send is stored."""
    users = world.users_by_role_name()
    path, body = op.path(world), op.body(world)
    before = _record_events()
    now = timezone.now()
    for token in (
        None,
        "oipt_not-a-real-token",
        raw_token_for(world.clinician, revoked_at=now),
        raw_token_for(world.clinician, expires_at=now - datetime.timedelta(minutes=1)),
    ):
        response = WriteApi(token).call(op.method, path, body)
        assert response.status_code == 401, (token, response.content)
        assert response["WWW-Authenticate"].startswith("Bearer")
    for role in op.readers:
        response = writer(users[role]).call(op.method, path, body)
        assert response.status_code == 403, (role, response.content)
        assert response.json() == {"detail": "Your role does not allow this.", "errors": {}}
    for role in op.outsiders:
        response = writer(users[role]).call(op.method, path, body)
        assert response.status_code == 404, (role, response.content)
        assert response.json() == {"detail": "Not found.", "errors": {}}
    # A browser session (the pages' login) is not a token: the API answers 401.
    for role in ("clinician", "supervisor", "client"):
        response = call_with(client_for(users[role]), op.method, path, body)
        assert response.status_code == 401, (role, response.content)
    # Only the API's own call records were written: no service wrote anything.
    assert _record_events() == before


def _record_events() -> int:
    """Audit events of record changes (not the API's call records, not sign-ins)."""
    return (
        AuditEvent.objects.exclude(object_type__startswith="api_")
        .exclude(action__in=[AuditAction.LOGIN, AuditAction.VIEW, AuditAction.LIST])
        .count()
    )


def domain_events(object_type: str) -> list[AuditEvent]:
    """The changes (not the reads) the services recorded for this kind of record."""
    return list(
        AuditEvent.objects.filter(object_type=object_type)
        .exclude(action__in=[AuditAction.VIEW, AuditAction.LIST])
        .order_by("sequence")
    )
