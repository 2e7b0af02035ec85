"""Practice administration: members, invitations and the audit trail."""

from django.urls import path

from openipt.accounts import views as account_views
from openipt.audit import views as audit_views
from openipt.practice import manage_views

app_name = "manage"

urlpatterns = [
    path("members/", manage_views.member_list, name="members"),
    path("members/<uuid:public_id>/", manage_views.member_toggle, name="member_toggle"),
    path("invitations/", account_views.invitation_list, name="invitations"),
    path("invitations/new/", account_views.invitation_create, name="invite"),
    path(
        "invitations/client/<uuid:client_id>/",
        account_views.invitation_create_for_client,
        name="invite_client",
    ),
    path(
        "invitations/<uuid:public_id>/revoke/",
        account_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("audit/", audit_views.audit_trail, name="audit"),
]
