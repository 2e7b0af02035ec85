"""Group: one group-IPT group, its members by reference. No scores, no notes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from openipt.fhir.mappers.common import Json, identifier, instant, period, ref
from openipt.groups.models import Group, GroupStatus


@dataclass(frozen=True)
class GroupMemberRef:
    client_id: UUID
    enrolled_at: datetime.datetime | None
    ended_at: datetime.datetime | None


def group(row: Group, *, members: Sequence[GroupMemberRef], complete: bool = True) -> Json:
    """`complete` is False when `members` lists only some members (a patient's bundle):
    the group's size is then left out rather than stated wrongly."""
    result: Json = {
        "resourceType": "Group",
        "id": str(row.public_id),
        "identifier": [identifier(row.public_id)],
        "active": row.status in {GroupStatus.FORMING, GroupStatus.RUNNING},
        "type": "person",
        "actual": True,
        "name": row.name,
    }
    if complete:
        result["quantity"] = len(members)
    entries: list[Json] = []
    for member in members:
        entry: Json = {"entity": ref("Patient", member.client_id)}
        span = period(
            instant(member.enrolled_at) if member.enrolled_at else None,
            instant(member.ended_at) if member.ended_at else None,
        )
        if span:
            entry["period"] = span
        entry["inactive"] = member.ended_at is not None
        entries.append(entry)
    if entries:
        result["member"] = entries
    return result
