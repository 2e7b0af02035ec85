"""Invitations: the only way a person joins a practice."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import Invitation, InvitationStatus, User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice import policies
from openipt.practice.models import Client, Membership, Practice, Role
from openipt.practice.roles import roles_for
from openipt.practice.selectors import clients_visible_to

STAFF_INVITABLE_ROLES = (
    Role.CLINICIAN,
    Role.FACILITATOR,
    Role.SUPERVISOR,
    Role.PRACTICE_ADMIN,
)


class InvitationUnusable(Exception):
    """The invitation is unknown, used, revoked or expired."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _send_invitation_email(*, email: str, link: str, expires_on: str) -> None:
    # Deliberately generic: no practice name, no role, nothing that says the
    # recipient is (or will be) receiving psychotherapy.
    send_mail(
        subject="Your OpenIPT account invitation",
        message=(
            "Hello,\n\n"
            "You have been invited to create an account on OpenIPT.\n"
            f"Open this link to set it up (it works once, until {expires_on}):\n\n"
            f"{link}\n\n"
            "If you were not expecting this, you can ignore this e-mail.\n"
        ),
        from_email=None,
        recipient_list=[email],
    )


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    practice: Practice,
    email: str,
    role: str,
    base_url: str,
    full_name: str = "",
    client: Client | None = None,
) -> tuple[Invitation, str]:
    """Create an invitation and e-mail its link. Returns the invitation and the raw token.

    Practice admins may invite staff; clinicians, supervisors and admins may
    invite a client whose record they can see. The raw token is returned to
    the caller once and stored only as a digest.
    """
    roles = roles_for(actor).in_practice(practice.pk)
    if role == Role.CLIENT:
        if not policies.can_invite_client(roles) or client is None:
            raise PermissionDenied
        if not clients_visible_to(actor=actor).filter(pk=client.pk, practice=practice).exists():
            raise PermissionDenied
        if client.user_id is not None:
            raise ValidationError("This client already has a portal account.")
        if client.is_archived:
            raise ValidationError("Restore this client record before inviting them to the portal.")
    elif role in STAFF_INVITABLE_ROLES:
        if not policies.can_manage_members(roles):
            raise PermissionDenied
        client = None
    else:
        raise ValidationError("Choose a role for the invitation.")

    email = email.strip().lower()
    # A new invitation replaces any earlier pending one for the same person and role.
    Invitation.objects.filter(
        practice=practice, email=email, role=role, status=InvitationStatus.PENDING
    ).update(status=InvitationStatus.REVOKED)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        practice=practice,
        role=role,
        email=email,
        full_name=full_name,
        client=client,
        token_digest=token_digest(token),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        created_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.INVITE,
        object_type="invitation",
        object_public_id=invitation.public_id,
        practice=practice,
        subject_client_public_id=client.public_id if client else None,
        changed_fields=["role", "email"],
    )
    link = base_url.rstrip("/") + reverse("invitation_open", kwargs={"token": token})
    expires_on = timezone.localtime(invitation.expires_at).strftime("%d %B %Y")
    transaction.on_commit(
        lambda: _send_invitation_email(email=email, link=link, expires_on=expires_on)
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("practice", "client")
        .filter(token_digest=token_digest(token))
        .first()
    )
    if invitation is None or not invitation.is_usable:
        raise InvitationUnusable
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    roles = roles_for(actor).in_practice(invitation.practice_id)
    allowed = policies.can_manage_members(roles) or (
        invitation.role == Role.CLIENT and invitation.created_by_id == actor.pk
    )
    if not allowed:
        raise PermissionDenied
    if invitation.status != InvitationStatus.PENDING:
        return invitation
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.REVOKE,
        object_type="invitation",
        object_public_id=invitation.public_id,
        practice=invitation.practice,
        changed_fields=["status"],
    )
    return invitation


def _join(*, invitation: Invitation, user: User) -> None:
    membership, created = Membership.objects.get_or_create(
        user=user,
        practice=invitation.practice,
        role=invitation.role,
        defaults={"organisation_id": invitation.practice.organisation_id},
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
    if invitation.client is not None:
        client = Client.objects.select_for_update().get(pk=invitation.client.pk)
        if client.user_id not in (None, user.pk):
            raise ValidationError("This client record is already linked to another account.")
        client.user = user
        client.save(update_fields=["user", "updated_at"])
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    record(
        actor=user,
        action=AuditAction.ACCEPT,
        object_type="invitation",
        object_public_id=invitation.public_id,
        practice=invitation.practice,
        subject_client_public_id=invitation.client.public_id if invitation.client else None,
        changed_fields=["membership"],
    )


@transaction.atomic
def invitation_accept_new_account(*, token: str, full_name: str, password: str) -> User:
    """Create the invited person's account and membership. Single use, checked under lock."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise InvitationUnusable
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError("An account with this e-mail address exists: sign in to accept.")
    user = User(email=invitation.email, full_name=full_name.strip())
    validate_password(password, user)
    user.set_password(password)
    user.save()
    # The invitation link reached this mailbox, which verifies the address.
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    _join(invitation=invitation, user=user)
    return user


@transaction.atomic
def invitation_accept_existing_account(*, token: str, user: User) -> None:
    """Add the membership to the signed-in account the invitation was addressed to."""
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise InvitationUnusable
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied
    _join(invitation=invitation, user=user)
