"""URL patterns of the reports app: research (joined in openipt.reports.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from openipt.reports import views_research

urlpatterns: list[URLPattern] = [
    path("research/", views_research.research_export, name="research_export"),
]
