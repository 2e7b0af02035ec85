"""Sending the appointment e-mails: on time, with only a date, a time and a link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from openipt.appointments.models import NotificationKind, NotificationStatus, ReminderNotification
from openipt.appointments.services import (
    MAX_ATTEMPTS,
    appointment_cancel,
    appointment_change_request,
    appointment_notifications_deliver,
    change_request_accept,
    change_request_decline,
)
from openipt.audit.models import AuditEvent
from tests.appointments.helpers import HOURS, MINUTES, NOW, TUE_10, book
from tests.world import World

FAILING = "tests.safety.crashing_backend.FailingEmailBackend"
# What must never be in an appointment e-mail: who the client is, who the clinician is,
# which practice, anything about the course or a note, or where the appointment is.
FORBIDDEN = re.compile(
    r"alice|anders|clara|clinician|riverside|course|phase|session|ipt\b|therap|depress"
    r"|room 2|thursdays|note",
    re.IGNORECASE,
)


def _text(message: mail.EmailMessage) -> str:
    """Subject and body: what the recipient (and anyone looking over their shoulder) reads.

    The To header is left out: it is the recipient's own address."""
    return f"{message.subject}\n{message.body}".replace("OpenIPT", "")


@pytest.mark.django_db
def test_the_reminder_goes_out_24_hours_before_and_not_earlier(world: World) -> None:
    """GIVEN an appointment on Tuesday 3 December at 10:00 WHEN the sender runs a minute before
    Monday 10:00 THEN nothing is sent; WHEN it runs at Monday 10:00 THEN Alice gets one reminder;
    a later run sends nothing more."""
    book(world)
    due = TUE_10 - 24 * HOURS
    assert appointment_notifications_deliver(now=due - MINUTES).sent == 0
    assert mail.outbox == []
    assert appointment_notifications_deliver(now=due).sent == 1
    assert appointment_notifications_deliver(now=due + HOURS).sent == 0
    assert [m.to for m in mail.outbox] == [[world.client_user_1.email]]
    reminder = ReminderNotification.objects.get(kind=NotificationKind.REMINDER)
    assert reminder.status == NotificationStatus.SENT and reminder.sent_at == due
    assert AuditEvent.objects.filter(
        object_type="appointment_notification", object_public_id=reminder.public_id
    ).exists()


@pytest.mark.django_db
def test_the_reminder_says_the_date_and_time_and_a_link_and_nothing_else(world: World) -> None:
    """GIVEN an in-person appointment in Room 2, linked to Alice's IPT course WHEN its reminder
    is sent THEN the e-mail is exactly a greeting, the date and time, and the portal link: no
    name, no clinician, no practice, no course, no room."""
    book(world, location="Room 2")
    appointment_notifications_deliver(now=TUE_10 - 24 * HOURS)
    (message,) = mail.outbox
    assert message.subject == "Appointment reminder"
    assert message.body == (
        "Hello,\n\n"
        "You have an appointment on Tue 3 Dec at 10:00.\n\n"
        "To see your appointments, or to ask for a change, sign in here:\n"
        "http://testserver/me/appointments/\n\n"
        "OpenIPT\n"
    )
    assert not FORBIDDEN.search(_text(message))


@pytest.mark.django_db
def test_every_client_notice_and_the_clinician_notice_carry_no_details(world: World) -> None:
    """GIVEN Alice asks (with a note) to move her appointment and Clara accepts a new time, then
    Alice asks to cancel and Clara declines, then Clara cancels it WHEN every e-mail is sent
    THEN none names Alice, Clara, the practice, the course, the room or the note; Clara's
    e-mails do not even give the date, only a link to the appointment page."""
    appointment = book(world, location="Room 2")
    first, _ = appointment_change_request(
        actor=world.client_user_1,
        appointment=appointment,
        kind="reschedule",
        note="Thursdays are better, my depression is worse on Tuesdays.",
        now=NOW,
    )
    appointment_notifications_deliver(now=NOW)
    thursday = TUE_10 + 48 * HOURS
    change_request_accept(
        actor=world.clinician,
        change_request=first,
        starts_at=thursday,
        ends_at=thursday + 50 * MINUTES,
        now=NOW,
    )
    appointment_notifications_deliver(now=NOW)
    second, _ = appointment_change_request(
        actor=world.client_user_1, appointment=appointment, kind="cancel", now=NOW
    )
    appointment_notifications_deliver(now=NOW)
    change_request_decline(actor=world.clinician, change_request=second, now=NOW)
    appointment_notifications_deliver(now=NOW)
    appointment_cancel(actor=world.clinician, appointment=appointment, now=NOW)
    appointment_notifications_deliver(now=NOW)

    by_subject = {m.subject: m for m in mail.outbox}
    assert sorted(by_subject) == [
        "About your appointment",
        "OpenIPT: an appointment change was requested",
        "Your appointment has moved",
        "Your appointment is cancelled",
    ]
    assert len(mail.outbox) == 5  # two requests: Clara is told of each
    for message in mail.outbox:
        assert not FORBIDDEN.search(_text(message)), message.body
    moved = by_subject["Your appointment has moved"]
    assert "Your appointment has moved. It is now on Thu 5 Dec at 10:00." in moved.body
    cancelled = by_subject["Your appointment is cancelled"]
    assert "Your appointment on Thu 5 Dec at 10:00 is cancelled." in cancelled.body
    declined = by_subject["About your appointment"]
    assert "Your appointment on Thu 5 Dec at 10:00 is still booked." in declined.body
    to_clara = [m for m in mail.outbox if m.to == [world.clinician.email]]
    assert len(to_clara) == 2
    for message in to_clara:
        assert "Dec" not in message.body and "10:00" not in message.body
        assert f"http://testserver/appointments/{appointment.public_id}/" in message.body


@pytest.mark.django_db
def test_a_cancelled_appointments_reminder_is_never_sent(world: World) -> None:
    appointment = book(world)
    reminder = ReminderNotification.objects.get(kind=NotificationKind.REMINDER)
    # Cancelled behind the service's back: the sender still checks before sending.
    type(appointment).objects.filter(pk=appointment.pk).update(status="cancelled")
    report = appointment_notifications_deliver(now=TUE_10 - 24 * HOURS)
    assert report.cancelled == 1 and mail.outbox == []
    reminder.refresh_from_db()
    assert reminder.status == NotificationStatus.CANCELLED


@pytest.mark.django_db
def test_a_reminder_that_was_not_sent_before_the_start_is_dropped(world: World) -> None:
    book(world)
    report = appointment_notifications_deliver(now=TUE_10 + MINUTES)
    assert report.cancelled == 1 and mail.outbox == []


@pytest.mark.django_db
def test_a_client_without_an_address_is_recorded_as_failed_not_retried(world: World) -> None:
    book(world)
    world.client_user_1.is_active = False
    world.client_user_1.save(update_fields=["is_active"])
    report = appointment_notifications_deliver(now=TUE_10 - 24 * HOURS)
    assert report.failed == 1
    reminder = ReminderNotification.objects.get(kind=NotificationKind.REMINDER)
    assert reminder.last_error == "no_active_address"


@pytest.mark.django_db
@override_settings(EMAIL_BACKEND=FAILING)
def test_a_failing_send_is_retried_with_backoff_then_marked_failed(world: World) -> None:
    book(world)
    now = TUE_10 - 24 * HOURS
    report = appointment_notifications_deliver(now=now)
    assert report.retrying == 1
    reminder = ReminderNotification.objects.get(kind=NotificationKind.REMINDER)
    assert reminder.status == NotificationStatus.PENDING
    assert reminder.next_attempt_at == now + MINUTES
    assert reminder.last_error  # an exception class name
    for _ in range(MAX_ATTEMPTS):
        now += HOURS
        appointment_notifications_deliver(now=now)
    reminder.refresh_from_db()
    assert reminder.status == NotificationStatus.FAILED
    assert reminder.attempts == MAX_ATTEMPTS


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_a_reminder_that_is_due(world: World) -> None:
    """GIVEN an appointment booked (and committed) three hours before it starts, so its reminder
    is due at once WHEN the database worker runs its queue THEN the reminder is sent."""
    starts_at = timezone.now().replace(microsecond=0) + 3 * HOURS
    with transaction.atomic():
        book(world, starts_at=starts_at, now=timezone.now())
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert [m.subject for m in mail.outbox] == ["Appointment reminder"]
    assert ReminderNotification.objects.get().status == NotificationStatus.SENT


@pytest.mark.django_db
def test_the_sweep_command_sends_what_is_due(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    book(world, starts_at=timezone.now().replace(microsecond=0) + 3 * HOURS, now=timezone.now())
    call_command("appointments_sweep")
    assert "Appointment e-mails sent 1," in capsys.readouterr().out
    assert len(mail.outbox) == 1
