"""Who may see and change appointments. Pure functions of role names; no queries.

Chosen rules (the same as for courses): the clinicians on a client's care team
book, move and cancel that client's appointments and answer the client's
requests; supervisors of the practice read every appointment (403 on writes);
practice admins, facilitators and programme managers see none (an appointment
says who is in therapy, and when); a client sees and asks about their own
through the portal.
"""

from __future__ import annotations

from collections.abc import Set

from openipt.practice.models import Role

READS_EVERY_APPOINTMENT = frozenset({Role.SUPERVISOR})
BOOKS_CARE_TEAM_APPOINTMENTS = frozenset({Role.CLINICIAN})


def can_open_calendar(roles: Set[str]) -> bool:
    return bool(roles & (READS_EVERY_APPOINTMENT | BOOKS_CARE_TEAM_APPOINTMENTS))


def can_book(roles: Set[str]) -> bool:
    return bool(roles & BOOKS_CARE_TEAM_APPOINTMENTS)
