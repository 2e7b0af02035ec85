"""The new-message e-mail: a prompt and a link, and nothing else.

An e-mail can be read by anyone who sees the recipient's inbox or lock screen,
and it leaves our control once sent. So it says only that there is a new
message in OpenIPT: no text of the message, no name of the sender, the client
or the practice, no file name. A client gets it in the language of their record.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from openipt.messaging.models import MessageNotification, SenderKind


def message_link(notification: MessageNotification) -> str:
    """Where to read it: the client's own messages page, or the care team's inbox."""
    if notification.message.sender_kind == SenderKind.CARE_TEAM:
        path = reverse("messaging:my_thread")
    else:
        path = reverse("messaging:inbox")
    return f"{settings.BASE_URL}{path}"


def _language(notification: MessageNotification) -> str:
    if notification.message.sender_kind == SenderKind.CARE_TEAM:
        language = notification.message.thread.client.language
        if language in dict(settings.LANGUAGES):
            return language
    return str(settings.LANGUAGE_CODE)


def notification_message(notification: MessageNotification) -> EmailMessage:
    with translation.override(_language(notification)):
        subject = _("You have a new message in OpenIPT")
        body = "\n\n".join(
            [
                _("Hello,"),
                _("You have a new message in OpenIPT."),
                _("Please sign in to read it:") + "\n" + message_link(notification),
                _("This e-mail contains no details on purpose."),
                "OpenIPT",
            ]
        )
    return EmailMessage(subject=subject, body=body + "\n", to=[notification.recipient.email])
