"""Group IPT writes: form a group and record a group session, as the facilitator's pages do.

`POST /groups` is the "form a group" page (`groups.services.members.group_create`):
only a facilitator forms a group, at a site where they facilitate, for an
active programme that runs there. `POST /groups/{group_id}/sessions` is the
phone session form (`groups.services.sessions.group_session_record`): one call
stores attendance, each present member's PHQ-9, tasks, reviews, the session
notes, the adherence checklist and the self-rating in one transaction; a
positive item 9 raises the safety loop's alert (told to the facilitator's
supervisors) in that same transaction, and the answer lists it. Only the
group's own facilitator records (its supervisor reads: 403).

Retries are safe: the `Idempotency-Key` header plays the part of the form's
hidden key. The same key for the same group returns the session already
stored (200) and writes nothing; without a key, `number` (required) still
stops a repeat from storing a second session (409, "already recorded").

Both paths are also read paths (GET /groups, GET /groups/{id}/sessions), and
ninja serves one path from one router: so these operations register on the
groups router (`openipt.api.main` imports this module for that).
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Annotated
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Header, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, StrictInt, StringConstraints

from openipt.api.errors import errors
from openipt.api.routers.common import actor_of
from openipt.api.routers.groups import (
    GroupOut,
    GroupSessionOut,
    group_out,
    group_session_out,
    router,
)
from openipt.api.routers.write_errors import renamed
from openipt.groups.models import Group, GroupMember, MemberScore, Programme
from openipt.groups.selectors.sessions import group_for_recording, members_for_form
from openipt.groups.services.members import group_create
from openipt.groups.services.session_checks import MemberEntry, member_error_key
from openipt.groups.services.sessions import (
    GroupSessionResult,
    SessionNumberTaken,
    group_session_record,
)
from openipt.practice.models import Practice, Role
from openipt.practice.roles import roles_for
from openipt.safety.models import RiskAlert

KEY_MAX = 64
Answer = StrictInt | Annotated[str, StringConstraints(strict=True, max_length=64)] | None
AREA_CHOSEN = (
    "This member's problem area was chosen already: the session form does not change it "
    "(their member page does). Leave problem_area out or send the same one."
)


class GroupIn(Schema):
    name: str = Field(description="A name you and the members recognise.")
    programme_id: UUID | None = Field(
        None, description="The programme; may be left out when only one runs at the site."
    )
    site_id: UUID | None = Field(
        None,
        description="The site (practice) to form it at; may be left out when you facilitate "
        "at one site only.",
    )
    composition_label: str = Field(
        "",
        max_length=60,
        description="Who the group is for, when the programme separates groups: 'woman' or "
        "'man', or an age band such as '18-29' or '60+'.",
    )


class MemberEntryIn(Schema):
    member_id: UUID
    present: bool
    answers: dict[Annotated[str, StringConstraints(max_length=64)], Answer] = Field(
        default_factory=dict,
        description="A present member's PHQ-9 by linkId (GET /instruments/phq9): the option's "
        "ordinal (0–3) or code. Empty for an absent member.",
    )
    task_text: str = Field("", description="The task agreed until the next meeting.")
    previous_task_outcome: str = Field(
        "", description="How last time's task went: done, partly or not_done (if there was one)."
    )
    problem_area: str = Field(
        "",
        description="grief, role_dispute, role_transition or interpersonal_deficits, for a "
        "member who has none yet.",
    )


class GroupSessionIn(Schema):
    number: int = Field(ge=1, le=1000, description="The session's number: the next one.")
    held_on: datetime.date = Field(description="The day it was held (not in the future).")
    entries: list[MemberEntryIn] = Field(description="One entry for every enrolled member.")
    notes: str = Field("", description="The facilitator's notes about the session.")
    adherence_checked: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, description="Codes of the checklist items done in this session."
    )
    self_fidelity: int | None = Field(
        None, description="Your own rating of the session, 1 to 5 (optional)."
    )


class SessionAlertOut(Schema):
    id: UUID
    member_id: UUID


class GroupSessionRecordedOut(GroupSessionOut):
    alerts: list[SessionAlertOut] = Field(
        description="Risk alerts raised by members' answers in this session (on a replay: "
        "the session's alerts)."
    )


def _facilitator_site(actor_sites: list[Practice], site_id: UUID | None) -> Practice:
    if site_id is not None:
        site = next((p for p in actor_sites if p.public_id == site_id), None)
        if site is None:
            raise ValidationError({"site_id": "Choose a site where you facilitate groups."})
        return site
    if len(actor_sites) != 1:
        raise ValidationError(
            {"site_id": "You facilitate at more than one site: say which one (site_id)."}
        )
    return actor_sites[0]


def _programme(site: Practice, programme_id: UUID | None) -> Programme:
    # The same choice as the page's form: the active programmes that run at the site.
    programmes = list(Programme.objects.filter(is_active=True, sites__practice=site))
    if not programmes:
        raise ValidationError(
            {"programme_id": "No programme runs at this site: ask the programme manager."}
        )
    if programme_id is None:
        if len(programmes) == 1:
            return programmes[0]
        raise ValidationError({"programme_id": "Choose the programme."})
    chosen = next((p for p in programmes if p.public_id == programme_id), None)
    if chosen is None:
        raise ValidationError(
            {"programme_id": "Choose one of the programmes that run at this site."}
        )
    return chosen


@router.post("/groups", response={201: GroupOut, **errors(403, 422)}, url_name="group_create")
def group_create_api(request: HttpRequest, payload: GroupIn) -> Status[GroupOut]:
    """Form a new group (status `forming`) that you lead; members are placed from the pages.

    Only facilitators form groups (403 for every other role).
    """
    actor = actor_of(request)
    roles = roles_for(actor)
    site_ids = [pid for pid, held in roles.by_practice.items() if Role.FACILITATOR in held]
    if not site_ids:
        raise PermissionDenied
    site = _facilitator_site(list(Practice.objects.filter(pk__in=site_ids)), payload.site_id)
    programme = _programme(site, payload.programme_id)
    try:
        group = group_create(
            actor=actor,
            programme=programme,
            practice=site,
            name=payload.name,
            composition_label=payload.composition_label,
        )
    except ValidationError as exc:
        raise renamed(exc, {"programme": "programme_id"}) from exc
    return Status(201, group_out(group))


def _stored_key(group: Group, header: str | None) -> str | None:
    """The header's key, scoped to the group, in the form key's alphabet and length.

    Group session keys are unique across the whole database; hashing the
    caller's key with the group's id keeps two scripts' "retry-1" apart.
    """
    key = (header or "").strip()
    if not key:
        return None
    if len(key) > KEY_MAX:
        raise ValidationError({"Idempotency-Key": f"Keep the key to {KEY_MAX} characters."})
    digest = hashlib.sha256(f"{group.public_id}:{key}".encode()).hexdigest()
    return f"api-{digest[:56]}"


def _entries(group: Group, payload: GroupSessionIn) -> list[MemberEntry]:
    """The form's MemberEntry per member; a problem area is only set where none is chosen."""
    members: dict[UUID, GroupMember] = {
        m.public_id: m for m in members_for_form(group=group, session=None)
    }
    found: list[MemberEntry] = []
    refused: dict[str, str] = {}
    for entry in payload.entries:
        area = entry.problem_area.strip()
        member = members.get(entry.member_id)
        if member is not None and member.problem_area and area:
            if area != member.problem_area:
                refused[member_error_key(entry.member_id, "problem_area")] = AREA_CHOSEN
            area = ""
        found.append(
            MemberEntry(
                member_public_id=entry.member_id,
                present=entry.present,
                answers=dict(entry.answers),
                task_text=entry.task_text,
                previous_task_outcome=entry.previous_task_outcome.strip(),
                problem_area=area,
            )
        )
    if refused:
        raise ValidationError(refused)
    return found


def _recorded_out(result: GroupSessionResult) -> GroupSessionRecordedOut:
    alerts: list[RiskAlert] = result.alerts
    members = dict(
        MemberScore.objects.filter(public_id__in=[a.source_public_id for a in alerts]).values_list(
            "public_id", "member__public_id"
        )
    )
    base = group_session_out(result.session)
    return GroupSessionRecordedOut(
        **base.model_dump(),
        alerts=[
            SessionAlertOut(id=a.public_id, member_id=members[a.source_public_id])
            for a in alerts
            if a.source_public_id in members
        ],
    )


@router.post(
    "/groups/{group_id}/sessions",
    response={
        201: GroupSessionRecordedOut,
        200: GroupSessionRecordedOut,
        **errors(403, 404, 409, 422),
    },
    url_name="group_session_record",
)
def group_session_record_api(
    request: HttpRequest,
    group_id: UUID,
    payload: GroupSessionIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Status[GroupSessionRecordedOut]:
    """Record the group's next session: 201 when stored, 200 when the key's session is returned.

    Errors about one member are keyed `<member_id>:<field>` (a PHQ-9 item by its linkId);
    a group that has not started or has ended, or a number already recorded, is a 409.
    """
    actor = actor_of(request)
    group = group_for_recording(actor=actor, public_id=group_id)
    key = _stored_key(group, idempotency_key)
    entries = _entries(group, payload)
    try:
        result = group_session_record(
            actor=actor,
            group=group,
            number=payload.number,
            held_on=payload.held_on,
            entries=entries,
            notes=payload.notes,
            adherence_checked=payload.adherence_checked,
            self_fidelity=payload.self_fidelity,
            idempotency_key=key,
        )
    except SessionNumberTaken as exc:
        raise HttpError(409, f"{exc} Its id is {exc.session.public_id}.") from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "group" in exc.error_dict:
            raise HttpError(409, " ".join(exc.message_dict["group"])) from exc
        raise
    return Status(201 if result.created else 200, _recorded_out(result))
