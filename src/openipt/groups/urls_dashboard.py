"""URL patterns of the groups app: dashboard (joined in openipt.groups.urls)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
