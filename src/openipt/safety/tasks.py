"""Background work of the safety loop (django-tasks; `manage.py db_worker` runs it).

None of these tasks is the only path: the outbox rows and the alert deadlines
are in the database, and `manage.py safety_sweep` (every minute, from cron or a
systemd timer) finds whatever a lost or crashed task left behind.
"""

from __future__ import annotations

from django_tasks import task

from openipt.safety.services import (
    notifications_deliver_pending,
    risk_alert_escalate_if_due,
    safety_sweep_run,
)


@task()
def deliver_alert_notifications() -> int:
    """Send the due alert e-mails; returns how many were sent."""
    return notifications_deliver_pending().sent


@task()
def escalate_alert(alert_public_id: str) -> bool:
    """Queued for an alert's deadline: escalate it if nobody has acknowledged it by then."""
    return risk_alert_escalate_if_due(public_id=alert_public_id)


@task()
def safety_sweep() -> dict[str, int]:
    report = safety_sweep_run()
    return {"escalated": report.escalated, "sent": report.delivery.sent}
