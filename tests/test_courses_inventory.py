"""The interpersonal inventory (protocol note §5.1): services and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.core.crypto import CIPHERTEXT_PREFIX
from openipt.courses.models import Course, CourseStatus, InventoryPerson, RelationshipKind
from openipt.courses.services import inventory as services
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]

FULL_PERSON: dict[str, Any] = {
    "name": "Maria",
    "relationship": "sibling",
    "ring": "2",
    "contact_frequency": "weekly",
    "shared_activities": "Sunday walks by the canal",
    "good_things": "She listens without judging",
    "not_good_things": "She repeats what I say to our mother",
    "feelings_together": "Calm, sometimes guarded",
    "can_talk_about": "Work, the children",
    "cannot_talk_about": "Money, our father",
    "conflict": "Monthly rows about caring for mum, rarely resolved",
    "knows_about_depression": "partly",
    "client_expectations": "That she shares the caring",
    "other_expectations": "That I phone every day",
    "expectations_reciprocal": "no",
    "support_kinds": ["confidant", "practical"],
    "wished_change": "Split the visits to mum fairly",
    "changed_near_onset": "on",
    "onset_change": "Stopped visiting after mum moved in with me",
    "problem_area": "role_dispute",
}


def _url(name: str, course: Course, **kwargs: Any) -> str:
    return reverse(f"courses:{name}", kwargs={"public_id": course.public_id, **kwargs})


def _person_url(name: str, person: InventoryPerson) -> str:
    return reverse(
        f"courses:{name}",
        kwargs={"public_id": person.course.public_id, "person_id": person.public_id},
    )


def _data(person: InventoryPerson) -> dict[str, Any]:
    return {name: getattr(person, name) for name in services.EDITABLE_FIELDS}


# --- adding ----------------------------------------------------------------------------


def test_clinician_adds_a_person_with_every_field(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    response = http.post(_url("inventory_add", world.course_1), FULL_PERSON)
    assert response.status_code == 302
    assert response["Location"] == _url("inventory", world.course_1)
    person = world.course_1.inventory.get(relationship="sibling")
    assert person.name == "Maria"
    assert person.ring == 2
    assert person.support_kinds == ["confidant", "practical"]
    assert person.changed_near_onset is True
    assert person.problem_area == "role_dispute"
    assert person.expectations_reciprocal == "no"
    assert person.conflict.startswith("Monthly rows")
    page = http.get(_url("inventory", world.course_1)).content.decode()
    assert "Maria" in page and "Sibling" in page and "Role dispute" in page
    assert "expectations differ" in page and "changed near onset" in page


def test_every_protocol_field_is_on_the_form(world: World, client_for: ClientFor) -> None:
    """GIVEN protocol §5.1 WHEN the add form is shown THEN every question has a field,
    grouped in the named fieldsets, with the support kinds as checkboxes."""
    page = client_for(world.clinician).get(_url("inventory_add", world.course_1)).content.decode()
    for name in services.EDITABLE_FIELDS:
        assert f'name="{name}"' in page, name
    for legend in (
        "Who",
        "Contact and closeness",
        "What&#x27;s good and not so good",
        "Talking and conflict",
        "Expectations",
        "Support and change",
        "Link to a problem area",
    ):
        assert f"<legend>{legend}</legend>" in page, legend
    for kind in ("confidant", "practical", "emotional", "romantic", "social"):
        assert f'type="checkbox" name="support_kinds" value="{kind}"' in page


def test_adding_records_an_audit_event_with_field_names_only(world: World) -> None:
    person = services.inventory_person_add(
        actor=world.clinician,
        course=world.course_1,
        data={**FULL_PERSON, "ring": 2, "changed_near_onset": True},
    )
    event = AuditEvent.objects.get(
        object_type="inventory_person", object_public_id=person.public_id
    )
    assert event.action == AuditAction.CREATE
    assert event.subject_client_public_id == world.client_1.public_id
    assert {"name", "conflict", "support_kinds", "problem_area"} <= set(event.changed_fields)
    as_text = " ".join(str(v) for v in event.__dict__.values())
    for value in ("Maria", "Sunday walks", "Monthly rows", "confidant"):
        assert value not in as_text


def test_inventory_text_is_stored_encrypted(world: World) -> None:
    person = services.inventory_person_add(
        actor=world.clinician,
        course=world.course_1,
        data={**FULL_PERSON, "ring": 2},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, good_things, conflict FROM courses_inventoryperson WHERE id = %s",
            [person.pk],
        )
        row = cursor.fetchone()
    for column, plain in zip(row, ("Maria", "listens", "Monthly"), strict=True):
        assert column.startswith(CIPHERTEXT_PREFIX)
        assert plain not in column
    assert InventoryPerson.objects.get(pk=person.pk).good_things == FULL_PERSON["good_things"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ring": "5"}, "Choose a ring from 1 (closest) to 4."),
        ({"name": ""}, "Give a name or an alias."),
        ({"name": "   "}, "Give a name or an alias."),
        ({"relationship": "landlord"}, "Choose a relationship from the list."),
        ({"support_kinds": ["telepathic"]}, "Choose kinds of support from the list."),
        ({"problem_area": "loneliness"}, "Choose a problem area from the list."),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_the_typed_text_kept(
    world: World, client_for: ClientFor, change: dict[str, Any], message: str
) -> None:
    response = client_for(world.clinician).post(
        _url("inventory_add", world.course_1), {**FULL_PERSON, **change}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Sunday walks by the canal" in page
    assert "Stopped visiting after mum moved in with me" in page
    assert world.course_1.inventory.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"ring": 5},
        {"ring": 0},
        {"ring": "x"},
        {"name": " "},
        {"relationship": "boss"},
        {"support_kinds": "confidant"},
        {"knows_about_depression": "maybe"},
    ],
)
def test_the_service_guards_its_own_input(world: World, change: dict[str, Any]) -> None:
    """GIVEN a caller that skips the form WHEN it passes an impossible value THEN the
    service refuses it, so no ring 5 or unknown kind can reach the database."""
    with pytest.raises(ValidationError):
        services.inventory_person_add(
            actor=world.clinician, course=world.course_1, data={**FULL_PERSON, **change}
        )


def test_new_people_go_to_the_end_of_their_ring(world: World) -> None:
    first = services.inventory_person_add(
        actor=world.clinician,
        course=world.course_1,
        data={"name": "A", "relationship": "friend", "ring": 1},
    )
    assert first.position == world.person_1.position + 1
    other = services.inventory_person_add(
        actor=world.clinician,
        course=world.course_1,
        data={"name": "B", "relationship": "friend", "ring": 3},
    )
    assert other.position == 0


# --- editing, stale saves ---------------------------------------------------------------


def test_edit_saves_changes_and_audits_the_changed_field_names(
    world: World, client_for: ClientFor
) -> None:
    person = world.person_1
    http = client_for(world.clinician)
    form = http.get(_person_url("inventory_edit", person))
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.content.decode()
    data = {**FULL_PERSON, "name": "Sam", "relationship": "partner", "ring": "1", "version": "1"}
    response = http.post(_person_url("inventory_edit", person), data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.version == 2
    assert person.good_things == FULL_PERSON["good_things"]
    event = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_public_id=person.public_id
    ).get()
    assert "good_things" in event.changed_fields
    assert "name" not in event.changed_fields  # unchanged
    assert "Sam" not in " ".join(event.changed_fields)


def test_a_stale_save_is_a_409_and_keeps_the_typed_text(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician who opened the edit form at version 1
    WHEN someone else saves the same person first and the clinician then saves
    THEN the save is refused with 409, their typed text is still in the form with a
    clear message, and a deliberate second save succeeds."""
    person = world.person_1
    services.inventory_person_update(
        actor=world.clinician,
        course=world.course_1,
        person=person,
        data={**_data(person), "wished_change": "Other tab"},
        expected_version=1,
    )
    http = client_for(world.clinician)
    typed = {
        **FULL_PERSON,
        "name": "Sam",
        "relationship": "partner",
        "ring": "1",
        "version": "1",
        "wished_change": "More evenings together",
    }
    response = http.post(_person_url("inventory_edit", person), typed)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this person while you were editing" in page
    assert "More evenings together" in page
    assert 'name="version" value="2"' in page
    person.refresh_from_db()
    assert person.wished_change == "Other tab"

    again = http.post(_person_url("inventory_edit", person), {**typed, "version": "2"})
    assert again.status_code == 302
    person.refresh_from_db()
    assert person.wished_change == "More evenings together"


def test_a_removed_person_cannot_be_edited(world: World, client_for: ClientFor) -> None:
    services.inventory_person_remove(
        actor=world.clinician, course=world.course_1, person=world.person_1
    )
    http = client_for(world.clinician)
    assert http.get(_person_url("inventory_edit", world.person_1)).status_code == 404


# --- removing -----------------------------------------------------------------------------


def test_removing_asks_first_then_keeps_the_row(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    person = world.person_1
    confirm = http.get(_person_url("inventory_remove", person))
    assert confirm.status_code == 200
    assert "Remove Sam from the inventory?" in confirm.content.decode()
    response = http.post(_person_url("inventory_remove", person))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.removed_at is not None
    listing = http.get(_url("inventory", world.course_1)).content.decode()
    assert "Nobody is in the inventory yet." in listing
    # The person's page still opens, marked removed, for the record.
    detail = http.get(_person_url("inventory_person", person))
    assert detail.status_code == 200
    assert "Removed from the inventory" in detail.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.ARCHIVE, object_public_id=person.public_id)
    assert event.changed_fields == ["removed_at"]


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician_b", "colleague", "admin", "facilitator", "client"])
def test_people_outside_the_course_get_404(world: World, client_for: ClientFor, role: str) -> None:
    http = client_for(world.users_by_role_name()[role])
    for url in (
        _url("inventory", world.course_1),
        _url("inventory_add", world.course_1),
        _person_url("inventory_person", world.person_1),
        _person_url("inventory_edit", world.person_1),
    ):
        assert http.get(url).status_code == 404, url
    assert http.post(_url("inventory_add", world.course_1), FULL_PERSON).status_code == 404
    assert world.course_1.inventory.count() == 1


def test_the_supervisor_reads_but_cannot_write(world: World, client_for: ClientFor) -> None:
    http = client_for(world.supervisor)
    listing = http.get(_url("inventory", world.course_1))
    assert listing.status_code == 200
    assert "Add a person" not in listing.content.decode()
    assert http.get(_person_url("inventory_person", world.person_1)).status_code == 200
    assert http.post(_url("inventory_add", world.course_1), FULL_PERSON).status_code == 403
    assert http.post(_person_url("inventory_edit", world.person_1), FULL_PERSON).status_code == 403
    assert http.post(_person_url("inventory_remove", world.person_1)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.inventory_person_add(
            actor=world.supervisor, course=world.course_1, data=FULL_PERSON
        )
    world.person_1.refresh_from_db()
    assert world.person_1.removed_at is None


def test_a_person_of_another_course_is_a_404(world: World, client_for: ClientFor) -> None:
    other = Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=world.course_1.start_date,
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )
    stranger = InventoryPerson.objects.create(course=other, name="Kim", relationship="friend")
    url = reverse(
        "courses:inventory_edit",
        kwargs={"public_id": world.course_1.public_id, "person_id": stranger.public_id},
    )
    assert client_for(world.clinician).get(url).status_code == 404


def test_reading_the_pages_is_audited(world: World, client_for: ClientFor) -> None:
    http = client_for(world.supervisor)
    http.get(_url("inventory", world.course_1))
    http.get(_person_url("inventory_person", world.person_1))
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, actor=world.supervisor)
    assert set(views.values_list("object_type", flat=True)) == {"inventory", "inventory_person"}
    assert views.get(object_type="inventory_person").object_public_id == world.person_1.public_id
    assert all(v.subject_client_public_id == world.client_1.public_id for v in views)


def test_a_closed_course_is_read_only(world: World, client_for: ClientFor) -> None:
    Course.objects.filter(pk=world.course_1.pk).update(status=CourseStatus.CLOSED)
    http = client_for(world.clinician)
    response = http.get(_url("inventory_add", world.course_1), follow=True)
    assert "This course is closed" in response.content.decode()
    assert http.post(_url("inventory_add", world.course_1), FULL_PERSON).status_code == 302
    assert world.course_1.inventory.count() == 1
    with pytest.raises(ValidationError):
        services.inventory_person_add(
            actor=world.clinician, course=Course.objects.get(pk=world.course_1.pk), data=FULL_PERSON
        )


# --- cost ------------------------------------------------------------------------------------


def test_inventory_list_queries_do_not_grow_with_people(
    world: World, client_for: ClientFor
) -> None:
    """The list costs the same number of queries for 5 people as for 25."""
    http = client_for(world.clinician)

    def add(count: int) -> None:
        for i in range(count):
            InventoryPerson.objects.create(
                course=world.course_1,
                name=f"Person {i}",
                relationship=RelationshipKind.FRIEND,
                ring=1 + i % 3,
                problem_area="grief" if i % 2 else "",
                support_kinds=["social"],
            )

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = http.get(_url("inventory", world.course_1))
            assert response.status_code == 200
        return len(ctx.captured_queries)

    add(4)
    five = count_queries()
    add(20)
    twenty_five = count_queries()
    assert world.course_1.inventory.count() == 25
    assert twenty_five == five
