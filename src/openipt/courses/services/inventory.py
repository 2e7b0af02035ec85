"""Writes to the interpersonal inventory (protocol note §5.1): add, edit, remove a person.

Audit events name the fields that changed, never what was written in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.courses.models import (
    ContactFrequency,
    Course,
    InventoryPerson,
    RelationshipKind,
    YesNoUnsure,
)
from openipt.courses.models.inventory import MAX_RINGS
from openipt.courses.services.course import _audit, require_writer
from openipt.protocol.problem_areas import ProblemAreaCode

if TYPE_CHECKING:
    from openipt.accounts.models import User

SUPPORT_KINDS = (
    ("confidant", "Confidant (someone to confide in)"),
    ("practical", "Practical help"),
    ("emotional", "Emotional support"),
    ("romantic", "Romantic"),
    ("social", "Company, going out"),
)
SUPPORT_KIND_CODES = tuple(code for code, _ in SUPPORT_KINDS)

TEXT_FIELDS = (
    "shared_activities",
    "good_things",
    "not_good_things",
    "feelings_together",
    "can_talk_about",
    "cannot_talk_about",
    "conflict",
    "client_expectations",
    "other_expectations",
    "wished_change",
    "onset_change",
)
# Everything a clinician may set on a person. Anything else in the input
# (course, version, removed_at…) is ignored: no mass assignment.
EDITABLE_FIELDS = (
    "name",
    "relationship",
    "ring",
    "contact_frequency",
    *TEXT_FIELDS,
    "knows_about_depression",
    "expectations_reciprocal",
    "support_kinds",
    "changed_near_onset",
    "problem_area",
)
MAX_TEXT = 4000
MAX_NAME = 200


class StaleEditError(Exception):
    """The person was saved by someone else after the editor loaded them."""


def _choice(value: Any, allowed: Any, field: str, message: str, errors: dict[str, str]) -> str:
    text = "" if value is None else str(value)
    if text and text not in allowed:
        errors[field] = message
    return text


def clean_person_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a complete set of person fields; ValidationError keyed by field name.

    The form already checks the same things; this is the service's own guard,
    so that no other caller (API, import) can store a ring 5 or an unknown kind.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors["name"] = "Give a name or an alias."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name under {MAX_NAME} characters."
    out["name"] = name
    relationship = _choice(
        data.get("relationship"),
        RelationshipKind.values,
        "relationship",
        "Choose a relationship from the list.",
        errors,
    )
    if not relationship:
        errors["relationship"] = "Choose the relationship."
    out["relationship"] = relationship
    try:
        ring = int(data.get("ring", 2))
    except (TypeError, ValueError):
        ring = 0
    if not 1 <= ring <= MAX_RINGS:
        errors["ring"] = f"Choose a ring from 1 (closest) to {MAX_RINGS}."
    out["ring"] = ring
    out["contact_frequency"] = _choice(
        data.get("contact_frequency"),
        ContactFrequency.values,
        "contact_frequency",
        "Choose how often they are in contact from the list.",
        errors,
    )
    for field in ("knows_about_depression", "expectations_reciprocal"):
        out[field] = _choice(
            data.get(field), YesNoUnsure.values, field, "Choose an answer from the list.", errors
        )
    out["problem_area"] = _choice(
        data.get("problem_area"),
        [c.value for c in ProblemAreaCode],
        "problem_area",
        "Choose a problem area from the list.",
        errors,
    )
    kinds = data.get("support_kinds") or []
    if isinstance(kinds, str) or not all(k in SUPPORT_KIND_CODES for k in kinds):
        errors["support_kinds"] = "Choose kinds of support from the list."
        kinds = []
    out["support_kinds"] = [k for k in SUPPORT_KIND_CODES if k in kinds]
    for field in TEXT_FIELDS:
        text = str(data.get(field) or "").strip()
        if len(text) > MAX_TEXT:
            errors[field] = f"Keep this under {MAX_TEXT} characters."
        out[field] = text
    out["changed_near_onset"] = bool(data.get("changed_near_onset"))
    if errors:
        raise ValidationError(errors)
    return out


def next_position_on_ring(course: Course, ring: int) -> int:
    last = course.inventory.filter(removed_at__isnull=True, ring=ring).aggregate(
        last=Max("position")
    )["last"]
    return 0 if last is None else last + 1


@transaction.atomic
def inventory_person_add(
    *, actor: User, course: Course, data: Mapping[str, Any]
) -> InventoryPerson:
    """Add a person to the client's inventory, at the end of their ring."""
    require_writer(actor, course)
    values = clean_person_data(data)
    person = InventoryPerson(course=course, **values)
    person.position = next_position_on_ring(course, person.ring)
    person.save()
    filled = [n for n in EDITABLE_FIELDS if values[n] not in ("", [], False)]
    _audit(actor, course, AuditAction.CREATE, "inventory_person", filled, person.public_id)
    return person


@transaction.atomic
def inventory_person_update(
    *,
    actor: User,
    course: Course,
    person: InventoryPerson,
    data: Mapping[str, Any],
    expected_version: int,
) -> InventoryPerson:
    """Save edits to a person, refusing to overwrite a newer save (StaleEditError)."""
    require_writer(actor, course)
    # Re-read under lock so that the version check and the write are atomic.
    locked = InventoryPerson.objects.select_for_update().get(pk=person.pk, course=course)
    if locked.removed_at is not None:
        raise ValidationError("This person has been removed from the inventory.")
    if locked.version != expected_version:
        raise StaleEditError
    values = clean_person_data(data)
    changed = [n for n in EDITABLE_FIELDS if getattr(locked, n) != values[n]]
    if not changed:
        return locked
    if "ring" in changed:
        locked.position = next_position_on_ring(course, values["ring"])
    for name in changed:
        setattr(locked, name, values[name])
    locked.version += 1
    locked.save()
    _audit(actor, course, AuditAction.UPDATE, "inventory_person", changed, locked.public_id)
    return locked


@transaction.atomic
def inventory_person_remove(
    *, actor: User, course: Course, person: InventoryPerson
) -> InventoryPerson:
    """Take a person off the inventory. The row stays: saved circles and events still name them."""
    require_writer(actor, course)
    locked = InventoryPerson.objects.select_for_update().get(pk=person.pk, course=course)
    if locked.removed_at is not None:
        return locked
    locked.removed_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["removed_at", "version", "updated_at"])
    _audit(actor, course, AuditAction.ARCHIVE, "inventory_person", ["removed_at"], locked.public_id)
    return locked
