"""Questionnaire pages (course pages by course id, one questionnaire by its own id)."""

from django.urls import path

from openipt.measures import views

app_name = "measures"

urlpatterns = [
    path("course/<uuid:public_id>/", views.history, name="history"),
    path("course/<uuid:public_id>/record/", views.record_questionnaire, name="record"),
    path("course/<uuid:public_id>/schedule/", views.schedule, name="schedule"),
    path("course/<uuid:public_id>/send/", views.send, name="send"),
    path("requests/<uuid:public_id>/cancel/", views.request_cancel, name="request_cancel"),
    path("<uuid:public_id>/", views.result, name="result"),
    path("<uuid:public_id>/correct/", views.correct, name="correct"),
    path("practice/instruments/", views.instrument_list, name="instruments"),
    path("practice/instruments/upload/", views.instrument_upload, name="instrument_upload"),
    path("practice/licensed-text/", views.licensed_text, name="licensed_text"),
    path("practice/client-scores/", views.client_scores_setting, name="client_scores_setting"),
]
