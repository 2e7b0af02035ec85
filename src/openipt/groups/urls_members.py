"""URL patterns of the groups app: screening, members and groups (joined in openipt.groups.urls).

No name, score or other personal detail ever appears in a URL: only public ids.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from openipt.groups.views import home, members

urlpatterns: list[URLPattern] = [
    path("screen/", members.screen, name="screen"),
    path("screenings/<uuid:public_id>/", members.screening_detail, name="screening_detail"),
    path("members/<uuid:public_id>/", members.member_detail, name="member_detail"),
    path("members/<uuid:public_id>/pre-group/", members.member_pre_group, name="member_pre_group"),
    path(
        "members/<uuid:public_id>/caregiver-session/",
        members.member_caregiver_session,
        name="member_caregiver_session",
    ),
    path("members/<uuid:public_id>/place/", members.member_place_view, name="member_place"),
    path("members/<uuid:public_id>/drop/", members.member_drop_view, name="member_drop"),
    path("new/", home.group_create, name="group_create"),
    path("<uuid:public_id>/", home.group_detail, name="group_detail"),
    path("<uuid:public_id>/start/", home.group_start, name="group_start"),
]
