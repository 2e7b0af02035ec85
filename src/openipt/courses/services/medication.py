"""Medication alongside the course (protocol note §1): agent, dose, prescriber, dates,
adherence, side effects, and each dose change.

`Medication.dose` is the starting dose; each `MedicationChange` records a new
dose from its date, so the history of doses is never overwritten.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from openipt.audit.models import AuditAction
from openipt.courses.models import Course, Medication, MedicationAdherence, MedicationChange
from openipt.courses.services.course import _audit, require_writer
from openipt.courses.services.sessions import MAX_TEXT_LENGTH

if TYPE_CHECKING:
    from openipt.accounts.models import User

MEDICATION_FIELDS = (
    "agent",
    "dose",
    "prescriber",
    "start_date",
    "stop_date",
    "adherence",
    "side_effects",
    "notes",
)


class StaleMedicationError(Exception):
    """Someone else saved this medication after the edit began."""


@dataclass(frozen=True)
class MedicationData:
    agent: str
    dose: str
    start_date: datetime.date
    prescriber: str = ""
    stop_date: datetime.date | None = None
    adherence: str = MedicationAdherence.UNKNOWN
    side_effects: str = ""
    notes: str = ""


def _clean(data: MedicationData) -> dict[str, object]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {
        "agent": data.agent.strip(),
        "dose": data.dose.strip(),
        "prescriber": data.prescriber.strip(),
        "start_date": data.start_date,
        "stop_date": data.stop_date,
        "adherence": data.adherence,
        "side_effects": data.side_effects.strip(),
        "notes": data.notes.strip(),
    }
    if not values["agent"]:
        errors["agent"] = "Name the medication."
    if not values["dose"]:
        errors["dose"] = "Give the dose, e.g. 50 mg once a day."
    if data.stop_date is not None and data.stop_date < data.start_date:
        errors["stop_date"] = "The stop date cannot be before the start date."
    if data.adherence not in MedicationAdherence.values:
        errors["adherence"] = "Choose how the medication is taken."
    for name in ("side_effects", "notes"):
        if len(str(values[name])) > MAX_TEXT_LENGTH:
            errors[name] = f"Keep this under {MAX_TEXT_LENGTH:,} characters."
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def medication_add(*, actor: User, course: Course, data: MedicationData) -> Medication:
    require_writer(actor, course)
    values = _clean(data)
    medication = Medication.objects.create(course=course, **values)
    _audit(
        actor,
        course,
        AuditAction.CREATE,
        "medication",
        [name for name in MEDICATION_FIELDS if values[name] not in (None, "")],
        medication.public_id,
    )
    return medication


@transaction.atomic
def medication_update(
    *,
    actor: User,
    medication: Medication,
    data: MedicationData,
    expected_updated_at: datetime.datetime | None,
) -> Medication:
    """Edit a medication. `expected_updated_at` is when the row was last saved as the
    editor saw it: a later save by someone else raises StaleMedicationError."""
    course = medication.course
    require_writer(actor, course)
    locked = Medication.objects.select_for_update().get(pk=medication.pk)
    if expected_updated_at is not None and locked.updated_at != expected_updated_at:
        raise StaleMedicationError
    values = _clean(data)
    last_change = locked.changes.order_by("-date").values_list("date", flat=True).first()
    first_change = locked.changes.order_by("date").values_list("date", flat=True).first()
    errors: dict[str, str] = {}
    if first_change is not None and data.start_date > first_change:
        errors["start_date"] = "A dose change is recorded before this start date."
    if last_change is not None and data.stop_date is not None and data.stop_date < last_change:
        errors["stop_date"] = "A dose change is recorded after this stop date."
    if errors:
        raise ValidationError(errors)
    changed = [name for name in MEDICATION_FIELDS if getattr(locked, name) != values[name]]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, values[name])
    locked.save()
    _audit(actor, course, AuditAction.UPDATE, "medication", changed, locked.public_id)
    return locked


@transaction.atomic
def medication_change_add(
    *, actor: User, medication: Medication, date: datetime.date, dose: str, note: str = ""
) -> MedicationChange:
    """Record a dose change from `date` (between the start and any stop date)."""
    course = medication.course
    require_writer(actor, course)
    errors: dict[str, str] = {}
    dose, note = dose.strip(), note.strip()
    if date < medication.start_date:
        errors["date"] = "A dose change cannot be before the medication was started."
    elif medication.stop_date is not None and date > medication.stop_date:
        errors["date"] = "A dose change cannot be after the medication was stopped."
    if not dose:
        errors["dose"] = "Give the new dose."
    if len(note) > MAX_TEXT_LENGTH:
        errors["note"] = f"Keep this under {MAX_TEXT_LENGTH:,} characters."
    if errors:
        raise ValidationError(errors)
    change = MedicationChange.objects.create(medication=medication, date=date, dose=dose, note=note)
    # Saving the medication marks it as changed, so an edit form opened earlier
    # notices the new dose instead of overwriting around it.
    medication.save(update_fields=["updated_at"])
    _audit(
        actor,
        course,
        AuditAction.CREATE,
        "medication_change",
        ["date", "dose"] + (["note"] if note else []),
        change.public_id,
    )
    return change
