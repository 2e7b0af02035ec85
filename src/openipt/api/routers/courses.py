"""Courses: list and read, with the phase, the gate into the middle phase and the next step.

The state comes from the protocol engine exactly as the course overview shows
it (`courses.state.course_state` → `gate_status` / `advance_decision`).
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema

from openipt.api.errors import errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.courses.models import Course
from openipt.courses.selectors import course_get_for_actor, courses_visible_to
from openipt.courses.state import course_state
from openipt.practice.selectors import client_get_for_actor
from openipt.protocol.engine import advance_decision, gate_status

router = Router(tags=["courses"])


class CourseOut(Schema):
    id: UUID
    client_id: UUID
    variant: str
    planned_sessions: int | None
    frequency: str
    session_minutes: int
    start_date: datetime.date
    initial_last: int
    middle_last: int
    phase: str
    status: str
    version: int
    created_at: datetime.datetime


class GateTaskOut(Schema):
    code: str
    label: str


class GateOut(Schema):
    open: bool
    missing: list[GateTaskOut]


class AdvanceOut(Schema):
    allowed: bool
    to_phase: str | None
    needs_override: bool
    reasons: list[str]


class CourseStateOut(Schema):
    phase: str
    last_session_number: int
    focus_areas: list[str]
    gate: GateOut
    gate_overridden: bool
    advance: AdvanceOut


class CourseDetailOut(CourseOut):
    state: CourseStateOut


class CourseFilter(PageParams):
    client_id: UUID | None = None


def course_out(course: Course) -> CourseOut:
    return CourseOut(
        id=course.public_id,
        client_id=course.client.public_id,
        variant=course.variant,
        planned_sessions=course.planned_sessions,
        frequency=course.frequency,
        session_minutes=course.session_minutes,
        start_date=course.start_date,
        initial_last=course.initial_last,
        middle_last=course.middle_last,
        phase=course.phase,
        status=course.status,
        version=course.version,
        created_at=course.created_at,
    )


def state_out(course: Course) -> CourseStateOut:
    state = course_state(course)
    gate = gate_status(state)
    decision = advance_decision(state)
    return CourseStateOut(
        phase=str(state.phase.value),
        last_session_number=state.last_session_number,
        focus_areas=list(state.focus_areas),
        gate=GateOut(
            open=gate.open,
            missing=[GateTaskOut(code=str(t.code.value), label=t.label) for t in gate.missing],
        ),
        gate_overridden=state.gate_overridden,
        advance=AdvanceOut(
            allowed=decision.allowed,
            to_phase=None if decision.to_phase is None else str(decision.to_phase.value),
            needs_override=decision.needs_override,
            reasons=list(decision.reasons),
        ),
    )


@router.get("/courses", response={200: Page[CourseOut], **errors(404, 422)}, url_name="course_list")
def course_list(request: HttpRequest, page: Query[CourseFilter]) -> dict[str, object]:
    """Courses the token's owner may read; `client_id` narrows to one client (404 if unseen)."""
    actor = actor_of(request)
    queryset = courses_visible_to(actor=actor).select_related("client")
    if page.client_id is not None:
        client = client_get_for_actor(actor=actor, public_id=page.client_id)
        queryset = queryset.filter(client=client)
    return paginate(queryset, page, course_out)


@router.get(
    "/courses/{course_id}",
    response={200: CourseDetailOut, **errors(404, 422)},
    url_name="course_get",
)
def course_get(request: HttpRequest, course_id: UUID) -> CourseDetailOut:
    """One course with its state: phase, the gate into the middle phase, whether it may move on."""
    course = course_get_for_actor(actor=actor_of(request), public_id=course_id)
    audit_read(
        request,
        object_type="course",
        public_id=course.public_id,
        practice=course.practice,
        client_public_id=course.client.public_id,
    )
    return CourseDetailOut(**course_out(course).model_dump(), state=state_out(course))
