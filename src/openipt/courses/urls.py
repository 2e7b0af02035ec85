"""Course pages. Each part of the course keeps its URLs in its own module."""

from django.urls import include, path

from openipt.courses.views import course as course_views
from openipt.courses.views import outcomes as outcome_views
from openipt.courses.views import termination as termination_views

app_name = "courses"

urlpatterns = [
    path("", course_views.caseload, name="caseload"),
    path("start/<uuid:client_id>/", course_views.course_start, name="start"),
    path("<uuid:public_id>/", course_views.overview, name="overview"),
    path("<uuid:public_id>/plan/", course_views.change_plan, name="plan"),
    path("<uuid:public_id>/tasks/", course_views.mark_task, name="task"),
    path("<uuid:public_id>/advance/", course_views.advance, name="advance"),
    path("<uuid:public_id>/formulation/", course_views.formulation, name="formulation"),
    path("<uuid:public_id>/focus/", course_views.focus, name="focus"),
    path("<uuid:public_id>/goals/", course_views.goals, name="goals"),
    path("<uuid:public_id>/contract/", course_views.contract, name="contract"),
    path("<uuid:public_id>/close/", course_views.close, name="close"),
    path("<uuid:public_id>/review/", termination_views.termination, name="termination"),
    path("<uuid:public_id>/summary/", termination_views.summary, name="summary"),
    path(
        "<uuid:public_id>/charts/<slug:instrument_code>.svg",
        outcome_views.chart,
        name="chart",
    ),
    path("", include("openipt.courses.urls_inventory")),
    path("", include("openipt.courses.urls_sessions")),
]
