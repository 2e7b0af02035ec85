"""The audit trail for practice admins, and "who accessed this record" for a client record."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openipt.accounts.models import User
from openipt.audit import selectors
from openipt.audit.forms import AuditFilterForm
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice import policies
from openipt.practice import selectors as practice_selectors
from openipt.practice import services as practice_services
from openipt.practice.models import Practice

EVENTS_PER_PAGE = 50


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    if practice is None or not policies.can_manage_members(roles):
        raise PermissionDenied
    # Reading the trail is itself recorded (before the page is counted, so
    # that the listing is consistent): who looked at who looked.
    record(
        actor=request.user,  # type: ignore[arg-type]
        action=AuditAction.LIST,
        object_type="audit_trail",
        practice=practice,
    )
    form = AuditFilterForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        # A filter that cannot be applied shows its error and no events,
        # rather than silently showing everything.
        status = 400
        events = selectors.audit_events_for_practice(practice=practice).none()
    else:
        filters = form.cleaned_data if form.is_bound else {}
        events = selectors.audit_events_for_practice(
            practice=practice,
            action=filters.get("action", ""),
            object_type=filters.get("object_type", ""),
            since=filters.get("since"),
            until=filters.get("until"),
        )
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_trail.html",
        {"form": form, "page": page, "practice": practice, "query_string": query.urlencode()},
        status=status,
    )


@login_required
def client_access_log(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    client = practice_selectors.client_get_for_actor(actor=actor, public_id=public_id)
    practice_services.client_record_viewed(actor=actor, client=client, what="client_access_log")
    page = Paginator(selectors.access_events_for_client(client=client), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "audit/client_access_log.html", {"client": client, "page": page})
