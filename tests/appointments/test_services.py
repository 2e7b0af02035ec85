"""Booking, moving, cancelling and marking appointments held; conflicts; client requests; feeds."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import override_settings

from openipt.appointments.models import (
    AppointmentChangeRequest,
    AppointmentStatus,
    CalendarFeedToken,
    ChangeStatus,
    NotificationKind,
    NotificationStatus,
    ReminderNotification,
)
from openipt.appointments.services import (
    AlreadyAnswered,
    AppointmentConflict,
    StaleAppointment,
    appointment_cancel,
    appointment_change_request,
    appointment_mark_held,
    appointment_move,
    calendar_feed_create,
    calendar_feed_open,
    calendar_feed_revoke,
    change_request_accept,
    change_request_decline,
)
from openipt.audit.models import AuditEvent
from openipt.courses.models import Course, Session
from openipt.practice.models import CareTeamMember
from tests.appointments.helpers import HOURS, MINUTES, NOW, TUE_10, book
from tests.world import World

pytestmark = pytest.mark.django_db


def _pending(kind: NotificationKind) -> list[ReminderNotification]:
    return list(ReminderNotification.objects.filter(kind=kind, status=NotificationStatus.PENDING))


# --- conflicts ------------------------------------------------------------------------------


def test_a_clinician_cannot_be_booked_twice_at_overlapping_times(world: World) -> None:
    """GIVEN Clara sees Alice on Tuesday 10:00–10:50 WHEN she books Bob at 10:30 THEN it is
    refused, and the message says she already has an appointment from 10:00 to 10:50 that day."""
    book(world)
    with pytest.raises(AppointmentConflict) as refused:
        book(world, client=world.client_2, starts_at=TUE_10 + 30 * MINUTES)
    assert refused.value.messages == [
        "Clara Clinician already has an appointment from 10:00 to 10:50 on Tue 3 Dec 2030. "
        "Choose another time."
    ]


def test_a_client_cannot_be_booked_twice_even_with_another_clinician(world: World) -> None:
    """GIVEN Alice is booked with Clara at 10:00 WHEN a second clinician of her care team books
    her at 10:20 THEN it is refused because the client already has an appointment."""
    book(world)
    CareTeamMember.objects.create(client=world.client_1, user=world.colleague, role="clinician")
    with pytest.raises(AppointmentConflict) as refused:
        book(world, actor=world.colleague, starts_at=TUE_10 + 20 * MINUTES)
    assert refused.value.messages == [
        "This client already has an appointment from 10:00 to 10:50 on Tue 3 Dec 2030. "
        "Choose another time."
    ]


def test_back_to_back_appointments_and_cancelled_ones_do_not_conflict(world: World) -> None:
    first = book(world)
    book(world, client=world.client_2, starts_at=TUE_10 + 50 * MINUTES)
    appointment_cancel(actor=world.clinician, appointment=first, now=NOW)
    replacement = book(world, starts_at=TUE_10 - 10 * MINUTES)
    assert replacement.status == AppointmentStatus.SCHEDULED


def test_moving_an_appointment_onto_another_is_refused_and_changes_nothing(world: World) -> None:
    alice = book(world)
    bob = book(world, client=world.client_2, starts_at=TUE_10 + 2 * HOURS)
    with pytest.raises(AppointmentConflict):
        appointment_move(
            actor=world.clinician,
            appointment=bob,
            starts_at=TUE_10 + 15 * MINUTES,
            ends_at=TUE_10 + 65 * MINUTES,
            now=NOW,
        )
    bob.refresh_from_db()
    assert bob.starts_at == TUE_10 + 2 * HOURS and bob.version == 1
    # Moving an appointment within its own slot is not a conflict with itself.
    appointment_move(
        actor=world.clinician,
        appointment=alice,
        starts_at=TUE_10 + 10 * MINUTES,
        ends_at=TUE_10 + 60 * MINUTES,
        now=NOW,
    )


def test_times_in_the_past_and_odd_lengths_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as past:
        book(world, starts_at=NOW - HOURS)
    assert "has not passed" in str(past.value)
    with pytest.raises(ValidationError) as short:
        book(world, minutes=5)
    assert "between 10 and 240 minutes" in str(short.value)


# --- who may book ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "colleague", "admin", "clinician_b", "client"])
def test_only_care_team_clinicians_book_for_a_client(world: World, who: str) -> None:
    """GIVEN Alice's care team is Clara (clinician) and Sam (supervisor) WHEN anyone but Clara
    books, moves or cancels her appointment THEN it is refused."""
    actor = world.users_by_role_name()[who]
    with pytest.raises(PermissionDenied):
        book(world, actor=actor)
    appointment = book(world)
    with pytest.raises(PermissionDenied):
        appointment_cancel(actor=actor, appointment=appointment, now=NOW)
    with pytest.raises(PermissionDenied):
        appointment_move(
            actor=actor,
            appointment=appointment,
            starts_at=TUE_10 + HOURS,
            ends_at=TUE_10 + 2 * HOURS,
            now=NOW,
        )


def test_the_course_must_be_the_clients(world: World) -> None:
    other = Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )
    with pytest.raises(ValidationError) as refused:
        book(world, course=other)
    assert "this client's current courses" in str(refused.value)


# --- stale edits ----------------------------------------------------------------------------


def test_a_move_from_a_stale_page_is_refused(world: World) -> None:
    """GIVEN two clinicians opened the appointment at version 1 WHEN one moves it and then the
    other tries to cancel from their page THEN the cancel is refused, not silently applied."""
    appointment = book(world)
    appointment_move(
        actor=world.clinician,
        appointment=appointment,
        starts_at=TUE_10 + HOURS,
        ends_at=TUE_10 + 2 * HOURS,
        base_version=1,
        now=NOW,
    )
    with pytest.raises(StaleAppointment) as stale:
        appointment_cancel(actor=world.clinician, appointment=appointment, base_version=1, now=NOW)
    assert stale.value.current.version == 2
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


# --- reminders ------------------------------------------------------------------------------


def test_booking_schedules_the_reminder_24_hours_before(world: World) -> None:
    appointment = book(world)
    (reminder,) = _pending(NotificationKind.REMINDER)
    assert reminder.appointment == appointment
    assert reminder.recipient is None  # the client
    assert reminder.due_at == TUE_10 - 24 * HOURS == reminder.next_attempt_at


@override_settings(REMINDER_HOURS=2)
def test_the_reminder_time_follows_the_setting(world: World) -> None:
    book(world)
    assert _pending(NotificationKind.REMINDER)[0].due_at == TUE_10 - 2 * HOURS


@override_settings(REMINDER_HOURS=0)
def test_no_reminders_when_the_setting_is_zero(world: World) -> None:
    book(world)
    assert _pending(NotificationKind.REMINDER) == []


def test_a_booking_within_the_reminder_window_is_reminded_at_once(world: World) -> None:
    book(world, now=TUE_10 - 3 * HOURS)
    assert _pending(NotificationKind.REMINDER)[0].due_at == TUE_10 - 3 * HOURS


def test_moving_reschedules_the_reminder_and_tells_the_client(world: World) -> None:
    """GIVEN a booked appointment with its reminder waiting WHEN it is moved to Thursday THEN the
    old reminder is cancelled, a new one is due 24 h before Thursday, and a "moved" notice is
    due now."""
    appointment = book(world)
    old = _pending(NotificationKind.REMINDER)[0]
    thursday = TUE_10 + 48 * HOURS
    appointment_move(
        actor=world.clinician,
        appointment=appointment,
        starts_at=thursday,
        ends_at=thursday + 50 * MINUTES,
        now=NOW,
    )
    old.refresh_from_db()
    assert old.status == NotificationStatus.CANCELLED
    (new,) = _pending(NotificationKind.REMINDER)
    assert new.due_at == thursday - 24 * HOURS
    (moved,) = _pending(NotificationKind.MOVED)
    assert moved.due_at == NOW and moved.recipient is None


def test_changing_only_the_room_keeps_the_reminder_and_sends_no_notice(world: World) -> None:
    appointment = book(world)
    appointment_move(
        actor=world.clinician,
        appointment=appointment,
        starts_at=TUE_10,
        ends_at=TUE_10 + 50 * MINUTES,
        location="Room 3",
        now=NOW,
    )
    assert len(_pending(NotificationKind.REMINDER)) == 1
    assert _pending(NotificationKind.MOVED) == []


def test_cancelling_cancels_the_reminder_and_tells_the_client(world: World) -> None:
    appointment = book(world)
    appointment_cancel(actor=world.clinician, appointment=appointment, now=NOW)
    assert _pending(NotificationKind.REMINDER) == []
    assert ReminderNotification.objects.get(kind=NotificationKind.REMINDER).status == "cancelled"
    (notice,) = _pending(NotificationKind.CANCELLED)
    assert notice.recipient is None and notice.due_at == NOW
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == world.clinician


def test_writes_are_audited_with_field_names_only(world: World) -> None:
    appointment = book(world, location="Room 2")
    appointment_cancel(actor=world.clinician, appointment=appointment, now=NOW)
    events = AuditEvent.objects.filter(object_public_id=appointment.public_id).order_by("sequence")
    assert [(e.action, e.actor_id) for e in events] == [
        ("create", world.clinician.pk),
        ("update", world.clinician.pk),
    ]
    assert events[1].changed_fields == ["status"]
    assert all(e.subject_client_public_id == world.client_1.public_id for e in events)
    assert "Room 2" not in str([e.changed_fields for e in events])


# --- held -----------------------------------------------------------------------------------


def test_marking_held_links_the_session_of_the_course(world: World) -> None:
    appointment = book(world)
    with pytest.raises(ValidationError):
        appointment_mark_held(actor=world.clinician, appointment=appointment, now=NOW)
    appointment_mark_held(
        actor=world.clinician,
        appointment=appointment,
        session=world.session_1,
        now=TUE_10 + HOURS,
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.session == world.session_1


def test_a_session_of_another_course_cannot_be_linked(world: World) -> None:
    appointment = book(world, course=None)
    with pytest.raises(ValidationError):
        appointment_mark_held(
            actor=world.clinician,
            appointment=appointment,
            session=world.session_1,
            now=TUE_10 + HOURS,
        )
    assert Session.objects.filter(appointment__isnull=False).count() == 0


# --- the client's requests ------------------------------------------------------------------


def test_a_client_asks_once_even_when_submitting_twice(world: World) -> None:
    """GIVEN Alice's booked appointment WHEN she sends a request to move it twice THEN one
    request is stored (its note encrypted) and Clara gets one e-mail queued."""
    appointment = book(world)
    first, created = appointment_change_request(
        actor=world.client_user_1,
        appointment=appointment,
        kind="reschedule",
        note="Thursdays suit me better.",
        now=NOW,
    )
    again, created_again = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="reschedule", now=NOW
    )
    assert created and not created_again and again == first
    assert AppointmentChangeRequest.objects.count() == 1
    (notice,) = _pending(NotificationKind.CHANGE_REQUESTED)
    assert notice.recipient == world.clinician
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT note FROM {AppointmentChangeRequest._meta.db_table} WHERE id = %s",  # noqa: S608
            [first.pk],
        )
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:") and "Thursdays" not in stored


def test_only_the_client_themself_can_ask(world: World) -> None:
    appointment = book(world)
    for actor in (world.client_user_2, world.clinician, world.client_user_b):
        with pytest.raises(PermissionDenied):
            appointment_change_request(actor=actor, appointment=appointment, kind="cancel", now=NOW)


def test_accepting_a_cancel_request_cancels_the_appointment(world: World) -> None:
    appointment = book(world)
    change_request, _ = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="cancel", now=NOW
    )
    change_request_accept(actor=world.clinician, change_request=change_request, now=NOW)
    change_request.refresh_from_db()
    appointment.refresh_from_db()
    assert change_request.status == ChangeStatus.ACCEPTED
    assert change_request.handled_by == world.clinician
    assert appointment.status == AppointmentStatus.CANCELLED
    assert len(_pending(NotificationKind.CANCELLED)) == 1
    with pytest.raises(AlreadyAnswered):
        change_request_accept(actor=world.clinician, change_request=change_request, now=NOW)


def test_accepting_a_move_checks_conflicts_and_keeps_the_request_open_when_refused(
    world: World,
) -> None:
    """GIVEN Alice asks to move her Tuesday appointment WHEN Clara accepts it onto a time she
    has Bob THEN it is refused and the request still waits; WHEN she picks a free time THEN the
    appointment moves and the request is accepted."""
    appointment = book(world)
    book(world, client=world.client_2, starts_at=TUE_10 + 24 * HOURS)
    change_request, _ = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="reschedule", now=NOW
    )
    with pytest.raises(AppointmentConflict):
        change_request_accept(
            actor=world.clinician,
            change_request=change_request,
            starts_at=TUE_10 + 24 * HOURS,
            ends_at=TUE_10 + 25 * HOURS,
            now=NOW,
        )
    change_request.refresh_from_db()
    assert change_request.status == ChangeStatus.PENDING
    change_request_accept(
        actor=world.clinician,
        change_request=change_request,
        starts_at=TUE_10 + 48 * HOURS,
        ends_at=TUE_10 + 49 * HOURS,
        now=NOW,
    )
    change_request.refresh_from_db()
    appointment.refresh_from_db()
    assert change_request.status == ChangeStatus.ACCEPTED
    assert appointment.starts_at == TUE_10 + 48 * HOURS


def test_declining_keeps_the_appointment_and_tells_the_client(world: World) -> None:
    appointment = book(world)
    change_request, _ = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="cancel", now=NOW
    )
    with pytest.raises(PermissionDenied):
        change_request_decline(actor=world.supervisor, change_request=change_request, now=NOW)
    change_request_decline(actor=world.clinician, change_request=change_request, now=NOW)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert len(_pending(NotificationKind.DECLINED)) == 1


def test_cancelling_closes_a_waiting_request(world: World) -> None:
    appointment = book(world)
    change_request, _ = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="reschedule", now=NOW
    )
    appointment_cancel(actor=world.clinician, appointment=appointment, now=NOW)
    change_request.refresh_from_db()
    assert change_request.status == ChangeStatus.DECLINED


# --- calendar feed tokens -------------------------------------------------------------------


def test_a_feed_token_is_stored_as_its_digest_only(world: World) -> None:
    token, raw = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    assert token.token_digest == hashlib.sha256(raw.encode()).hexdigest()
    stored = CalendarFeedToken.objects.filter(pk=token.pk).values()[0]
    assert raw not in str(stored)
    assert len(raw) >= 43  # 256 random bits
    assert calendar_feed_open(token=raw) == token


def test_a_new_feed_token_revokes_the_old_and_revoking_ends_the_feed(world: World) -> None:
    _, old = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    _, new = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    with pytest.raises(Http404):
        calendar_feed_open(token=old)
    assert calendar_feed_open(token=new).client == world.client_1
    assert calendar_feed_revoke(actor=world.client_user_1, client=world.client_1) == 1
    with pytest.raises(Http404):
        calendar_feed_open(token=new)
    assert CalendarFeedToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_only_the_client_makes_their_own_feed(world: World) -> None:
    for actor in (world.clinician, world.client_user_2):
        with pytest.raises(PermissionDenied):
            calendar_feed_create(actor=actor, client=world.client_1)


def test_the_feed_dies_with_the_clients_portal_access(world: World) -> None:
    _, raw = calendar_feed_create(actor=world.client_user_1, client=world.client_1)
    world.client_user_1.memberships.update(is_active=False)
    with pytest.raises(Http404):
        calendar_feed_open(token=raw)
