"""Writes to the timeline (protocol note §5.3): dated life events and the people in them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.courses.models import Course, InventoryPerson, LifeEvent, LifeEventKind
from openipt.courses.services.course import _audit, require_writer

if TYPE_CHECKING:
    from openipt.accounts.models import User

# Planned events (a due date, a move already arranged) may be up to a year ahead.
FUTURE_LIMIT = datetime.timedelta(days=366)
MAX_TITLE = 200
MAX_TEXT = 4000
EVENT_FIELDS = ("date", "kind", "title", "description", "people", "linked_to_onset")


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def check_event_date(
    day: datetime.date, *, course: Course, linked_to_onset: bool, today: datetime.date
) -> dict[str, str]:
    """What is wrong with an event's date, as messages by field (empty when fine).

    GIVEN a date more than a year after today WHEN an event is saved THEN it is refused
    (most often a mistyped year). GIVEN a date before the client's date of birth THEN it
    is refused. GIVEN a future date marked as linked to the onset THEN it is refused:
    the onset has already happened, so an event after today cannot have caused it.
    """
    errors: dict[str, str] = {}
    birth = course.client.date_of_birth
    if day > today + FUTURE_LIMIT:
        errors["date"] = (
            f"{_day(day)} is more than a year from today. Planned events can be added "
            "up to a year ahead: please check the year."
        )
    elif birth and day < birth:
        errors["date"] = (
            f"{_day(day)} is before the client was born ({_day(birth)}): please check the year."
        )
    elif linked_to_onset and day > today:
        errors["linked_to_onset"] = (
            "An event that has not happened yet cannot be linked to the onset. "
            "Untick the link, or check the date."
        )
    return errors


def _clean_event(
    course: Course, data: Mapping[str, Any], allowed_people: Sequence[InventoryPerson]
) -> tuple[dict[str, Any], list[InventoryPerson]]:
    errors: dict[str, str] = {}
    day = data.get("date")
    if not isinstance(day, datetime.date):
        errors["date"] = "Give the date (or the first day of the month or year)."
    kind = str(data.get("kind") or "")
    if kind not in LifeEventKind.values:
        errors["kind"] = "Choose a kind of event from the list."
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        errors["title"] = "Say in a few words what happened."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep this under {MAX_TITLE} characters."
    description = str(data.get("description") or "").strip()
    if len(description) > MAX_TEXT:
        errors["description"] = f"Keep this under {MAX_TEXT} characters."
    linked = bool(data.get("linked_to_onset"))
    by_id = {str(p.public_id): p for p in allowed_people}
    wanted = [str(p) for p in data.get("people") or []]
    if any(p not in by_id for p in wanted):
        errors["people"] = "Choose people from this client's inventory."
    if isinstance(day, datetime.date):
        errors.update(
            check_event_date(day, course=course, linked_to_onset=linked, today=timezone.localdate())
        )
    if errors:
        raise ValidationError(errors)
    values = {
        "date": day,
        "kind": kind,
        "title": title,
        "description": description,
        "linked_to_onset": linked,
    }
    return values, [by_id[p] for p in dict.fromkeys(wanted)]


def _current_people(course: Course) -> list[InventoryPerson]:
    return list(course.inventory.filter(removed_at__isnull=True))


@transaction.atomic
def life_event_add(*, actor: User, course: Course, data: Mapping[str, Any]) -> LifeEvent:
    """Put a dated event on the client's timeline, with the people involved."""
    require_writer(actor, course)
    values, people = _clean_event(course, data, _current_people(course))
    event = LifeEvent.objects.create(course=course, **values)
    event.people.set(people)
    filled = [n for n in EVENT_FIELDS if n != "people" and values[n] not in ("", False)]
    if people:
        filled.append("people")
    _audit(actor, course, AuditAction.CREATE, "life_event", filled, event.public_id)
    return event


@transaction.atomic
def life_event_update(
    *, actor: User, course: Course, event: LifeEvent, data: Mapping[str, Any]
) -> LifeEvent:
    """Change an event. People already linked stay choosable even if since removed."""
    require_writer(actor, course)
    locked = LifeEvent.objects.select_for_update().get(pk=event.pk, course=course)
    if locked.removed_at is not None:
        raise ValidationError("This event has been removed from the timeline.")
    linked_now = list(locked.people.all())
    allowed = {p.pk: p for p in [*_current_people(course), *linked_now]}
    values, people = _clean_event(course, data, list(allowed.values()))
    changed = [n for n, v in values.items() if getattr(locked, n) != v]
    for name in changed:
        setattr(locked, name, values[name])
    if {p.pk for p in people} != {p.pk for p in linked_now}:
        locked.people.set(people)
        changed.append("people")
    if not changed:
        return locked
    locked.save()
    _audit(actor, course, AuditAction.UPDATE, "life_event", changed, locked.public_id)
    return locked


@transaction.atomic
def life_event_remove(*, actor: User, course: Course, event: LifeEvent) -> LifeEvent:
    """Take an event off the timeline; the row is kept."""
    require_writer(actor, course)
    locked = LifeEvent.objects.select_for_update().get(pk=event.pk, course=course)
    if locked.removed_at is not None:
        return locked
    locked.removed_at = timezone.now()
    locked.save(update_fields=["removed_at", "updated_at"])
    _audit(actor, course, AuditAction.ARCHIVE, "life_event", ["removed_at"], locked.public_id)
    return locked
