"""Writes to the closeness circle (protocol note §5.2): move people between rings,
and save the circle as a named version so that start and end can be compared."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from openipt.audit.models import AuditAction
from openipt.courses.circle_svg import rings_needed
from openipt.courses.models import CirclePlacement, CircleVersion, Course, InventoryPerson
from openipt.courses.models.inventory import MAX_RINGS
from openipt.courses.selectors.inventory import inventory_people
from openipt.courses.services.course import _audit, require_writer
from openipt.courses.services.inventory import next_position_on_ring

if TYPE_CHECKING:
    from openipt.accounts.models import User

CLOSER = "closer"
FURTHER = "further"
MAX_LABEL = 100


@transaction.atomic
def circle_move_person(
    *,
    actor: User,
    course: Course,
    person: InventoryPerson,
    ring: int | None = None,
    direction: str | None = None,
) -> InventoryPerson:
    """Put a person on another ring: a given one, or one step closer or further.

    GIVEN someone on ring 2 WHEN the clinician moves them closer THEN they are on
    ring 1 and their version goes up (an edit form opened before the move is stale);
    GIVEN someone already on ring 1 WHEN moved closer THEN nothing changes and the
    clinician is told why.
    """
    require_writer(actor, course)
    locked = InventoryPerson.objects.select_for_update().get(pk=person.pk, course=course)
    if locked.removed_at is not None:
        raise ValidationError("This person has been removed from the inventory.")
    if direction == CLOSER:
        target = locked.ring - 1
        if target < 1:
            raise ValidationError("They are already on the closest ring.")
    elif direction == FURTHER:
        target = locked.ring + 1
        if target > MAX_RINGS:
            raise ValidationError("They are already on the outermost ring.")
    elif direction is None and ring is not None:
        target = ring
    else:
        raise ValidationError("Choose a ring, or move the person closer or further.")
    if not 1 <= target <= MAX_RINGS:
        raise ValidationError(f"Choose a ring from 1 (closest) to {MAX_RINGS}.")
    if target == locked.ring:
        return locked
    locked.position = next_position_on_ring(course, target)
    locked.ring = target
    locked.version += 1
    locked.save(update_fields=["ring", "position", "version", "updated_at"])
    _audit(actor, course, AuditAction.UPDATE, "inventory_person", ["ring"], locked.public_id)
    return locked


@transaction.atomic
def circle_version_save(*, actor: User, course: Course, label: str) -> CircleVersion:
    """Keep the circle as it is now under a name ("Start of course", "End of course").

    GIVEN people on rings 1 to 3 WHEN the clinician saves a version THEN it records
    each person's current ring and is drawn with 3 rings (4 if anyone is on ring 4);
    later moves do not change it. Versions are numbered 1, 2, 3… per course.
    """
    require_writer(actor, course)
    label = " ".join(label.split())
    if not label:
        raise ValidationError("Give this version a name, e.g. “Start of course”.")
    if len(label) > MAX_LABEL:
        raise ValidationError(f"Keep the name under {MAX_LABEL} characters.")
    # Lock the course row so that two saves at once cannot take the same number.
    Course.objects.select_for_update().filter(pk=course.pk).values_list("pk", flat=True).get()
    people = list(inventory_people(course=course).values_list("pk", "ring"))
    if not people:
        raise ValidationError("Add people to the inventory before saving the circle.")
    last = course.circle_versions.aggregate(last=Max("number"))["last"] or 0
    version = CircleVersion.objects.create(
        course=course,
        number=last + 1,
        label=label,
        rings=rings_needed(ring for _, ring in people),
        saved_by=actor,
    )
    CirclePlacement.objects.bulk_create(
        CirclePlacement(version=version, person_id=pk, ring=ring) for pk, ring in people
    )
    _audit(
        actor,
        course,
        AuditAction.CREATE,
        "circle_version",
        ["label", "rings", "placements"],
        version.public_id,
    )
    return version
