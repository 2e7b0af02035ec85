"""The appointment e-mails: a date and time and a link, nothing else.

An e-mail can be read by anyone who sees the recipient's inbox or lock screen,
and it leaves our control once sent. So the client's e-mails give the date and
time of their own appointment and the address of the portal, and never the
practice, the clinician, the course, its phase or any note; the clinician's
e-mail says only that a client asked for a change, not which client or when,
and links to the page where they can see it after signing in.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from openipt.appointments.models import (
    Appointment,
    NotificationKind,
    ReminderNotification,
)
from openipt.practice.models import Client


def client_address(client: Client) -> str | None:
    """Where the client's e-mails go: their portal account's address, else their record's."""
    if client.is_archived:
        return None
    if client.user is not None:
        return client.user.email if client.user.is_active and client.user.email else None
    return client.email or None


def recipient_address(notification: ReminderNotification) -> str | None:
    if notification.recipient is None:
        return client_address(notification.appointment.client)
    user = notification.recipient
    return user.email if user.is_active and user.email else None


def client_language(client: Client) -> str:
    available = {code for code, _ in settings.LANGUAGES}
    return client.language if client.language in available else settings.LANGUAGE_CODE


def when(starts_at: datetime.datetime) -> str:
    """ "Tue 3 Dec at 10:00" in the site's time zone and the active language."""
    local = timezone.localtime(starts_at)
    return gettext("%(date)s at %(time)s") % {
        "date": formats.date_format(local, "D j M"),
        "time": formats.time_format(local, "H:i"),
    }


def _portal_link() -> str:
    return f"{settings.BASE_URL}{reverse('appointments:my_list')}"


def _client_message(notification: ReminderNotification, to: str) -> EmailMessage:
    appointment: Appointment = notification.appointment
    client = appointment.client
    with translation.override(client_language(client)):
        at = when(appointment.starts_at)
        kind = NotificationKind(notification.kind)
        if kind == NotificationKind.REMINDER:
            subject = gettext("Appointment reminder")
            opening = gettext("You have an appointment on %(when)s.") % {"when": at}
        elif kind == NotificationKind.MOVED:
            subject = gettext("Your appointment has moved")
            opening = gettext("Your appointment has moved. It is now on %(when)s.") % {"when": at}
        elif kind == NotificationKind.CANCELLED:
            subject = gettext("Your appointment is cancelled")
            opening = gettext("Your appointment on %(when)s is cancelled.") % {"when": at}
        else:
            subject = gettext("About your appointment")
            opening = gettext(
                "The change you asked for could not be made. "
                "Your appointment on %(when)s is still booked."
            ) % {"when": at}
        if client.user is not None:
            follow = gettext("To see your appointments, or to ask for a change, sign in here:")
            closing = f"{follow}\n{_portal_link()}"
        else:
            closing = gettext("If you need to change it, please contact your practice.")
        body = "\n\n".join([gettext("Hello,"), opening, closing, "OpenIPT"]) + "\n"
    return EmailMessage(subject=subject, body=body, to=[to])


_CLINICIAN_BODY = """Hello,

A client has asked to change an appointment.

Please sign in to see the request and answer it:
{link}

This e-mail contains no details on purpose.

OpenIPT
"""


def _clinician_message(notification: ReminderNotification, to: str) -> EmailMessage:
    path = reverse("appointments:detail", kwargs={"public_id": notification.appointment.public_id})
    return EmailMessage(
        subject="OpenIPT: an appointment change was requested",
        body=_CLINICIAN_BODY.format(link=f"{settings.BASE_URL}{path}"),
        to=[to],
    )


def notification_message(notification: ReminderNotification, to: str) -> EmailMessage:
    if notification.to_client:
        return _client_message(notification, to)
    return _clinician_message(notification, to)
