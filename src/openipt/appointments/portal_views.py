"""The client's appointment pages in the portal, the .ics downloads and the private feed.

A client reaches only their own appointments: every page starts from their
own client record, and an id of anyone else's appointment is a 404.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from openipt.accounts.models import User
from openipt.appointments import selectors
from openipt.appointments.emails import client_language
from openipt.appointments.forms import ChangeRequestForm
from openipt.appointments.ics import calendar_bytes
from openipt.appointments.models import Appointment, AppointmentStatus
from openipt.appointments.services import (
    appointment_change_request,
    calendar_feed_create,
    calendar_feed_open,
    calendar_feed_revoke,
)
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice.models import Client
from openipt.practice.selectors import own_client_record

# Calendar apps poll a feed every few minutes to hours; more than this from one
# address in a minute is not a calendar app.
FEED_REQUESTS_PER_MINUTE = 30
SESSION_NEW_FEED_TOKEN = "openipt_new_feed_token"  # noqa: S105 - a session key name


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _own_client(request: HttpRequest) -> Client:
    return own_client_record(user=_user(request))


def _audit_read(actor: User, client: Client, what: str, appointment: Appointment | None) -> None:
    record(
        actor=actor,
        action=AuditAction.VIEW if what != "appointment_ics" else AuditAction.EXPORT,
        object_type=what,
        object_public_id=appointment.public_id if appointment else client.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
    )


@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    client = _own_client(request)
    upcoming, past = selectors.own_appointments(client=client)
    _audit_read(_user(request), client, "portal_appointments", None)
    return render(
        request,
        "appointments/portal/list.html",
        {"client": client, "upcoming": upcoming, "past": past},
    )


def _can_ask(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.SCHEDULED and (
        appointment.starts_at > timezone.now()
    )


def _render_my_detail(
    request: HttpRequest,
    client: Client,
    appointment: Appointment,
    form: ChangeRequestForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    change_requests = selectors.change_requests_for(appointment=appointment)
    waiting = next((r for r in change_requests if r.is_pending), None)
    return render(
        request,
        "appointments/portal/detail.html",
        {
            "client": client,
            "appointment": appointment,
            "waiting": waiting,
            "answered": [r for r in change_requests if not r.is_pending][:3],
            "can_ask": _can_ask(appointment) and waiting is None,
            "form": form or ChangeRequestForm(),
        },
        status=status,
    )


@login_required
def my_appointment(request: HttpRequest, public_id: UUID) -> HttpResponse:
    client = _own_client(request)
    appointment = selectors.own_appointment_get(client=client, public_id=public_id)
    _audit_read(_user(request), client, "portal_appointment", appointment)
    return _render_my_detail(request, client, appointment)


@login_required
@require_POST
def my_change_request(request: HttpRequest, public_id: UUID) -> HttpResponse:
    client = _own_client(request)
    appointment = selectors.own_appointment_get(client=client, public_id=public_id)
    form = ChangeRequestForm(request.POST)
    if form.is_valid():
        try:
            _request, created = appointment_change_request(
                actor=_user(request),
                appointment=appointment,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(
                    request,
                    _(
                        "Your request was sent. Your clinician will answer it; until then, "
                        "the appointment stays as it is."
                    ),
                )
            return redirect("appointments:my_detail", public_id=appointment.public_id)
    return _render_my_detail(request, client, appointment, form, status=400)


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_appointment_ics(request: HttpRequest, public_id: UUID) -> HttpResponse:
    client = _own_client(request)
    appointment = selectors.own_appointment_get(client=client, public_id=public_id)
    _audit_read(_user(request), client, "appointment_ics", appointment)
    return _ics_response(calendar_bytes([appointment]), "appointment.ics")


# --- the private calendar feed ------------------------------------------------------------


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("appointments:feed", kwargs={"token": token}))


@login_required
def my_calendar_feed(request: HttpRequest) -> HttpResponse:
    """Create, see and revoke the feed address. The raw address is shown once, after creating."""
    client = _own_client(request)
    token = selectors.live_feed_token(client=client)
    new_token = request.session.pop(SESSION_NEW_FEED_TOKEN, None)
    _audit_read(_user(request), client, "calendar_feed_settings", None)
    return render(
        request,
        "appointments/portal/feed.html",
        {
            "client": client,
            "token": token,
            "feed_url": _feed_url(request, new_token) if new_token and token else None,
        },
    )


@login_required
@require_POST
def my_calendar_feed_create(request: HttpRequest) -> HttpResponse:
    client = _own_client(request)
    _, raw = calendar_feed_create(actor=_user(request), client=client)
    # Shown once on the next page (then gone from the session), never stored in the clear.
    request.session[SESSION_NEW_FEED_TOKEN] = raw
    return redirect("appointments:my_feed")


@login_required
@require_POST
def my_calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    client = _own_client(request)
    if calendar_feed_revoke(actor=_user(request), client=client):
        messages.success(request, _("The calendar address no longer works."))
    return redirect("appointments:my_feed")


def _over_rate_limit(request: HttpRequest) -> bool:
    """A fixed one-minute window per client address, in the shared cache."""
    address = request.META.get("REMOTE_ADDR", "")
    window = int(timezone.now().timestamp() // 60)
    # The address is hashed so the cache holds no IP address in the clear.
    key = "appointments-feed:" + hashlib.sha256(f"{address}:{window}".encode()).hexdigest()
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    return count > FEED_REQUESTS_PER_MINUTE


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: no sign-in, the token is the key (see services/feeds.py for why)."""
    if _over_rate_limit(request):
        response = HttpResponse("Too many requests.", status=429, content_type="text/plain")
        response["Retry-After"] = "60"
        return response
    feed = calendar_feed_open(token=token)
    client = feed.client
    with translation.override(client_language(client)):
        name = _("Appointments with %(practice)s") % {"practice": client.practice.name}
        content = calendar_bytes(selectors.feed_appointments(client=client), name=name)
    return _ics_response(content, "appointments.ics")
