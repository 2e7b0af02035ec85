"""The interpersonal inventory: list, read one person, add one, and edit one, as its pages do.

Writes go through `courses.services.inventory.inventory_person_add` /
`inventory_person_update`, the services of the inventory pages, which check
every field themselves (`clean_person_data`): the same messages, the same audit
events (the fields that changed, never what was written), and the same refusal
of an edit based on an older version (409). The answers carry the structured
fields and the name; what was written about the person is not read back.
"""

from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, StringConstraints

from openipt.api.errors import ErrorOut, errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.api.routers.writing import WriteIn, course_read, given, stale
from openipt.courses.models import InventoryPerson
from openipt.courses.selectors import course_get_for_writing, courses_visible_to
from openipt.courses.selectors import inventory as inventory_selectors
from openipt.courses.services import inventory as inventory_services

router = Router(tags=["course record"])

Code = Annotated[str, StringConstraints(max_length=32)]


class InventoryPersonOut(Schema):
    id: UUID
    course_id: UUID
    name: str
    relationship: str
    ring: int
    contact_frequency: str
    problem_area: str
    removed_at: datetime.datetime | None
    version: int
    created_at: datetime.datetime


class PersonFields(WriteIn):
    """The inventory form's fields (`courses.services.inventory.EDITABLE_FIELDS`)."""

    ring: int | None = Field(None, ge=-100, le=100, description="1 (closest) to 4.")
    contact_frequency: Code | None = Field(
        None, description="daily, weekly, monthly, rarely, none."
    )
    shared_activities: str | None = None
    good_things: str | None = None
    not_good_things: str | None = None
    feelings_together: str | None = None
    can_talk_about: str | None = None
    cannot_talk_about: str | None = None
    conflict: str | None = None
    knows_about_depression: Code | None = Field(None, description="yes, no, partly, unsure.")
    client_expectations: str | None = None
    other_expectations: str | None = None
    expectations_reciprocal: Code | None = Field(None, description="yes, no, partly, unsure.")
    support_kinds: list[Code] | None = Field(
        None, max_length=10, description="confidant, practical, emotional, romantic, social."
    )
    wished_change: str | None = None
    changed_near_onset: bool | None = None
    onset_change: str | None = None
    problem_area: Code | None = Field(None, description="A problem area code, or empty.")


class PersonCreateIn(PersonFields):
    name: str = Field(max_length=1000, description="A name or an alias.")
    relationship: Code = Field(description="partner, parent, child, sibling, …")


class PersonUpdateIn(PersonFields):
    version: int = Field(description="The person's `version` you read (409 if it changed).")
    name: str | None = Field(None, max_length=1000)
    relationship: Code | None = None


def person_out(person: InventoryPerson) -> InventoryPersonOut:
    return InventoryPersonOut(
        id=person.public_id,
        course_id=person.course.public_id,
        name=person.name,
        relationship=person.relationship,
        ring=person.ring,
        contact_frequency=person.contact_frequency,
        problem_area=person.problem_area,
        removed_at=person.removed_at,
        version=person.version,
        created_at=person.created_at,
    )


@router.get(
    "/courses/{course_id}/inventory",
    response={200: Page[InventoryPersonOut], **errors(404, 422)},
    url_name="course_inventory_list",
)
def course_inventory_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    """Everyone in the interpersonal inventory, removed people included (see `removed_at`)."""
    course = course_read(request, course_id)
    people = InventoryPerson.objects.filter(course=course).select_related("course")
    return paginate(people, page, person_out)


def _person_visible(request: HttpRequest, person_id: UUID) -> InventoryPerson:
    visible = courses_visible_to(actor=actor_of(request))
    try:
        return InventoryPerson.objects.select_related(
            "course", "course__client", "course__practice"
        ).get(course__in=visible, public_id=person_id)
    except InventoryPerson.DoesNotExist as exc:
        raise Http404 from exc


@router.get(
    "/inventory/{person_id}",
    response={200: InventoryPersonOut, **errors(404, 422)},
    url_name="inventory_person_get",
)
def inventory_person_get(request: HttpRequest, person_id: UUID) -> InventoryPersonOut:
    """One person of an inventory (removed ones too), with the `version` an edit sends back."""
    person = _person_visible(request, person_id)
    audit_read(
        request,
        object_type="inventory_person",
        public_id=person.public_id,
        practice=person.course.practice,
        client_public_id=person.course.client.public_id,
    )
    return person_out(person)


@router.post(
    "/courses/{course_id}/inventory",
    response={201: InventoryPersonOut, **errors(403, 404, 422)},
    url_name="course_inventory_create",
)
def course_inventory_create(
    request: HttpRequest, course_id: UUID, payload: PersonCreateIn
) -> Status[InventoryPersonOut]:
    """Add a person to the inventory, at the end of their ring (clinicians on the care team)."""
    actor = actor_of(request)
    course = course_get_for_writing(actor=actor, public_id=course_id)
    person = inventory_services.inventory_person_add(
        actor=actor, course=course, data=given(payload)
    )
    return Status(201, person_out(person))


@router.patch(
    "/inventory/{person_id}",
    response={200: InventoryPersonOut, 409: ErrorOut, **errors(403, 404, 422)},
    url_name="inventory_person_update",
)
def inventory_person_update(
    request: HttpRequest, person_id: UUID, payload: PersonUpdateIn
) -> InventoryPersonOut:
    """Change the fields sent (absent or null: unchanged), as the person's *Edit* page does.

    `version` must be the person's current version (409 otherwise); a removed
    person can no longer be edited (422).
    """
    actor = actor_of(request)
    course = course_get_for_writing(
        actor=actor, public_id=_person_visible(request, person_id).course.public_id
    )
    person = inventory_selectors.inventory_person_get(
        course=course, public_id=person_id, include_removed=True
    )
    changes = given(payload)
    changes.pop("version", None)
    current = {name: getattr(person, name) for name in inventory_services.EDITABLE_FIELDS}
    try:
        updated = inventory_services.inventory_person_update(
            actor=actor,
            course=course,
            person=person,
            data={**current, **changes},
            expected_version=payload.version,
        )
    except inventory_services.StaleEditError as exc:
        raise stale("person", payload.version) from exc
    return person_out(updated)
