"""Who may make a research export, and of which rows.

Chosen rules (docs/research-export.md):
- **Practice admins** and **supervisors** export the individual courses of
  their current practice (questionnaires, sessions, courses): the admin
  answers for the practice's data-sharing agreements, the supervisor already
  reads every course. Clinicians, facilitators, programme managers and clients
  do not: a research file covers the whole practice, not one caseload.
- **Group scores** follow the group rules (`groups.selectors.access`): only a
  supervisor, and only for the members of the facilitators they supervise.
  Practice admins see no member data there, so they cannot export it here.
- The `research_export` command is run by an operator with the database in
  hand already; it exports the whole practice.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from openipt.courses.models import Course
from openipt.groups.models import GroupMember
from openipt.groups.selectors.access import members_visible_to
from openipt.practice.models import Practice, Role
from openipt.reports.research.options import ExportKind

if TYPE_CHECKING:
    from openipt.accounts.models import User

EXPORTS_RESEARCH = frozenset({Role.PRACTICE_ADMIN, Role.SUPERVISOR})
EXPORTS_GROUP_SCORES = frozenset({Role.SUPERVISOR})


def can_export_research(roles: Set[str]) -> bool:
    return bool(roles & EXPORTS_RESEARCH)


def kinds_for(roles: Set[str]) -> list[ExportKind]:
    """The kinds of file these roles may export, in the order the form lists them."""
    if not can_export_research(roles):
        return []
    kinds = [ExportKind.ADMINISTRATIONS, ExportKind.SESSIONS, ExportKind.COURSES]
    if roles & EXPORTS_GROUP_SCORES:
        kinds.append(ExportKind.GROUP_SCORES)
    return kinds


@dataclass(frozen=True)
class ExportScope:
    """The rows one export may read: always within one practice."""

    practice: Practice
    courses: QuerySet[Course]
    members: QuerySet[GroupMember]
    kinds: tuple[ExportKind, ...]


def scope_for_actor(*, actor: User, practice: Practice | None, roles: Set[str]) -> ExportScope:
    """The actor's export scope in their current practice, or PermissionDenied (403)."""
    if practice is None or not can_export_research(roles):
        raise PermissionDenied("Research exports are for practice admins and supervisors.")
    members = (
        members_visible_to(actor=actor).filter(practice=practice)
        if roles & EXPORTS_GROUP_SCORES
        else GroupMember.objects.none()
    )
    return ExportScope(
        practice=practice,
        courses=Course.objects.filter(practice=practice),
        members=members,
        kinds=tuple(kinds_for(roles)),
    )


def scope_for_operator(*, practice: Practice) -> ExportScope:
    """Everything of one practice, for the management command."""
    return ExportScope(
        practice=practice,
        courses=Course.objects.filter(practice=practice),
        members=GroupMember.objects.filter(practice=practice),
        kinds=tuple(ExportKind),
    )
