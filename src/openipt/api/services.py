"""Creating and revoking personal access tokens (audited, never the token itself)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from openipt.api.models import ApiToken
from openipt.api.tokens import display_prefix, new_token, token_digest
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.practice.roles import roles_for

if TYPE_CHECKING:
    from openipt.accounts.models import User

MAX_NAME_LENGTH = 100
# A token that would live longer than this must be renewed: a forgotten token
# in a script should not stay valid for ever.
MAX_LIFETIME = datetime.timedelta(days=366)
# How often last_used_at is written: at most once a minute per token, so that a
# busy script does not turn every read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def may_have_tokens(user: User) -> bool:
    """Staff only: clients use the portal, and the API has nothing for them."""
    return roles_for(user).is_staff


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for the actor; the token itself is returned once and never stored."""
    if not may_have_tokens(actor):
        raise PermissionDenied
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name, e.g. the script that will use it."
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = f"Keep the name under {MAX_NAME_LENGTH} characters."
    now = timezone.now()
    if expires_at is not None:
        if expires_at <= now:
            errors["expires_at"] = "Choose a date in the future."
        elif expires_at > now + MAX_LIFETIME:
            errors["expires_at"] = "Choose a date within a year."
    if errors:
        raise ValidationError(errors)
    token = new_token()
    row = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=display_prefix(token),
        digest=token_digest(token),
        expires_at=expires_at,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="api_token",
        object_public_id=row.public_id,
        changed_fields=["name", "expires_at"],
    )
    return row, token


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens; revoking twice changes nothing."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.user_id != actor.pk:
        raise PermissionDenied
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.REVOKE,
        object_type="api_token",
        object_public_id=locked.public_id,
        changed_fields=["revoked_at"],
    )
    return locked


def api_token_touch(*, token: ApiToken, now: datetime.datetime) -> None:
    """Note that the token was used, at most once a minute (not audited: the call is)."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
