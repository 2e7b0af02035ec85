"""Reads of practice data, always scoped to the actor. Outside reach means 404."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from openipt.practice import policies
from openipt.practice.models import (
    CareTeamMember,
    Client,
    ClientStatus,
    Membership,
    Practice,
    PracticeKind,
    Role,
)
from openipt.practice.roles import ActorRoles, roles_for

if TYPE_CHECKING:
    from openipt.accounts.models import User


def _supervised_group_members(*, actor: User, practice_ids: list[int]) -> Q:
    """Clients of group sites screened by, or in a group of, a facilitator the actor supervises.

    At a group programme site a supervisor oversees named facilitators, not the
    whole site: they see those facilitators' members, and clients whose care
    team they are on, and nobody else's. (The
    lookups go through the groups app's related names, so this base app does
    not import it.)
    """
    if not practice_ids:
        return Q(pk__in=[])
    supervised = Q(
        group_memberships__facilitator__supervisors__supervisor=actor,
        group_memberships__facilitator__supervisors__is_active=True,
        group_memberships__facilitator__supervisors__practice_id=F("practice_id"),
    )
    in_supervised_group = Q(
        group_memberships__group__facilitator__supervisors__supervisor=actor,
        group_memberships__group__facilitator__supervisors__is_active=True,
        group_memberships__group__facilitator__supervisors__practice_id=F("practice_id"),
    )
    reachable = Client.objects.filter(pk=OuterRef("pk")).filter(supervised | in_supervised_group)
    return Q(practice_id__in=practice_ids) & Q(Exists(reachable))


def _visible_clients_filter(*, actor: User, roles: ActorRoles) -> Q:
    """The Q that limits clients to those the actor may see, across all their practices."""
    sees_all = [pid for pid, r in roles.by_practice.items() if r & policies.SEES_ALL_CLIENTS]
    care_team = [pid for pid, r in roles.by_practice.items() if r & policies.SEES_CARE_TEAM_CLIENTS]
    on_care_team = Exists(CareTeamMember.objects.filter(client=OuterRef("pk"), user=actor))
    condition = Q(pk__in=[])
    # A supervisor (who is not also the site's admin) at a group programme site
    # sees only their own facilitators' members.
    supervised_sites = [
        pid for pid in sees_all if not roles.by_practice[pid] & {Role.PRACTICE_ADMIN}
    ]
    if supervised_sites:
        supervised_sites = list(
            Practice.objects.filter(
                pk__in=supervised_sites, kind=PracticeKind.GROUP_SITE
            ).values_list("pk", flat=True)
        )
        sees_all = [pid for pid in sees_all if pid not in supervised_sites]
        condition |= _supervised_group_members(actor=actor, practice_ids=supervised_sites)
        # Being on a client's care team is a reason to see them anywhere.
        condition |= Q(practice_id__in=supervised_sites) & Q(on_care_team)
    if sees_all:
        condition |= Q(practice_id__in=sees_all)
    if care_team:
        condition |= Q(practice_id__in=care_team) & Q(on_care_team)
    return condition


def clients_visible_to(*, actor: User) -> QuerySet[Client]:
    roles = roles_for(actor)
    return Client.objects.filter(_visible_clients_filter(actor=actor, roles=roles))


def client_list_for_actor(
    *,
    actor: User,
    practice: Practice,
    search: str = "",
    include_archived: bool = False,
) -> QuerySet[Client]:
    """Clients of one practice that the actor may see, for the caseload list."""
    queryset = clients_visible_to(actor=actor).filter(practice=practice)
    if not include_archived:
        queryset = queryset.filter(status=ClientStatus.ACTIVE)
    for term in search.split()[:5]:
        queryset = queryset.filter(
            Q(given_name__icontains=term)
            | Q(family_name__icontains=term)
            | Q(preferred_name__icontains=term)
        )
    return queryset.prefetch_related(
        Prefetch(
            "care_team",
            queryset=CareTeamMember.objects.select_related("user").order_by("role"),
        )
    ).order_by("family_name", "given_name", "id")


def client_get_for_actor(*, actor: User, public_id: UUID | str) -> Client:
    """One client record the actor may see, or 404 exactly like a missing id."""
    try:
        return (
            clients_visible_to(actor=actor)
            .select_related("practice", "practice__organisation", "user", "archived_by")
            .get(public_id=public_id)
        )
    except (Client.DoesNotExist, ValueError) as exc:
        raise Http404("No such client.") from exc


def care_team_for_client(*, client: Client) -> QuerySet[CareTeamMember]:
    return client.care_team.select_related("user").order_by("role", "user__full_name")


def care_team_candidates(*, practice: Practice) -> QuerySet[Membership]:
    """Staff who could join a care team in this practice: clinicians and supervisors."""
    return (
        Membership.objects.filter(
            practice=practice, is_active=True, role__in=[Role.CLINICIAN, Role.SUPERVISOR]
        )
        .select_related("user")
        .order_by("user__full_name", "role")
    )


def memberships_for_admin(*, actor: User, practice: Practice) -> QuerySet[Membership]:
    if not policies.can_manage_members(roles_for(actor).in_practice(practice.pk)):
        raise Http404("Not found.")
    return (
        Membership.objects.filter(practice=practice)
        .exclude(role=Role.CLIENT)
        .select_related("user")
        .order_by("user__full_name", "role")
    )


def membership_get_for_admin(*, actor: User, practice: Practice, public_id: UUID) -> Membership:
    try:
        return memberships_for_admin(actor=actor, practice=practice).get(public_id=public_id)
    except Membership.DoesNotExist as exc:
        raise Http404("Not found.") from exc


def own_client_record(*, user: User) -> Client:
    """The client record a portal user may see: their own, and only while they are a member."""
    try:
        return (
            Client.objects.select_related("practice")
            .filter(
                user=user,
                practice__memberships__user=user,
                practice__memberships__role=Role.CLIENT,
                practice__memberships__is_active=True,
            )
            .get()
        )
    except Client.DoesNotExist as exc:
        raise Http404("No client record.") from exc
