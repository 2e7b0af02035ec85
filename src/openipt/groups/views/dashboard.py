"""The programme manager's pages: counts and outcomes across sites, never a person."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.views._common import actor_of
from openipt.practice.models import ClientStatus, Organisation, Practice, Role


@login_required
def programme_overview(request: HttpRequest) -> HttpResponse:
    """Site-level counts for a programme manager's organisations; no individual records."""
    organisation_ids = request.roles.managed_organisations  # type: ignore[attr-defined]
    if not organisation_ids:
        raise PermissionDenied
    active = Q(clients__status=ClientStatus.ACTIVE)
    practices = (
        Practice.objects.filter(organisation_id__in=organisation_ids)
        .select_related("organisation")
        .annotate(
            active_clients=Count("clients", filter=active, distinct=True),
            archived_clients=Count(
                "clients", filter=Q(clients__status=ClientStatus.ARCHIVED), distinct=True
            ),
            staff=Count(
                "memberships",
                filter=Q(memberships__is_active=True) & ~Q(memberships__role=Role.CLIENT),
                distinct=True,
            ),
        )
        .order_by("organisation__name", "name")
    )
    organisations = Organisation.objects.filter(pk__in=organisation_ids).order_by("name")
    record(actor=actor_of(request), action=AuditAction.VIEW, object_type="programme_overview")
    return render(
        request,
        "groups/programme_overview.html",
        {"practices": practices, "organisations": organisations},
    )
