"""Sessions of a course: list, read, record one, and edit one, as the session pages do.

Writes go through `courses.services.sessions.session_record` / `session_update`,
the services of the session pages: the same rules (numbers unique within the
course and within the contract, no date before the course started, techniques
and adherence items from the protocol's lists), the same audit events, and the
same refusal of an edit based on an older version of the session or of its
process note (409).

The process note is the clinician's private text. It can be written here (as
on the session page, by a clinician on the care team) but it is **never
returned**: the answers carry only `process_note_version`, which an edit of the
note must send back. The narrative fields (interval history, mood and events,
work on the focus, summary) are likewise written but not read back.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Annotated, Any
from uuid import UUID

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, StringConstraints

from openipt.api.errors import ErrorOut, errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.api.routers.writing import SmallInt, WriteIn, course_read, stale
from openipt.courses.models import Attendance, ProcessNote, Session
from openipt.courses.selectors import course_get_for_writing, courses_visible_to
from openipt.courses.selectors import sessions as session_selectors
from openipt.courses.services import sessions as session_services
from openipt.courses.services.sessions import SessionContent, TechniqueEntry

router = Router(tags=["course record"])

Code = Annotated[str, StringConstraints(max_length=64)]


class SessionOut(Schema):
    id: UUID
    course_id: UUID
    number: int
    date: datetime.date
    attendance: str
    phase: str
    version: int
    process_note_version: int | None = Field(
        description="The process note's version (null: no note). Its text is never returned."
    )
    created_at: datetime.datetime


class TechniqueIn(WriteIn):
    code: str = Field(max_length=32, description="A technique code of the protocol.")
    details: dict[Code, str] = Field(
        default_factory=dict, description="The technique's structured fields, by field code."
    )


class SessionFields(WriteIn):
    attendance: Attendance | None = None
    interval_history: str | None = None
    mood_event_links: str | None = None
    problem_area_work: str | None = None
    summary: str | None = None
    techniques: list[TechniqueIn] | None = Field(
        None, max_length=50, description="Replaces the techniques recorded for the session."
    )
    adherence: list[Code] | None = Field(
        None, max_length=50, description="Codes of the phase's adherence checklist items done."
    )
    process_note: str | None = Field(
        None, description="Private to the clinical team; written, never returned."
    )


class SessionCreateIn(SessionFields):
    number: SmallInt = Field(description="The session's number (1 for the first).")
    date: datetime.date


class SessionUpdateIn(SessionFields):
    version: int = Field(description="The session's `version` you read (409 if it changed).")
    process_note_version: int | None = Field(
        None,
        description="Required with `process_note` when the session has one: the note's "
        "`process_note_version` you read (409 if it changed).",
    )
    date: datetime.date | None = None


def sessions_with_note_version() -> QuerySet[Session]:
    """Sessions with their process note's version (not its text), in one query."""
    note = ProcessNote.objects.filter(session=OuterRef("pk")).values("version")[:1]
    return Session.objects.select_related("course").annotate(note_version=Subquery(note))


def session_out(session: Session) -> SessionOut:
    return SessionOut(
        id=session.public_id,
        course_id=session.course.public_id,
        number=session.number,
        date=session.date,
        attendance=session.attendance,
        phase=session.phase,
        version=session.version,
        process_note_version=getattr(session, "note_version", None),
        created_at=session.created_at,
    )


def _fresh(session: Session) -> SessionOut:
    return session_out(sessions_with_note_version().get(pk=session.pk))


@router.get(
    "/courses/{course_id}/sessions",
    response={200: Page[SessionOut], **errors(404, 422)},
    url_name="course_session_list",
)
def course_session_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    course = course_read(request, course_id)
    return paginate(sessions_with_note_version().filter(course=course), page, session_out)


@router.get(
    "/sessions/{session_id}", response={200: SessionOut, **errors(404, 422)}, url_name="session_get"
)
def session_get(request: HttpRequest, session_id: UUID) -> SessionOut:
    visible = courses_visible_to(actor=actor_of(request))
    try:
        session = (
            sessions_with_note_version()
            .select_related("course__client", "course__practice")
            .get(course__in=visible, public_id=session_id)
        )
    except Session.DoesNotExist as exc:
        raise Http404 from exc
    audit_read(
        request,
        object_type="session",
        public_id=session.public_id,
        practice=session.course.practice,
        client_public_id=session.course.client.public_id,
    )
    return session_out(session)


def _techniques(items: list[TechniqueIn]) -> list[TechniqueEntry]:
    return [TechniqueEntry(code=item.code, details=dict(item.details)) for item in items]


def _content_changes(payload: SessionFields) -> dict[str, Any]:
    """The content fields the request sent with a value (absent or null: unchanged)."""
    changes: dict[str, Any] = {}
    for name in ("date", *session_services.SESSION_TEXT_FIELDS, "process_note"):
        value = getattr(payload, name, None)
        if value is not None:
            changes[name] = value
    if payload.attendance is not None:
        changes["attendance"] = payload.attendance.value
    if payload.techniques is not None:
        changes["techniques"] = _techniques(payload.techniques)
    if payload.adherence is not None:
        changes["adherence"] = list(payload.adherence)
    return changes


@router.post(
    "/courses/{course_id}/sessions",
    response={201: SessionOut, **errors(403, 404, 422)},
    url_name="course_session_create",
)
def course_session_create(
    request: HttpRequest, course_id: UUID, payload: SessionCreateIn
) -> Status[SessionOut]:
    """Record session `number` of the course, as *Record session* does.

    Only a clinician on the client's care team may (a supervisor gets 403). A
    number already recorded is a 422, so a retried request stores one session.
    """
    actor = actor_of(request)
    course = course_get_for_writing(actor=actor, public_id=course_id)
    content = SessionContent(**_content_changes(payload))
    session = session_services.session_record(
        actor=actor, course=course, number=payload.number, content=content
    )
    return Status(201, _fresh(session))


@router.patch(
    "/sessions/{session_id}",
    response={200: SessionOut, 409: ErrorOut, **errors(403, 404, 422)},
    url_name="session_update",
)
def session_update(request: HttpRequest, session_id: UUID, payload: SessionUpdateIn) -> SessionOut:
    """Change the fields sent (absent or null: unchanged), as the session page does.

    `version` must be the session's current version; to change the process note,
    also send `process_note_version` (left out when the session has no note yet).
    """
    actor = actor_of(request)
    visible = courses_visible_to(actor=actor)
    found = (
        Session.objects.filter(course__in=visible, public_id=session_id)
        .values_list("course__public_id", flat=True)
        .first()
    )
    if found is None:
        raise Http404
    course = course_get_for_writing(actor=actor, public_id=found)
    session = session_selectors.session_get(course=course, public_id=session_id)
    note = session_selectors.process_note_for(session=session)
    # What the session says now; the request changes only what it sends. The
    # note's text is read to be kept as it is, never to be returned.
    current = SessionContent(
        date=session.date,
        attendance=session.attendance,
        techniques=[
            TechniqueEntry(code=use.technique, details=session_services.technique_details(use))
            for use in session.techniques.all()
        ],
        adherence=list(session.adherence),
        process_note=note.text if note is not None else "",
        **{name: getattr(session, name) for name in session_services.SESSION_TEXT_FIELDS},
    )
    changes = _content_changes(payload)
    if "process_note" in changes:
        expected_note = payload.process_note_version
    else:
        expected_note = note.version if note is not None else None
    try:
        session_services.session_update(
            actor=actor,
            session=session,
            expected_version=payload.version,
            content=dataclasses.replace(current, **changes),
            expected_note_version=expected_note,
        )
    except session_services.StaleEditError as exc:
        if exc.what == "process_note":
            raise stale("process note", expected_note) from exc
        raise stale("session", payload.version) from exc
    return _fresh(session)
