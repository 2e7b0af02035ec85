"""Clinician pages: the calendar list, booking, moving, cancelling, and answering client requests.

Thin: selectors read (404 outside reach, 403 for readers who try to write),
services write and audit. A refused time (a conflict, or a change made by
someone else meanwhile) keeps what was typed and says why, with a 409.
"""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.appointments import policies, selectors
from openipt.appointments.forms import (
    AcceptMoveForm,
    AppointmentForm,
    CancelForm,
    HeldForm,
    MoveForm,
)
from openipt.appointments.models import Appointment, AppointmentChangeRequest, ChangeKind
from openipt.appointments.services import (
    AlreadyAnswered,
    AppointmentConflict,
    StaleAppointment,
    appointment_cancel,
    appointment_create,
    appointment_mark_held,
    appointment_move,
    change_request_accept,
    change_request_decline,
)
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice.models import Practice

CALENDAR_DAYS = 14
STALE_MESSAGE = (
    "Someone changed this appointment while you had the page open. "
    "The current details are shown; check them and try again."
)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _practice_and_roles(request: HttpRequest) -> tuple[Practice | None, frozenset[str]]:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    return practice, roles


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _start_from(request: HttpRequest) -> datetime.date:
    """The Monday of the week asked for (`?start=YYYY-MM-DD`), else of this week."""
    raw = request.GET.get("start", "")
    try:
        day = datetime.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return _monday(day)


# --- the calendar list ------------------------------------------------------------------


@login_required
def appointment_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    practice, roles = _practice_and_roles(request)
    if practice is None or not policies.can_open_calendar(roles):
        raise PermissionDenied
    clinicians = selectors.calendar_clinicians(practice=practice)
    books = policies.can_book(roles)
    # Clinicians open on their own calendar; supervisors on everyone's.
    chosen = request.GET.get("clinician", "me" if books else "all")
    clinician = None
    if chosen == "me" and books:
        clinician = actor
    elif chosen not in ("all", "me"):
        clinician = next((c for c in clinicians if str(c.public_id) == chosen), None)
        chosen = str(clinician.public_id) if clinician else "all"
    start = _start_from(request)
    days = selectors.calendar(
        actor=actor, practice=practice, start=start, days=CALENDAR_DAYS, clinician=clinician
    )
    requests = selectors.pending_requests(actor=actor, practice=practice, clinician=clinician)
    record(
        actor=actor, action=AuditAction.LIST, object_type="appointment_calendar", practice=practice
    )
    return render(
        request,
        "appointments/list.html",
        {
            "days": days,
            "requests": requests,
            "clinicians": clinicians,
            "chosen": chosen,
            "books": books,
            "start": start,
            "end": start + datetime.timedelta(days=CALENDAR_DAYS - 1),
            "previous": start - datetime.timedelta(days=CALENDAR_DAYS),
            "next": start + datetime.timedelta(days=CALENDAR_DAYS),
            "this_week": _monday(timezone.localdate()),
        },
    )


# --- booking ------------------------------------------------------------------------------


def _create_form(request: HttpRequest, practice: Practice) -> AppointmentForm:
    actor = _actor(request)
    clients = selectors.bookable_clients(actor=actor, practice=practice)
    courses = selectors.bookable_courses(actor=actor, practice=practice)
    initial: dict[str, Any] = {"kind": "in_person", "duration": 50}
    course_id, client_id = request.GET.get("course", ""), request.GET.get("client", "")
    course = courses.filter(public_id=course_id).first() if _is_uuid(course_id) else None
    if course is not None:
        initial.update(course=course.public_id, client=course.client.public_id)
        initial["duration"] = course.session_minutes
    elif _is_uuid(client_id) and clients.filter(public_id=client_id).exists():
        initial["client"] = client_id
    return AppointmentForm(
        request.POST if request.method == "POST" else None,
        clients=clients,
        courses=courses,
        initial=initial,
    )


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


@login_required
def appointment_create_view(request: HttpRequest) -> HttpResponse:
    practice, roles = _practice_and_roles(request)
    if practice is None or not policies.can_book(roles):
        raise PermissionDenied
    form = _create_form(request, practice)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = appointment_create(
                    actor=_actor(request),
                    client=data["client"],
                    course=data["course"],
                    starts_at=form.starts_at(),
                    ends_at=form.ends_at(),
                    kind=data["kind"],
                    location=data["location"],
                )
            except AppointmentConflict as exc:
                form.add_error(None, exc)
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Appointment booked.")
                return redirect("appointments:detail", public_id=appointment.public_id)
    return render(request, "appointments/form.html", {"form": form}, status=status)


# --- one appointment ------------------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    appointment: Appointment,
    *,
    move_form: MoveForm | None = None,
    accept_forms: dict[UUID, AcceptMoveForm] | None = None,
    held_form: HeldForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = _actor(request)
    writes = selectors.can_book_for_client(actor=actor, client=appointment.client)
    change_requests = selectors.change_requests_for(appointment=appointment)
    accept_forms = accept_forms or {}
    for change_request in change_requests:
        if change_request.is_pending and change_request.kind == ChangeKind.RESCHEDULE:
            accept_forms.setdefault(
                change_request.public_id,
                AcceptMoveForm(
                    initial=AcceptMoveForm.initial_for(appointment.starts_at, appointment.ends_at),
                    prefix=f"r{change_request.pk}",
                ),
            )
    return render(
        request,
        "appointments/detail.html",
        {
            "appointment": appointment,
            "writes": writes,
            "change_requests": [
                (change_request, accept_forms.get(change_request.public_id))
                for change_request in change_requests
            ],
            "cancel_form": CancelForm(initial={"version": appointment.version}),
            "held_form": held_form
            or HeldForm(
                sessions=selectors.sessions_to_link(appointment=appointment),
                initial={"session": appointment.session.public_id if appointment.session else None},
            ),
            "started": appointment.starts_at <= timezone.now(),
            "move_form": move_form,
        },
        status=status,
    )


def _audit_view(actor: User, appointment: Appointment) -> None:
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="appointment",
        object_public_id=appointment.public_id,
        practice=appointment.practice,
        subject_client_public_id=appointment.client.public_id,
    )


@login_required
def appointment_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    appointment = selectors.appointment_get_for_actor(actor=actor, public_id=public_id)
    _audit_view(actor, appointment)
    return _render_detail(request, appointment)


def _move_initial(appointment: Appointment) -> dict[str, Any]:
    return {
        **MoveForm.initial_for(appointment.starts_at, appointment.ends_at),
        "kind": appointment.kind,
        "location": appointment.location,
        "version": appointment.version,
    }


@login_required
def appointment_move_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    appointment = selectors.appointment_get_for_writing(actor=actor, public_id=public_id)
    if request.method != "POST":
        form = MoveForm(initial=_move_initial(appointment))
        return render(request, "appointments/move.html", {"appointment": appointment, "form": form})
    form = MoveForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            appointment_move(
                actor=actor,
                appointment=appointment,
                starts_at=form.starts_at(),
                ends_at=form.ends_at(),
                kind=form.cleaned_data["kind"],
                location=form.cleaned_data["location"],
                base_version=form.cleaned_data["version"],
            )
        except StaleAppointment as exc:
            status = 409
            form.add_error(None, STALE_MESSAGE)
            appointment = selectors.appointment_get_for_actor(actor=actor, public_id=public_id)
            # The next save is based on what is shown now; the typed time stays.
            refreshed = request.POST.copy()
            refreshed["version"] = str(exc.current.version)
            form.data = refreshed
        except AppointmentConflict as exc:
            status = 409
            form.add_error(None, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Appointment moved. The client will be told the new time.")
            return redirect("appointments:detail", public_id=appointment.public_id)
    return render(
        request,
        "appointments/move.html",
        {"appointment": appointment, "form": form},
        status=status,
    )


@login_required
@require_POST
def appointment_cancel_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    appointment = selectors.appointment_get_for_writing(actor=actor, public_id=public_id)
    form = CancelForm(request.POST)
    try:
        appointment_cancel(
            actor=actor,
            appointment=appointment,
            base_version=form.cleaned_data["version"] if form.is_valid() else None,
        )
    except StaleAppointment:
        messages.error(request, STALE_MESSAGE)
        return _render_detail(
            request,
            selectors.appointment_get_for_actor(actor=actor, public_id=public_id),
            status=409,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_detail(request, appointment, status=400)
    messages.success(request, "Appointment cancelled. The client will be told.")
    return redirect("appointments:detail", public_id=appointment.public_id)


@login_required
@require_POST
def appointment_held_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    appointment = selectors.appointment_get_for_writing(actor=actor, public_id=public_id)
    form = HeldForm(request.POST, sessions=selectors.sessions_to_link(appointment=appointment))
    if form.is_valid():
        try:
            appointment_mark_held(
                actor=actor, appointment=appointment, session=form.cleaned_data["session"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Marked as held.")
            return redirect("appointments:detail", public_id=appointment.public_id)
    return _render_detail(request, appointment, held_form=form, status=400)


# --- the client's requests ------------------------------------------------------------------


def _request_for_writing(request: HttpRequest, public_id: UUID) -> AppointmentChangeRequest:
    return selectors.change_request_get_for_writing(actor=_actor(request), public_id=public_id)


@login_required
@require_POST
def change_request_accept_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _actor(request)
    change_request = _request_for_writing(request, public_id)
    appointment = change_request.appointment
    form = None
    starts_at = ends_at = None
    if change_request.kind == ChangeKind.RESCHEDULE:
        form = AcceptMoveForm(request.POST, prefix=f"r{change_request.pk}")
        if not form.is_valid():
            return _render_detail(
                request, appointment, accept_forms={change_request.public_id: form}, status=400
            )
        starts_at, ends_at = form.starts_at(), form.ends_at()
    status = 400
    try:
        change_request_accept(
            actor=actor, change_request=change_request, starts_at=starts_at, ends_at=ends_at
        )
    except AlreadyAnswered:
        messages.info(request, "This request has already been answered.")
        return redirect("appointments:detail", public_id=appointment.public_id)
    except AppointmentConflict as exc:
        status = 409
        error: ValidationError = exc
    except ValidationError as exc:
        error = exc
    else:
        messages.success(request, "Request accepted. The client will be told.")
        return redirect("appointments:detail", public_id=appointment.public_id)
    if form is None:
        messages.error(request, " ".join(error.messages))
        return _render_detail(request, appointment, status=status)
    form.add_error(None, error)
    return _render_detail(
        request, appointment, accept_forms={change_request.public_id: form}, status=status
    )


@login_required
@require_POST
def change_request_decline_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    change_request = _request_for_writing(request, public_id)
    try:
        change_request_decline(actor=_actor(request), change_request=change_request)
    except AlreadyAnswered:
        messages.info(request, "This request has already been answered.")
    else:
        messages.success(
            request, "Request declined. The client will be told the appointment stands."
        )
    return redirect("appointments:detail", public_id=change_request.appointment.public_id)
