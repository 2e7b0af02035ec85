"""Who may see which group, member and session: the one place these rules live.

- A **facilitator** (active facilitator role at the site) sees the groups they
  lead and the members they screened or lead; nothing of other facilitators.
- A **supervisor** (active supervisor role at the site) sees what the
  facilitators they supervise (an active `SupervisionAssignment` at that site)
  see; nothing of other supervisors' facilitators.
- A **programme manager** sees programmes of their organisation and the
  dashboard's aggregates, never a member, a score or a note.
- Practice admins manage supervision assignments; they see no member data here.
- Members never see each other: a member with a portal account sees only their
  own row (`own_group_membership`).

Everything outside reach is a 404, exactly like a missing id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from openipt.groups.models import (
    Group,
    GroupMember,
    GroupSession,
    Programme,
    SupervisionAssignment,
)
from openipt.practice.models import Role
from openipt.practice.roles import ActorRoles, roles_for

if TYPE_CHECKING:
    from openipt.accounts.models import User


def _practices_with(roles: ActorRoles, role: str) -> list[int]:
    return [pid for pid, held in roles.by_practice.items() if role in held]


def supervised_facilitator_q(
    *, actor: User, roles: ActorRoles, prefix: str, practice_field: str | None = None
) -> Q:
    """Rows whose `<prefix>` facilitator is supervised by the actor at the row's site.

    `prefix` is the path to the facilitator field from the queried model, e.g.
    "facilitator" on Group, "group__facilitator" on GroupSession,
    "screened_by" on Screening. The site is the row's own practice (by default
    the `practice_id` beside the facilitator field: "group__practice_id" for
    "group__facilitator"), so an assignment at one site gives nothing at another.
    """
    sites = _practices_with(roles, Role.SUPERVISOR)
    if not sites:
        return Q(pk__in=[])
    pairs = SupervisionAssignment.objects.filter(
        supervisor=actor, is_active=True, practice_id__in=sites
    ).values_list("practice_id", "facilitator_id")
    condition = Q(pk__in=[])
    if practice_field is None:
        path = prefix.rsplit("__", 1)[0] + "__" if "__" in prefix else ""
        practice_field = f"{path}practice_id"
    for practice_id, facilitator_id in pairs:
        condition |= Q(**{practice_field: practice_id, f"{prefix}_id": facilitator_id})
    return condition


def _group_filter(*, actor: User, roles: ActorRoles, prefix: str = "") -> Q:
    facilitated = _practices_with(roles, Role.FACILITATOR)
    condition = supervised_facilitator_q(actor=actor, roles=roles, prefix=f"{prefix}facilitator")
    if facilitated:
        condition |= Q(**{f"{prefix}practice_id__in": facilitated, f"{prefix}facilitator": actor})
    return condition


def groups_visible_to(*, actor: User) -> QuerySet[Group]:
    return Group.objects.filter(_group_filter(actor=actor, roles=roles_for(actor)))


def group_get_for_actor(*, actor: User, public_id: UUID | str) -> Group:
    try:
        return (
            groups_visible_to(actor=actor)
            .select_related("programme", "practice", "facilitator")
            .get(public_id=public_id)
        )
    except (Group.DoesNotExist, ValueError) as exc:
        raise Http404("No such group.") from exc


def can_run_group(*, actor: User, group: Group) -> bool:
    """Only the group's own facilitator, while they hold the role at the site, records sessions."""
    return group.facilitator_id == actor.pk and Role.FACILITATOR in roles_for(actor).in_practice(
        group.practice_id
    )


def members_visible_to(*, actor: User) -> QuerySet[GroupMember]:
    """Members the actor may see: screened by, or in a group of, a facilitator within reach."""
    roles = roles_for(actor)
    facilitated = _practices_with(roles, Role.FACILITATOR)
    condition = supervised_facilitator_q(actor=actor, roles=roles, prefix="facilitator")
    condition |= supervised_facilitator_q(actor=actor, roles=roles, prefix="group__facilitator")
    if facilitated:
        condition |= Q(practice_id__in=facilitated) & (
            Q(facilitator=actor) | Q(group__facilitator=actor)
        )
    return GroupMember.objects.filter(condition)


def member_get_for_actor(*, actor: User, public_id: UUID | str) -> GroupMember:
    try:
        return (
            members_visible_to(actor=actor)
            .select_related("client", "group", "programme", "practice", "screening")
            .get(public_id=public_id)
        )
    except (GroupMember.DoesNotExist, ValueError) as exc:
        raise Http404("No such member.") from exc


def can_write_member(*, actor: User, member: GroupMember) -> bool:
    """The member's facilitator (screening facilitator until placed, then the group's)."""
    group = member.group
    facilitator_id = group.facilitator_id if group is not None else member.facilitator_id
    return facilitator_id == actor.pk and Role.FACILITATOR in roles_for(actor).in_practice(
        member.practice_id
    )


def sessions_visible_to(*, actor: User) -> QuerySet[GroupSession]:
    return GroupSession.objects.filter(
        _group_filter(actor=actor, roles=roles_for(actor), prefix="group__")
    )


def group_session_get_for_actor(*, actor: User, public_id: UUID | str) -> GroupSession:
    try:
        return (
            sessions_visible_to(actor=actor)
            .select_related("group", "group__programme", "group__practice", "group__facilitator")
            .get(public_id=public_id)
        )
    except (GroupSession.DoesNotExist, ValueError) as exc:
        raise Http404("No such session.") from exc


def programmes_for_site_staff(*, actor: User) -> QuerySet[Programme]:
    """Active programmes running at a site where the actor facilitates or supervises."""
    roles = roles_for(actor)
    sites = _practices_with(roles, Role.FACILITATOR) + _practices_with(roles, Role.SUPERVISOR)
    return Programme.objects.filter(is_active=True, sites__practice_id__in=sites).distinct()


def programme_get_for_site_staff(
    *, actor: User, public_id: UUID | str, practice_id: int
) -> Programme:
    """A programme that runs at `practice_id`, where the actor facilitates or supervises."""
    try:
        return programmes_for_site_staff(actor=actor).get(
            public_id=public_id, sites__practice_id=practice_id
        )
    except (Programme.DoesNotExist, ValueError) as exc:
        raise Http404("No such programme.") from exc


def programmes_managed_by(*, actor: User) -> QuerySet[Programme]:
    """Programmes of the organisations the actor manages (programme manager role)."""
    organisations = roles_for(actor).managed_organisations
    return Programme.objects.filter(organisation_id__in=organisations)


def programme_get_for_manager(*, actor: User, public_id: UUID | str) -> Programme:
    try:
        return programmes_managed_by(actor=actor).get(public_id=public_id)
    except (Programme.DoesNotExist, ValueError) as exc:
        raise Http404("No such programme.") from exc


def own_group_membership(*, actor: User) -> GroupMember | None:
    """The signed-in client's own current membership, if they are in a programme."""
    if not actor.is_authenticated:
        return None
    return (
        GroupMember.objects.filter(client__user=actor)
        .select_related("group", "programme")
        .order_by("-created_at")
        .first()
    )
