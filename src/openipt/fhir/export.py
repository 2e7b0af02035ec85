"""Bulk export of one practice as NDJSON, one file per resource type.

Every source walks its queryset in chunks and each resource is written as one
line as soon as it is made, so memory holds one chunk of rows, never the
practice. The export is the system's act (no user): it is audited with the
practice and the resource types written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from django.db import transaction

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.models import Course, Session
from openipt.fhir import sources
from openipt.fhir.mappers.common import Json
from openipt.groups.models import Group, GroupMember, GroupSession
from openipt.measures.models import MeasureAdministration
from openipt.measures.selectors import instruments_for_practice
from openipt.practice.models import Client, Membership, Practice
from openipt.safety.models import RiskAlert


def practice_resources(
    practice: Practice, *, chunk_size: int = sources.CHUNK_SIZE
) -> Iterator[Json]:
    """Every exported resource of the practice, one at a time."""
    instruments = sources.InstrumentCache(practice)
    yield from sources.organization_resources(practice)
    yield from sources.staff_resources(
        Membership.objects.filter(practice=practice), practice.public_id, chunk_size=chunk_size
    )
    yield from sources.client_resources(
        Client.objects.filter(practice=practice), chunk_size=chunk_size
    )
    yield from sources.course_resources(
        Course.objects.filter(practice=practice), chunk_size=chunk_size
    )
    yield from sources.session_resources(
        Session.objects.filter(course__practice=practice), chunk_size=chunk_size
    )
    yield from sources.measure_resources(
        MeasureAdministration.objects.filter(practice=practice), instruments, chunk_size=chunk_size
    )
    yield from sources.questionnaire_resources(instruments_for_practice(practice).values())
    yield from sources.flag_resources(
        RiskAlert.objects.filter(practice=practice), chunk_size=chunk_size
    )
    yield from sources.group_resources(
        Group.objects.filter(practice=practice), chunk_size=chunk_size
    )
    yield from sources.group_session_resources(
        GroupSession.objects.filter(group__practice=practice), chunk_size=chunk_size
    )
    yield from sources.member_score_resources(
        GroupMember.objects.filter(practice=practice), instruments, chunk_size=chunk_size
    )


class NdjsonWriter:
    """Routes each resource to `<out>/<resourceType>.ndjson`, opening files as needed."""

    def __init__(self, out_dir: Path, stack: ExitStack) -> None:
        self.out_dir = out_dir
        self._stack = stack
        self._files: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: Json) -> None:
        kind = str(resource["resourceType"])
        handle = self._files.get(kind)
        if handle is None:
            path = self.out_dir / f"{kind}.ndjson"
            handle = self._stack.enter_context(path.open("w", encoding="utf-8"))
            self._files[kind] = handle
        handle.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")
        self.counts[kind] = self.counts.get(kind, 0) + 1


def write_ndjson(resources: Iterable[Json], out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        writer = NdjsonWriter(out_dir, stack)
        for resource in resources:
            writer.write(resource)
    return writer.counts


def export_practice(
    practice: Practice, out_dir: Path, *, chunk_size: int = sources.CHUNK_SIZE
) -> dict[str, int]:
    """Write the practice's NDJSON files and audit the export; the counts per type."""
    counts = write_ndjson(practice_resources(practice, chunk_size=chunk_size), out_dir)
    with transaction.atomic():
        record(
            actor=None,
            action=AuditAction.EXPORT,
            object_type="fhir_bulk_export",
            object_public_id=practice.public_id,
            practice=practice,
            changed_fields=sorted(counts),
        )
    return counts
