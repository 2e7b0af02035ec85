"""Sending the alert e-mails from the outbox: content, retries with backoff, giving up."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks

from openipt.audit.models import AuditEvent
from openipt.safety.models import (
    AlertAction,
    AlertEventKind,
    AlertNotification,
    NotificationStatus,
)
from openipt.safety.selectors import open_alerts_for_home
from openipt.safety.services import (
    MAX_ATTEMPTS,
    backoff_after,
    notifications_deliver_pending,
    risk_alert_acknowledge,
    risk_alerts_escalate_overdue,
    safety_settings_update,
)
from tests.safety.helpers import raise_alert
from tests.world import World

FAILING = "tests.safety.crashing_backend.FailingEmailBackend"
MINUTE = datetime.timedelta(minutes=1)

# Words that would tell a reader of the inbox (or of a lock screen) something
# about someone's health or who they are.
FORBIDDEN = re.compile(
    r"alice|anders|phq|gad|epds|item|score|risk|suicid|harm|depress|answer|questionnaire",
    re.IGNORECASE,
)


def test_alert_emails_carry_no_name_score_or_instrument_only_a_link(world: World) -> None:
    """GIVEN an alert for Alice Anders on PHQ-9 item 9 WHEN its e-mails are sent THEN
    neither the subject nor the body nor any header names her, the questionnaire, the item
    or a score; the body links to the alert page on the configured site address."""
    safety_settings_update(
        actor=world.admin,
        practice=world.practice_a,
        ack_deadline_hours=4,
        on_call=world.colleague.memberships.get(practice=world.practice_a),
        reply_time_statement="Weekdays.",
    )
    alert = raise_alert(world)
    report = notifications_deliver_pending()
    risk_alerts_escalate_overdue(now=alert.ack_deadline)
    notifications_deliver_pending(now=alert.ack_deadline)

    assert report.sent == 2
    assert len(mail.outbox) == 4  # clinician + on-call, then supervisor + on-call
    for message in mail.outbox:
        whole = message.message().as_string()
        assert not FORBIDDEN.search(whole), whole
        assert "9" not in message.subject
        assert f"http://testserver/safety/alerts/{alert.public_id}/" in message.body
    assert {m.to[0] for m in mail.outbox} == {
        world.clinician.email,
        world.colleague.email,
        world.supervisor.email,
    }
    sent = AlertNotification.objects.filter(alert=alert, status=NotificationStatus.SENT)
    assert sent.count() == 4
    assert alert.events.filter(kind=AlertEventKind.NOTIFIED).count() == 4
    audited = AuditEvent.objects.filter(object_type="risk_alert_notification", action="update")
    assert audited.count() == 4
    assert {tuple(sorted(e.changed_fields)) for e in audited} == {("sent_at", "status")}


def test_each_email_is_sent_once(world: World) -> None:
    raise_alert(world)
    notifications_deliver_pending()
    notifications_deliver_pending()
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND=FAILING)
def test_a_failing_send_is_retried_with_growing_waits_then_marked_failed(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """GIVEN an SMTP server that refuses every message WHEN delivery runs THEN the e-mail
    stays pending with its attempts counted and the next try 1, 2, 4 … minutes later (an
    earlier run does not touch it); after MAX_ATTEMPTS it is marked failed, the failure is
    in the alert history, and the alert's home entry says the e-mail was not delivered."""
    alert = raise_alert(world)
    notification = alert.notifications.get()
    now = timezone.now()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        with django_capture_on_commit_callbacks(execute=True):
            report = notifications_deliver_pending(now=now)
        notification.refresh_from_db()
        assert report.retrying == 1
        assert notification.status == NotificationStatus.PENDING
        assert notification.attempts == attempt
        assert notification.last_error == "SMTPServerDisconnected"
        waits.append(notification.next_attempt_at - now)
        # Not yet due: a run a moment before the next try leaves it alone.
        early = notifications_deliver_pending(now=notification.next_attempt_at - MINUTE / 2)
        assert early.retrying == 0
        now = notification.next_attempt_at
    assert waits == [backoff_after(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[:4] == [MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE]
    assert max(waits) <= 60 * MINUTE
    # The worker was asked to come back when the next try is due.
    assert DBTaskResult.objects.filter(run_after=notification.next_attempt_at).exists()

    report = notifications_deliver_pending(now=now)
    notification.refresh_from_db()
    assert report.failed == 1
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == MAX_ATTEMPTS
    assert alert.events.filter(kind=AlertEventKind.DELIVERY_FAILED).count() == 1
    [row] = open_alerts_for_home(actor=world.clinician, practice=world.practice_a)
    assert row.delivery_failed
    assert mail.outbox == []
    # Nothing more is tried once it has failed.
    assert notifications_deliver_pending(now=now + 24 * 60 * MINUTE).failed == 0


def test_an_email_recovers_after_a_failure(world: World) -> None:
    alert = raise_alert(world)
    now = timezone.now()
    with override_settings(EMAIL_BACKEND=FAILING):
        notifications_deliver_pending(now=now)
    notifications_deliver_pending(now=now + MINUTE)
    notification = alert.notifications.get()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 2)
    assert len(mail.outbox) == 1


def test_a_claimed_email_is_left_alone_until_its_lease_runs_out(world: World) -> None:
    """GIVEN a sender that claimed an e-mail and then died WHEN another run comes at once
    THEN it does not send it again (the first may have got it out); once the short lease
    has passed, it does."""
    alert = raise_alert(world)
    notification = alert.notifications.get()
    now = timezone.now()
    # What a dead sender leaves behind: claimed (attempt counted, lease set), never finished.
    AlertNotification.objects.filter(pk=notification.pk).update(
        attempts=1, next_attempt_at=now + 2 * MINUTE
    )
    assert notifications_deliver_pending(now=now).sent == 0
    assert notifications_deliver_pending(now=now + 2 * MINUTE).sent == 1
    assert len(mail.outbox) == 1


def test_a_sender_that_keeps_dying_ends_as_failed_not_in_a_loop(world: World) -> None:
    alert = raise_alert(world)
    AlertNotification.objects.filter(alert=alert).update(attempts=MAX_ATTEMPTS)
    report = notifications_deliver_pending()
    assert report.failed == 1
    assert alert.notifications.get().last_error == "worker_stopped"
    assert mail.outbox == []


def test_emails_waiting_when_the_alert_is_acknowledged_are_not_sent(world: World) -> None:
    alert = raise_alert(world)
    risk_alert_acknowledge(actor=world.supervisor, alert=alert, action=AlertAction.OTHER, note="x")
    assert notifications_deliver_pending().sent == 0
    assert alert.notifications.get().status == NotificationStatus.CANCELLED
    assert mail.outbox == []


@pytest.mark.parametrize("problem", ["inactive", "no_email"])
def test_a_recipient_without_a_usable_address_is_marked_failed(world: World, problem: str) -> None:
    alert = raise_alert(world)
    if problem == "inactive":
        world.clinician.is_active = False
    else:
        world.clinician.email = ""
    world.clinician.save()
    assert notifications_deliver_pending().failed == 1
    assert alert.notifications.get().last_error == "no_active_address"
