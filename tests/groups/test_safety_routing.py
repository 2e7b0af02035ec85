"""A member's positive self-harm answer goes into the same safety loop as individual care,
routed first to the supervisors of the member's facilitator."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from openipt.groups.models import SupervisionAssignment
from openipt.groups.services.scoring import (
    SESSION_SCORE_SOURCE,
    member_risk_alert_raise,
    score_member_answers,
)
from openipt.safety.models import AlertNotification, NotificationKind, RiskAlert
from openipt.safety.selectors import alert_get_for_actor, alerts_visible_to
from openipt.safety.services import risk_alerts_escalate_overdue
from tests.groups.world import GroupWorld, phq9_answers


def _raise_for(gw: GroupWorld, *, facilitator_member_index: int = 0) -> RiskAlert:
    member = gw.members[facilitator_member_index]
    score = score_member_answers(
        practice=gw.world.practice_a, answers=phq9_answers(2, 2, 2, 1, 1, 1, 1, 1, 1)
    )
    alert = member_risk_alert_raise(
        practice=gw.world.practice_a,
        client=member.client,
        facilitator=gw.facilitator,
        source_type=SESSION_SCORE_SOURCE,
        source_public_id=uuid.uuid4(),
        score=score,
        raised_by=gw.facilitator,
    )
    assert alert is not None
    return alert


def _recipients(alert: RiskAlert, kind: str) -> set[str]:
    return {
        n.recipient.email
        for n in AlertNotification.objects.filter(alert=alert, kind=kind).select_related(
            "recipient"
        )
    }


def test_no_alert_without_a_positive_risk_item(group_world: GroupWorld) -> None:
    gw = group_world
    score = score_member_answers(
        practice=gw.world.practice_a, answers=phq9_answers(3, 3, 3, 3, 3, 3, 3, 3, 0)
    )
    assert score.total == 24
    alert = member_risk_alert_raise(
        practice=gw.world.practice_a,
        client=gw.members[0].client,
        facilitator=gw.facilitator,
        source_type=SESSION_SCORE_SOURCE,
        source_public_id=uuid.uuid4(),
        score=score,
        raised_by=gw.facilitator,
    )
    assert alert is None
    assert not RiskAlert.objects.exists()


def test_member_alert_is_told_to_the_facilitators_supervisor_only(group_world: GroupWorld) -> None:
    """GIVEN Sam supervises Fay and Sue supervises Finn WHEN one of Fay's members answers
    item 9 above zero THEN Sam is told and sees the alert; Sue is not told and does not see it."""
    gw = group_world
    alert = _raise_for(gw)
    assert alert.course is None
    assert alert.risk_link_ids == ["phq9-9"]
    assert _recipients(alert, NotificationKind.INITIAL) == {gw.supervisor.email}
    assert alert in set(alerts_visible_to(actor=gw.supervisor))
    assert alert not in set(alerts_visible_to(actor=gw.supervisor_2))
    # The world's clinicians are on no group care team: they neither see it nor are told.
    assert alert not in set(alerts_visible_to(actor=gw.world.clinician))
    assert alert_get_for_actor(actor=gw.supervisor, public_id=alert.public_id) == alert


def test_an_escalated_member_alert_reaches_every_supervisor_of_the_site(
    group_world: GroupWorld,
) -> None:
    """GIVEN Sam has not acknowledged a member's alert WHEN its deadline passes THEN it is
    escalated to every supervisor of the site, and Sue now sees it too."""
    gw = group_world
    alert = _raise_for(gw)
    later = timezone.now() + datetime.timedelta(hours=5)
    assert risk_alerts_escalate_overdue(now=later) == 1
    assert _recipients(alert, NotificationKind.ESCALATION) == {
        gw.supervisor.email,
        gw.supervisor_2.email,
    }
    assert alert in set(alerts_visible_to(actor=gw.supervisor_2))


def test_without_a_supervisor_every_site_supervisor_is_told_and_can_act(
    group_world: GroupWorld,
) -> None:
    """GIVEN Fay's supervision assignment has ended WHEN her member answers item 9 above zero
    THEN every supervisor of the site is told at once and each can see the alert."""
    gw = group_world
    SupervisionAssignment.objects.filter(facilitator=gw.facilitator).update(is_active=False)
    alert = _raise_for(gw)
    assert _recipients(alert, NotificationKind.INITIAL) == {
        gw.supervisor.email,
        gw.supervisor_2.email,
    }
    assert alert in set(alerts_visible_to(actor=gw.supervisor_2))
    assert alert in set(alerts_visible_to(actor=gw.supervisor))
