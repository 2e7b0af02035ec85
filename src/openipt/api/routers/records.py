"""A course's record: sessions, interpersonal inventory, problem areas (focus) and goals.

Read-only. Structured fields only: the clinician's narrative text (interval
history, session summaries, inventory descriptions) stays in the pages, so a
script's logs cannot collect it by accident. Names of inventory people and
goal wording are included because integrations need them to be useful.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from openipt.api.errors import errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.courses.models import Course, FocusArea, Goal, InventoryPerson, Session
from openipt.courses.selectors import course_get_for_actor, courses_visible_to
from openipt.protocol.errors import ProtocolError
from openipt.protocol.problem_areas import label_for

router = Router(tags=["course record"])


class SessionOut(Schema):
    id: UUID
    course_id: UUID
    number: int
    date: datetime.date
    attendance: str
    phase: str
    version: int
    created_at: datetime.datetime


class InventoryPersonOut(Schema):
    id: UUID
    course_id: UUID
    name: str
    relationship: str
    ring: int
    contact_frequency: str
    problem_area: str
    removed_at: datetime.datetime | None
    created_at: datetime.datetime


class FocusAreaOut(Schema):
    id: UUID
    course_id: UUID
    area: str
    label: str
    dispute_stage: str
    ended_at: datetime.datetime | None
    created_at: datetime.datetime


class GoalOut(Schema):
    id: UUID
    course_id: UUID
    focus_area_id: UUID | None
    text: str
    position: int
    rating_at_start: int | None
    ended_at: datetime.datetime | None
    created_at: datetime.datetime


def _course(request: HttpRequest, course_id: UUID) -> Course:
    course = course_get_for_actor(actor=actor_of(request), public_id=course_id)
    audit_read(
        request,
        object_type="course",
        public_id=course.public_id,
        practice=course.practice,
        client_public_id=course.client.public_id,
    )
    return course


def session_out(session: Session) -> SessionOut:
    return SessionOut(
        id=session.public_id,
        course_id=session.course.public_id,
        number=session.number,
        date=session.date,
        attendance=session.attendance,
        phase=session.phase,
        version=session.version,
        created_at=session.created_at,
    )


def _area_label(course: Course, code: str) -> str:
    try:
        return label_for(code, course.practice.problem_area_labels or None)
    except ProtocolError:
        return code


@router.get(
    "/courses/{course_id}/sessions",
    response={200: Page[SessionOut], **errors(404, 422)},
    url_name="course_session_list",
)
def course_session_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    course = _course(request, course_id)
    return paginate(
        Session.objects.filter(course=course).select_related("course"), page, session_out
    )


@router.get(
    "/sessions/{session_id}", response={200: SessionOut, **errors(404, 422)}, url_name="session_get"
)
def session_get(request: HttpRequest, session_id: UUID) -> SessionOut:
    visible = courses_visible_to(actor=actor_of(request))
    try:
        session = Session.objects.select_related(
            "course", "course__client", "course__practice"
        ).get(course__in=visible, public_id=session_id)
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


@router.get(
    "/courses/{course_id}/inventory",
    response={200: Page[InventoryPersonOut], **errors(404, 422)},
    url_name="course_inventory_list",
)
def course_inventory_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    """Everyone in the interpersonal inventory, removed people included (see `removed_at`)."""
    course = _course(request, course_id)

    def shape(person: InventoryPerson) -> InventoryPersonOut:
        return InventoryPersonOut(
            id=person.public_id,
            course_id=course.public_id,
            name=person.name,
            relationship=person.relationship,
            ring=person.ring,
            contact_frequency=person.contact_frequency,
            problem_area=person.problem_area,
            removed_at=person.removed_at,
            created_at=person.created_at,
        )

    return paginate(InventoryPerson.objects.filter(course=course), page, shape)


@router.get(
    "/courses/{course_id}/focus",
    response={200: Page[FocusAreaOut], **errors(404, 422)},
    url_name="course_focus_list",
)
def course_focus_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    """The problem areas chosen as the focus; ended ones have `ended_at`."""
    course = _course(request, course_id)

    def shape(area: FocusArea) -> FocusAreaOut:
        return FocusAreaOut(
            id=area.public_id,
            course_id=course.public_id,
            area=area.area,
            label=_area_label(course, area.area),
            dispute_stage=area.dispute_stage,
            ended_at=area.ended_at,
            created_at=area.created_at,
        )

    return paginate(FocusArea.objects.filter(course=course), page, shape)


@router.get(
    "/courses/{course_id}/goals",
    response={200: Page[GoalOut], **errors(404, 422)},
    url_name="course_goal_list",
)
def course_goal_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    course = _course(request, course_id)

    def shape(goal: Goal) -> GoalOut:
        return GoalOut(
            id=goal.public_id,
            course_id=course.public_id,
            focus_area_id=goal.focus_area.public_id if goal.focus_area else None,
            text=goal.text,
            position=goal.position,
            rating_at_start=goal.rating_at_start,
            ended_at=goal.ended_at,
            created_at=goal.created_at,
        )

    return paginate(Goal.objects.filter(course=course).select_related("focus_area"), page, shape)
