"""Inventory, closeness circle and timeline pages (included by courses/urls.py)."""

from django.urls import URLPattern, path

from openipt.courses.views import circle as circle_views
from openipt.courses.views import inventory as inventory_views
from openipt.courses.views import timeline as timeline_views

PERSON = "<uuid:public_id>/inventory/<uuid:person_id>"
EVENT = "<uuid:public_id>/timeline/<uuid:event_id>"

urlpatterns: list[URLPattern] = [
    path("<uuid:public_id>/inventory/", inventory_views.inventory, name="inventory"),
    path("<uuid:public_id>/inventory/add/", inventory_views.person_add, name="inventory_add"),
    path(f"{PERSON}/", inventory_views.person_detail, name="inventory_person"),
    path(f"{PERSON}/edit/", inventory_views.person_edit, name="inventory_edit"),
    path(f"{PERSON}/remove/", inventory_views.person_remove, name="inventory_remove"),
    path("<uuid:public_id>/circle/", circle_views.circle, name="circle"),
    path(
        "<uuid:public_id>/circle/<uuid:person_id>/move/",
        circle_views.circle_move,
        name="circle_move",
    ),
    path(
        "<uuid:public_id>/circle/versions/",
        circle_views.circle_version_save,
        name="circle_version_save",
    ),
    path("<uuid:public_id>/circle/compare/", circle_views.circle_compare, name="circle_compare"),
    path("<uuid:public_id>/timeline/", timeline_views.timeline, name="timeline"),
    path("<uuid:public_id>/timeline/add/", timeline_views.event_add, name="timeline_add"),
    path(f"{EVENT}/edit/", timeline_views.event_edit, name="timeline_edit"),
    path(f"{EVENT}/remove/", timeline_views.event_remove, name="timeline_remove"),
]
