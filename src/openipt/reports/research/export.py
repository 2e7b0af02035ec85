"""Starting a research export: check the kind, write the audit event, stream the rows.

The audit event is committed before the first row is read, so an export that
is interrupted half-way is still on the trail. It names the kind, the date
mode and the columns, never a value or a client.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.measures.engine import Instrument
from openipt.measures.selectors import instruments_for_practice
from openipt.reports.research import queries
from openipt.reports.research.access import ExportScope
from openipt.reports.research.cells import Cell
from openipt.reports.research.csv_out import csv_lines
from openipt.reports.research.options import ExportKind, ExportOptions
from openipt.reports.research.pseudonyms import ExportKeys
from openipt.reports.research.rows import (
    Layout,
    administration_row,
    course_row,
    group_score_row,
    session_row,
)

if TYPE_CHECKING:
    from openipt.accounts.models import User

AUDIT_OBJECT_TYPE = "research_export"


@dataclass(frozen=True)
class ResearchExport:
    """One export under way: its file name, columns and (lazy) rows."""

    filename: str
    layout: Layout
    rows: Iterator[list[Cell]]

    def lines(self) -> Iterator[str]:
        return csv_lines(self.layout.header(), self.rows)


def _item_ids(instruments: Mapping[str, Instrument], codes: list[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for instrument_code in codes:
        instrument = instruments.get(instrument_code)
        if instrument is None:
            continue  # no longer defined: its total and band still go out, not its items
        ids.extend(item.link_id for item in instrument.items if item.link_id not in ids)
    return tuple(ids)


def _plan(
    scope: ExportScope, options: ExportOptions, keys: ExportKeys
) -> tuple[Layout, Iterator[list[Cell]]]:
    instruments = instruments_for_practice(scope.practice)
    kind, dates = options.kind, options.dates
    if kind is ExportKind.ADMINISTRATIONS:
        codes = queries.instrument_codes_in(queries.administrations_in_scope(scope, options))
        layout = Layout(kind, dates, item_ids=_item_ids(instruments, codes))
        records = queries.administration_records(scope, options, keys)
        return layout, (administration_row(r, keys=keys, layout=layout) for r in records)
    if kind is ExportKind.SESSIONS:
        layout = Layout(kind, dates)
        sessions = queries.session_records(scope, options, keys)
        return layout, (session_row(r, keys=keys, layout=layout) for r in sessions)
    if kind is ExportKind.COURSES:
        given = queries.administrations_in_scope(
            scope, ExportOptions(kind=kind, instrument=options.instrument)
        ).filter(course__in=queries.courses_in_scope(scope, options))
        codes = [c for c in queries.instrument_codes_in(given) if c in instruments]
        layout = Layout(kind, dates, outcome_codes=tuple(codes))
        courses = queries.course_records(
            scope, options, keys, instruments=instruments, outcome_codes=codes
        )
        return layout, (course_row(r, keys=keys, layout=layout) for r in courses)
    codes = queries.instrument_codes_in(queries.group_scores_in_scope(scope, options))
    layout = Layout(kind, dates, item_ids=_item_ids(instruments, codes))
    scores = queries.group_score_records(scope, options, keys)
    return layout, (group_score_row(r, keys=keys, layout=layout) for r in scores)


def research_export_start(
    *, actor: User | None, scope: ExportScope, options: ExportOptions
) -> ResearchExport:
    """Audit the export, then return its rows to be streamed.

    `actor` is None for the management command (an operator at the console).
    A fresh `ExportKeys` per call is what makes pseudonyms and date shifts
    differ from one export to the next.
    """
    if options.kind not in scope.kinds:
        raise PermissionDenied("This kind of export is not open to your role.")
    keys = ExportKeys()
    layout, rows = _plan(scope, options, keys)
    fields = [f"kind:{options.kind.value}", f"dates:{options.dates.value}"]
    if options.instrument:
        fields.append(f"instrument:{options.instrument}")
    if options.period_from is not None or options.period_to is not None:
        fields.append("period")
    if layout.item_ids:
        fields.append("item_answers")
    with transaction.atomic():
        record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type=AUDIT_OBJECT_TYPE,
            practice=scope.practice,
            changed_fields=[*fields, *layout.fixed_columns()],
        )
    return ResearchExport(filename=options.filename, layout=layout, rows=rows)
