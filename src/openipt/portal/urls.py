from django.urls import path

from openipt.portal import questionnaires, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("questionnaires/", questionnaires.questionnaire_list, name="questionnaires"),
    path(
        "questionnaires/<uuid:public_id>/",
        questionnaires.questionnaire_fill,
        name="questionnaire",
    ),
]
