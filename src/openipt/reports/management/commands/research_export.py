"""Write a de-identified research CSV of one practice (docs/research-export.md).

    manage.py research_export --practice <public id> --kind administrations \
        --dates shift --out phq9.csv [--from 2026-01-01] [--to 2026-12-31] [--instrument phq9]

Rows are streamed to the file as they are read, so memory stays flat for a
large practice. The file is created readable by its owner only. `--out -`
writes to standard output (the summary then goes to standard error).
"""

from __future__ import annotations

import os
from typing import Any, TextIO
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openipt.measures.selectors import instruments_for_practice
from openipt.practice.models import Practice
from openipt.reports.research.access import scope_for_operator
from openipt.reports.research.export import research_export_start
from openipt.reports.research.forms import ResearchExportForm
from openipt.reports.research.options import DateMode, ExportKind


def _open_private(path: str) -> TextIO:
    # 0o600: a research file is still sensitive; nobody else on the host reads it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


class Command(BaseCommand):
    help = "Write a de-identified research export (CSV) of one practice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="The practice's public id.")
        parser.add_argument("--kind", required=True, choices=[k.value for k in ExportKind])
        parser.add_argument(
            "--dates", default=DateMode.SHIFT.value, choices=[m.value for m in DateMode]
        )
        parser.add_argument("--from", dest="period_from", default="", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="period_to", default="", help="YYYY-MM-DD")
        parser.add_argument("--instrument", default="", help="One instrument code only.")
        parser.add_argument("--out", required=True, help="The CSV file to write, or - for stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            practice = Practice.objects.get(public_id=UUID(options["practice"]))
        except (ValueError, Practice.DoesNotExist) as exc:
            raise CommandError("No practice has that public id.") from exc
        scope = scope_for_operator(practice=practice)
        form = ResearchExportForm(
            {
                "kind": options["kind"],
                "dates": options["dates"],
                "period_from": options["period_from"],
                "period_to": options["period_to"],
                "instrument": options["instrument"],
            },
            kinds=scope.kinds,
            instrument_codes=instruments_for_practice(practice),
        )
        if not form.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(str(m) for m in messages)}"
                for name, messages in form.errors.items()
            )
            raise CommandError(f"The export was not made: {problems}")
        export = research_export_start(actor=None, scope=scope, options=form.options())
        to_stdout = options["out"] == "-"
        rows = -1  # the header is not a row
        if to_stdout:
            for line in export.lines():
                self.stdout.write(line, ending="")
                rows += 1
        else:
            with _open_private(options["out"]) as out:
                for line in export.lines():
                    out.write(line)
                    rows += 1
        summary = self.stderr if to_stdout else self.stdout
        where = "standard output" if to_stdout else options["out"]
        summary.write(f"Wrote {rows} {export.layout.kind.value} rows to {where}.")
