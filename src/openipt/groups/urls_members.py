"""URL patterns of the groups app: members (joined in openipt.groups.urls)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
