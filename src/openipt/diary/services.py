"""Writing the mood diary. Only the client writes their own diary.

One entry per client per day. A second save for the same day updates that
day's entry rather than adding another: the diary is a picture of each day,
and two numbers for one day would only blur it. The update carries the version
the client's form was showing; if the entry changed in between (another
device, another tab), the save is refused and the form keeps what was typed,
unless the two saves say exactly the same thing (a double press of "Save"),
which stores once.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.diary import selectors
from openipt.diary.models import MOOD_MAX, MOOD_MIN, DiaryEntry

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.courses.models import InventoryPerson
    from openipt.practice.models import Client

# How far back a client may fill in a day they missed.
BACKFILL_DAYS = 30
MAX_NOTE_LENGTH = 2000


class StaleDiaryEntry(Exception):
    """The day's entry changed after the form was opened; the caller keeps the typed text."""

    def __init__(self, current: DiaryEntry) -> None:
        super().__init__("The diary entry changed since the form was opened.")
        self.current = current


def _people(
    entry_course_id: int | None, client: Client, people_ids: Sequence[UUID | str]
) -> list[InventoryPerson]:
    if not people_ids:
        return []
    wanted = {str(p) for p in people_ids}
    allowed = {
        str(p.public_id): p
        for p in selectors.people_for_client(client=client)
        if p.course_id == entry_course_id
    }
    if not wanted <= allowed.keys():
        raise ValidationError({"people": _("Choose people from your own list.")})
    return [allowed[p] for p in sorted(wanted)]


def _validate(day: datetime.date, mood: int | None, note: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if day > today:
        errors["date"] = _("The diary is for today or a day that has passed.")
    elif day < today - datetime.timedelta(days=BACKFILL_DAYS):
        errors["date"] = _("You can fill in the last %(days)s days.") % {"days": BACKFILL_DAYS}
    if mood is None or not MOOD_MIN <= mood <= MOOD_MAX:
        errors["mood"] = _("Choose a number from 0 to 10.")
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = _("Keep the note under %(n)s characters.") % {"n": f"{MAX_NOTE_LENGTH:,}"}
    return errors


def _same(entry: DiaryEntry, mood: int, note: str, people: Sequence[InventoryPerson]) -> bool:
    stored = set(entry.people.values_list("pk", flat=True))
    return entry.mood == mood and entry.note == note and stored == {p.pk for p in people}


@transaction.atomic
def diary_entry_save(
    *,
    actor: User,
    client: Client,
    day: datetime.date,
    mood: int | None,
    note: str = "",
    people_ids: Sequence[UUID | str] = (),
    base_version: int = 0,
) -> tuple[DiaryEntry, bool]:
    """Save the client's entry for `day`: (entry, created).

    GIVEN an entry for that day WHEN the client saves again from a form that
    showed its current version THEN the entry is updated (one per day); from a
    form that showed an older version (or none) THEN StaleDiaryEntry, unless
    the save repeats what is stored.
    """
    if client.user_id is None or client.user_id != actor.pk:
        raise PermissionDenied
    note = note.strip()
    errors = _validate(day, mood, note)
    if errors or mood is None:
        raise ValidationError(errors)
    existing = DiaryEntry.objects.select_for_update().filter(client=client, date=day).first()
    if existing is None:
        course = selectors.active_course_for_client(client=client)
        people = _people(course.pk if course else None, client, people_ids)
        try:
            with transaction.atomic():
                entry = DiaryEntry.objects.create(
                    client=client,
                    practice_id=client.practice_id,
                    course=course,
                    date=day,
                    mood=mood,
                    note=note,
                )
        except IntegrityError as exc:
            # Another request created the day's entry a moment ago.
            current = DiaryEntry.objects.get(client=client, date=day)
            raise StaleDiaryEntry(current) from exc
        entry.people.set(people)
        changed = ["date", "mood"] + (["note"] if note else []) + (["people"] if people else [])
        _audit(actor, client, AuditAction.CREATE, entry, changed)
        return entry, True
    people = _people(existing.course_id, client, people_ids)
    if existing.version != base_version:
        if _same(existing, mood, note, people):
            return existing, False
        raise StaleDiaryEntry(existing)
    changed = []
    if existing.mood != mood:
        existing.mood = mood
        changed.append("mood")
    if existing.note != note:
        existing.note = note
        changed.append("note")
    if set(existing.people.values_list("pk", flat=True)) != {p.pk for p in people}:
        existing.people.set(people)
        changed.append("people")
    if changed:
        existing.version += 1
        existing.save()
        _audit(actor, client, AuditAction.UPDATE, existing, changed)
    return existing, False


def _audit(
    actor: User, client: Client, action: AuditAction, entry: DiaryEntry, fields: list[str]
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="diary_entry",
        object_public_id=entry.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=fields,
    )
