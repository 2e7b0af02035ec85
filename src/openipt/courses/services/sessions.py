"""Recording and editing sessions: techniques used, adherence checklist, process note.

Rules (protocol note §2, §4; security promise 17):
- session numbers start at 1 and are unique within a course; the database's
  unique constraint is the last word, so a double submit or a race surfaces as
  a clear error, never as a 500;
- a session beyond the agreed contract (or, before a contract, the plan) is
  refused until the contract is renegotiated;
- a session cannot be dated before the course started;
- the phase of a session comes from the course plan;
- an edit based on an older version is refused (`StaleEditError`) so that a
  concurrent edit is never silently overwritten.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from openipt.audit.models import AuditAction
from openipt.courses.models import Attendance, Course, ProcessNote, Session, TechniqueUse
from openipt.courses.services.course import _audit, require_writer
from openipt.courses.state import course_state
from openipt.protocol.adherence import items_for
from openipt.protocol.errors import ProtocolError
from openipt.protocol.phases import Phase
from openipt.protocol.techniques import TECHNIQUES

if TYPE_CHECKING:
    from openipt.accounts.models import User

SESSION_TEXT_FIELDS = ("interval_history", "mood_event_links", "problem_area_work", "summary")
# Long enough for any real note, short enough that nobody can fill the database by accident.
MAX_TEXT_LENGTH = 20_000


class StaleEditError(Exception):
    """Someone else saved the session (or its process note) after this edit began."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class TechniqueEntry:
    """A technique used in the session, with its structured fields (if it has any)."""

    code: str
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionContent:
    """What a clinician writes about a session (everything but its number)."""

    date: datetime.date
    attendance: str = Attendance.ATTENDED
    interval_history: str = ""
    mood_event_links: str = ""
    problem_area_work: str = ""
    summary: str = ""
    techniques: Sequence[TechniqueEntry] = ()
    adherence: Sequence[str] = ()
    process_note: str = ""


def session_limit(course: Course) -> int | None:
    """The highest session number allowed now: the agreed contract, else the plan."""
    state = course_state(course)
    if state.contract_sessions is not None:
        return state.contract_sessions
    return state.plan.total


def phase_for_number(course: Course, number: int) -> Phase:
    """The phase the plan puts session `number` in (a ValidationError when it cannot)."""
    try:
        return course_state(course).plan.phase_of(number)
    except ProtocolError as exc:
        raise ValidationError({"number": str(exc)}) from exc


def _duplicate_message(number: int) -> str:
    return (
        f"Session {number} has already been recorded for this course. "
        "Open it from the list of sessions to change it."
    )


def _number_taken(course: Course, number: int) -> bool:
    return Session.objects.filter(course=course, number=number).exists()


def _number_errors(course: Course, number: int) -> tuple[Phase | None, dict[str, str]]:
    """The phase of session `number`, or what is wrong with the number."""
    if number < 1:
        return None, {"number": "Session numbers start at 1."}
    limit = session_limit(course)
    if limit is not None and number > limit:
        return None, {
            "number": f"Session {number} is beyond the agreed contract of {limit} sessions: "
            "renegotiate the contract first."
        }
    # Said early so that it is reported together with any other problem; the
    # unique constraint still decides when two saves race (see session_record).
    if _number_taken(course, number):
        return None, {"number": _duplicate_message(number)}
    try:
        return course_state(course).plan.phase_of(number), {}
    except ProtocolError as exc:
        return None, {"number": str(exc)}


def _content_errors(course: Course, phase: Phase, content: SessionContent) -> dict[str, str]:
    """What is wrong with the content of a session of `phase`, by form field."""
    errors: dict[str, str] = {}
    if content.date < course.start_date:
        errors["date"] = (
            f"The course started on {course.start_date.day} {course.start_date:%B %Y}; "
            "a session cannot be dated before that."
        )
    if content.attendance not in Attendance.values:
        errors["attendance"] = "Choose attended, cancelled or did not attend."
    for name in (*SESSION_TEXT_FIELDS, "process_note"):
        if len(getattr(content, name)) > MAX_TEXT_LENGTH:
            errors[name] = f"Keep this under {MAX_TEXT_LENGTH:,} characters."
    codes = [entry.code for entry in content.techniques]
    if len(set(codes)) != len(codes):
        errors["techniques"] = "Each technique can be recorded once per session."
    for entry in content.techniques:
        technique = TECHNIQUES.get(entry.code)
        if technique is None:
            errors["techniques"] = "Choose techniques from the list."
            break
        unknown = set(entry.details) - set(technique.field_codes)
        if unknown:
            errors["techniques"] = f"{technique.name} has no such field."
        if any(len(text) > MAX_TEXT_LENGTH for text in entry.details.values()):
            errors["techniques"] = f"Keep each field under {MAX_TEXT_LENGTH:,} characters."
    allowed = {item.code for item in items_for(phase)}
    if set(content.adherence) - allowed:
        errors["adherence"] = "Tick only items of this session's checklist."
    return errors


def _details_json(details: Mapping[str, str]) -> str:
    cleaned = {key: value for key, value in details.items() if value.strip()}
    return json.dumps(cleaned, ensure_ascii=False, sort_keys=True) if cleaned else ""


def technique_details(use: TechniqueUse) -> dict[str, str]:
    """The structured fields of a technique use (an empty dict when none were written)."""
    if not use.details:
        return {}
    try:
        loaded = json.loads(use.details)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(key): str(value) for key, value in loaded.items()}


def _save_techniques(session: Session, entries: Sequence[TechniqueEntry]) -> bool:
    """Make the session's technique uses match `entries`; True when anything changed."""
    existing = {use.technique: use for use in session.techniques.all()}
    wanted = {entry.code: _details_json(entry.details) for entry in entries}
    changed = False
    for code, use in existing.items():
        if code not in wanted:
            use.delete()
            changed = True
        elif use.details != wanted[code]:
            use.details = wanted[code]
            use.save(update_fields=["details", "updated_at"])
            changed = True
    for code, details in wanted.items():
        if code not in existing:
            TechniqueUse.objects.create(session=session, technique=code, details=details)
            changed = True
    return changed


def _ordered_adherence(phase: Phase, codes: Sequence[str]) -> list[str]:
    ticked = set(codes)
    return [item.code for item in items_for(phase) if item.code in ticked]


@transaction.atomic
def session_record(*, actor: User, course: Course, number: int, content: SessionContent) -> Session:
    """Record session `number` of the course, with its techniques and process note."""
    require_writer(actor, course)
    phase, errors = _number_errors(course, number)
    # Every problem is reported at once; with an impossible number the rest is
    # checked against the course's current phase.
    errors.update(_content_errors(course, phase or Phase(course.phase), content))
    if errors or phase is None:
        raise ValidationError(errors)
    session = Session(
        course=course,
        number=number,
        date=content.date,
        attendance=content.attendance,
        phase=phase,
        adherence=_ordered_adherence(phase, content.adherence),
        recorded_by=actor,
        **{name: getattr(content, name).strip() for name in SESSION_TEXT_FIELDS},
    )
    try:
        # The unique constraint decides, so that two submits racing past any
        # earlier check still store one session; the savepoint keeps the outer
        # transaction usable after the refused insert.
        with transaction.atomic():
            session.save()
    except IntegrityError as exc:
        raise ValidationError({"number": _duplicate_message(number)}) from exc
    _save_techniques(session, content.techniques)
    written = [name for name in SESSION_TEXT_FIELDS if getattr(session, name)]
    _audit(
        actor,
        course,
        AuditAction.CREATE,
        "session",
        ["number", "date", "attendance", "phase", *written]
        + (["techniques"] if content.techniques else [])
        + (["adherence"] if session.adherence else []),
        session.public_id,
    )
    if content.process_note.strip():
        note = ProcessNote.objects.create(
            session=session, text=content.process_note.strip(), author=actor
        )
        _audit(actor, course, AuditAction.CREATE, "process_note", ["text"], note.public_id)
    return session


@transaction.atomic
def session_update(
    *,
    actor: User,
    session: Session,
    expected_version: int,
    content: SessionContent,
    expected_note_version: int | None,
) -> Session:
    """Save an edit of a session and its process note.

    `expected_version` is the session version the editor started from;
    `expected_note_version` the process note's (None when there was no note yet).
    Either one out of date raises StaleEditError and nothing is saved.
    """
    course = session.course
    require_writer(actor, course)
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.version != expected_version:
        raise StaleEditError("session")
    note = ProcessNote.objects.select_for_update().filter(session=locked).first()
    current_note_version = note.version if note is not None else None
    if current_note_version != expected_note_version:
        raise StaleEditError("process_note")
    phase = Phase(locked.phase)
    errors = _content_errors(course, phase, content)
    if errors:
        raise ValidationError(errors)

    changed: list[str] = []
    for name in SESSION_TEXT_FIELDS:
        value = getattr(content, name).strip()
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if locked.date != content.date:
        locked.date = content.date
        changed.append("date")
    if locked.attendance != content.attendance:
        locked.attendance = content.attendance
        changed.append("attendance")
    adherence = _ordered_adherence(phase, content.adherence)
    if list(locked.adherence) != adherence:
        locked.adherence = adherence
        changed.append("adherence")
    if _save_techniques(locked, content.techniques):
        changed.append("techniques")
    if changed:
        locked.version += 1
        locked.save()
        _audit(actor, course, AuditAction.UPDATE, "session", changed, locked.public_id)

    text = content.process_note.strip()
    if note is None and text:
        note = ProcessNote.objects.create(session=locked, text=text, author=actor)
        _audit(actor, course, AuditAction.CREATE, "process_note", ["text"], note.public_id)
    elif note is not None and note.text != text:
        note.text = text
        note.version += 1
        note.save()
        _audit(actor, course, AuditAction.UPDATE, "process_note", ["text"], note.public_id)
    return locked
