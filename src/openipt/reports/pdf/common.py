"""What every report shares: the letterhead, the course in a few facts, the focus and goals.

Each function takes a course the caller obtained through `course_get_for_actor`
(so the actor's reach is settled) and reads only that course. None of them
touches `ProcessNote`, session write-ups or technique details: the reports
are built from the client-facing and summary parts of the record.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from openipt.courses.models import Attendance, Course, CourseStatus, FocusArea, Goal, Session
from openipt.practice.models import CareTeamMember, CareTeamRole, Practice
from openipt.protocol.phases import Phase
from openipt.protocol.problem_areas import label_for
from openipt.protocol.variants import get_variant


@dataclass(frozen=True)
class Letterhead:
    practice: str
    organisation: str
    phone: str


def letterhead_for(practice: Practice) -> Letterhead:
    # The organisation line is left out when it only repeats the practice's name.
    organisation = practice.organisation.name
    return Letterhead(
        practice=practice.name,
        organisation="" if organisation == practice.name else organisation,
        phone=practice.contact_phone,
    )


@dataclass(frozen=True)
class FocusRow:
    label: str
    detail: str
    ended: datetime.datetime | None


def area_label(course: Course, code: str) -> str:
    return label_for(code, course.practice.problem_area_labels or None)


def focus_rows(course: Course, *, include_ended: bool = False) -> list[FocusRow]:
    rows = FocusArea.objects.filter(course=course).order_by("created_at", "id")
    if not include_ended:
        rows = rows.filter(ended_at__isnull=True)
    return [FocusRow(area_label(course, f.area), f.detail, f.ended_at) for f in rows]


def current_goals(course: Course) -> list[Goal]:
    return list(Goal.objects.filter(course=course, ended_at__isnull=True))


def clinician_names(course: Course) -> list[str]:
    """The clinicians on the client's care team: who the report comes from."""
    members = CareTeamMember.objects.filter(
        client_id=course.client_id, role=CareTeamRole.CLINICIAN
    ).select_related("user")
    return [str(m.user) for m in members.order_by("created_at", "id")]


def phase_text(course: Course) -> str:
    if course.status == CourseStatus.CLOSED:
        return "Course closed"
    return Phase(course.phase).label


def session_counts(course: Course) -> tuple[int, int]:
    """(attended, missed or cancelled) sessions."""
    kinds = list(Session.objects.filter(course=course).values_list("attendance", flat=True))
    attended = sum(1 for k in kinds if k == Attendance.ATTENDED)
    return attended, len(kinds) - attended


def base_context(course: Course, *, title: str) -> dict[str, Any]:
    attended, missed = session_counts(course)
    return {
        "title": title,
        "letterhead": letterhead_for(course.practice),
        "today": timezone.localdate(),
        "course": course,
        "client": course.client,
        "variant": get_variant(course.variant),
        "phase_text": phase_text(course),
        "attended": attended,
        "missed": missed,
        "clinicians": clinician_names(course),
    }
