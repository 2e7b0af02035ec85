"""Raising, escalating and acknowledging risk alerts (services; the clock is passed in)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from openipt.audit.models import AuditEvent
from openipt.practice.models import CareTeamMember, Membership, Role
from openipt.safety.models import (
    AlertAction,
    AlertEventKind,
    AlertNotification,
    AlertStatus,
    NotificationKind,
    NotificationStatus,
    RiskAlert,
)
from openipt.safety.selectors import open_alerts_for_home
from openipt.safety.services import (
    AlreadyAcknowledged,
    risk_alert_acknowledge,
    risk_alert_escalate_if_due,
    risk_alerts_escalate_overdue,
    safety_settings_update,
)
from tests.factories import ClientFactory
from tests.safety.helpers import raise_alert
from tests.world import World

HOURS = datetime.timedelta(hours=1)


def _recipients(alert: RiskAlert, kind: str) -> set[str]:
    return {
        n.recipient.email for n in alert.notifications.filter(kind=kind).select_related("recipient")
    }


def _set_on_call(world: World, membership: Membership | None, hours: int = 4) -> None:
    safety_settings_update(
        actor=world.admin,
        practice=world.practice_a,
        ack_deadline_hours=hours,
        on_call=membership,
        reply_time_statement="We read messages on weekdays, 9 to 5.",
    )


# --- raising --------------------------------------------------------------------------


def test_alert_and_outbox_rows_exist_before_commit_and_delivery_waits_for_it(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """GIVEN a positive risk answer WHEN the alert is raised inside the answers' transaction
    THEN the alert and its pending e-mail exist in that transaction, and the worker is asked
    to deliver (and to check the deadline) only once it commits."""
    with django_capture_on_commit_callbacks() as callbacks:
        alert = raise_alert(world)
        assert RiskAlert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).exists()
        assert (
            AlertNotification.objects.filter(alert=alert, status=NotificationStatus.PENDING).count()
            == 1
        )
        assert DBTaskResult.objects.count() == 0
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    queued = {r.task_path.rsplit(".", 1)[1]: r for r in DBTaskResult.objects.all()}
    assert set(queued) == {"deliver_alert_notifications", "escalate_alert"}
    assert queued["escalate_alert"].run_after == alert.ack_deadline
    assert queued["escalate_alert"].args_kwargs["args"] == [str(alert.public_id)]


def test_rolling_back_the_answers_leaves_no_alert_and_no_email(world: World) -> None:
    """GIVEN the alert is raised in the transaction that saves the answers WHEN that
    transaction fails THEN neither the alert nor its outbox rows nor its audit event remain."""
    audit_before = AuditEvent.objects.count()

    class AnswersFailed(Exception):
        pass

    def save_answers_then_fail() -> None:
        with transaction.atomic():
            alert = raise_alert(world)
            assert RiskAlert.objects.filter(pk=alert.pk).exists()
            raise AnswersFailed

    with pytest.raises(AnswersFailed):
        save_answers_then_fail()
    assert RiskAlert.objects.count() == 0
    assert AlertNotification.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_alert_stores_item_ids_and_deadline_but_no_answer_values(world: World) -> None:
    alert = raise_alert(world, risk_link_ids=["phqa-9", "phqa-suicide-month"])
    assert alert.risk_link_ids == ["phqa-9", "phqa-suicide-month"]
    assert alert.ack_deadline == alert.raised_at + 4 * HOURS
    event = AuditEvent.objects.get(object_public_id=alert.public_id, action="create")
    assert event.object_type == "risk_alert"
    assert event.subject_client_public_id == world.client_1.public_id
    assert set(event.changed_fields) == {"ack_deadline", "risk_link_ids", "status"}
    assert alert.events.get().kind == AlertEventKind.RAISED


def test_raising_twice_for_the_same_answers_gives_one_alert(world: World) -> None:
    first = raise_alert(world)
    again = raise_alert(world, source_public_id=first.source_public_id)
    assert again.pk == first.pk
    assert RiskAlert.objects.count() == 1
    assert AlertNotification.objects.count() == 1


def test_alert_for_a_client_of_another_practice_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="another practice"):
        raise_alert(world, client=world.client_b, practice=world.practice_a)


def test_care_team_clinicians_and_the_on_call_person_are_told_at_once(world: World) -> None:
    """GIVEN a practice with an on-call colleague WHEN an alert is raised THEN the care-team
    clinician and the on-call colleague each get one e-mail; the supervisor does not (yet)."""
    _set_on_call(world, world.colleague.memberships.get(practice=world.practice_a))
    alert = raise_alert(world)
    assert _recipients(alert, NotificationKind.INITIAL) == {
        world.clinician.email,
        world.colleague.email,
    }


def test_a_suspended_clinician_is_not_told(world: World) -> None:
    Membership.objects.filter(user=world.clinician, practice=world.practice_a).update(
        is_active=False
    )
    alert = raise_alert(world)
    # Nobody on the care team can act, so the supervisors are told at once.
    assert _recipients(alert, NotificationKind.INITIAL) == {world.supervisor.email}


def test_without_a_care_team_clinician_the_supervisors_are_told_at_once(world: World) -> None:
    """GIVEN a client with no clinician on the care team WHEN an alert is raised THEN every
    supervisor of the practice gets the first e-mail, so it never goes to nobody."""
    lonely = ClientFactory.create(practice=world.practice_a)
    alert = raise_alert(world, client=lonely, course=None)
    assert _recipients(alert, NotificationKind.INITIAL) == {world.supervisor.email}


def test_the_deadline_comes_from_the_practice_settings(world: World) -> None:
    _set_on_call(world, None, hours=1)
    alert = raise_alert(world)
    assert alert.ack_deadline == alert.raised_at + HOURS


# --- who sees it ----------------------------------------------------------------------------


def test_the_alert_is_on_the_home_of_the_clinician_and_every_supervisor_only(
    world: World,
) -> None:
    alert = raise_alert(world)
    seen = {
        name: [r.alert.pk for r in open_alerts_for_home(actor=user, practice=user_practice)]
        for name, user, user_practice in [
            ("clinician", world.clinician, world.practice_a),
            ("supervisor", world.supervisor, world.practice_a),
            ("colleague", world.colleague, world.practice_a),
            ("admin", world.admin, world.practice_a),
            ("facilitator", world.facilitator, world.practice_a),
            ("client", world.client_user_1, world.practice_a),
            ("clinician_b", world.clinician_b, world.practice_b),
        ]
    }
    assert seen == {
        "clinician": [alert.pk],
        "supervisor": [alert.pk],
        "colleague": [],
        "admin": [],
        "facilitator": [],
        "client": [],
        "clinician_b": [],
    }


def test_the_on_call_person_sees_the_alert_while_on_call(world: World) -> None:
    alert = raise_alert(world)
    on_call = world.colleague.memberships.get(practice=world.practice_a)
    _set_on_call(world, on_call)
    rows = open_alerts_for_home(actor=world.colleague, practice=world.practice_a)
    assert [r.alert for r in rows] == [alert]
    on_call.is_active = False
    on_call.save()
    assert open_alerts_for_home(actor=world.colleague, practice=world.practice_a) == []


def test_home_alerts_take_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(6):
        client = ClientFactory.create(practice=world.practice_a)
        CareTeamMember.objects.create(client=client, user=world.clinician, role="clinician")
        raise_alert(world, client=client, course=None)
    with django_assert_max_num_queries(2):
        rows = open_alerts_for_home(actor=world.clinician, practice=world.practice_a)
        names = [r.alert.client.display_name for r in rows]
    assert len(names) == 6


# --- escalation (mocked clock: `now` is passed in) -------------------------------------------


def test_an_unacknowledged_alert_escalates_at_the_deadline_once(world: World) -> None:
    """GIVEN an alert nobody acknowledged WHEN the deadline passes THEN it is escalated once,
    with one escalation e-mail to every supervisor and the on-call person, however often
    the escalation runs; before the deadline nothing happens."""
    on_call = world.colleague.memberships.get(practice=world.practice_a)
    _set_on_call(world, on_call)
    alert = raise_alert(world)
    deadline = alert.ack_deadline

    assert risk_alerts_escalate_overdue(now=deadline - datetime.timedelta(seconds=1)) == 0
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN

    assert risk_alerts_escalate_overdue(now=deadline) == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ESCALATED
    assert alert.escalated_at == deadline
    assert _recipients(alert, NotificationKind.ESCALATION) == {
        world.supervisor.email,
        world.colleague.email,
    }
    assert alert.events.filter(kind=AlertEventKind.ESCALATED).count() == 1
    audit = AuditEvent.objects.filter(
        object_public_id=alert.public_id, action="update", object_type="risk_alert"
    ).get()
    assert audit.actor is None
    assert set(audit.changed_fields) == {"escalated_at", "status"}

    # Again, later, and through the per-alert deadline task: nothing more happens.
    assert risk_alerts_escalate_overdue(now=deadline + 5 * HOURS) == 0
    assert risk_alert_escalate_if_due(public_id=alert.public_id, now=deadline + 6 * HOURS) is False
    assert alert.notifications.filter(kind=NotificationKind.ESCALATION).count() == 2
    assert alert.events.filter(kind=AlertEventKind.ESCALATED).count() == 1


def test_the_deadline_task_escalates_its_alert(world: World) -> None:
    alert = raise_alert(world)
    assert risk_alert_escalate_if_due(public_id=alert.public_id, now=alert.raised_at) is False
    assert risk_alert_escalate_if_due(public_id=alert.public_id, now=alert.ack_deadline) is True
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ESCALATED


def test_an_acknowledged_alert_never_escalates(world: World) -> None:
    alert = raise_alert(world)
    risk_alert_acknowledge(
        actor=world.clinician, alert=alert, action=AlertAction.CONTACTED_CLIENT, note=""
    )
    assert risk_alerts_escalate_overdue(now=alert.ack_deadline + HOURS) == 0
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED


def test_escalation_without_supervisor_or_on_call_reminds_the_care_team(world: World) -> None:
    Membership.objects.filter(user=world.supervisor).update(is_active=False)
    alert = raise_alert(world)
    risk_alerts_escalate_overdue(now=alert.ack_deadline)
    assert _recipients(alert, NotificationKind.ESCALATION) == {world.clinician.email}


# --- acknowledgement ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinician", "supervisor"])
def test_care_team_clinician_or_supervisor_acknowledges_with_an_action(
    world: World, who: str
) -> None:
    """GIVEN an open alert WHEN a care-team clinician or a supervisor records what they did
    THEN it is acknowledged by them, its pending e-mails are no longer needed, and both the
    alert history and the audit trail have the step (field names only)."""
    actor = getattr(world, who)
    alert = raise_alert(world)
    risk_alert_acknowledge(
        actor=actor, alert=alert, action=AlertAction.RISK_ASSESSMENT, note="Spoke at length."
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == actor
    assert alert.action == AlertAction.RISK_ASSESSMENT
    assert alert.action_note == "Spoke at length."
    assert set(alert.notifications.values_list("status", flat=True)) == {"cancelled"}
    event = alert.events.get(kind=AlertEventKind.ACKNOWLEDGED)
    assert event.actor == actor
    audit = AuditEvent.objects.get(object_public_id=alert.public_id, action="update", actor=actor)
    assert set(audit.changed_fields) == {
        "status",
        "acknowledged_at",
        "acknowledged_by",
        "action",
        "action_note",
    }


def test_the_action_note_is_encrypted_at_rest(world: World) -> None:
    alert = raise_alert(world)
    risk_alert_acknowledge(
        actor=world.clinician, alert=alert, action=AlertAction.OTHER, note="Canary-7781 text"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT action_note FROM safety_riskalert WHERE id = %s", [alert.pk])
        stored = cursor.fetchone()[0]
    assert "Canary-7781" not in stored
    assert stored.startswith("enc1:")


def test_the_on_call_person_may_acknowledge(world: World) -> None:
    alert = raise_alert(world)
    with pytest.raises(PermissionDenied):
        risk_alert_acknowledge(
            actor=world.colleague, alert=alert, action=AlertAction.CONTACTED_CLIENT
        )
    _set_on_call(world, world.colleague.memberships.get(practice=world.practice_a))
    risk_alert_acknowledge(actor=world.colleague, alert=alert, action=AlertAction.CONTACTED_CLIENT)
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.colleague


@pytest.mark.parametrize(
    "who", ["colleague", "admin", "facilitator", "client_user_1", "clinician_b"]
)
def test_people_outside_the_alert_cannot_acknowledge_it(world: World, who: str) -> None:
    alert = raise_alert(world)
    with pytest.raises(PermissionDenied):
        risk_alert_acknowledge(
            actor=getattr(world, who), alert=alert, action=AlertAction.CONTACTED_CLIENT
        )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_other_needs_a_description_and_the_action_must_be_known(world: World) -> None:
    """GIVEN an open alert WHEN it is acknowledged as "other" without saying what was done,
    or with an unknown action THEN it is refused with a clear message and stays open."""
    alert = raise_alert(world)
    with pytest.raises(ValidationError) as other:
        risk_alert_acknowledge(actor=world.clinician, alert=alert, action="other", note="  ")
    assert other.value.message_dict == {"note": ["Describe what you did."]}
    with pytest.raises(ValidationError) as unknown:
        risk_alert_acknowledge(actor=world.clinician, alert=alert, action="shrugged")
    assert unknown.value.message_dict == {"action": ["Choose what you did."]}
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert not alert.events.filter(kind=AlertEventKind.ACKNOWLEDGED).exists()


def test_a_second_acknowledgement_is_refused_and_says_who_was_first(world: World) -> None:
    alert = raise_alert(world)
    risk_alert_acknowledge(
        actor=world.clinician, alert=alert, action=AlertAction.SAFETY_PLAN_REVIEWED
    )
    with pytest.raises(AlreadyAcknowledged, match="Clara Clinician already acknowledged"):
        risk_alert_acknowledge(
            actor=world.supervisor, alert=alert, action=AlertAction.EMERGENCY_SERVICES
        )
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.action) == (world.clinician, "safety_plan_reviewed")


def test_an_escalated_alert_can_still_be_acknowledged(world: World) -> None:
    alert = raise_alert(world)
    risk_alerts_escalate_overdue(now=alert.ack_deadline)
    risk_alert_acknowledge(
        actor=world.supervisor, alert=alert, action=AlertAction.EMERGENCY_SERVICES
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    kinds = list(alert.events.values_list("kind", flat=True))
    assert kinds == ["raised", "escalated", "acknowledged"]
    assert open_alerts_for_home(actor=world.supervisor, practice=world.practice_a) == []


def test_overdue_alerts_come_first_on_the_home(world: World) -> None:
    older = raise_alert(world)
    newer = raise_alert(world)
    RiskAlert.objects.filter(pk=newer.pk).update(ack_deadline=timezone.now() - HOURS)
    rows = open_alerts_for_home(actor=world.clinician, practice=world.practice_a)
    assert [(r.alert.pk, r.overdue) for r in rows] == [(newer.pk, True), (older.pk, False)]


def test_only_practice_admins_change_safety_settings(world: World) -> None:
    with pytest.raises(PermissionDenied):
        safety_settings_update(
            actor=world.supervisor,
            practice=world.practice_a,
            ack_deadline_hours=2,
            on_call=None,
            reply_time_statement="Weekdays.",
        )
    with pytest.raises(ValidationError) as bad:
        safety_settings_update(
            actor=world.admin,
            practice=world.practice_a,
            ack_deadline_hours=0,
            on_call=world.clinician_b.memberships.get(),
            reply_time_statement=" ",
        )
    assert set(bad.value.message_dict) == {"ack_deadline_hours", "on_call", "reply_time_statement"}
    client_membership = Membership.objects.get(user=world.client_user_1)
    assert client_membership.role == Role.CLIENT
    with pytest.raises(ValidationError, match="active clinician or supervisor"):
        _set_on_call(world, client_membership)
