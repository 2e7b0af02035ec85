"""A client asks to cancel or move an appointment; a clinician on the care team answers.

Accepting applies the change through the same services a clinician uses
directly (so a move is checked for conflicts, and the client is told of the
new time); declining tells the client that the appointment stands.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from openipt.accounts.models import User
from openipt.appointments.models import (
    Appointment,
    AppointmentChangeRequest,
    AppointmentStatus,
    ChangeKind,
    ChangeStatus,
    NotificationKind,
)
from openipt.appointments.selectors import can_book_for_client
from openipt.appointments.services._common import audit, queue
from openipt.appointments.services.appointments import appointment_cancel, appointment_move
from openipt.audit.models import AuditAction
from openipt.practice.models import CareTeamRole, Role

MAX_NOTE_LENGTH = 1000


class AlreadyAnswered(Exception):
    """The request was accepted or declined already (perhaps by a colleague)."""


def _clinicians_to_tell(appointment: Appointment) -> list[User]:
    """The appointment's clinician while on the care team; otherwise the care team's clinicians."""
    team = list(
        User.objects.filter(
            is_active=True,
            care_assignments__client=appointment.client,
            care_assignments__role=CareTeamRole.CLINICIAN,
            memberships__practice_id=appointment.practice_id,
            memberships__role=Role.CLINICIAN,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "id")
    )
    own = [user for user in team if user.pk == appointment.clinician_id]
    return own or team


@transaction.atomic
def appointment_change_request(
    *,
    actor: User,
    appointment: Appointment,
    kind: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> tuple[AppointmentChangeRequest, bool]:
    """The client asks to cancel or move their appointment. Returns (request, created).

    One request waits per appointment: asking again (a double submit, or a
    second thought) returns the waiting one unchanged.
    """
    now = now or timezone.now()
    client = appointment.client
    if client.user_id is None or client.user_id != actor.pk:
        raise PermissionDenied
    if kind not in ChangeKind.values:
        raise ValidationError({"kind": "Choose whether to cancel or move the appointment."})
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": f"Keep this under {MAX_NOTE_LENGTH:,} characters."})
    current = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if current.status != AppointmentStatus.SCHEDULED or current.starts_at <= now:
        raise ValidationError("This appointment can no longer be changed here.")
    waiting = current.change_requests.filter(status=ChangeStatus.PENDING).first()
    if waiting is not None:
        return waiting, False
    try:
        with transaction.atomic():
            change_request = AppointmentChangeRequest.objects.create(
                appointment=current, kind=kind, note=note, requested_by=actor
            )
    except IntegrityError:
        # Another request for the same appointment committed first.
        return current.change_requests.get(status=ChangeStatus.PENDING), False
    audit(
        appointment,
        actor=actor,
        action=AuditAction.CREATE,
        fields=["kind", "note"] if note else ["kind"],
        object_type="appointment_change_request",
        object_public_id=change_request.public_id,
    )
    queue(
        current,
        NotificationKind.CHANGE_REQUESTED,
        due_at=now,
        recipients=_clinicians_to_tell(current),
    )
    return change_request, True


def _require_writer(actor: User, appointment: Appointment) -> None:
    if not can_book_for_client(actor=actor, client=appointment.client):
        raise PermissionDenied


def _lock_pending(change_request: AppointmentChangeRequest) -> AppointmentChangeRequest:
    current = AppointmentChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if current.status != ChangeStatus.PENDING:
        raise AlreadyAnswered
    return current


def _answer(
    change_request: AppointmentChangeRequest,
    status: ChangeStatus,
    *,
    actor: User,
    appointment: Appointment,
    now: datetime.datetime,
) -> None:
    change_request.status = status
    change_request.handled_by = actor
    change_request.handled_at = now
    change_request.save(update_fields=["status", "handled_by", "handled_at", "updated_at"])
    audit(
        appointment,
        actor=actor,
        action=AuditAction.UPDATE,
        fields=["status"],
        object_type="appointment_change_request",
        object_public_id=change_request.public_id,
    )


@transaction.atomic
def change_request_accept(
    *,
    actor: User,
    change_request: AppointmentChangeRequest,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Apply the client's request: cancel, or move to `starts_at`–`ends_at` (conflicts refused)."""
    now = now or timezone.now()
    appointment = change_request.appointment
    _require_writer(actor, appointment)
    current = _lock_pending(change_request)
    # Answered first, so that cancelling does not close it as a side effect.
    _answer(current, ChangeStatus.ACCEPTED, actor=actor, appointment=appointment, now=now)
    if current.kind == ChangeKind.CANCEL:
        return appointment_cancel(actor=actor, appointment=appointment, now=now)
    if starts_at is None or ends_at is None:
        raise ValidationError({"date": "Choose the new date and time."})
    return appointment_move(
        actor=actor, appointment=appointment, starts_at=starts_at, ends_at=ends_at, now=now
    )


@transaction.atomic
def change_request_decline(
    *,
    actor: User,
    change_request: AppointmentChangeRequest,
    now: datetime.datetime | None = None,
) -> AppointmentChangeRequest:
    """Decline the request: the appointment stands, and the client is told so (no reason given)."""
    now = now or timezone.now()
    appointment = change_request.appointment
    _require_writer(actor, appointment)
    current = _lock_pending(change_request)
    _answer(current, ChangeStatus.DECLINED, actor=actor, appointment=appointment, now=now)
    if appointment.status == AppointmentStatus.SCHEDULED and appointment.starts_at > now:
        queue(appointment, NotificationKind.DECLINED, due_at=now)
    return current
