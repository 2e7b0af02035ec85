"""Group IPT: Group (a group, its members by reference), Encounter (a group session,
and one member's attendance at it) and the plain data of a member's PHQ-9.

A group session is an Encounter whose `subject` is the Group (R4 allows a Group
as an Encounter's subject, naming group therapy as the case for it). Each
member who attended has an Encounter of their own (`subject` their Patient,
`partOf` the group session), which their questionnaire points at: the patient's
record says which session they were at without naming anyone else.

No free text goes out: not the facilitator's session notes, the members' tasks,
the pre-group session or a drop reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from openipt.fhir.codes import (
    ACT_CODE,
    ATTENDANCE_SYSTEM,
    EXT_ATTENDANCE,
    EXT_SESSION_NUMBER,
    EXT_SESSION_PHASE,
    PARTICIPATION_TYPE,
    SCORE_CONTEXT_SYSTEM,
)
from openipt.fhir.mappers.common import (
    Json,
    coding,
    concept,
    date,
    identifier,
    instant,
    period,
    ref,
)
from openipt.fhir.mappers.measures import Answered
from openipt.groups.models import Group, GroupStatus, MemberScore

# score-context codes (a second Observation category, an extension on the response).
SCREENING = coding(SCORE_CONTEXT_SYSTEM, "screening", "Screening for group IPT")
GROUP_SESSION = coding(SCORE_CONTEXT_SYSTEM, "group-session", "Group IPT session")


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


def from_member_score(score: MemberScore) -> Answered:
    """A member's PHQ-9 as plain data (reads its own columns only). A score corrected by
    re-saving the session form is the same row, changed in place: never `amended`."""
    answers = score.answers
    return Answered(
        id=score.public_id,
        answers=answers if isinstance(answers, dict) else {},
        total=score.total,
        band_code=score.band_code,
        administered_at=score.administered_at,
    )


def score_context(*, at_session: bool) -> Json:
    """The score-context Coding of a member's score: a group session's or the screening's."""
    return GROUP_SESSION if at_session else SCREENING


def group_phase(number: int, *, initial_last: int, middle_last: int) -> str:
    """The phase code of session `number` under the group's plan (as copied at forming)."""
    if number <= initial_last:
        return "initial"
    if number <= middle_last:
        return "middle"
    return "termination"


@dataclass(frozen=True)
class GroupSessionFacts:
    """One meeting of a group, as the Encounter mappers need it."""

    id: UUID
    group_id: UUID
    practice_id: UUID
    number: int
    phase: str
    held_on: datetime.date
    held: bool
    recorded_by: UUID | None


def _session_parts(session: GroupSessionFacts) -> Json:
    day = date(session.held_on)
    result: Json = {
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [{"text": f"Group IPT session {session.number}"}],
        "period": period(day, day),
        "serviceProvider": ref("Organization", session.practice_id),
    }
    if session.recorded_by is not None:
        result["participant"] = [
            {
                "type": [concept(PARTICIPATION_TYPE, "PPRF", "primary performer")],
                "individual": ref("Practitioner", session.recorded_by),
            }
        ]
    return result


def _session_extensions(session: GroupSessionFacts) -> list[Json]:
    return [
        {"url": EXT_SESSION_NUMBER, "valuePositiveInt": session.number},
        {"url": EXT_SESSION_PHASE, "valueCode": session.phase},
    ]


def group_session_encounter(session: GroupSessionFacts) -> Json:
    """The meeting itself: subject the Group, led by the facilitator who recorded it."""
    return {
        "resourceType": "Encounter",
        "id": str(session.id),
        "identifier": [identifier(session.id)],
        "extension": _session_extensions(session),
        "status": "finished" if session.held else "cancelled",
        **_session_parts(session),
        "subject": ref("Group", session.group_id),
    }


def member_encounter(
    *, attendance_id: UUID, session: GroupSessionFacts, client_id: UUID, part_of: bool
) -> Json:
    """One member at a held group session they attended. `part_of`: the group session's
    own Encounter is exported beside it (in a bundle: when the group is in it)."""
    result: Json = {
        "resourceType": "Encounter",
        "id": str(attendance_id),
        "identifier": [identifier(attendance_id)],
        "extension": [
            *_session_extensions(session),
            {
                "url": EXT_ATTENDANCE,
                "valueCoding": coding(ATTENDANCE_SYSTEM, "attended", "Attended"),
            },
        ],
        "status": "finished",
        **_session_parts(session),
        "subject": ref("Patient", client_id),
    }
    if part_of:
        result["partOf"] = ref("Encounter", session.id)
    return result
