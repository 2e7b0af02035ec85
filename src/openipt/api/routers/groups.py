"""Group IPT: groups and their sessions, read-only, as the facilitator or supervisor sees them.

Members' scores are not part of these answers: group co-members never see each
other's scores, and the group pages show them per member only. The member list
gives the ids a session is recorded with (`POST /groups/{id}/sessions`), as the
group page lists its members.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema

from openipt.api.errors import errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.groups.models import Group, GroupMember, GroupSession
from openipt.groups.selectors.access import (
    group_get_for_actor,
    group_session_get_for_actor,
    groups_visible_to,
    members_visible_to,
    sessions_visible_to,
)

router = Router(tags=["groups"])


class GroupOut(Schema):
    id: UUID
    programme_id: UUID
    name: str
    planned_sessions: int
    initial_last: int
    middle_last: int
    max_size: int
    status: str
    started_on: datetime.date | None
    completed_on: datetime.date | None
    created_at: datetime.datetime


class GroupSessionOut(Schema):
    id: UUID
    group_id: UUID
    number: int
    held_on: datetime.date | None
    status: str
    adherence_percent: int | None
    version: int
    created_at: datetime.datetime


class GroupMemberOut(Schema):
    id: UUID
    client_id: UUID
    name: str
    status: str
    problem_area: str
    enrolled_at: datetime.datetime | None
    created_at: datetime.datetime


def group_out(group: Group) -> GroupOut:
    return GroupOut(
        id=group.public_id,
        programme_id=group.programme.public_id,
        name=group.name,
        planned_sessions=group.planned_sessions,
        initial_last=group.initial_last,
        middle_last=group.middle_last,
        max_size=group.max_size,
        status=group.status,
        started_on=group.started_on,
        completed_on=group.completed_on,
        created_at=group.created_at,
    )


def group_session_out(row: GroupSession) -> GroupSessionOut:
    return GroupSessionOut(
        id=row.public_id,
        group_id=row.group.public_id,
        number=row.number,
        held_on=row.held_on,
        status=row.status,
        adherence_percent=row.adherence_percent,
        version=row.version,
        created_at=row.created_at,
    )


def group_member_out(member: GroupMember) -> GroupMemberOut:
    return GroupMemberOut(
        id=member.public_id,
        client_id=member.client.public_id,
        name=member.client.display_name,
        status=member.status,
        problem_area=member.problem_area,
        enrolled_at=member.enrolled_at,
        created_at=member.created_at,
    )


def _audit(request: HttpRequest, object_type: str, public_id: UUID, group: Group) -> None:
    record(
        actor=actor_of(request),
        action=AuditAction.VIEW,
        object_type=object_type,
        object_public_id=public_id,
        practice=group.practice,
    )


@router.get("/groups", response={200: Page[GroupOut], **errors(422)}, url_name="group_list")
def group_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    queryset = groups_visible_to(actor=actor_of(request)).select_related("programme")
    return paginate(queryset, page, group_out)


@router.get(
    "/groups/{group_id}", response={200: GroupOut, **errors(404, 422)}, url_name="group_get"
)
def group_get(request: HttpRequest, group_id: UUID) -> GroupOut:
    group = group_get_for_actor(actor=actor_of(request), public_id=group_id)
    _audit(request, "group", group.public_id, group)
    return group_out(group)


@router.get(
    "/groups/{group_id}/sessions",
    response={200: Page[GroupSessionOut], **errors(404, 422)},
    url_name="group_session_list",
)
def group_session_list(
    request: HttpRequest, group_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    actor = actor_of(request)
    group = group_get_for_actor(actor=actor, public_id=group_id)
    queryset = sessions_visible_to(actor=actor).filter(group=group).select_related("group")
    return paginate(queryset, page, group_session_out)


@router.get(
    "/groups/{group_id}/members",
    response={200: Page[GroupMemberOut], **errors(404, 422)},
    url_name="group_member_list",
)
def group_member_list(
    request: HttpRequest, group_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    """The group's members, those who left or finished included (`status`); no scores."""
    actor = actor_of(request)
    group = group_get_for_actor(actor=actor, public_id=group_id)
    _audit(request, "group_members", group.public_id, group)
    queryset = members_visible_to(actor=actor).filter(group=group).select_related("client")
    return paginate(queryset, page, group_member_out)


@router.get(
    "/group-sessions/{session_id}",
    response={200: GroupSessionOut, **errors(404, 422)},
    url_name="group_session_get",
)
def group_session_get(request: HttpRequest, session_id: UUID) -> GroupSessionOut:
    row = group_session_get_for_actor(actor=actor_of(request), public_id=session_id)
    _audit(request, "group_session", row.public_id, row.group)
    return group_session_out(row)
