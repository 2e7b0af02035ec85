from django.urls import path

from openipt.portal import data, diary, experiments, plan, questionnaires, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("plan/", plan.my_plan, name="plan"),
    path("plan/agree/<uuid:public_id>/", plan.contract_agree, name="contract_agree"),
    path("experiments/", experiments.experiment_list, name="experiments"),
    path("experiments/<uuid:public_id>/", experiments.experiment_report, name="experiment"),
    path("diary/", diary.diary, name="diary"),
    path("data/", data.my_data, name="data"),
    path("data/my-data.json", data.data_json, name="data_json"),
    path("data/copy/", data.data_copy, name="data_copy"),
    path("data/access/", data.access, name="access_log"),
    path("questionnaires/", questionnaires.questionnaire_list, name="questionnaires"),
    path(
        "questionnaires/<uuid:public_id>/",
        questionnaires.questionnaire_fill,
        name="questionnaire",
    ),
    path(
        "questionnaires/<slug:instrument_code>/chart.svg",
        questionnaires.score_chart,
        name="score_chart",
    ),
]
