"""Writing the audit trail. `record()` is the only way events are created."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from openipt.audit.chain import GENESIS_HASH, event_digest
from openipt.audit.models import AuditAction, AuditChainHead, AuditEvent
from openipt.core.request_context import current_request_id

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

# What a changed-field entry may look like: a name such as `access_needs` or
# `practice.Client.address`. Free text (spaces, @, quotes…) is refused, so a
# value passed here by mistake fails loudly instead of entering the trail.
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-]{0,99}$")


@transaction.atomic
def record(
    *,
    actor: User | None,
    action: AuditAction,
    object_type: str,
    object_public_id: UUID | None = None,
    practice: Practice | None = None,
    subject_client_public_id: UUID | None = None,
    changed_fields: Iterable[str] = (),
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Call it from the service that makes the change (or the view that shows a
    record) so that the event commits or rolls back with it: if this write
    fails, the caller's write fails too. Pass field *names* only.
    """
    names = list(changed_fields)
    for name in names:
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise ValueError("Audit events record field names only, never values.")
    fields = sorted(set(names))
    # Locking the head row serialises appends (PostgreSQL); on SQLite the
    # IMMEDIATE transaction already holds the database's single write lock.
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"last_sequence": 0, "last_hash": GENESIS_HASH}
    )
    sequence = head.last_sequence + 1
    occurred_at = timezone.now()
    request_id = current_request_id()
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    practice_id = practice.pk if practice is not None else None
    digest = event_digest(
        previous_hash=head.last_hash,
        sequence=sequence,
        occurred_at=occurred_at,
        actor_id=actor_id,
        practice_id=practice_id,
        action=action,
        object_type=object_type,
        object_public_id=object_public_id,
        subject_client_public_id=subject_client_public_id,
        changed_fields=fields,
        request_id=request_id,
    )
    event = AuditEvent.objects.create(
        sequence=sequence,
        occurred_at=occurred_at,
        actor_id=actor_id,
        practice_id=practice_id,
        action=action,
        object_type=object_type,
        object_public_id=object_public_id,
        subject_client_public_id=subject_client_public_id,
        changed_fields=fields,
        request_id=request_id,
        previous_hash=head.last_hash,
        event_hash=digest,
    )
    head.last_sequence = sequence
    head.last_hash = digest
    head.save(update_fields=["last_sequence", "last_hash"])
    return event
