"""Personal access tokens under /settings/tokens/ (namespace "tokens"; "api" is ninja's)."""

from django.urls import path

from openipt.api import views_tokens

app_name = "tokens"

urlpatterns = [
    path("", views_tokens.token_list, name="list"),
    path("<uuid:public_id>/revoke/", views_tokens.token_revoke, name="revoke"),
]
