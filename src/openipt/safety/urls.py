from django.urls import path

from openipt.safety import views

app_name = "safety"

urlpatterns = [
    path("alerts/", views.alert_queue, name="alerts"),
    path("alerts/<uuid:public_id>/", views.alert_detail, name="alert_detail"),
    path(
        "alerts/<uuid:public_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("plans/<uuid:client_id>/", views.plan_view, name="plan"),
    path("plans/<uuid:client_id>/edit/", views.plan_edit, name="plan_edit"),
    path("my-plan/", views.my_plan, name="my_plan"),
    path("crisis/", views.crisis, name="crisis"),
    path("settings/", views.settings_edit, name="settings"),
    path("crisis-resources/", views.crisis_resources, name="crisis_resources"),
    path(
        "crisis-resources/<uuid:public_id>/",
        views.crisis_resource_edit,
        name="crisis_resource_edit",
    ),
    path(
        "crisis-resources/<uuid:public_id>/remove/",
        views.crisis_resource_remove,
        name="crisis_resource_remove",
    ),
]
