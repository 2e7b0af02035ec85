"""Courses: list, read (with the phase, the gate and the next step), start, and change the plan.

The state comes from the protocol engine exactly as the course overview shows
it (`courses.state.course_state` → `gate_status` / `advance_decision`).
Starting a course and changing its plan validate with the pages' forms
(`CourseStartForm`, `PlanForm`) and call the same services (`course_start`,
`course_change_plan`): only a clinician on the client's care team may, and a
supervisor, who reads every course, gets 403.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from openipt.api.errors import ErrorOut, errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.api.routers.writing import SmallInt, WriteIn, form_data, stale, validated
from openipt.courses.forms import CourseStartForm, PlanForm
from openipt.courses.models import Course
from openipt.courses.policies import can_start_course
from openipt.courses.selectors import (
    course_get_for_actor,
    course_get_for_writing,
    courses_visible_to,
)
from openipt.courses.services import course as course_services
from openipt.courses.state import course_state
from openipt.practice.models import CareTeamRole
from openipt.practice.roles import roles_for
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


# --- writing ----------------------------------------------------------------------------


class CourseCreateIn(WriteIn):
    client_id: UUID
    variant: str = Field(
        max_length=32,
        description="The kind of IPT: ipt16, ipt12, ipt_b, ipt_a, ipt_older, "
        "ipt_m (open-ended) or ipc.",
        examples=["ipt16"],
    )
    planned_sessions: SmallInt | None = Field(
        None, description="Null or left out: an open-ended (maintenance) course."
    )
    frequency: str = Field(max_length=16, description="weekly, fortnightly or monthly.")
    session_minutes: SmallInt
    start_date: datetime.date
    initial_last: SmallInt | None = Field(
        None, description="The initial phase ends after this session; left out: the default."
    )
    middle_last: SmallInt | None = Field(
        None, description="The middle phase ends after this session; left out: the default."
    )
    expected_delivery_date: datetime.date | None = Field(None, description="Perinatal IPT.")
    delivery_date: datetime.date | None = Field(None, description="Perinatal IPT.")


class CoursePlanIn(WriteIn):
    planned_sessions: SmallInt | None = Field(
        None, description="Left out: unchanged; null: open-ended."
    )
    initial_last: SmallInt | None = None
    middle_last: SmallInt | None = None
    reason: str = Field(max_length=2000, description="Why the plan changes (kept with it).")
    version: int | None = Field(
        None,
        description="If sent, the change is refused with 409 unless it is the course's "
        "current `version`.",
    )


def _detail(request: HttpRequest, course: Course) -> CourseDetailOut:
    fresh = course_get_for_actor(actor=actor_of(request), public_id=course.public_id)
    return CourseDetailOut(**course_out(fresh).model_dump(), state=state_out(fresh))


@router.post(
    "/courses",
    response={201: CourseDetailOut, **errors(403, 404, 422)},
    url_name="course_create",
)
def course_create(request: HttpRequest, payload: CourseCreateIn) -> Status[CourseDetailOut]:
    """Start a course for a client, as the *Start a course* page does.

    Only a clinician on the client's care team may (403 otherwise; 404 for a
    client out of reach); one active course per client, not for an archived record.
    """
    actor = actor_of(request)
    client = client_get_for_actor(actor=actor, public_id=payload.client_id)
    # As the page: whoever may not start one is told so before the form is read.
    roles = roles_for(actor).in_practice(client.practice_id)
    if not (
        can_start_course(roles)
        and client.care_team.filter(user=actor, role=CareTeamRole.CLINICIAN).exists()
    ):
        raise PermissionDenied
    form = validated(CourseStartForm(form_data(payload.model_dump(exclude={"client_id"}))))
    course = course_services.course_start(
        actor=actor, client=client, **form.course_start_arguments()
    )
    return Status(201, _detail(request, course))


@router.patch(
    "/courses/{course_id}",
    response={200: CourseDetailOut, 409: ErrorOut, **errors(403, 404, 422)},
    url_name="course_update",
)
def course_update(request: HttpRequest, course_id: UUID, payload: CoursePlanIn) -> CourseDetailOut:
    """Change the plan (planned sessions, phase boundaries) with a reason, as the *Plan* page does.

    Fields left out keep their values. The reason is kept with the change.
    """
    actor = actor_of(request)
    course = course_get_for_writing(actor=actor, public_id=course_id)
    sent = payload.model_fields_set
    values = {
        "planned_sessions": payload.planned_sessions
        if "planned_sessions" in sent
        else course.planned_sessions,
        "initial_last": payload.initial_last
        if payload.initial_last is not None
        else course.initial_last,
        "middle_last": payload.middle_last
        if payload.middle_last is not None
        else course.middle_last,
        "reason": payload.reason,
    }
    data = validated(PlanForm(form_data(values))).cleaned_data
    with transaction.atomic():
        if payload.version is not None:
            current = Course.objects.select_for_update().get(pk=course.pk).version
            if current != payload.version:
                raise stale("course", payload.version)
        course = course_services.course_change_plan(
            actor=actor,
            course=course,
            planned_sessions=data["planned_sessions"],
            initial_last=data["initial_last"],
            middle_last=data["middle_last"],
            reason=data["reason"],
        )
    return _detail(request, course)
