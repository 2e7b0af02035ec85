"""Background work of the appointments app (django-tasks; `manage.py db_worker` runs it).

A task is queued for each e-mail's due time (a reminder: the appointment's start
minus OPENIPT_REMINDER_HOURS). None of them is the only path: the outbox rows
are in the database, and `manage.py appointments_sweep` (every few minutes, from
cron or a systemd timer) sends whatever a lost or crashed task left behind.
"""

from __future__ import annotations

from django_tasks import task

from openipt.appointments.services import appointment_notifications_deliver


@task()
def deliver_appointment_notifications() -> int:
    """Send the due appointment e-mails; returns how many were sent."""
    return appointment_notifications_deliver().sent
