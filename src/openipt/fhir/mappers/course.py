"""The course: EpisodeOfCare, Encounter (sessions), Condition (problem areas),
CarePlan (formulation and contract) and Goal.

What a clinician types about a session (interval history, problem-area work,
summaries, process notes), focus details, experiment reports and contract notes
never go out. The formulation and the goals do: they are written with and for
the client and shown in the portal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from openipt.courses.models import (
    Attendance,
    Contract,
    Course,
    CourseStatus,
    FocusArea,
    Formulation,
    Goal,
    Session,
)
from openipt.fhir.codes import (
    ACT_CODE,
    ATTENDANCE_SYSTEM,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    EXT_ATTENDANCE,
    EXT_DISPUTE_STAGE,
    EXT_GOAL_RATING_NOW,
    EXT_GOAL_RATING_START,
    EXT_SESSION_NUMBER,
    EXT_SESSION_PHASE,
    GOAL_ACHIEVEMENT,
    PARTICIPATION_TYPE,
    PROBLEM_AREA_SYSTEM,
    VARIANT_SYSTEM,
    derived_id,
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
from openipt.fhir.mappers.staff import care_team_id
from openipt.protocol.problem_areas import PROBLEM_AREAS, ProblemAreaCode, label_for
from openipt.protocol.variants import VARIANTS

EPISODE_STATUS = {CourseStatus.ACTIVE: "active", CourseStatus.CLOSED: "finished"}
# FHIR R4 Encounter has no "did not attend" status: both count as cancelled and
# our attendance extension says which.
ENCOUNTER_STATUS = {
    Attendance.ATTENDED: "finished",
    Attendance.CANCELLED: "cancelled",
    Attendance.NO_SHOW: "cancelled",
}
ATTENDANCE_LABELS = dict(Attendance.choices)
# Contract frequency → Timing.repeat (period, unit).
_FREQUENCY = {"weekly": (1, "wk"), "fortnightly": (2, "wk"), "monthly": (1, "mo")}


def care_plan_id(course_id: UUID) -> str:
    return derived_id("care-plan", course_id)


def episode_of_care(
    course: Course, *, client_id: UUID, practice_id: UUID, condition_ids: Sequence[UUID]
) -> Json:
    variant = VARIANTS.get(course.variant)
    end = date(course.closed_at) if course.closed_at else None
    result: Json = {
        "resourceType": "EpisodeOfCare",
        "id": str(course.public_id),
        "identifier": [identifier(course.public_id)],
        "status": EPISODE_STATUS.get(CourseStatus(course.status), "active"),
        "type": [concept(VARIANT_SYSTEM, course.variant, variant.name if variant else "")],
        "patient": ref("Patient", client_id),
        "managingOrganization": ref("Organization", practice_id),
        "period": period(date(course.start_date), end),
        "team": [ref("CareTeam", care_team_id(client_id))],
    }
    if condition_ids:
        result["diagnosis"] = [
            {"condition": ref("Condition", cid), "rank": rank}
            for rank, cid in enumerate(condition_ids, start=1)
        ]
    return result


def encounter(
    session: Session,
    *,
    course_id: UUID,
    client_id: UUID,
    practice_id: UUID,
    clinician_id: UUID | None,
) -> Json:
    attendance = Attendance(session.attendance)
    day = date(session.date)
    result: Json = {
        "resourceType": "Encounter",
        "id": str(session.public_id),
        "identifier": [identifier(session.public_id)],
        "extension": [
            {"url": EXT_SESSION_NUMBER, "valuePositiveInt": session.number},
            {"url": EXT_SESSION_PHASE, "valueCode": session.phase},
            {
                "url": EXT_ATTENDANCE,
                "valueCoding": coding(
                    ATTENDANCE_SYSTEM, attendance.value, ATTENDANCE_LABELS[attendance]
                ),
            },
        ],
        "status": ENCOUNTER_STATUS[attendance],
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [{"text": f"IPT session {session.number}"}],
        "subject": ref("Patient", client_id),
        "episodeOfCare": [ref("EpisodeOfCare", course_id)],
        "period": period(day, day),
        "serviceProvider": ref("Organization", practice_id),
    }
    if clinician_id is not None:
        result["participant"] = [
            {
                "type": [concept(PARTICIPATION_TYPE, "PPRF", "primary performer")],
                "individual": ref("Practitioner", clinician_id),
            }
        ]
    return result


def condition(
    focus: FocusArea, *, client_id: UUID, labels: Mapping[str, str] | None = None
) -> Json:
    """One IPT problem area chosen as a focus, coded with our problem-area code system."""
    known = focus.area in {c.value for c in ProblemAreaCode}
    display = PROBLEM_AREAS[ProblemAreaCode(focus.area)].label if known else focus.area
    text = label_for(focus.area, labels) if known else focus.area
    ended = focus.ended_at is not None
    result: Json = {
        "resourceType": "Condition",
        "id": str(focus.public_id),
        "identifier": [identifier(focus.public_id)],
        "clinicalStatus": concept(CONDITION_CLINICAL, "inactive" if ended else "active"),
        "verificationStatus": concept(CONDITION_VERIFICATION, "confirmed"),
        "category": [concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": concept(PROBLEM_AREA_SYSTEM, focus.area, display, text),
        "subject": ref("Patient", client_id),
        "recordedDate": instant(focus.created_at),
    }
    if focus.ended_at is not None:
        result["abatementDateTime"] = instant(focus.ended_at)
    if focus.dispute_stage:
        result["extension"] = [{"url": EXT_DISPUTE_STAGE, "valueCode": focus.dispute_stage}]
    return result


def care_plan(
    course: Course,
    *,
    client_id: UUID,
    contract: Contract | None,
    formulation: Formulation | None,
    goal_ids: Sequence[UUID],
    condition_ids: Sequence[UUID],
) -> Json:
    """The course's plan: the latest formulation as its description, the latest
    contract as its activity, the goals and the problem areas it addresses."""
    if course.status == CourseStatus.CLOSED:
        status = "completed"
    elif contract is not None and contract.agreed_at is not None:
        status = "active"
    else:
        status = "draft"
    end = date(course.closed_at) if course.closed_at else None
    result: Json = {
        "resourceType": "CarePlan",
        "id": care_plan_id(course.public_id),
        "status": status,
        "intent": "plan",
        "title": "Interpersonal psychotherapy: formulation and treatment contract",
        "subject": ref("Patient", client_id),
        "period": period(date(course.start_date), end),
        "careTeam": [ref("CareTeam", care_team_id(client_id))],
    }
    if formulation is not None and formulation.text:
        result["description"] = formulation.text
    if condition_ids:
        result["addresses"] = [ref("Condition", cid) for cid in condition_ids]
    if goal_ids:
        result["goal"] = [ref("Goal", gid) for gid in goal_ids]
    if contract is not None:
        result["created"] = instant(contract.created_at)
        result["activity"] = [_contract_activity(contract, closed=status == "completed")]
    return result


def _contract_activity(contract: Contract, *, closed: bool) -> Json:
    repeat: Json = {
        "duration": contract.session_minutes,
        "durationUnit": "min",
        "frequency": 1,
    }
    every, unit = _FREQUENCY.get(contract.frequency, (1, "wk"))
    repeat["period"] = every
    repeat["periodUnit"] = unit
    if contract.sessions:
        repeat["count"] = contract.sessions
    if closed:
        status = "completed"
    elif contract.agreed_at is not None:
        status = "in-progress"
    else:
        status = "not-started"
    return {
        "detail": {
            "kind": "Appointment",
            "code": {"text": "IPT sessions as agreed in the treatment contract"},
            "status": status,
            "scheduledTiming": {"repeat": repeat},
        }
    }


def goal(
    row: Goal,
    *,
    client_id: UUID,
    condition_id: UUID | None,
    course_closed: bool,
    rating_now: int | None,
) -> Json:
    if row.ended_at is not None:
        lifecycle = "cancelled"
    elif course_closed:
        lifecycle = "completed"
    else:
        lifecycle = "active"
    result: Json = {
        "resourceType": "Goal",
        "id": str(row.public_id),
        "identifier": [identifier(row.public_id)],
        "lifecycleStatus": lifecycle,
        "description": {"text": row.text},
        "subject": ref("Patient", client_id),
        "startDate": date(row.created_at),
    }
    extensions: list[Json] = []
    if row.rating_at_start is not None:
        extensions.append({"url": EXT_GOAL_RATING_START, "valueInteger": row.rating_at_start})
    if rating_now is not None:
        extensions.append({"url": EXT_GOAL_RATING_NOW, "valueInteger": rating_now})
    if extensions:
        result["extension"] = extensions
    achievement = achievement_status(row.rating_at_start, rating_now)
    if achievement is not None:
        result["achievementStatus"] = concept(GOAL_ACHIEVEMENT, *achievement)
    if condition_id is not None:
        result["addresses"] = [ref("Condition", condition_id)]
    return result


def achievement_status(start: int | None, now: int | None) -> tuple[str, str] | None:
    """Ratings say where things stand (0–10, higher is better): compare start and review."""
    if start is None or now is None:
        return None
    if now > start:
        return ("improving", "Improving")
    if now < start:
        return ("worsening", "Worsening")
    return ("no-change", "No Change")
