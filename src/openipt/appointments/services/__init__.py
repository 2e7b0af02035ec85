"""Writes of the appointments app, each audited in its transaction, never with note text."""

from openipt.appointments.services.appointments import (
    AppointmentConflict,
    StaleAppointment,
    appointment_cancel,
    appointment_create,
    appointment_mark_held,
    appointment_move,
    check_conflicts,
)
from openipt.appointments.services.delivery import (
    MAX_ATTEMPTS,
    DeliveryReport,
    appointment_notifications_deliver,
)
from openipt.appointments.services.feeds import (
    calendar_feed_create,
    calendar_feed_open,
    calendar_feed_revoke,
    token_digest,
)
from openipt.appointments.services.requests import (
    AlreadyAnswered,
    appointment_change_request,
    change_request_accept,
    change_request_decline,
)

__all__ = [
    "MAX_ATTEMPTS",
    "AlreadyAnswered",
    "AppointmentConflict",
    "DeliveryReport",
    "StaleAppointment",
    "appointment_cancel",
    "appointment_change_request",
    "appointment_create",
    "appointment_mark_held",
    "appointment_move",
    "appointment_notifications_deliver",
    "calendar_feed_create",
    "calendar_feed_open",
    "calendar_feed_revoke",
    "change_request_accept",
    "change_request_decline",
    "check_conflicts",
    "token_digest",
]
