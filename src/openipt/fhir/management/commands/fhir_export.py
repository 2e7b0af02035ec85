"""manage.py fhir_export --practice <public id> --out <dir>: NDJSON per resource type."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openipt.fhir import sources
from openipt.fhir.export import export_practice
from openipt.practice.models import Practice


class Command(BaseCommand):
    help = "Export one practice as FHIR R4 NDJSON files (one per resource type)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="The practice's public id (UUID).")
        parser.add_argument("--out", required=True, help="Directory to write the files to.")
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=sources.CHUNK_SIZE,
            help="Rows read from the database at a time (memory use follows this).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            practice_id = uuid.UUID(str(options["practice"]))
        except ValueError as exc:
            raise CommandError("--practice must be the practice's public id (a UUID).") from exc
        practice = Practice.objects.filter(public_id=practice_id).first()
        if practice is None:
            raise CommandError("No practice has that public id.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        out_dir = Path(options["out"])
        if out_dir.exists() and not out_dir.is_dir():
            raise CommandError(f"{out_dir} exists and is not a directory.")
        counts = export_practice(practice, out_dir, chunk_size=options["chunk_size"])
        for kind in sorted(counts):
            self.stdout.write(f"{kind}.ndjson: {counts[kind]}")
