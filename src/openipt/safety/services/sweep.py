"""The sweep: escalate what is overdue, then send what is waiting.

Run every minute by `manage.py safety_sweep` (cron or a systemd timer) and as
the `safety_sweep` task, so that an alert never depends on one queued task
surviving a crash or a restart.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from openipt.safety.services.alerts import risk_alerts_escalate_overdue
from openipt.safety.services.delivery import DeliveryReport, notifications_deliver_pending


@dataclass(frozen=True)
class SweepReport:
    escalated: int
    delivery: DeliveryReport


def safety_sweep_run(*, now: datetime.datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    # Escalate first, so that this same sweep sends the escalation e-mails.
    escalated = risk_alerts_escalate_overdue(now=now)
    return SweepReport(escalated=escalated, delivery=notifications_deliver_pending(now=now))
