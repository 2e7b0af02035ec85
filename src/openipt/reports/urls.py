"""Reports and exports under /reports/ (namespace "reports")."""

from __future__ import annotations

from openipt.reports import urls_pdf, urls_research

app_name = "reports"

urlpatterns = [*urls_pdf.urlpatterns, *urls_research.urlpatterns]
