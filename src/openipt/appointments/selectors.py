"""Reads of appointments, always scoped to the actor: outside reach is a 404.

Staff reach appointments through the client's care team (clinicians) or the
practice (supervisors), as for courses; a client reaches only their own, given
their own client record (`practice.selectors.own_client_record`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from openipt.accounts.models import User
from openipt.appointments import policies
from openipt.appointments.models import (
    Appointment,
    AppointmentChangeRequest,
    AppointmentStatus,
    CalendarFeedToken,
    ChangeStatus,
)
from openipt.courses.models import Course, CourseStatus, Session
from openipt.practice.models import CareTeamMember, CareTeamRole, Client, ClientStatus, Role
from openipt.practice.roles import roles_for

if TYPE_CHECKING:
    from openipt.practice.models import Practice

# How far back a client's "past appointments" list and calendar feed reach.
PAST_WINDOW = datetime.timedelta(days=180)
PAST_LIMIT = 20


def _on_care_team_as_clinician(actor: User, client_ref: str = "client") -> Exists:
    return Exists(
        CareTeamMember.objects.filter(
            client=OuterRef(client_ref), user=actor, role=CareTeamRole.CLINICIAN
        )
    )


def appointments_visible_to(*, actor: User) -> QuerySet[Appointment]:
    roles = roles_for(actor)
    reads_all = [p for p, r in roles.by_practice.items() if r & policies.READS_EVERY_APPOINTMENT]
    books = [p for p, r in roles.by_practice.items() if r & policies.BOOKS_CARE_TEAM_APPOINTMENTS]
    condition = Q(pk__in=[])
    if reads_all:
        condition |= Q(practice_id__in=reads_all)
    if books:
        condition |= Q(practice_id__in=books) & Q(_on_care_team_as_clinician(actor))
    return Appointment.objects.filter(condition)


def appointment_get_for_actor(*, actor: User, public_id: UUID | str) -> Appointment:
    """An appointment the actor may read, or a 404 exactly like a missing id."""
    try:
        return (
            appointments_visible_to(actor=actor)
            .select_related("client", "practice", "clinician", "course", "session")
            .get(public_id=public_id)
        )
    except (Appointment.DoesNotExist, ValueError) as exc:
        raise Http404("No such appointment.") from exc


def can_book_for_client(*, actor: User, client: Client) -> bool:
    """Clinicians on the client's care team book and change; supervisors only read."""
    if not policies.can_book(roles_for(actor).in_practice(client.practice_id)):
        return False
    return CareTeamMember.objects.filter(
        client=client, user=actor, role=CareTeamRole.CLINICIAN
    ).exists()


def appointment_get_for_writing(*, actor: User, public_id: UUID | str) -> Appointment:
    """An appointment the actor may change: 404 when they cannot see it, 403 when they only read."""
    appointment = appointment_get_for_actor(actor=actor, public_id=public_id)
    if not can_book_for_client(actor=actor, client=appointment.client):
        raise PermissionDenied
    return appointment


def bookable_clients(*, actor: User, practice: Practice) -> QuerySet[Client]:
    """Active clients of one practice for whom the actor books: their own caseload."""
    if not policies.can_book(roles_for(actor).in_practice(practice.pk)):
        return Client.objects.none()
    return (
        Client.objects.filter(practice=practice, status=ClientStatus.ACTIVE)
        .filter(_on_care_team_as_clinician(actor, "pk"))
        .order_by("family_name", "given_name", "id")
    )


def bookable_courses(*, actor: User, practice: Practice) -> QuerySet[Course]:
    """Active courses of those clients, to link an appointment to."""
    return (
        Course.objects.filter(
            status=CourseStatus.ACTIVE,
            client__in=bookable_clients(actor=actor, practice=practice),
        )
        .select_related("client")
        .order_by("client__family_name", "client__given_name", "-start_date", "id")
    )


def sessions_to_link(*, appointment: Appointment) -> QuerySet[Session]:
    """Sessions of the appointment's course not yet linked to another appointment."""
    if appointment.course_id is None:
        return Session.objects.none()
    return (
        Session.objects.filter(course_id=appointment.course_id)
        .filter(Q(appointment__isnull=True) | Q(appointment=appointment))
        .order_by("-number")
    )


def calendar_clinicians(*, practice: Practice) -> list[User]:
    """The practice's clinicians, for the "whose calendar" filter."""
    return list(
        User.objects.filter(
            memberships__practice=practice,
            memberships__role=Role.CLINICIAN,
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "id")
    )


@dataclass
class CalendarDay:
    date: datetime.date
    appointments: list[Appointment] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()


def calendar(
    *,
    actor: User,
    practice: Practice,
    start: datetime.date,
    days: int,
    clinician: User | None = None,
) -> list[CalendarDay]:
    """The appointments from `start` for `days` days, grouped by (local) day, in one query.

    Each appointment is annotated with `has_pending_request`.
    """
    begin = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    end = begin + datetime.timedelta(days=days)
    queryset = (
        appointments_visible_to(actor=actor)
        .filter(practice=practice, starts_at__gte=begin, starts_at__lt=end)
        .select_related("client", "clinician", "course")
        .annotate(
            has_pending_request=Exists(
                AppointmentChangeRequest.objects.filter(
                    appointment=OuterRef("pk"), status=ChangeStatus.PENDING
                )
            )
        )
        .order_by("starts_at", "id")
    )
    if clinician is not None:
        queryset = queryset.filter(clinician=clinician)
    return group_by_day(queryset)


def group_by_day(appointments: Iterable[Appointment]) -> list[CalendarDay]:
    grouped: dict[datetime.date, CalendarDay] = {}
    for appointment in appointments:
        day = timezone.localtime(appointment.starts_at).date()
        grouped.setdefault(day, CalendarDay(day)).appointments.append(appointment)
    return list(grouped.values())


def pending_requests(
    *, actor: User, practice: Practice, clinician: User | None = None
) -> list[AppointmentChangeRequest]:
    """Client requests waiting for an answer, oldest first, on appointments the actor sees."""
    visible = appointments_visible_to(actor=actor).filter(practice=practice)
    if clinician is not None:
        visible = visible.filter(clinician=clinician)
    return list(
        AppointmentChangeRequest.objects.filter(
            status=ChangeStatus.PENDING, appointment__in=visible
        )
        .select_related("appointment", "appointment__client", "appointment__clinician")
        .order_by("created_at", "id")
    )


def change_requests_for(*, appointment: Appointment) -> list[AppointmentChangeRequest]:
    return list(
        appointment.change_requests.select_related("requested_by", "handled_by").order_by(
            "-created_at", "-id"
        )
    )


def change_request_get_for_writing(
    *, actor: User, public_id: UUID | str
) -> AppointmentChangeRequest:
    """A request on an appointment the actor may change: 404 outside reach, 403 for readers."""
    try:
        change_request = AppointmentChangeRequest.objects.select_related("appointment").get(
            public_id=public_id
        )
    except (AppointmentChangeRequest.DoesNotExist, ValueError) as exc:
        raise Http404("No such request.") from exc
    appointment = appointment_get_for_writing(
        actor=actor, public_id=change_request.appointment.public_id
    )
    change_request.appointment = appointment
    return change_request


# --- the client's own -------------------------------------------------------------------


def own_appointments(
    *, client: Client, now: datetime.datetime | None = None
) -> tuple[list[Appointment], list[Appointment]]:
    """The client's upcoming appointments (cancelled ones too, marked) and recent past ones."""
    now = now or timezone.now()
    base = Appointment.objects.filter(client=client).select_related("clinician", "practice")
    pending = AppointmentChangeRequest.objects.filter(
        appointment=OuterRef("pk"), status=ChangeStatus.PENDING
    )
    upcoming: list[Appointment] = list(
        base.filter(ends_at__gt=now)
        .annotate(has_pending_request=Exists(pending))
        .order_by("starts_at", "id")
    )
    past = list(
        base.filter(ends_at__lte=now, starts_at__gte=now - PAST_WINDOW)
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("-starts_at", "-id")[:PAST_LIMIT]
    )
    return upcoming, past


def all_own_appointments(*, client: Client) -> list[Appointment]:
    """Every appointment the client ever had, cancelled ones included (for "my data")."""
    return list(
        Appointment.objects.filter(client=client)
        .select_related("clinician")
        .order_by("starts_at", "id")
    )


def own_appointment_get(*, client: Client, public_id: UUID | str) -> Appointment:
    try:
        return Appointment.objects.select_related("clinician", "practice", "client").get(
            client=client, public_id=public_id
        )
    except (Appointment.DoesNotExist, ValueError) as exc:
        raise Http404("No such appointment.") from exc


def next_appointment_for_client(
    *, client: Client, now: datetime.datetime | None = None
) -> Appointment | None:
    """The client's next booked appointment (one that has not ended yet), if any."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            client=client, status=AppointmentStatus.SCHEDULED, ends_at__gt=now
        )
        .select_related("clinician", "practice")
        .order_by("starts_at", "id")
        .first()
    )


def live_feed_token(*, client: Client) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(client=client, revoked_at__isnull=True).first()


def feed_appointments(*, client: Client, now: datetime.datetime | None = None) -> list[Appointment]:
    """What the private calendar feed lists: booked and held appointments, recent and coming."""
    now = now or timezone.now()
    return list(
        Appointment.objects.filter(client=client, starts_at__gte=now - PAST_WINDOW)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("practice")
        .order_by("starts_at", "id")
    )
