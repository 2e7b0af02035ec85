"""The research export page: a form (GET) and the CSV download (POST)."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from openipt.accounts.models import User
from openipt.measures.selectors import instruments_for_practice
from openipt.reports.research.access import scope_for_actor
from openipt.reports.research.export import research_export_start
from openipt.reports.research.forms import ResearchExportForm
from openipt.reports.research.options import ExportKind


@login_required
@require_http_methods(["GET", "POST"])
def research_export(request: HttpRequest) -> HttpResponseBase:
    actor = cast(User, request.user)
    practice = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    scope = scope_for_actor(actor=actor, practice=practice, roles=roles)
    codes = list(instruments_for_practice(scope.practice))
    if request.method == "POST":
        form = ResearchExportForm(request.POST, kinds=scope.kinds, instrument_codes=codes)
        if form.is_valid():
            export = research_export_start(actor=actor, scope=scope, options=form.options())
            response = StreamingHttpResponse(export.lines(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            response["Cache-Control"] = "no-store"
            return response
        status = 400
    else:
        form = ResearchExportForm(kinds=scope.kinds, instrument_codes=codes)
        status = 200
    return render(
        request,
        "reports/research_export.html",
        {
            "form": form,
            "practice": scope.practice,
            "group_scores_offered": ExportKind.GROUP_SCORES in scope.kinds,
        },
        status=status,
    )
