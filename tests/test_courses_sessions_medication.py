"""Medication alongside the course (protocol note §1): record, edit, dose changes, events."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.courses.models import CourseStatus, Medication, MedicationChange
from openipt.courses.selectors.sessions import MedicationEvent, medication_events
from openipt.courses.services.medication import (
    MedicationData,
    medication_add,
    medication_change_add,
)
from tests.test_courses_sessions import CANARY, raw_column
from tests.test_courses_sessions_views import text_of
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def course_kwargs(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id}


def medication_form(**overrides: str) -> dict[str, str]:
    data = {
        "agent": "Sertraline",
        "dose": "50 mg once a day",
        "prescriber": "Dr Okafor (GP)",
        "start_date": "2026-08-15",
        "stop_date": "",
        "adherence": "good",
        "side_effects": "Some nausea in the first week.",
        "notes": "Started before the course.",
    }
    data.update(overrides)
    return data


def sertraline(world: World, **overrides: Any) -> Medication:
    values: dict[str, Any] = {
        "agent": "Sertraline",
        "dose": "50 mg",
        "start_date": datetime.date(2026, 8, 15),
    }
    values.update(overrides)
    return medication_add(
        actor=world.clinician, course=world.course_1, data=MedicationData(**values)
    )


def test_adding_medication_through_the_page(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    url = reverse("courses:medication_new", kwargs=course_kwargs(world))
    response = http.post(url, medication_form())
    assert response.status_code == 302
    medication = Medication.objects.get()
    assert (medication.agent, medication.dose, medication.adherence) == (
        "Sertraline",
        "50 mg once a day",
        "good",
    )
    page = text_of(http.get(reverse("courses:medication", kwargs=course_kwargs(world))))
    assert "Sertraline" in page
    assert "Some nausea in the first week." in page
    event = AuditEvent.objects.get(object_type="medication")
    assert "side_effects" in event.changed_fields
    assert "Some nausea" not in str(event.changed_fields)


def test_a_stop_date_before_the_start_date_is_refused(world: World, client_for: ClientFor) -> None:
    """GIVEN a medication started on 15 August WHEN it is recorded as stopped on 1 August
    THEN it is refused (400, typed text kept), through the page and the service."""
    url = reverse("courses:medication_new", kwargs=course_kwargs(world))
    response = client_for(world.clinician).post(url, medication_form(stop_date="2026-08-01"))
    assert response.status_code == 400
    assert "The stop date cannot be before the start date." in text_of(response)
    assert "Some nausea in the first week." in text_of(response)
    with pytest.raises(ValidationError) as caught:
        sertraline(world, stop_date=datetime.date(2026, 8, 1))
    assert "stop_date" in caught.value.message_dict
    assert not Medication.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"agent": ""}, "This field is required."),
        ({"start_date": "soon"}, "Enter a valid date."),
        ({"adherence": "always"}, "Select a valid choice."),
        ({"side_effects": "x" * 20_001}, "at most 20000 characters"),
    ],
)
def test_bad_medication_input_is_a_400(
    world: World, client_for: ClientFor, overrides: dict[str, str], message: str
) -> None:
    url = reverse("courses:medication_new", kwargs=course_kwargs(world))
    response = client_for(world.clinician).post(url, medication_form(**overrides))
    assert response.status_code == 400
    assert message in text_of(response)
    assert "Started before the course." in text_of(response)


def test_editing_medication_and_the_stale_edit(world: World, client_for: ClientFor) -> None:
    """GIVEN two people opened the edit page of one medication
    WHEN the first saves and then the second THEN the second gets 409 with their text kept."""
    medication = sertraline(world)
    url = reverse(
        "courses:medication_edit",
        kwargs={**course_kwargs(world), "medication_id": medication.public_id},
    )
    http = client_for(world.clinician)
    page = text_of(http.get(url))
    opened = page.split('name="updated" value="')[1].split('"')[0]
    first = http.post(url, medication_form(adherence="partial", updated=opened))
    assert first.status_code == 302
    medication.refresh_from_db()
    assert medication.adherence == "partial"
    second = http.post(url, medication_form(side_effects="Dry mouth now.", updated=opened))
    assert second.status_code == 409
    assert "Dry mouth now." in text_of(second)
    medication.refresh_from_db()
    assert medication.side_effects == "Some nausea in the first week."


def test_dose_changes_are_recorded_and_kept_in_order(world: World, client_for: ClientFor) -> None:
    medication = sertraline(world)
    url = reverse(
        "courses:medication_change",
        kwargs={**course_kwargs(world), "medication_id": medication.public_id},
    )
    http = client_for(world.clinician)
    assert (
        http.post(
            url, {"date": "2026-09-20", "dose": "100 mg", "note": "Little effect."}
        ).status_code
        == 302
    )
    change = MedicationChange.objects.get()
    assert (change.dose, change.note) == ("100 mg", "Little effect.")
    page = text_of(http.get(reverse("courses:medication", kwargs=course_kwargs(world))))
    assert "100 mg" in page
    assert AuditEvent.objects.filter(object_type="medication_change", action="create").exists()


def test_a_dose_change_outside_the_medication_dates_is_refused(
    world: World, client_for: ClientFor
) -> None:
    medication = sertraline(world, stop_date=datetime.date(2026, 10, 1))
    url = reverse(
        "courses:medication_change",
        kwargs={**course_kwargs(world), "medication_id": medication.public_id},
    )
    http = client_for(world.clinician)
    before = http.post(url, {"date": "2026-08-01", "dose": "25 mg", "note": "Kept text"})
    after = http.post(url, {"date": "2026-10-02", "dose": "25 mg", "note": ""})
    assert before.status_code == after.status_code == 400
    assert "cannot be before the medication was started" in text_of(before)
    assert "Kept text" in text_of(before)
    assert "cannot be after the medication was stopped" in text_of(after)
    assert not MedicationChange.objects.exists()


def test_medication_events_for_the_timeline(world: World) -> None:
    """GIVEN sertraline started 15 Aug at 50 mg, raised to 100 mg on 20 Sep, stopped 1 Dec
    WHEN the timeline asks for medication events THEN it gets start, change and stop in
    date order, each with the dose in force."""
    medication = sertraline(world, stop_date=datetime.date(2026, 12, 1))
    medication_change_add(
        actor=world.clinician, medication=medication, date=datetime.date(2026, 9, 20), dose="100 mg"
    )
    events = medication_events(course=world.course_1)
    assert events == [
        MedicationEvent(
            datetime.date(2026, 8, 15), "start", medication.public_id, "Sertraline", "50 mg"
        ),
        MedicationEvent(
            datetime.date(2026, 9, 20), "change", medication.public_id, "Sertraline", "100 mg"
        ),
        MedicationEvent(
            datetime.date(2026, 12, 1), "stop", medication.public_id, "Sertraline", "100 mg"
        ),
    ]


def test_medication_text_is_encrypted(world: World) -> None:
    medication = sertraline(world, side_effects=CANARY, notes=CANARY)
    for column in ("side_effects", "notes"):
        stored = raw_column(Medication._meta.db_table, column, medication.pk)
        assert stored.startswith("enc1:")
        assert CANARY not in stored


def test_a_closed_course_keeps_medication_read_only(world: World, client_for: ClientFor) -> None:
    medication = sertraline(world)
    world.course_1.status = CourseStatus.CLOSED
    world.course_1.save()
    http = client_for(world.clinician)
    page = text_of(http.get(reverse("courses:medication", kwargs=course_kwargs(world))))
    assert "Add medication" not in page
    assert (
        http.post(
            reverse("courses:medication_new", kwargs=course_kwargs(world)), medication_form()
        ).status_code
        == 302
    )
    change_url = reverse(
        "courses:medication_change",
        kwargs={**course_kwargs(world), "medication_id": medication.public_id},
    )
    assert http.post(change_url, {"date": "2026-09-20", "dose": "100 mg"}).status_code == 400
    assert Medication.objects.count() == 1
    assert not MedicationChange.objects.exists()
