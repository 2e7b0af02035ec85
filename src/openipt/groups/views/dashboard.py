"""The programme manager's pages: programmes, the dashboard, the site charts, settings.

Counts and averages only: no page here shows a member, a score or a note.
Every programme page is for the programme managers of the programme's
organisation; anyone else gets the same 404 as for a missing programme (the
role-wide pages, the overview and "new programme", answer 403).
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.charts_dashboard import site_chart_svg
from openipt.groups.forms_programmes import DashboardFilterForm, ProgrammeSettingsForm
from openipt.groups.models import Programme
from openipt.groups.selectors.access import programme_get_for_manager
from openipt.groups.selectors.dashboard import (
    MIN_CELL,
    DashboardFilters,
    phq9_thresholds,
    programme_headlines,
    site_chart_points,
)
from openipt.groups.selectors.dashboard import programme_dashboard as dashboard_for
from openipt.groups.services.programmes import StaleProgramme, programme_update
from openipt.groups.services.programmes import programme_create as create_programme
from openipt.groups.views._common import actor_of
from openipt.measures.charts import ChartSize
from openipt.measures.engine import shipped
from openipt.practice.models import ClientStatus, Organisation, Practice, Role
from openipt.protocol.group import GROUP_VARIANTS

# The chart needs its own inline styles and nothing else (as the course charts).
CHART_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
)
SIZES: dict[str, ChartSize] = {"wide": "wide", "narrow": "narrow"}


def _managed_organisations(request: HttpRequest) -> list[Organisation]:
    ids = request.roles.managed_organisations  # type: ignore[attr-defined]
    if not ids:
        raise PermissionDenied
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def _programme_sites(programme: Programme) -> list[Practice]:
    return list(Practice.objects.filter(programme_sites__programme=programme).order_by("name"))


@login_required
@require_GET
def programme_overview(request: HttpRequest) -> HttpResponse:
    """The manager's programmes with headline counts, and their organisations' sites."""
    organisations = _managed_organisations(request)
    active = Q(clients__status=ClientStatus.ACTIVE)
    practices = (
        Practice.objects.filter(organisation__in=organisations)
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
    actor = actor_of(request)
    headlines = programme_headlines(actor=actor)
    record(actor=actor, action=AuditAction.VIEW, object_type="programme_overview")
    return render(
        request,
        "groups/programme_overview.html",
        {"practices": practices, "organisations": organisations, "headlines": headlines},
    )


@login_required
@require_GET
def programme_dashboard(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Per site and facilitator: groups, members, attendance and PHQ-9 outcomes."""
    actor = actor_of(request)
    programme = programme_get_for_manager(actor=actor, public_id=public_id)
    sites = _programme_sites(programme)
    form = DashboardFilterForm(request.GET, sites=sites)
    context: dict[str, object] = {
        "programme": programme,
        "variant": GROUP_VARIANTS.get(programme.variant_code),
        "form": form,
        "min_cell": MIN_CELL,
        "thresholds": phq9_thresholds(),
    }
    status = 200
    if form.is_valid():
        filters = form.filters()
        context["dashboard"] = dashboard_for(actor=actor, programme=programme, filters=filters)
        context["chart_query"] = _chart_query(filters)
    else:
        status = 400
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="programme_dashboard",
        object_public_id=programme.public_id,
    )
    return render(request, "groups/programme_dashboard.html", context, status=status)


def _chart_query(filters: DashboardFilters) -> str:
    params = {}
    if filters.date_from:
        params["from"] = filters.date_from.isoformat()
    if filters.date_to:
        params["to"] = filters.date_to.isoformat()
    return urlencode(params)


@login_required
@require_GET
def site_chart(request: HttpRequest, public_id: UUID, site_public_id: UUID) -> HttpResponse:
    """Mean PHQ-9 by group session at one site, as an SVG image (`?size=narrow` for a phone)."""
    actor = actor_of(request)
    programme = programme_get_for_manager(actor=actor, public_id=public_id)
    site = next((s for s in _programme_sites(programme) if s.public_id == site_public_id), None)
    if site is None:
        raise Http404("No such site in this programme.")
    size = SIZES.get(request.GET.get("size", "wide"))
    if size is None:
        return HttpResponseBadRequest("Unknown chart size: use wide or narrow.")
    form = DashboardFilterForm(request.GET, sites=[site])
    if not form.is_valid():
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(f"Check the period: {problems}")
    points = site_chart_points(actor=actor, programme=programme, site=site, filters=form.filters())
    svg = site_chart_svg(
        instrument=shipped("phq9"),
        points=points,
        title=f"{site.name}: mean PHQ-9 by group session",
        planned_sessions=programme.group_sessions,
        size=size,
    )
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="programme_site_chart",
        object_public_id=programme.public_id,
        practice=site,
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    return response


def _loaded_at(value: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _render_settings(
    request: HttpRequest,
    form: ProgrammeSettingsForm,
    programme: Programme | None,
    status: int,
) -> HttpResponse:
    return render(
        request,
        "groups/programme_settings.html",
        {"form": form, "programme": programme, "variants": list(GROUP_VARIANTS.values())},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_settings(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    programme = programme_get_for_manager(actor=actor, public_id=public_id)
    form = ProgrammeSettingsForm(
        request.POST or None,
        organisations=[programme.organisation],
        initial=ProgrammeSettingsForm.initial_for(programme, _programme_sites(programme)),
    )
    if request.method != "POST":
        return _render_settings(request, form, programme, 200)
    status = 400
    if form.is_valid():
        try:
            programme_update(
                actor=actor,
                programme=programme,
                expected_updated_at=_loaded_at(form.cleaned_data["loaded_at"]),
                **form.settings(),
            )
        except StaleProgramme:
            status = 409
            form.add_error(
                None,
                "Someone saved these settings after you opened this page. Your changes are "
                "still below: open the settings again in a new tab to see theirs, then save.",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Programme settings saved. Running groups keep their plan.")
            return redirect("programmes:programme_dashboard", public_id=programme.public_id)
    return _render_settings(request, form, programme, status)


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest) -> HttpResponse:
    organisations = _managed_organisations(request)
    defaults = Programme(organisation=organisations[0])
    initial = ProgrammeSettingsForm.initial_for(defaults, [])
    initial["name"] = ""
    form = ProgrammeSettingsForm(
        request.POST or None,
        organisations=organisations,
        ask_organisation=len(organisations) > 1,
        initial=initial,
    )
    if request.method != "POST":
        return _render_settings(request, form, None, 200)
    if form.is_valid():
        organisation = form.cleaned_data.get("organisation") or organisations[0]
        try:
            programme = create_programme(
                actor=actor_of(request), organisation=organisation, **form.settings()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Programme “{programme.name}” created.")
            return redirect("programmes:programme_dashboard", public_id=programme.public_id)
    return _render_settings(request, form, None, 400)
