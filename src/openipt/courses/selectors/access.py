"""Reads of courses, always scoped to the actor: outside reach is a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from openipt.courses import policies
from openipt.courses.models import Course
from openipt.practice.models import CareTeamMember, CareTeamRole
from openipt.practice.roles import roles_for

if TYPE_CHECKING:
    from openipt.accounts.models import User


def _on_care_team_as_clinician(actor: User) -> Exists:
    return Exists(
        CareTeamMember.objects.filter(
            client=OuterRef("client"), user=actor, role=CareTeamRole.CLINICIAN
        )
    )


def courses_visible_to(*, actor: User) -> QuerySet[Course]:
    roles = roles_for(actor)
    reads_all = [p for p, r in roles.by_practice.items() if r & policies.READS_EVERY_COURSE]
    runs = [p for p, r in roles.by_practice.items() if r & policies.RUNS_CARE_TEAM_COURSES]
    condition = Q(pk__in=[])
    if reads_all:
        condition |= Q(practice_id__in=reads_all)
    if runs:
        condition |= Q(practice_id__in=runs) & Q(_on_care_team_as_clinician(actor))
    return Course.objects.filter(condition)


def course_get_for_actor(*, actor: User, public_id: UUID | str) -> Course:
    """A course the actor may read, or a 404 exactly like a missing id."""
    try:
        return (
            courses_visible_to(actor=actor)
            .select_related("client", "practice", "client__practice")
            .get(public_id=public_id)
        )
    except (Course.DoesNotExist, ValueError) as exc:
        raise Http404("No such course.") from exc


def can_write_course(*, actor: User, course: Course) -> bool:
    """Clinicians on the client's care team write; supervisors only read."""
    roles = roles_for(actor).in_practice(course.practice_id)
    if not roles & policies.RUNS_CARE_TEAM_COURSES:
        return False
    return CareTeamMember.objects.filter(
        client_id=course.client_id, user=actor, role=CareTeamRole.CLINICIAN
    ).exists()


def course_get_for_writing(*, actor: User, public_id: UUID | str) -> Course:
    """A course the actor may change: 404 when they cannot see it, 403 when they only read."""
    course = course_get_for_actor(actor=actor, public_id=public_id)
    if not can_write_course(actor=actor, course=course):
        raise PermissionDenied
    return course
