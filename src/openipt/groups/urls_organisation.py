"""The programme manager's pages under /organisation/ (namespace "programmes")."""

from __future__ import annotations

from openipt.groups import urls_dashboard

app_name = "programmes"

urlpatterns = [*urls_dashboard.urlpatterns]
