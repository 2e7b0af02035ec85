"""The clinician's diary pages (the client's own diary is in the portal, at /me/diary/)."""

from django.urls import path

from openipt.diary import views

app_name = "diary"

urlpatterns = [
    path("course/<uuid:public_id>/", views.course_diary, name="course"),
    path("course/<uuid:public_id>/chart.svg", views.course_chart, name="course_chart"),
]
