"""The safety pages: alert queue and alert page, home panel, crisis page, admin settings."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from django.db import connection
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.practice.models import CareTeamMember
from openipt.safety.models import AlertStatus, CrisisResource, RiskAlert, SafetySettings
from openipt.safety.selectors import open_alerts_for_home
from openipt.safety.services import (
    crisis_resource_create,
    risk_alert_acknowledge,
    risk_alerts_escalate_overdue,
)
from tests.factories import ClientFactory
from tests.safety.helpers import raise_alert
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]
HOUR = datetime.timedelta(hours=1)
INLINE = re.compile(r"<style\b|\sstyle=\"|<script(?![^>]*\bsrc=)", re.IGNORECASE)


def _detail(alert: RiskAlert) -> str:
    return reverse("safety:alert_detail", kwargs={"public_id": alert.public_id})


def _ack(alert: RiskAlert) -> str:
    return reverse("safety:alert_acknowledge", kwargs={"public_id": alert.public_id})


# --- alert page ---------------------------------------------------------------------------


def test_alert_page_shows_the_facts_history_and_form_and_is_audited(
    world: World, client_for: ClientFor
) -> None:
    alert = raise_alert(world)
    response = client_for(world.clinician).get(_detail(alert))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alice Anders" in body and "Item 9: Thoughts that you would be better off dead" in body
    assert "it is not a risk assessment" in body
    assert 'name="action"' in body and "Contacted the client" in body
    assert "entered by Clara Clinician" in body
    assert not INLINE.search(body)
    assert AuditEvent.objects.filter(
        object_public_id=alert.public_id, action="view", actor=world.clinician
    ).exists()


def test_acknowledging_through_the_page(world: World, client_for: ClientFor) -> None:
    alert = raise_alert(world)
    http = client_for(world.supervisor)
    response = http.post(_ack(alert), {"action": "contacted_client", "note": ""})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    page = http.get(_detail(alert)).content.decode()
    assert "Acknowledged" in page and "Contacted the client" in page
    assert 'name="action"' not in page


def test_acknowledging_without_an_action_or_other_without_a_note_explains_why(
    world: World, client_for: ClientFor
) -> None:
    alert = raise_alert(world)
    http = client_for(world.clinician)
    missing = http.post(_ack(alert), {"note": "Tried to call"})
    assert missing.status_code == 400
    assert "Choose what you did." in missing.content.decode()
    assert "Tried to call" in missing.content.decode()
    other = http.post(_ack(alert), {"action": "other", "note": ""})
    assert other.status_code == 400
    assert "Describe what you did." in other.content.decode()
    nonsense = http.post(_ack(alert), {"action": "<script>", "note": ""})
    assert nonsense.status_code == 400
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_a_second_acknowledgement_gets_a_clear_conflict(
    world: World, client_for: ClientFor
) -> None:
    alert = raise_alert(world)
    client_for(world.clinician).post(_ack(alert), {"action": "risk_assessment"})
    again = client_for(world.supervisor).post(_ack(alert), {"action": "emergency_services"})
    assert again.status_code == 409
    assert "Clara Clinician already acknowledged this alert" in again.content.decode()


def test_alert_pages_are_404_for_outsiders(world: World, client_for: ClientFor) -> None:
    alert = raise_alert(world)
    for who in (
        world.colleague,
        world.admin,
        world.facilitator,
        world.client_user_1,
        world.clinician_b,
        world.programme_manager,
    ):
        http = client_for(who)
        assert http.get(_detail(alert)).status_code == 404
        assert http.post(_ack(alert), {"action": "contacted_client"}).status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_the_queue_lists_open_alerts_first_in_constant_queries(
    world: World, client_for: ClientFor, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    http = client_for(world.supervisor)
    url = reverse("safety:alerts")
    raise_alert(world)
    http.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        http.get(url)
    for _ in range(5):
        client = ClientFactory.create(practice=world.practice_a)
        CareTeamMember.objects.create(client=client, user=world.clinician, role="clinician")
        raise_alert(world, client=client, course=None)
    overdue = raise_alert(world, client=world.client_2, course=None)
    RiskAlert.objects.filter(pk=overdue.pk).update(ack_deadline=timezone.now() - HOUR)
    assert risk_alerts_escalate_overdue() == 1
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(url)
    body = response.content.decode()
    assert body.count('class="overdue"') == 1
    assert "Escalated" in body
    assert body.index("Bob Brown") < body.index("Alice Anders")


# --- home panel (the lead includes it on the caseload page) ------------------------------


def test_home_panel_lists_the_actors_open_alerts_with_links(world: World) -> None:
    alert = raise_alert(world)
    request = RequestFactory().get("/")
    request.user = world.clinician
    rows = open_alerts_for_home(actor=world.clinician, practice=world.practice_a)
    html = render_to_string(
        "safety/partials/home_alerts.html", {"open_alerts": rows}, request=request
    )
    assert "Risk alerts to acknowledge (1)" in html
    assert "Alice Anders" in html
    assert _detail(alert) in html
    assert not INLINE.search(html)
    nothing = render_to_string("safety/partials/home_alerts.html", {"open_alerts": []})
    assert nothing.strip() == ""


# --- crisis page ------------------------------------------------------------------------------


def _resource(world: World, language: str, name: str) -> None:
    crisis_resource_create(
        actor=world.admin,
        practice=world.practice_a,
        language=language,
        name=name,
        contact="Call 0800 000 000",
    )


def test_crisis_page_shows_the_clients_language_then_english(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN resources in English and Spanish WHEN a Spanish-speaking client opens the crisis
    page THEN the Spanish ones are shown; a French-speaking client, for whom there are none,
    sees the English ones, marked as such; both see when messages are read."""
    _resource(world, "en", "Samaritans-like line")
    _resource(world, "es", "Línea de ayuda")
    world.client_1.language = "es"
    world.client_1.save()
    world.client_2.language = "fr"
    world.client_2.save()
    spanish = client_for(world.client_user_1).get(reverse("safety:crisis")).content.decode()
    assert "Línea de ayuda" in spanish and "Samaritans-like line" not in spanish
    french = client_for(world.client_user_2).get(reverse("safety:crisis")).content.decode()
    assert "Samaritans-like line" in french and "Línea de ayuda" not in french
    assert "listed in English" in french
    assert "We read messages during the practice" in french


def test_crisis_page_never_shows_another_practices_resources(
    world: World, client_for: ClientFor
) -> None:
    _resource(world, "en", "Riverside night line")
    page = client_for(world.client_user_b).get(reverse("safety:crisis"))
    assert page.status_code == 200
    assert "Riverside night line" not in page.content.decode()
    assert "Hillside" in page.content.decode()


def test_crisis_page_is_open_to_every_signed_in_person_and_no_one_else(
    world: World, client_for: ClientFor
) -> None:
    url = reverse("safety:crisis")
    for user in world.users_by_role_name().values():
        assert client_for(user).get(url).status_code == 200
    assert client_for(None).get(url).status_code == 302


# --- practice administration ----------------------------------------------------------------


def test_admin_sets_the_deadline_on_call_and_statement(world: World, client_for: ClientFor) -> None:
    http = client_for(world.admin)
    on_call = world.colleague.memberships.get(practice=world.practice_a)
    response = http.post(
        reverse("safety:settings"),
        {
            "ack_deadline_hours": "2",
            "on_call": str(on_call.pk),
            "reply_time_statement": "Messages are read on weekdays between 9 and 5.",
        },
    )
    assert response.status_code == 302
    saved = SafetySettings.objects.get(practice=world.practice_a)
    assert (saved.ack_deadline_hours, saved.on_call) == (2, on_call)
    audit = AuditEvent.objects.get(object_type="safety_settings")
    assert set(audit.changed_fields) == {"ack_deadline_hours", "on_call", "reply_time_statement"}
    bad = http.post(
        reverse("safety:settings"),
        {"ack_deadline_hours": "0", "on_call": "", "reply_time_statement": "Typed text"},
    )
    assert bad.status_code == 400
    assert "Typed text" in bad.content.decode()
    # Another practice's clinician is not offered and not accepted.
    foreign = world.clinician_b.memberships.get()
    assert (
        http.post(
            reverse("safety:settings"),
            {"ack_deadline_hours": "2", "on_call": str(foreign.pk), "reply_time_statement": "x"},
        ).status_code
        == 400
    )


def test_admin_adds_edits_and_removes_a_crisis_resource(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.admin)
    added = http.post(
        reverse("safety:crisis_resources"),
        {"language": "en", "name": "Night line", "contact": "Call 116 123", "order": "1"},
    )
    assert added.status_code == 302
    resource = CrisisResource.objects.get()
    edit_url = reverse("safety:crisis_resource_edit", kwargs={"public_id": resource.public_id})
    edited = http.post(
        edit_url, {"language": "en", "name": "Night line", "contact": "Text 85258", "order": "1"}
    )
    assert edited.status_code == 302
    resource.refresh_from_db()
    assert resource.contact == "Text 85258"
    invalid = http.post(edit_url, {"language": "xx", "name": "", "contact": "", "order": "1"})
    assert invalid.status_code == 400
    removed = http.post(
        reverse("safety:crisis_resource_remove", kwargs={"public_id": resource.public_id})
    )
    assert removed.status_code == 302
    resource.refresh_from_db()
    assert resource.archived
    assert (
        "Night line"
        not in client_for(world.client_user_1).get(reverse("safety:crisis")).content.decode()
    )
    actions = list(
        AuditEvent.objects.filter(object_type="crisis_resource")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "archive"]


def test_admin_pages_are_refused_to_everyone_but_practice_admins(
    world: World, client_for: ClientFor
) -> None:
    for who in (world.clinician, world.supervisor, world.client_user_1, world.clinician_b):
        http = client_for(who)
        assert http.get(reverse("safety:settings")).status_code == 403
        assert http.get(reverse("safety:crisis_resources")).status_code == 403


def test_course_and_session_pages_lead_with_the_clients_unacknowledged_alert(
    world: World, client_for: Callable[[User | None], HttpClient]
) -> None:
    """GIVEN an open risk alert for Alice WHEN her clinician opens her course overview or a
    session page THEN the alert is named first with a link; once acknowledged it is gone."""
    alert = raise_alert(world)
    http = client_for(world.clinician)
    course = world.course_1
    pages = [
        reverse("courses:overview", kwargs={"public_id": course.public_id}),
        reverse(
            "courses:session_detail",
            kwargs={"public_id": course.public_id, "session_id": world.session_1.public_id},
        ),
    ]
    link = reverse("safety:alert_detail", kwargs={"public_id": alert.public_id})
    for url in pages:
        body = http.get(url).content.decode()
        assert "Risk alert not yet acknowledged" in body and link in body, url
    risk_alert_acknowledge(actor=world.clinician, alert=alert, action="contacted_client", note="")
    for url in pages:
        assert "Risk alert not yet acknowledged" not in http.get(url).content.decode(), url
