"""A course's chart per instrument, served as its own SVG image.

The chart is an image (`<img src>` on the overview) rather than SVG inlined in
the page: matplotlib writes its colours and fonts as `style` attributes, which
the page's Content-Security-Policy (`style-src 'self'`) would refuse if they
were part of the HTML document. An SVG loaded as an image is a separate
document: it cannot run script and the page's policy does not apply to it.
The image gets its own, even narrower policy (no script, nothing loaded, only
its inline styles), so that opening its URL directly is just as safe.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses import selectors
from openipt.measures import chart_data
from openipt.measures.charts import ChartSize

# The chart needs its own inline styles and nothing else: no script, no fonts,
# no images, nothing from anywhere, and it may not be framed.
CHART_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
)

SIZES: dict[str, ChartSize] = {"wide": "wide", "narrow": "narrow"}


@login_required
@require_GET
def chart(request: HttpRequest, public_id: UUID, instrument_code: str) -> HttpResponse:
    """One instrument's chart for one course (`?size=narrow` for a phone)."""
    actor: User = request.user  # type: ignore[assignment]
    course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
    size = SIZES.get(request.GET.get("size", "wide"))
    if size is None:
        return HttpResponseBadRequest("Unknown chart size: use wide or narrow.")
    svg = chart_data.course_chart(course, instrument_code, size=size)
    if svg is None:
        raise Http404("No such questionnaire for this practice.")
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="measure_chart",
        object_public_id=course.public_id,
        practice=course.practice,
        subject_client_public_id=course.client.public_id,
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # Clinical data: never kept by a shared cache or on disk.
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    return response
