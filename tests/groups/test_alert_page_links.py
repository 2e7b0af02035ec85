"""The safety alert page of an alert about a group member links to the group pages.

The alert page lives in the safety app; for an alert raised by a group member's
PHQ-9 it names them a group member and links to their member page (and, for a
session score, the group session), each only for a viewer who may open it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.groups.models import MemberScore, Screening
from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import group_session_record
from openipt.safety.models import AlertStatus, RiskAlert
from tests.groups.world import GroupWorld, phq9_answers
from tests.measures.helpers import phq9_answers as phq9_form_answers
from tests.safety.helpers import raise_alert

pytestmark = pytest.mark.django_db

Login = Callable[[User | None], HttpClient]
CALM = phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0)
RISK = phq9_answers(2, 2, 2, 1, 1, 1, 1, 1, 1)


def _alert_page(http: HttpClient, alert: RiskAlert) -> str:
    response = http.get(reverse("safety:alert_detail", args=[alert.public_id]))
    assert response.status_code == 200
    return str(response.content.decode())


def _session_alert(gw: GroupWorld) -> RiskAlert:
    """Grace answers the self-harm question in session 1 of Fay's group."""
    entries = [
        MemberEntry(m.public_id, True, RISK if index == 0 else CALM)
        for index, m in enumerate(gw.members)
    ]
    result = group_session_record(
        actor=gw.facilitator,
        group=gw.group,
        number=1,
        held_on=timezone.localdate(),
        entries=entries,
    )
    (alert,) = result.alerts
    return alert


def test_the_supervisor_gets_the_member_and_session_links(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN a self-harm answer in a group session, alerting Sam (Fay's supervisor)
    WHEN Sam opens the alert
    THEN it calls Grace a group member and links to her member page and the session."""
    gw = group_world
    alert = _session_alert(gw)
    score = MemberScore.objects.get(public_id=alert.source_public_id)
    assert score.session is not None
    html = _alert_page(client_for(gw.supervisor), alert)
    assert "The group member answered a risk question" in html
    assert "<dt>Group member</dt>" in html and "<dt>Client</dt>" not in html
    assert reverse("groups:member_detail", args=[gw.members[0].public_id]) in html
    session_url = reverse("groups:session_detail", args=[score.session.public_id])
    assert f'<a href="{session_url}">Tuesday group, session 1</a>' in html


def test_a_supervisor_who_cannot_see_the_member_gets_no_links(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN the alert escalated, so that Sue (who supervises Finn, not Fay) sees it too
    WHEN Sue opens it
    THEN it still says group member, with no link to Fay's member or session pages."""
    gw = group_world
    alert = _session_alert(gw)
    alert.status = AlertStatus.ESCALATED
    alert.save(update_fields=["status"])
    html = _alert_page(client_for(gw.supervisor_2), alert)
    assert "<dt>Group member</dt>" in html
    assert reverse("groups:member_detail", args=[gw.members[0].public_id]) not in html
    assert "/groups/sessions/" not in html


def test_a_screening_alert_links_to_the_screening(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    data: dict[str, Any] = {
        "given_name": "Nia",
        "family_name": "Moyo",
        "date_of_birth": "1988-03-09",
        "gender": "woman",
        "phone": "",
        "submission_key": "k" * 32,
        **phq9_form_answers((2, 2, 2, 2, 1, 1, 1, 1, 1)),
    }
    assert client_for(gw.facilitator).post("/groups/screen/", data).status_code == 302
    screening = Screening.objects.get(client__family_name="Moyo")
    alert = RiskAlert.objects.get(source_public_id=screening.public_id)
    html = _alert_page(client_for(gw.supervisor), alert)
    assert "<dt>Person screened for a group</dt>" in html
    assert reverse("groups:screening_detail", args=[screening.public_id]) in html


def test_a_clinic_alert_page_is_unchanged(group_world: GroupWorld, client_for: Login) -> None:
    world = group_world.world
    alert = raise_alert(world)
    html = _alert_page(client_for(world.clinician), alert)
    assert "<dt>Client</dt>" in html and "The client answered" in html
    assert "Group member" not in html and "/groups/" not in html
