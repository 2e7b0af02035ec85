"""My data: a copy of everything the client is entitled to, and who accessed their record.

Each download or readable copy is recorded in the audit trail as an export.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.portal import access_log, export
from openipt.practice import selectors, services
from openipt.practice.models import Client

EVENTS_PER_PAGE = 50


def _audit_export(user: User, client: Client, what: str) -> None:
    record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type=what,
        object_public_id=client.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
    )


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    services.client_record_viewed(actor=user, client=client, what="portal_data")
    return render(request, "portal/data.html", {"client": client})


@login_required
@require_GET
def data_json(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    data = export.client_data(client=client, user=user)
    _audit_export(user, client, "client_data_json")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="my-openipt-data-{day}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def data_copy(request: HttpRequest) -> HttpResponse:
    """The same data as a readable page, made to be printed or saved as a PDF."""
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    data = export.client_data(client=client, user=user)
    _audit_export(user, client, "client_data_copy")
    response = render(request, "portal/data_copy.html", {"client": client, "data": data})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def access(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    services.client_record_viewed(actor=user, client=client, what="portal_access_log")
    page = Paginator(access_log.events_for_client(client=client), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/access_log.html",
        {"client": client, "page": page, "rows": access_log.rows_for(list(page), client)},
    )
