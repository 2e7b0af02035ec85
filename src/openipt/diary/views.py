"""The clinician's view of a client's mood diary: a page and its chart.

The same readers as the rest of the course record (the care-team clinicians
and the practice's supervisors; everyone else gets a 404 like a missing id).
The chart is served as its own SVG image for the reason given in
`openipt.courses.views.outcomes`, with the same narrow policy.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses import selectors as course_selectors
from openipt.courses.models import Course
from openipt.courses.views.outcomes import CHART_CONTENT_SECURITY_POLICY, SIZES
from openipt.diary import chart_data, selectors


def _audit(actor: User, course: Course, what: str) -> None:
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=course.public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
    )


@login_required
@require_GET
def course_diary(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    course = course_selectors.course_get_for_actor(actor=actor, public_id=public_id)
    entries = selectors.entries_for_course(course=course)
    _audit(actor, course, "diary")
    return render(
        request,
        "diary/course_diary.html",
        {
            "course": course,
            "client": course.client,
            "entries": list(reversed(entries)),
            "summary": chart_data.course_diary_summary(course),
        },
    )


@login_required
@require_GET
def course_chart(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The diary chart for one course (`?size=narrow` for a phone)."""
    actor: User = request.user  # type: ignore[assignment]
    course = course_selectors.course_get_for_actor(actor=actor, public_id=public_id)
    size = SIZES.get(request.GET.get("size", "wide"))
    if size is None:
        return HttpResponseBadRequest("Unknown chart size: use wide or narrow.")
    svg = chart_data.course_diary_svg(course, size=size)
    _audit(actor, course, "diary_chart")
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    return response
