"""URL patterns of the groups app: sessions (joined in openipt.groups.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from openipt.groups.views import sessions

urlpatterns: list[URLPattern] = [
    # The group's public id: recording its next session.
    path("<uuid:public_id>/sessions/new/", sessions.session_record, name="session_record"),
    # A session's own public id.
    path("sessions/<uuid:public_id>/", sessions.session_detail, name="session_detail"),
    path("sessions/<uuid:public_id>/edit/", sessions.session_edit, name="session_edit"),
]
