"""`manage.py backup --output <file>`: a consistent copy of the whole database.

SQLite: the online backup API copies the live database (its write-ahead log
included) while the application keeps running. PostgreSQL: `pg_dump
--format=custom` (pg_dump must be on PATH). Beside the file goes
`<file>.manifest.json`: engine, time, application version, migration heads and
per table a row count and a checksum, never row content. Both files are made
with mode 0600 and never replace an existing file. The backup is audited.

The encryption keys are not in the backup: without the key file the encrypted
clinical text in it cannot be read (docs/operations.md, "Backup and restore").
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.core.backup import BackupError, make_backup, manifest_path_for
from openipt.core.crypto import configured_keys


def migration_state() -> tuple[list[str], list[str]]:
    """The latest migration of each app (`app.name`), and those not applied to the database."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    leaves = sorted(loader.graph.leaf_nodes())
    heads = [f"{app}.{name}" for app, name in leaves]
    unapplied = [
        f"{app}.{name}" for app, name in leaves if (app, name) not in loader.applied_migrations
    ]
    return heads, unapplied


class Command(BaseCommand):
    help = (
        "Back up the whole database to a file (SQLite online backup API or pg_dump), "
        "with a manifest of row counts and checksums beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            required=True,
            help="The backup file to create (must not exist). The manifest is written "
            "beside it as <file>.manifest.json.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"]).expanduser().absolute()
        try:
            keys = configured_keys()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        heads, unapplied = migration_state()
        try:
            manifest = make_backup(
                connection.settings_dict,
                output,
                keys=keys,
                migration_heads=heads,
                unapplied_migrations=unapplied,
            )
        except BackupError as exc:
            raise CommandError(f"No backup was made: {exc}") from exc

        manifest_path = manifest_path_for(output)
        try:
            record(
                actor=None,
                action=AuditAction.EXPORT,
                object_type="database_backup",
                object_public_id=uuid.UUID(manifest.backup_id),
            )
        except Exception as exc:
            # An export that cannot be audited must not exist (promise 12).
            output.unlink(missing_ok=True)
            manifest_path.unlink(missing_ok=True)
            raise CommandError(
                "The backup's audit event could not be written, so the backup was deleted."
            ) from exc

        rows = sum(t.rows for t in manifest.tables.values())
        self.stdout.write(
            f"Backed up {len(manifest.tables)} tables ({rows} rows, {manifest.engine}) to "
            f"{output} ({manifest.backup_bytes} bytes)."
        )
        self.stdout.write(f"Manifest: {manifest_path}")
        self.stdout.write(
            "Not in the backup: the encryption keys (keep the key file separately: without it "
            "the encrypted text cannot be read) and message attachments "
            "($OPENIPT_DATA_DIR/attachments)."
        )
        self.stdout.write(self.style.SUCCESS("Backup complete."))
