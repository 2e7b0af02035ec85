"""A course's record: problem areas (focus) and goals here; sessions and the inventory in
`record_sessions` and `record_inventory`, mounted on this router.

Structured fields only are read back: the clinician's narrative text (interval
history, session summaries, inventory descriptions, what the focus means in the
client's situation, process notes) can be written where the pages write it but
stays in the pages, so that a script's logs cannot collect it by accident.
Names of inventory people and goal wording are included because integrations
need them to be useful.

Writes validate with the pages' forms (`FocusAreaForm`, `GoalForm`) and call
the pages' services (`focus_set`, `goal_add`, `goal_end`); only a clinician on
the client's care team may write (a supervisor, who reads, gets 403).
"""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from openipt.api.errors import errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers import record_inventory, record_sessions
from openipt.api.routers.common import actor_of
from openipt.api.routers.writing import WriteIn, course_read, form_data, validated
from openipt.courses.forms import FocusAreaForm, GoalForm
from openipt.courses.models import Course, FocusArea, Goal
from openipt.courses.selectors import course_get_for_writing, courses_visible_to
from openipt.courses.selectors import sessions as session_selectors
from openipt.courses.services import formulation as formulation_services
from openipt.protocol.errors import ProtocolError
from openipt.protocol.problem_areas import MAX_FOCUS_AREAS, label_for

router = Router(tags=["course record"])
router.add_router("/", record_sessions.router)
router.add_router("/", record_inventory.router)


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


def _area_label(course: Course, code: str) -> str:
    try:
        return label_for(code, course.practice.problem_area_labels or None)
    except ProtocolError:
        return code


def focus_out(course: Course, area: FocusArea) -> FocusAreaOut:
    return FocusAreaOut(
        id=area.public_id,
        course_id=course.public_id,
        area=area.area,
        label=_area_label(course, area.area),
        dispute_stage=area.dispute_stage,
        ended_at=area.ended_at,
        created_at=area.created_at,
    )


def goal_out(goal: Goal) -> GoalOut:
    return GoalOut(
        id=goal.public_id,
        course_id=goal.course.public_id,
        focus_area_id=goal.focus_area.public_id if goal.focus_area else None,
        text=goal.text,
        position=goal.position,
        rating_at_start=goal.rating_at_start,
        ended_at=goal.ended_at,
        created_at=goal.created_at,
    )


@router.get(
    "/courses/{course_id}/focus",
    response={200: Page[FocusAreaOut], **errors(404, 422)},
    url_name="course_focus_list",
)
def course_focus_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    """The problem areas chosen as the focus; ended ones have `ended_at`."""
    course = course_read(request, course_id)
    return paginate(
        FocusArea.objects.filter(course=course), page, lambda area: focus_out(course, area)
    )


@router.get(
    "/courses/{course_id}/goals",
    response={200: Page[GoalOut], **errors(404, 422)},
    url_name="course_goal_list",
)
def course_goal_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    course = course_read(request, course_id)
    goals = Goal.objects.filter(course=course).select_related("course", "focus_area")
    return paginate(goals, page, goal_out)


# --- writing ----------------------------------------------------------------------------


class FocusChoiceIn(WriteIn):
    area: str = Field(max_length=32, description="A problem area code, e.g. role_transition.")
    detail: str = Field("", max_length=4000, description="In the client's situation.")
    dispute_person_id: UUID | None = Field(None, description="Role dispute: an inventory person.")
    dispute_stage: str = Field("", max_length=16, description="Role dispute: its stage.")
    old_role: str = Field("", max_length=1000, description="Role transition.")
    new_role: str = Field("", max_length=1000, description="Role transition.")
    grief_person_id: UUID | None = Field(None, description="Grief: who was lost (inventory).")
    loss_date: datetime.date | None = None
    loss_is_death: bool = True


class FocusIn(WriteIn):
    areas: list[FocusChoiceIn] = Field(max_length=MAX_FOCUS_AREAS)
    reason: str = Field(
        "", max_length=4000, description="Required to change a focus after the initial phase."
    )


class GoalIn(WriteIn):
    text: str = Field(max_length=4000)
    focus_area_id: UUID | None = Field(None, description="One of the current focus areas.")
    rating_at_start: int | None = Field(None, ge=-1000, le=1000, description="0 to 10.")


FOCUS_NAMES = {"dispute_person": "dispute_person_id", "grief_person": "grief_person_id"}


@router.put(
    "/courses/{course_id}/focus",
    response={200: list[FocusAreaOut], **errors(403, 404, 422)},
    url_name="course_focus_set",
)
def course_focus_set(request: HttpRequest, course_id: UUID, payload: FocusIn) -> list[FocusAreaOut]:
    """Set the focus (one or two problem areas), as the *Focus* page does; answers the new focus.

    The areas sent replace the current focus; the old one is kept, ended. After
    the initial phase a change needs a `reason`. Sending the current focus again
    changes nothing.
    """
    actor = actor_of(request)
    course = course_get_for_writing(actor=actor, public_id=course_id)
    people = {str(p.public_id): p for p in session_selectors.inventory_people(course=course)}
    choices = []
    problems: dict[str, Any] = {}
    for index, item in enumerate(payload.areas):
        data = item.model_dump()
        data["dispute_person"] = str(data.pop("dispute_person_id") or "")
        data["grief_person"] = str(data.pop("grief_person_id") or "")
        try:
            form = validated(
                FocusAreaForm(form_data(data), people=[(k, p.name) for k, p in people.items()]),
                rename=FOCUS_NAMES,
                prefix=f"areas.{index}.",
            )
        except ValidationError as exc:
            # Every area's problems at once, as the page's formset shows them.
            problems.update(exc.error_dict)
            continue
        cleaned = form.cleaned_data
        if not cleaned["area"]:
            problems[f"areas.{index}.area"] = "Choose a problem area."
            continue
        choices.append(
            formulation_services.FocusChoice(
                area=cleaned["area"],
                detail=cleaned["detail"],
                dispute_person=people.get(cleaned["dispute_person"]),
                dispute_stage=cleaned["dispute_stage"],
                old_role=cleaned["old_role"],
                new_role=cleaned["new_role"],
                grief_person=people.get(cleaned["grief_person"]),
                loss_date=cleaned["loss_date"],
                loss_is_death=bool(cleaned["loss_is_death"]),
            )
        )
    if problems:
        raise ValidationError(problems)
    formulation_services.focus_set(
        actor=actor, course=course, choices=choices, reason=payload.reason
    )
    current = FocusArea.objects.filter(course=course, ended_at=None).order_by("created_at")
    return [focus_out(course, area) for area in current]


@router.post(
    "/courses/{course_id}/goals",
    response={201: GoalOut, **errors(403, 404, 422)},
    url_name="course_goal_create",
)
def course_goal_create(request: HttpRequest, course_id: UUID, payload: GoalIn) -> Status[GoalOut]:
    """Add a goal, as the *Goals* page does (linked, if at all, to a current focus area)."""
    actor = actor_of(request)
    course = course_get_for_writing(actor=actor, public_id=course_id)
    current = session_selectors.current_focus_areas(course=course)
    areas = [(str(area.public_id), _area_label(course, area.area)) for area in current]
    data = {
        "text": payload.text,
        "focus_area": str(payload.focus_area_id or ""),
        "rating_at_start": "" if payload.rating_at_start is None else payload.rating_at_start,
    }
    form = validated(GoalForm(data, areas=areas), rename={"focus_area": "focus_area_id"})
    cleaned = form.cleaned_data
    goal = formulation_services.goal_add(
        actor=actor,
        course=course,
        text=cleaned["text"],
        focus_area=next((a for a in current if str(a.public_id) == cleaned["focus_area"]), None),
        rating_at_start=cleaned["rating_at_start"],
    )
    return Status(201, goal_out(goal))


@router.post(
    "/goals/{goal_id}/end",
    response={200: GoalOut, **errors(403, 404, 422)},
    url_name="goal_end",
)
def goal_end(request: HttpRequest, goal_id: UUID) -> GoalOut:
    """Retire a goal, as the *Goals* page does: it stays in the record with `ended_at`.

    Goals are not edited otherwise (the page offers no edit). Ending an ended goal
    changes nothing.
    """
    actor = actor_of(request)
    visible = courses_visible_to(actor=actor)
    course_id = (
        Goal.objects.filter(course__in=visible, public_id=goal_id)
        .values_list("course__public_id", flat=True)
        .first()
    )
    if course_id is None:
        raise Http404
    course = course_get_for_writing(actor=actor, public_id=course_id)
    goal = Goal.objects.select_related("course", "focus_area").get(course=course, public_id=goal_id)
    formulation_services.goal_end(actor=actor, goal=goal)
    goal.refresh_from_db()
    return goal_out(goal)
