"""Who may do what with client records. Pure functions of roles; no queries.

Chosen rules (the issue left them open; docs/architecture.md repeats them):
- practice admins and supervisors see every client record in their practice
  (admins manage care teams and invitations; supervisors oversee caseloads);
- clinicians see the clients whose care team they are on, nothing else;
- facilitators work with groups only and see no individual client records;
- programme managers see aggregates across sites, never individual records;
- a client sees only their own record, through the portal.
"""

from __future__ import annotations

from collections.abc import Set

from openipt.practice.models import Role

SEES_ALL_CLIENTS = frozenset({Role.PRACTICE_ADMIN, Role.SUPERVISOR})
SEES_CARE_TEAM_CLIENTS = frozenset({Role.CLINICIAN})
CREATES_CLIENTS = frozenset({Role.PRACTICE_ADMIN, Role.SUPERVISOR, Role.CLINICIAN})
MANAGES_CARE_TEAM = frozenset({Role.PRACTICE_ADMIN, Role.SUPERVISOR})
ARCHIVES_CLIENTS = frozenset({Role.PRACTICE_ADMIN, Role.SUPERVISOR, Role.CLINICIAN})
INVITES_CLIENTS = frozenset({Role.PRACTICE_ADMIN, Role.SUPERVISOR, Role.CLINICIAN})
MANAGES_MEMBERS = frozenset({Role.PRACTICE_ADMIN})
CAN_JOIN_CARE_TEAM = {Role.CLINICIAN: "clinician", Role.SUPERVISOR: "supervisor"}


def can_list_clients(roles: Set[str]) -> bool:
    return bool(roles & (SEES_ALL_CLIENTS | SEES_CARE_TEAM_CLIENTS))


def can_create_client(roles: Set[str]) -> bool:
    return bool(roles & CREATES_CLIENTS)


def can_manage_care_team(roles: Set[str]) -> bool:
    return bool(roles & MANAGES_CARE_TEAM)


def can_archive_client(roles: Set[str]) -> bool:
    return bool(roles & ARCHIVES_CLIENTS)


def can_invite_client(roles: Set[str]) -> bool:
    return bool(roles & INVITES_CLIENTS)


def can_manage_members(roles: Set[str]) -> bool:
    return bool(roles & MANAGES_MEMBERS)
