"""URL patterns of the groups app: supervision (joined in openipt.groups.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from openipt.groups.views import supervision as views

urlpatterns: list[URLPattern] = [
    path("supervision/", views.supervision_queue, name="supervision_queue"),
    path(
        "supervision/assignments/",
        views.supervision_assignments,
        name="supervision_assignments",
    ),
    path(
        "supervision/facilitators/<uuid:public_id>/",
        views.facilitator_detail,
        name="facilitator_detail",
    ),
    path(
        "supervision/facilitators/<uuid:public_id>/fidelity.svg",
        views.facilitator_fidelity_chart,
        name="facilitator_fidelity_chart",
    ),
    path(
        "supervision/facilitators/<uuid:public_id>/notes/",
        views.supervision_note_add_view,
        name="supervision_note_add",
    ),
    path(
        "sessions/<uuid:public_id>/fidelity/",
        views.session_fidelity,
        name="session_fidelity",
    ),
]
