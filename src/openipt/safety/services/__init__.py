"""Writes of the safety loop, each audited in its transaction, never with clinical values."""

from openipt.safety.services.alerts import (
    AlreadyAcknowledged,
    escalation_recipients,
    risk_alert_acknowledge,
    risk_alert_escalate_if_due,
    risk_alert_raise,
    risk_alerts_escalate_overdue,
)
from openipt.safety.services.delivery import (
    MAX_ATTEMPTS,
    DeliveryReport,
    backoff_after,
    notifications_deliver_pending,
)
from openipt.safety.services.plans import PlanSections, StalePlanEdit, safety_plan_save
from openipt.safety.services.practice_settings import (
    can_manage_safety_settings,
    crisis_resource_archive,
    crisis_resource_create,
    crisis_resource_update,
    safety_settings_update,
)
from openipt.safety.services.sweep import SweepReport, safety_sweep_run

__all__ = [
    "MAX_ATTEMPTS",
    "AlreadyAcknowledged",
    "DeliveryReport",
    "PlanSections",
    "StalePlanEdit",
    "SweepReport",
    "backoff_after",
    "can_manage_safety_settings",
    "crisis_resource_archive",
    "crisis_resource_create",
    "crisis_resource_update",
    "escalation_recipients",
    "notifications_deliver_pending",
    "risk_alert_acknowledge",
    "risk_alert_escalate_if_due",
    "risk_alert_raise",
    "risk_alerts_escalate_overdue",
    "safety_plan_save",
    "safety_settings_update",
    "safety_sweep_run",
]
