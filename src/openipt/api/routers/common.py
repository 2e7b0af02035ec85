"""What every endpoint needs: the acting user and the audit event of a clinical read."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.http import HttpRequest

from openipt.audit.models import AuditAction
from openipt.audit.services import record

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice


def actor_of(request: HttpRequest) -> User:
    # TokenAuth has set request.user to the token's owner before any endpoint runs.
    return request.user  # type: ignore[return-value]


def audit_read(
    request: HttpRequest,
    *,
    object_type: str,
    public_id: UUID,
    practice: Practice | None,
    client_public_id: UUID | None,
) -> None:
    """A read of one record, with the client it concerns (for the client's access log)."""
    record(
        actor=actor_of(request),
        action=AuditAction.VIEW,
        object_type=object_type,
        object_public_id=public_id,
        practice=practice,
        subject_client_public_id=client_public_id,
    )
