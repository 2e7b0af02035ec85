"""Every URL of OpenIPT. tests/test_access_matrix.py must list who may reach each one."""

from django.urls import include, path

from openipt.accounts import views as account_views
from openipt.api.main import api
from openipt.core import views as core_views
from openipt.groups.views import dashboard as group_dashboard_views
from openipt.groups.views import home as group_home_views
from openipt.practice import views as practice_views

urlpatterns = [
    path("", practice_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("practice/switch/", practice_views.switch_practice, name="switch_practice"),
    path("clients/", include("openipt.practice.urls")),
    path("courses/", include("openipt.courses.urls")),
    path("safety/", include("openipt.safety.urls")),
    path("measures/", include("openipt.measures.urls")),
    path("manage/", include("openipt.practice.manage_urls")),
    path("groups/", group_home_views.facilitator_home, name="facilitator_home"),
    path("groups/", include("openipt.groups.urls")),
    path("organisation/", group_dashboard_views.programme_overview, name="programme_overview"),
    path("organisation/", include("openipt.groups.urls_organisation")),
    path("me/", include("openipt.portal.urls")),
    path("", include("openipt.appointments.urls")),
    path("", include("openipt.messaging.urls")),
    path("diary/", include("openipt.diary.urls")),
    path("reports/", include("openipt.reports.urls")),
    path("api/v1/", api.urls),
    path("settings/tokens/", include("openipt.api.urls_tokens")),
    path("invitation/<str:token>/", account_views.invitation_open, name="invitation_open"),
    path("invitation/", account_views.invitation_accept, name="invitation_accept"),
    path("accounts/mfa-required/", account_views.mfa_required, name="mfa_required"),
    path("accounts/", include("allauth.urls")),
]

handler400 = "openipt.core.views.bad_request"
handler403 = "openipt.core.views.permission_denied"
handler404 = "openipt.core.views.page_not_found"
handler500 = "openipt.core.views.server_error"
