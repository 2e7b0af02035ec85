"""URL patterns of the reports app: pdf (joined in openipt.reports.urls).

No client name in any URL: a course is named by its public id and the kind of report.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from openipt.reports import views_pdf

urlpatterns: list[URLPattern] = [
    path(
        "courses/<uuid:public_id>/<slug:kind>.pdf",
        views_pdf.course_pdf,
        name="course_pdf",
    ),
]
