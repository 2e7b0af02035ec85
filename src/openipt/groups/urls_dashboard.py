"""The programme manager's pages under /organisation/ (namespace "programmes").

The overview itself (/organisation/) is named `programme_overview` at the root.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from openipt.groups.views import dashboard as views

urlpatterns: list[URLPattern] = [
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<uuid:public_id>/", views.programme_dashboard, name="programme_dashboard"),
    path(
        "programmes/<uuid:public_id>/settings/",
        views.programme_settings,
        name="programme_settings",
    ),
    path(
        "programmes/<uuid:public_id>/sites/<uuid:site_public_id>/chart.svg",
        views.site_chart,
        name="site_chart",
    ),
]
