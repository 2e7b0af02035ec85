"""Downloading a course's PDF report.

Who may: whoever may read the course (the care team's clinicians, the
practice's supervisors), through `course_get_for_actor`; everyone else gets
the same 404 as for a missing course. Every download is audited as an export.
The file name carries the kind of report and the date, never the client's name.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses import selectors
from openipt.reports.pdf.registry import COURSE_REPORTS, ReportUnavailable


@login_required
@require_GET
def course_pdf(request: HttpRequest, public_id: UUID, kind: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
    report = COURSE_REPORTS.get(kind)
    if report is None:
        raise Http404("No such report.")
    try:
        pdf = report.render(course)
    except ReportUnavailable as exc:
        return render(
            request,
            "reports/pdf_unavailable.html",
            {"course": course, "client": course.client, "report": report, "reason": str(exc)},
            status=409,
        )
    record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=f"course_report_{report.kind}",
        object_public_id=course.public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{report.kind}-{timezone.localdate().isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Clinical data: never kept by a shared cache or on disk.
    response["Cache-Control"] = "private, no-store"
    return response
