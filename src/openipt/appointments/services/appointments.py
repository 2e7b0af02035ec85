"""Booking, moving, cancelling and marking appointments held. Care-team clinicians only.

A clinician cannot be in two places at once and neither can a client: a time
that overlaps another booked appointment of either is refused with a message
that says which. The check runs with the clinician's and the client's rows
locked, so two bookings made at the same moment cannot both pass it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, timezone

from openipt.accounts.models import User
from openipt.appointments.models import (
    Appointment,
    AppointmentChangeRequest,
    AppointmentKind,
    AppointmentStatus,
    ChangeKind,
    ChangeStatus,
    NotificationKind,
)
from openipt.appointments.selectors import can_book_for_client
from openipt.appointments.services._common import (
    audit,
    cancel_pending,
    queue,
    schedule_reminder,
)
from openipt.audit.models import AuditAction
from openipt.courses.models import Course, CourseStatus, Session
from openipt.practice.models import Client

MIN_MINUTES = 10
MAX_MINUTES = 240
MAX_LOCATION_LENGTH = 200
# A page opened a little before the hour may still book "now"; anything earlier is a mistake.
PAST_SLACK = datetime.timedelta(minutes=5)
# Statuses that take up time in someone's calendar.
BUSY = (AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED)


class AppointmentConflict(ValidationError):
    """The time overlaps another appointment of the clinician or of the client."""


class StaleAppointment(Exception):
    """Someone changed the appointment after the page the change was made from was opened."""

    def __init__(self, current: Appointment) -> None:
        super().__init__("The appointment was changed by someone else.")
        self.current = current


def describe_time(starts_at: datetime.datetime, ends_at: datetime.datetime) -> str:
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    day = formats.date_format(start, "D j M Y")
    return f"{start:%H:%M} to {end:%H:%M} on {day}"


def _require_writer(actor: User, client: Client) -> None:
    if not can_book_for_client(actor=actor, client=client):
        raise PermissionDenied


def _lock(clinician: User, client: Client) -> None:
    """Serialise bookings that involve the same people (PostgreSQL; SQLite already does)."""
    list(User.objects.select_for_update().filter(pk=clinician.pk).values_list("pk"))
    list(Client.objects.select_for_update().filter(pk=client.pk).values_list("pk"))


def _overlapping(
    queryset: QuerySet[Appointment],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: Appointment | None,
) -> Appointment | None:
    queryset = queryset.filter(status__in=BUSY, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.order_by("starts_at", "id").first()


def check_conflicts(
    *,
    clinician: User,
    client: Client,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: Appointment | None = None,
) -> None:
    """Refuse a time that overlaps another booked appointment of the clinician or the client."""
    errors = []
    theirs = _overlapping(
        Appointment.objects.filter(clinician=clinician), starts_at, ends_at, exclude
    )
    if theirs is not None:
        errors.append(
            f"{clinician} already has an appointment from "
            f"{describe_time(theirs.starts_at, theirs.ends_at)}. Choose another time."
        )
    clients = _overlapping(Appointment.objects.filter(client=client), starts_at, ends_at, exclude)
    if clients is not None and clients != theirs:
        errors.append(
            "This client already has an appointment from "
            f"{describe_time(clients.starts_at, clients.ends_at)}. Choose another time."
        )
    if errors:
        raise AppointmentConflict(errors)


def _validate_time(
    starts_at: datetime.datetime, ends_at: datetime.datetime, *, now: datetime.datetime
) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("Appointment times must carry a time zone.")
    minutes = (ends_at - starts_at).total_seconds() / 60
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValidationError(
            {"duration": f"An appointment lasts between {MIN_MINUTES} and {MAX_MINUTES} minutes."}
        )
    if starts_at < now - PAST_SLACK:
        raise ValidationError({"date": "Choose a time that has not passed yet."})


def _validate_details(kind: str, location: str) -> None:
    if kind not in AppointmentKind.values:
        raise ValidationError({"kind": "Choose in person, video or phone."})
    if len(location) > MAX_LOCATION_LENGTH:
        raise ValidationError({"location": f"Keep this under {MAX_LOCATION_LENGTH} characters."})


@transaction.atomic
def appointment_create(
    *,
    actor: User,
    client: Client,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    kind: str = AppointmentKind.IN_PERSON,
    location: str = "",
    course: Course | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Book an appointment for a client of the actor's caseload, with the actor as clinician."""
    now = now or timezone.now()
    _require_writer(actor, client)
    location = location.strip()
    _validate_details(kind, location)
    _validate_time(starts_at, ends_at, now=now)
    if client.is_archived:
        raise ValidationError("Restore this client record before booking an appointment.")
    if course is not None and (
        course.client_id != client.pk or course.status != CourseStatus.ACTIVE
    ):
        raise ValidationError({"course": "Choose one of this client's current courses."})
    _lock(actor, client)
    check_conflicts(clinician=actor, client=client, starts_at=starts_at, ends_at=ends_at)
    appointment = Appointment.objects.create(
        practice=client.practice,
        client=client,
        course=course,
        clinician=actor,
        starts_at=starts_at,
        ends_at=ends_at,
        kind=kind,
        location=location,
        created_by=actor,
    )
    audit(
        appointment,
        actor=actor,
        action=AuditAction.CREATE,
        fields=["starts_at", "ends_at", "kind", "location", "course", "clinician"],
    )
    schedule_reminder(appointment, now=now)
    return appointment


def _check_version(appointment: Appointment, base_version: int | None) -> Appointment:
    """The appointment, re-read under lock; refused if it changed since `base_version`."""
    current = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if base_version is not None and current.version != base_version:
        raise StaleAppointment(current)
    return current


def _require_scheduled(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise ValidationError("Only a booked appointment can be changed.")


@transaction.atomic
def appointment_move(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    kind: str | None = None,
    location: str | None = None,
    base_version: int | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Move an appointment (and change how or where it happens).

    The client's pending reminder is replaced by one for the new time, and when
    the time changed the client is told (the date and time only).
    """
    now = now or timezone.now()
    _require_writer(actor, appointment.client)
    current = _check_version(appointment, base_version)
    _require_scheduled(current)
    kind = current.kind if kind is None else kind
    location = current.location if location is None else location.strip()
    _validate_details(kind, location)
    _validate_time(starts_at, ends_at, now=now)
    _lock(current.clinician, appointment.client)
    check_conflicts(
        clinician=current.clinician,
        client=appointment.client,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude=current,
    )
    changed = [
        name
        for name, value in (
            ("starts_at", starts_at),
            ("ends_at", ends_at),
            ("kind", kind),
            ("location", location),
        )
        if getattr(current, name) != value
    ]
    if not changed:
        return current
    moved = current.starts_at != starts_at
    current.starts_at, current.ends_at, current.kind, current.location = (
        starts_at,
        ends_at,
        kind,
        location,
    )
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    audit(current, actor=actor, action=AuditAction.UPDATE, fields=changed)
    if moved:
        cancel_pending(current, kinds=[NotificationKind.REMINDER, NotificationKind.MOVED])
        queue(current, NotificationKind.MOVED, due_at=now)
        schedule_reminder(current, now=now)
    return current


@transaction.atomic
def appointment_cancel(
    *,
    actor: User,
    appointment: Appointment,
    base_version: int | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Cancel an appointment: its waiting e-mails are dropped and the client is told.

    Any request from the client still waiting on it is closed (a request to
    cancel counts as accepted, one to move it as declined); the cancellation
    notice tells the client what happened.
    """
    now = now or timezone.now()
    _require_writer(actor, appointment.client)
    current = _check_version(appointment, base_version)
    _require_scheduled(current)
    current.status = AppointmentStatus.CANCELLED
    current.cancelled_at = now
    current.cancelled_by = actor
    current.version += 1
    current.save(update_fields=["status", "cancelled_at", "cancelled_by", "version", "updated_at"])
    audit(current, actor=actor, action=AuditAction.UPDATE, fields=["status"])
    cancel_pending(
        current,
        kinds=[NotificationKind.REMINDER, NotificationKind.MOVED, NotificationKind.DECLINED],
    )
    _close_pending_requests(current, actor=actor, now=now)
    if current.starts_at > now:
        queue(current, NotificationKind.CANCELLED, due_at=now)
    return current


def _close_pending_requests(
    appointment: Appointment, *, actor: User, now: datetime.datetime
) -> None:
    pending: Sequence[AppointmentChangeRequest] = list(
        appointment.change_requests.filter(status=ChangeStatus.PENDING)
    )
    for change_request in pending:
        change_request.status = (
            ChangeStatus.ACCEPTED
            if change_request.kind == ChangeKind.CANCEL
            else ChangeStatus.DECLINED
        )
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
def appointment_mark_held(
    *,
    actor: User,
    appointment: Appointment,
    session: Session | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Record that the appointment took place, optionally linking the course session recorded."""
    now = now or timezone.now()
    _require_writer(actor, appointment.client)
    current = _check_version(appointment, None)
    if current.status == AppointmentStatus.CANCELLED:
        raise ValidationError("A cancelled appointment cannot be marked as held.")
    if current.starts_at > now:
        raise ValidationError("An appointment can be marked as held once it has started.")
    if session is not None:
        if current.course_id is None or session.course_id != current.course_id:
            raise ValidationError({"session": "Choose a session of this appointment's course."})
        taken = Appointment.objects.filter(session=session).exclude(pk=current.pk).exists()
        if taken:
            raise ValidationError({"session": "That session is linked to another appointment."})
    changed = ["status"] + (["session"] if session is not None else [])
    current.status = AppointmentStatus.COMPLETED
    current.session = session if session is not None else current.session
    current.version += 1
    current.save(update_fields=[*changed, "version", "updated_at"])
    audit(current, actor=actor, action=AuditAction.UPDATE, fields=changed)
    cancel_pending(current, kinds=[NotificationKind.REMINDER])
    return current
