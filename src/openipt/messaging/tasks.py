"""Background work of secure messaging (django-tasks; `manage.py db_worker` runs it).

The queued task is not the only path: the outbox rows are in the database, and
`manage.py messaging_sweep` (every minute, from cron or a systemd timer) sends
whatever a lost or crashed task left behind.
"""

from __future__ import annotations

from django_tasks import task

from openipt.messaging.services.delivery import message_notifications_deliver_pending


@task()
def deliver_message_notifications() -> int:
    """Send the due new-message e-mails; returns how many were sent."""
    return message_notifications_deliver_pending().sent
