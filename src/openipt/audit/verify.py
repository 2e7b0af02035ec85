"""Checking the audit chain for edited, inserted or deleted events.

The walk reads events in sequence order with an iterator, so memory stays flat
however long the trail is. Each event is re-hashed and must link to the one
before it; the chain head (updated in the same transaction as every append)
must point at the last event, which catches deletion of the latest events.

A chain kept in the same database can be rewritten wholesale by someone who
can also recompute every hash. `manage.py audit_verify` prints the head's
sequence and hash so that an operator can keep them elsewhere and later pass
them back as anchors (`--anchor SEQUENCE:HASH`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from openipt.audit.chain import GENESIS_HASH, event_digest
from openipt.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    problem: str


@dataclass(frozen=True)
class Anchor:
    """An event hash recorded outside the database at some earlier time."""

    sequence: int
    event_hash: str


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    last_sequence: int = 0
    last_hash: str = GENESIS_HASH

    @property
    def intact(self) -> bool:
        return not self.problems


def _recompute(event: AuditEvent) -> str | None:
    try:
        return event_digest(
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
    except (TypeError, ValueError, AttributeError):
        # A column was overwritten with something of the wrong shape.
        return None


def walk_chain(*, chunk_size: int = 2000, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """Walk the whole chain and report every break."""
    report = ChainReport()
    expected_anchors = {anchor.sequence: anchor.event_hash for anchor in anchors}
    expected_sequence = 1

    def feed(event: AuditEvent) -> None:
        nonlocal expected_sequence
        report.checked += 1
        if event.sequence != expected_sequence:
            first, last = expected_sequence, event.sequence - 1
            span = f"event {first} is" if first == last else f"events {first}–{last} are"
            report.problems.append(ChainProblem(first, f"{span} missing (deleted)"))
        if event.previous_hash != report.last_hash:
            report.problems.append(
                ChainProblem(event.sequence, "does not link to the event before it")
            )
        if _recompute(event) != event.event_hash:
            report.problems.append(ChainProblem(event.sequence, "was edited after it was written"))
        anchored = expected_anchors.pop(event.sequence, None)
        if anchored is not None and anchored != event.event_hash:
            report.problems.append(
                ChainProblem(
                    event.sequence, "does not match the hash recorded outside the database"
                )
            )
        report.last_hash = event.event_hash
        report.last_sequence = event.sequence
        expected_sequence = event.sequence + 1

    # Events and the head are committed together, so after a pass the head is
    # at or beyond the last event seen; if events were appended meanwhile,
    # walk on until the head is reached.
    head: AuditChainHead | None = None
    while True:
        before = report.checked
        events = (
            AuditEvent.objects.filter(sequence__gt=report.last_sequence)
            .order_by("sequence")
            .iterator(chunk_size=chunk_size)
        )
        for event in events:
            feed(event)
        head = AuditChainHead.objects.filter(pk=1).first()
        if head is None or head.last_sequence <= report.last_sequence:
            break
        if report.checked == before:
            break  # the head is ahead but no further events exist

    if head is None:
        if report.checked:
            report.problems.append(
                ChainProblem(report.last_sequence, "the chain head record is missing")
            )
    elif head.last_sequence > report.last_sequence:
        report.problems.append(
            ChainProblem(
                head.last_sequence,
                f"the chain should end at event {head.last_sequence} but ends at "
                f"{report.last_sequence} (latest events deleted)",
            )
        )
    elif head.last_sequence < report.last_sequence:
        report.problems.append(
            ChainProblem(
                head.last_sequence + 1,
                f"events after {head.last_sequence} were not appended through the chain head "
                "(inserted directly)",
            )
        )
    elif head.last_hash != report.last_hash:
        report.problems.append(ChainProblem(head.last_sequence, "the last event was replaced"))

    for sequence in sorted(expected_anchors):
        report.problems.append(
            ChainProblem(sequence, "is recorded outside the database but missing from the chain")
        )
    return report


def verify_chain(
    *, chunk_size: int = 2000, anchors: Iterable[Anchor] = ()
) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in order and report every break. Memory stays flat."""
    report = walk_chain(chunk_size=chunk_size, anchors=anchors)
    return report.checked, report.problems
