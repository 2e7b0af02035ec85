"""Who may read and write a course. Pure functions of role names.

Chosen rules: the clinicians on the client's care team run the course (read and
write); supervisors of the practice read every course (oversight, supervision);
practice admins, facilitators, programme managers and clients see no course
content through these pages (clients get their own portal views later).
"""

from __future__ import annotations

from collections.abc import Set

from openipt.practice.models import Role

READS_EVERY_COURSE = frozenset({Role.SUPERVISOR})
RUNS_CARE_TEAM_COURSES = frozenset({Role.CLINICIAN})


def can_start_course(roles: Set[str]) -> bool:
    return bool(roles & RUNS_CARE_TEAM_COURSES)
