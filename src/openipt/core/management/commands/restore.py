"""`manage.py restore --input <file> [--yes]`: put a backup back, then prove it.

Stop the web server, the worker and any cron job first: a restore replaces
the whole database.

1. The manifest beside the backup is read and the backup file is checked
   against it (size and SHA-256): a damaged or altered file is refused and
   nothing is restored.
2. A database that already has tables is only overwritten with `--yes`.
3. SQLite: the backup is copied into the configured database file with the
   online backup API. PostgreSQL: `pg_restore --clean --if-exists --no-owner
   --no-privileges --single-transaction` into the configured database.
4. Every table's row count and checksum is compared with the manifest; any
   difference names the table and the command exits non-zero.

`--verify-only` skips steps 2-3: it checks the configured database against the
manifest as it is now (right after a restore it must pass).

The restore writes nothing else into the restored database (no audit event),
so that it stays identical to the backup and can be verified again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, connections
from django.db.migrations.loader import MigrationLoader

from openipt.core.backup import (
    BackupError,
    Manifest,
    check_backup_file,
    compare,
    database_sums,
    engine_of,
    extra_tables,
    key_id,
    read_manifest,
    restore_backup,
    table_count,
)
from openipt.core.crypto import configured_keys


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database and "
        "verify every table's row count and checksum against its manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, help="The backup file (its manifest beside it)."
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Replace the contents of a database that is not empty.",
        )
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="Restore nothing: check the configured database against the manifest.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backup = Path(options["input"]).expanduser().absolute()
        db = connection.settings_dict
        try:
            engine = engine_of(db)
            manifest = read_manifest(backup)
            if manifest.engine != engine:
                raise BackupError(
                    f"This is a {manifest.engine} backup; the configured database is {engine}."
                )
            check_backup_file(backup, manifest)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc

        if options["verify_only"]:
            self._verify(db, manifest, restored=False)
            return

        try:
            tables = table_count(db)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if tables and not options["yes"]:
            raise CommandError(
                f"The configured database is not empty ({tables} tables). Restoring replaces "
                "everything in it; stop the server, then run again with --yes to do that."
            )

        # Our own connection must not hold locks or a stale view of the old data.
        connections.close_all()
        try:
            restore_backup(db, backup, manifest)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            connections.close_all()
        self.stdout.write(f"Restored {backup} (made {manifest.created_at}).")
        self._verify(db, manifest, restored=True)
        self._key_notice(manifest)
        self._migration_notice()

    def _verify(self, db: Any, manifest: Manifest, *, restored: bool) -> None:
        try:
            actual = database_sums(db)
        except (BackupError, DatabaseError) as exc:
            raise CommandError(f"The database could not be read to verify it: {exc}") from exc
        problems = compare(manifest.tables, actual)
        if problems:
            what = "The restored database" if restored else "The database"
            listing = "\n".join(f"  - {line}" for line in problems)
            raise CommandError(
                f"{what} does not match the backup's manifest "
                f"({len(problems)} table(s)):\n{listing}"
            )
        for table in extra_tables(manifest.tables, actual):
            self.stderr.write(f"Note: table {table} is not in the backup (left as it was).")
        rows = sum(t.rows for t in manifest.tables.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Verified {len(manifest.tables)} tables ({rows} rows): row counts and "
                "checksums match the manifest."
            )
        )

    def _key_notice(self, manifest: Manifest) -> None:
        try:
            configured = {key_id(k) for k in configured_keys()}
        except ImproperlyConfigured:
            configured = set()
        missing = [k for k in manifest.key_ids if k not in configured]
        if missing:
            self.stderr.write(
                f"Warning: {len(missing)} of the {len(manifest.key_ids)} encryption key(s) "
                "configured when this backup was made are not configured now. Encrypted text "
                "written with them cannot be read until you add the old key file back "
                "(then run `manage.py rotate_keys --check`)."
            )

    def _migration_notice(self) -> None:
        try:
            loader = MigrationLoader(connection, ignore_no_migrations=True)
        except DatabaseError:  # pragma: no cover - the database was just read
            return
        pending = [n for n in loader.graph.leaf_nodes() if n not in loader.applied_migrations]
        unknown = [n for n in loader.applied_migrations if n not in loader.graph.nodes]
        if pending:
            self.stdout.write(
                f"The restored database lacks {len(pending)} migration(s) of this version: "
                "run `manage.py migrate` before starting the server."
            )
        if unknown:
            self.stderr.write(
                f"Warning: the backup was made by a newer version ({len(unknown)} migration(s) "
                "unknown here); run the same version of OpenIPT that made it."
            )
        connections.close_all()
