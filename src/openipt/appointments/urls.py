"""Appointment URLs: the clinician pages under /appointments/, the client's under /me/appointments/.

Included once at the root (so one app keeps both halves together); the portal
namespace itself belongs to the portal app.
"""

from django.urls import path

from openipt.appointments import portal_views, views

app_name = "appointments"

urlpatterns = [
    # Clinicians and supervisors.
    path("appointments/", views.appointment_list, name="list"),
    path("appointments/new/", views.appointment_create_view, name="create"),
    path("appointments/<uuid:public_id>/", views.appointment_detail, name="detail"),
    path("appointments/<uuid:public_id>/move/", views.appointment_move_view, name="move"),
    path("appointments/<uuid:public_id>/cancel/", views.appointment_cancel_view, name="cancel"),
    path("appointments/<uuid:public_id>/held/", views.appointment_held_view, name="held"),
    path(
        "appointments/requests/<uuid:public_id>/accept/",
        views.change_request_accept_view,
        name="request_accept",
    ),
    path(
        "appointments/requests/<uuid:public_id>/decline/",
        views.change_request_decline_view,
        name="request_decline",
    ),
    # The client, in the portal.
    path("me/appointments/", portal_views.my_appointments, name="my_list"),
    path("me/appointments/calendar/", portal_views.my_calendar_feed, name="my_feed"),
    path(
        "me/appointments/calendar/new/",
        portal_views.my_calendar_feed_create,
        name="my_feed_create",
    ),
    path(
        "me/appointments/calendar/revoke/",
        portal_views.my_calendar_feed_revoke,
        name="my_feed_revoke",
    ),
    path("me/appointments/<uuid:public_id>/", portal_views.my_appointment, name="my_detail"),
    path(
        "me/appointments/<uuid:public_id>/change/",
        portal_views.my_change_request,
        name="my_change",
    ),
    path(
        "me/appointments/<uuid:public_id>/appointment.ics",
        portal_views.my_appointment_ics,
        name="my_ics",
    ),
    # The private feed: no sign-in, the token in the address is the key.
    path("calendar/<str:token>.ics", portal_views.calendar_feed, name="feed"),
]
