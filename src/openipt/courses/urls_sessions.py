"""Session, experiment, medication and draft pages (included by courses/urls.py)."""

from django.urls import path

from openipt.courses.views import drafts, experiments, medication, sessions

urlpatterns = [
    path("<uuid:public_id>/sessions/", sessions.session_list, name="sessions"),
    path("<uuid:public_id>/sessions/new/", sessions.session_new, name="session_new"),
    path(
        "<uuid:public_id>/sessions/<uuid:session_id>/",
        sessions.session_detail,
        name="session_detail",
    ),
    path(
        "<uuid:public_id>/sessions/<uuid:session_id>/experiments/",
        experiments.experiment_assign,
        name="experiment_assign",
    ),
    path(
        "<uuid:public_id>/sessions/<uuid:session_id>/experiments/<uuid:experiment_id>/review/",
        experiments.experiment_review,
        name="experiment_review",
    ),
    path("<uuid:public_id>/experiments/", experiments.experiment_list, name="experiments"),
    path("<uuid:public_id>/medication/", medication.medication_list, name="medication"),
    path("<uuid:public_id>/medication/new/", medication.medication_new, name="medication_new"),
    path(
        "<uuid:public_id>/medication/<uuid:medication_id>/",
        medication.medication_edit,
        name="medication_edit",
    ),
    path(
        "<uuid:public_id>/medication/<uuid:medication_id>/changes/",
        medication.medication_change,
        name="medication_change",
    ),
    path("<uuid:public_id>/drafts/", drafts.draft_save, name="draft_save"),
    path("<uuid:public_id>/drafts/discard/", drafts.draft_discard, name="draft_discard"),
]
