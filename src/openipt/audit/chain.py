"""Pure hashing of audit events, shared by writing and verifying."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

GENESIS_HASH = "0" * 64


def event_digest(
    *,
    previous_hash: str,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    practice_id: int | None,
    action: str,
    object_type: str,
    object_public_id: UUID | None,
    subject_client_public_id: UUID | None,
    changed_fields: Sequence[str],
    request_id: str,
) -> str:
    payload = json.dumps(
        [
            previous_hash,
            sequence,
            occurred_at.isoformat(timespec="microseconds"),
            actor_id,
            practice_id,
            action,
            object_type,
            str(object_public_id) if object_public_id else None,
            str(subject_client_public_id) if subject_client_public_id else None,
            list(changed_fields),
            request_id,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
