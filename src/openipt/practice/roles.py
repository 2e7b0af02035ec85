"""What roles an actor holds, computed once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openipt.practice.models import STAFF_ROLES, Membership, Role

if TYPE_CHECKING:
    from openipt.accounts.models import User


@dataclass(frozen=True)
class ActorRoles:
    """The active memberships of one user, grouped for quick questions."""

    by_practice: dict[int, frozenset[str]] = field(default_factory=dict)
    managed_organisations: frozenset[int] = frozenset()

    def in_practice(self, practice_id: int | None) -> frozenset[str]:
        if practice_id is None:
            return frozenset()
        return self.by_practice.get(practice_id, frozenset())

    @property
    def is_staff(self) -> bool:
        if self.managed_organisations:
            return True
        return any(roles & STAFF_ROLES for roles in self.by_practice.values())

    @property
    def is_client_only(self) -> bool:
        return not self.is_staff and any(Role.CLIENT in r for r in self.by_practice.values())


def roles_for(user: User) -> ActorRoles:
    if not user.is_authenticated or not user.is_active:
        return ActorRoles()
    by_practice: dict[int, set[str]] = {}
    organisations: set[int] = set()
    rows = Membership.objects.filter(user=user, is_active=True).values_list(
        "practice_id", "organisation_id", "role"
    )
    for practice_id, organisation_id, role in rows:
        if role == Role.PROGRAMME_MANAGER:
            organisations.add(organisation_id)
        elif practice_id is not None:
            by_practice.setdefault(practice_id, set()).add(role)
    return ActorRoles(
        by_practice={pid: frozenset(r) for pid, r in by_practice.items()},
        managed_organisations=frozenset(organisations),
    )
