"""Checking the audit chain for edited, inserted or deleted events."""

from __future__ import annotations

from dataclasses import dataclass

from openipt.audit.chain import GENESIS_HASH, event_digest
from openipt.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    problem: str


def verify_chain(*, chunk_size: int = 2000) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in order and report every break. Memory stays flat."""
    problems: list[ChainProblem] = []
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    checked = 0
    events = AuditEvent.objects.order_by("sequence").iterator(chunk_size=chunk_size)
    for event in events:
        checked += 1
        if event.sequence != expected_sequence:
            problems.append(
                ChainProblem(
                    expected_sequence,
                    f"events {expected_sequence}–{event.sequence - 1} are missing (deleted)",
                )
            )
        if event.previous_hash != previous_hash:
            problems.append(ChainProblem(event.sequence, "does not link to the event before it"))
        recomputed = event_digest(
            previous_hash=event.previous_hash,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            practice_id=event.practice_id,
            action=event.action,
            object_type=event.object_type,
            object_public_id=event.object_public_id,
            subject_client_public_id=event.subject_client_public_id,
            changed_fields=event.changed_fields,
            request_id=event.request_id,
        )
        if recomputed != event.event_hash:
            problems.append(ChainProblem(event.sequence, "was edited after it was written"))
        previous_hash = event.event_hash
        expected_sequence = event.sequence + 1

    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_sequence != expected_sequence - 1:
        problems.append(
            ChainProblem(
                head.last_sequence,
                f"the chain should end at event {head.last_sequence} but ends at "
                f"{expected_sequence - 1} (latest events deleted)",
            )
        )
    elif head is not None and head.last_hash != previous_hash:
        problems.append(ChainProblem(head.last_sequence, "the last event was replaced"))
    return checked, problems
