from django.urls import path

from openipt.audit import views as audit_views
from openipt.practice import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<uuid:public_id>/", views.client_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.client_edit, name="edit"),
    path("<uuid:public_id>/archive/", views.client_archive, name="archive"),
    path("<uuid:public_id>/restore/", views.client_restore, name="restore"),
    path("<uuid:public_id>/care-team/", views.client_care_team, name="care_team"),
    path(
        "<uuid:public_id>/care-team/<uuid:member_id>/remove/",
        views.client_care_team_remove,
        name="care_team_remove",
    ),
    path("<uuid:public_id>/access/", audit_views.client_access_log, name="access_log"),
]
