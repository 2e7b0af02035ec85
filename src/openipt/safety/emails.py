"""The alert e-mails: a prompt and a link, with no health information at all.

An e-mail can be read by anyone who sees the recipient's inbox or lock screen,
and it leaves our control once sent. So it names no client, no score, no
questionnaire and no item, not even "risk" or "alert": only that something in
OpenIPT needs the recipient's attention, and where to look (after signing in).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from openipt.safety.models import AlertNotification, NotificationKind, RiskAlert

SUBJECTS = {
    NotificationKind.INITIAL: "OpenIPT: something needs your attention",
    NotificationKind.ESCALATION: "OpenIPT: something still needs attention",
}

_BODY = """Hello,

{opening}

Please sign in to see it:
{link}

This e-mail contains no details on purpose. If you are not the right person
for this, tell your practice.

OpenIPT
"""

_OPENINGS = {
    NotificationKind.INITIAL: "There is something in OpenIPT that needs your attention.",
    NotificationKind.ESCALATION: (
        "There is something in OpenIPT that has been waiting for a response for longer "
        "than your practice allows. You are receiving this as a backup."
    ),
}


def alert_link(alert: RiskAlert) -> str:
    """The absolute address of the alert page (its URL carries only a random id)."""
    path = reverse("safety:alert_detail", kwargs={"public_id": alert.public_id})
    return f"{settings.BASE_URL}{path}"


def notification_message(notification: AlertNotification) -> EmailMessage:
    kind = NotificationKind(notification.kind)
    return EmailMessage(
        subject=SUBJECTS[kind],
        body=_BODY.format(opening=_OPENINGS[kind], link=alert_link(notification.alert)),
        to=[notification.recipient.email],
    )
