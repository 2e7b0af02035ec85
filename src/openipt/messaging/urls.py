"""Secure messages. Included at the site root: the client's page lives under /me/."""

from django.urls import path

from openipt.messaging import views

app_name = "messaging"

urlpatterns = [
    path("me/messages/", views.my_thread, name="my_thread"),
    path("messages/", views.inbox, name="inbox"),
    path("messages/<uuid:client_id>/", views.thread, name="thread"),
    path("messages/message/<uuid:public_id>/flag/", views.flag, name="flag"),
    path("messages/attachments/<uuid:public_id>/", views.attachment, name="attachment"),
]
