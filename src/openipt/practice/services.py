"""Writes to practice data: check permission, write, audit, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice import policies
from openipt.practice.models import (
    CareTeamMember,
    CareTeamRole,
    Client,
    ClientStatus,
    Membership,
    Practice,
    Role,
)
from openipt.practice.roles import roles_for

if TYPE_CHECKING:
    from openipt.accounts.models import User

# Fields a staff member may set on a client record. Anything else in the
# input (status, practice, version, user…) is ignored: no mass assignment.
CLIENT_EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "language",
    "email",
    "phone",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "access_needs",
)


class StaleEditError(Exception):
    """Someone else saved the record after this edit began."""


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@transaction.atomic
def client_create(*, actor: User, practice: Practice, data: Mapping[str, Any]) -> Client:
    """Create a client record. A clinician who creates it joins its care team."""
    roles = roles_for(actor).in_practice(practice.pk)
    _require(policies.can_create_client(roles))
    client = Client(practice=practice)
    for name in CLIENT_EDITABLE_FIELDS:
        if name in data:
            setattr(client, name, data[name])
    client.full_clean()
    client.save()
    if Role.CLINICIAN in roles:
        CareTeamMember.objects.create(client=client, user=actor, role=CareTeamRole.CLINICIAN)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="client",
        object_public_id=client.public_id,
        practice=practice,
        subject_client_public_id=client.public_id,
        changed_fields=[n for n in CLIENT_EDITABLE_FIELDS if data.get(n) not in (None, "")],
    )
    return client


@transaction.atomic
def client_update(
    *, actor: User, client: Client, data: Mapping[str, Any], expected_version: int
) -> Client:
    """Save edits to a client record, refusing to overwrite a newer save."""
    # Re-read under lock so that the version check and the write are atomic.
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if locked.version != expected_version:
        raise StaleEditError
    changed = [n for n in CLIENT_EDITABLE_FIELDS if n in data and getattr(locked, n) != data[n]]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, data[name])
    locked.version += 1
    locked.full_clean()
    locked.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="client",
        object_public_id=locked.public_id,
        practice=locked.practice,
        subject_client_public_id=locked.public_id,
        changed_fields=changed,
    )
    return locked


@transaction.atomic
def client_archive(*, actor: User, client: Client) -> Client:
    """Archive a client: hidden from the active list, kept in full, never deleted."""
    _require(policies.can_archive_client(roles_for(actor).in_practice(client.practice_id)))
    if client.status == ClientStatus.ARCHIVED:
        return client
    client.status = ClientStatus.ARCHIVED
    client.archived_at = timezone.now()
    client.archived_by = actor
    client.version += 1
    client.save(update_fields=["status", "archived_at", "archived_by", "version", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.ARCHIVE,
        object_type="client",
        object_public_id=client.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=["status"],
    )
    return client


@transaction.atomic
def client_restore(*, actor: User, client: Client) -> Client:
    _require(policies.can_archive_client(roles_for(actor).in_practice(client.practice_id)))
    if client.status == ClientStatus.ACTIVE:
        return client
    client.status = ClientStatus.ACTIVE
    client.archived_at = None
    client.archived_by = None
    client.version += 1
    client.save(update_fields=["status", "archived_at", "archived_by", "version", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.RESTORE,
        object_type="client",
        object_public_id=client.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=["status"],
    )
    return client


@transaction.atomic
def care_team_add(*, actor: User, client: Client, membership: Membership) -> CareTeamMember:
    """Assign a clinician or supervisor of the client's practice to the care team."""
    _require(policies.can_manage_care_team(roles_for(actor).in_practice(client.practice_id)))
    if membership.practice_id != client.practice_id or not membership.is_active:
        raise ValidationError("That person is not an active member of this practice.")
    team_role = policies.CAN_JOIN_CARE_TEAM.get(Role(membership.role))
    if team_role is None:
        raise ValidationError("Only clinicians and supervisors can join a care team.")
    if CareTeamMember.objects.filter(client=client, user=membership.user).exists():
        raise ValidationError("That person is already on the care team.")
    member = CareTeamMember.objects.create(client=client, user=membership.user, role=team_role)
    record(
        actor=actor,
        action=AuditAction.GRANT,
        object_type="care_team_member",
        object_public_id=member.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=["care_team"],
    )
    return member


@transaction.atomic
def care_team_remove(*, actor: User, member: CareTeamMember) -> None:
    """Take someone off a care team; their access ends with their next request."""
    client = member.client
    _require(policies.can_manage_care_team(roles_for(actor).in_practice(client.practice_id)))
    record(
        actor=actor,
        action=AuditAction.REMOVE,
        object_type="care_team_member",
        object_public_id=member.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
        changed_fields=["care_team"],
    )
    member.delete()


@transaction.atomic
def membership_set_active(*, actor: User, membership: Membership, active: bool) -> Membership:
    """Suspend or restore one role of one person in a practice."""
    _require(policies.can_manage_members(roles_for(actor).in_practice(membership.practice_id)))
    if membership.user_id == actor.pk and not active and membership.role == Role.PRACTICE_ADMIN:
        raise ValidationError("You cannot remove your own administrator role.")
    if membership.is_active == active:
        return membership
    membership.is_active = active
    membership.save(update_fields=["is_active", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.GRANT if active else AuditAction.REMOVE,
        object_type="membership",
        object_public_id=membership.public_id,
        practice=membership.practice,
        changed_fields=["is_active"],
    )
    return membership


def client_record_viewed(*, actor: User, client: Client, what: str = "client") -> None:
    """Audit a read of a client record (called by the view that shows it)."""
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=client.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
    )
