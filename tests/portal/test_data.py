"""My data: the JSON and readable copies, and who accessed the record."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from openipt.appointments.models import Appointment, AppointmentStatus
from openipt.appointments.services.appointments import appointment_create
from openipt.audit.models import AuditEvent
from openipt.courses.services.client_portal import experiment_report
from openipt.diary.services import diary_entry_save
from openipt.measures.services import measure_submit
from openipt.messaging.services.messages import message_send
from openipt.practice.services import client_record_viewed
from openipt.safety.services.plans import PlanSections, safety_plan_save
from tests.measures.helpers import phq9_answers
from tests.portal.helpers import FORMULATION_V2, PROCESS_NOTE_TEXT, ClientFor, build_plan
from tests.portal.helpers_queries import queries_for
from tests.world import World

pytestmark = pytest.mark.django_db


def seed_everything(world: World) -> None:
    plan = build_plan(world)
    experiment_report(
        actor=world.client_user_1,
        experiment=plan.experiment,
        outcome="done",
        what_happened="We talked on Sunday.",
    )
    diary_entry_save(
        actor=world.client_user_1,
        client=world.client_1,
        day=timezone.localdate(),
        mood=6,
        note="A calmer day.",
        people_ids=[world.person_1.public_id],
    )
    measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="phq9",
        answers=phq9_answers(),
        administered_at=timezone.now(),
    )
    safety_plan_save(
        actor=world.clinician,
        client=world.client_1,
        sections=PlanSections(warning_signs="Not sleeping."),
        base_version=0,
        reviewed_with_client=True,
    )
    message_send(
        actor=world.client_user_1,
        client=world.client_1,
        body="Can we move Tuesday?",
        idempotency_key=uuid.uuid4().hex,
    )
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=2)
    appointment_create(
        actor=world.clinician,
        client=world.client_1,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=50),
        location="Room 2",
    )
    # A year-old appointment: "my data" holds everything, not only the recent past.
    long_ago = start - datetime.timedelta(days=400)
    Appointment.objects.create(
        practice=world.practice_a,
        client=world.client_1,
        clinician=world.clinician,
        created_by=world.clinician,
        starts_at=long_ago,
        ends_at=long_ago + datetime.timedelta(minutes=50),
        location="Old room",
        status=AppointmentStatus.COMPLETED,
    )


def test_the_json_holds_the_clients_data_and_no_process_note(
    world: World, client_for: ClientFor
) -> None:
    seed_everything(world)
    response = client_for(world.client_user_1).get(reverse("portal:data_json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    raw = response.content.decode()
    assert PROCESS_NOTE_TEXT not in raw
    assert "First meeting." not in raw  # the session's write-up (interval history)
    data = json.loads(raw)
    assert data["client"]["given_name"] == "Alice"
    course = data["courses"][0]
    assert course["sessions"] == [{"number": 1, "date": "2026-09-01", "attendance": "attended"}]
    assert course["formulation"][-1]["text"] == FORMULATION_V2
    assert course["goals"][0]["text"] == "Talk with Sam about the chores."
    assert course["contract"][0]["sessions"] == 16
    experiment = course["experiments"][0]
    assert experiment["with"] == "Sam"
    assert experiment["my_report"]["what_happened"] == "We talked on Sunday."
    assert data["diary"][0]["note"] == "A calmer day."
    assert data["diary"][0]["people"] == ["Sam"]
    assert data["questionnaires"][0]["code"] == "phq9"
    assert data["questionnaires"][0]["total"] == 8
    assert data["safety_plan"]["sections"][0]["text"] == "Not sleeping."
    assert data["messages"][0]["text"] == "Can we move Tuesday?"
    assert data["messages"][0]["from"] == "me"
    assert [a["location"] for a in data["appointments"]] == ["Old room", "Room 2"]
    assert AuditEvent.objects.filter(
        action="export", object_type="client_data_json", actor=world.client_user_1
    ).exists()


def test_the_readable_copy_shows_the_same_without_process_notes(
    world: World, client_for: ClientFor
) -> None:
    seed_everything(world)
    response = client_for(world.client_user_1).get(reverse("portal:data_copy"))
    page = response.content.decode()
    assert response.status_code == 200
    assert FORMULATION_V2 in page
    assert "We talked on Sunday." in page
    assert "A calmer day." in page
    assert "Not sleeping." in page
    assert "Can we move Tuesday?" in page
    assert PROCESS_NOTE_TEXT not in page
    assert AuditEvent.objects.filter(action="export", object_type="client_data_copy").exists()


def test_the_access_log_shows_who_looked_at_the_record(world: World, client_for: ClientFor) -> None:
    client_record_viewed(actor=world.clinician, client=world.client_1)
    http = client_for(world.client_user_1)
    http.get(reverse("portal:home"))  # the client's own visit is not listed
    page = http.get(reverse("portal:access_log")).content.decode()
    assert "Clara Clinician" in page
    assert "Clinician" in page
    assert "Looked at your record" in page
    assert "Alice Anders" not in page


def test_the_access_log_of_another_client_is_not_shown(world: World, client_for: ClientFor) -> None:
    client_record_viewed(actor=world.clinician, client=world.client_2)
    page = client_for(world.client_user_1).get(reverse("portal:access_log")).content.decode()
    assert "Clara Clinician" not in page


def test_the_access_log_has_a_constant_number_of_queries(
    world: World, client_for: ClientFor
) -> None:
    client_record_viewed(actor=world.clinician, client=world.client_1)
    http = client_for(world.client_user_1)
    before = queries_for(http, reverse("portal:access_log"))
    for who in (world.supervisor, world.admin, world.clinician):
        client_record_viewed(actor=who, client=world.client_1)
    assert queries_for(http, reverse("portal:access_log")) == before


def test_each_client_downloads_only_their_own_data(world: World, client_for: ClientFor) -> None:
    seed_everything(world)
    raw = client_for(world.client_user_2).get(reverse("portal:data_json")).content.decode()
    data = json.loads(raw)
    assert data["client"]["given_name"] == "Bob"
    assert data["courses"] == [] and data["diary"] == []
    assert "Sam" not in raw


@pytest.mark.parametrize("name", ["portal:data", "portal:data_json", "portal:data_copy"])
def test_staff_have_no_portal_data(world: World, client_for: ClientFor, name: str) -> None:
    assert client_for(world.clinician).get(reverse(name)).status_code == 404
