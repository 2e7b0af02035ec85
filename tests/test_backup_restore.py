"""Promise 18: `manage.py backup` and `manage.py restore`, on the database this run uses.

The suite runs once on SQLite and once on PostgreSQL (DATABASE_URL); these
tests back up the test database (committed data: transactional tests) and
restore into a throw-away target in a separate process: a new SQLite file in
a temporary folder, or a new PostgreSQL database that is dropped afterwards.
The target's row counts and checksums are computed independently of the
restore command and compared with the source's at backup time, and the
encrypted note is read back from the target and decrypted.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from openipt.audit.models import AuditAction, AuditEvent
from openipt.core.backup import (
    MANIFEST_SUFFIX,
    TableSum,
    database_sums,
    engine_of,
    postgres_connect,
    table_count,
)
from openipt.core.crypto import configured_keys, decrypt_text, generate_key
from openipt.courses.models import ProcessNote
from openipt.courses.services.course import course_start
from openipt.courses.services.sessions import SessionContent, session_record
from openipt.practice.models import Client
from openipt.practice.services import client_create, client_update
from tests.world import World

REPO_DIR = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db(transaction=True)


# --- The restore target: a separate database, used through a separate process ----


@dataclass
class Target:
    db: dict[str, Any]
    env: dict[str, str]

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=REPO_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement on the target directly (SQLite `?` / PostgreSQL `%s`)."""
        if engine_of(self.db) == "sqlite":
            with contextlib.closing(sqlite3.connect(self.db["NAME"])) as conn:
                rows = conn.execute(statement, params).fetchall()
                conn.commit()
                return rows
        with contextlib.closing(postgres_connect(self.db, autocommit=True)) as pg:
            cursor = pg.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def note_ciphertext(self, public_id: uuid.UUID) -> str:
        table = ProcessNote._meta.db_table
        column = ProcessNote._meta.get_field("text").column
        key: Any = public_id.hex if engine_of(self.db) == "sqlite" else public_id
        rows = self.execute(f'SELECT "{column}" FROM "{table}" WHERE public_id = ?', (key,))  # noqa: S608
        assert len(rows) == 1
        return str(rows[0][0])


def _base_env() -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "OPENIPT_LOG_LEVEL": "ERROR"}


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    source = connection.settings_dict
    if engine_of(source) == "sqlite":
        folder = tmp_path / "restored"
        folder.mkdir()
        env = _base_env()
        env.pop("DATABASE_URL", None)
        env["OPENIPT_DATA_DIR"] = str(folder)
        yield Target(
            db={"ENGINE": source["ENGINE"], "NAME": str(folder / "openipt.sqlite3")}, env=env
        )
        return
    name = f"openipt_restore_{uuid.uuid4().hex[:12]}"
    with contextlib.closing(postgres_connect(source, dbname="postgres", autocommit=True)) as pg:
        pg.execute(f'CREATE DATABASE "{name}"')
    try:
        credentials = quote(source["USER"] or "", safe="")
        if source["PASSWORD"]:
            credentials += ":" + quote(source["PASSWORD"], safe="")
        host = source["HOST"] or "localhost"
        port = f":{source['PORT']}" if source["PORT"] else ""
        env = _base_env()
        env["DATABASE_URL"] = f"postgres://{credentials}@{host}{port}/{name}"
        env["OPENIPT_DATA_DIR"] = str(tmp_path / "data")
        yield Target(db={**source, "NAME": name}, env=env)
    finally:
        with contextlib.closing(postgres_connect(source, dbname="postgres", autocommit=True)) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Data written through the services ------------------------------------------------

NOTE = "Process note: she spoke about her sister for the first time. Roundtrip-7Q"
ADDRESS = "Flat 3, 14 Quarry Lane. Roundtrip-9K"


@dataclass
class Seeded:
    client: Client
    note: ProcessNote


def _seed(world: World) -> Seeded:
    client = client_create(
        actor=world.clinician,
        practice=world.practice_a,
        data={
            "given_name": "Plainbackupname",
            "family_name": "Roundtrip",
            "date_of_birth": datetime.date(1984, 6, 1),
            "language": "en",
            "address": ADDRESS,
        },
    )
    course = course_start(
        actor=world.clinician,
        client=client,
        variant_code="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
    )
    session = session_record(
        actor=world.clinician,
        course=course,
        number=1,
        content=SessionContent(
            date=datetime.date(2026, 9, 1), interval_history="Slept badly.", process_note=NOTE
        ),
    )
    return Seeded(client=client, note=ProcessNote.objects.get(session=session))


def _backup(path: Path) -> dict[str, Any]:
    call_command("backup", output=str(path))
    return dict(json.loads(Path(f"{path}{MANIFEST_SUFFIX}").read_text()))


def _manifest_sums(manifest: dict[str, Any]) -> dict[str, TableSum]:
    return {
        name: TableSum(rows=entry["rows"], sha256=entry["sha256"])
        for name, entry in manifest["tables"].items()
    }


def _changed(a: dict[str, TableSum], b: dict[str, TableSum]) -> set[str]:
    return {name for name in a.keys() | b.keys() if a.get(name) != b.get(name)}


# --- Tests --------------------------------------------------------------------------


def test_backup_then_restore_gives_back_every_row_and_the_note_still_decrypts(
    world: World, target: Target, tmp_path: Path
) -> None:
    """GIVEN a client, a course and an encrypted process note written through the services
    WHEN the database is backed up, then changed (a row deleted, a record edited, a record
    added), and the backup is restored into an empty database THEN every table has the row
    count and checksum the source had at backup time (not the changed ones), the note and
    address decrypt to the same text, the files are 0600 and the backup is audited; the
    target is not overwritten without --yes; a row deleted after the restore makes the
    verify fail naming its table, and a new restore with --yes repairs it (warning that
    the backup's encryption key is not configured there)."""
    seeded = _seed(world)
    notes_table = ProcessNote._meta.db_table
    clients_table = Client._meta.db_table
    at_backup = database_sums(connection.settings_dict)
    assert at_backup[notes_table].rows == 1

    backup = tmp_path / "openipt.backup"
    old_umask = os.umask(0)  # the files must be private whatever the umask
    try:
        manifest = _backup(backup)
    finally:
        os.umask(old_umask)
    manifest_file = Path(f"{backup}{MANIFEST_SUFFIX}")
    assert backup.stat().st_mode & 0o777 == 0o600
    assert manifest_file.stat().st_mode & 0o777 == 0o600
    assert manifest["engine"] == connection.vendor
    assert manifest["migration_heads"], "the manifest names the migration heads"
    # The manifest's checksums (computed on the backup's snapshot) are the live ones.
    assert _manifest_sums(manifest) == at_backup
    assert manifest["tables"][clients_table]["rows"] == Client.objects.count()
    # Names, counts and checksums only: no row content.
    manifest_text = manifest_file.read_text()
    assert "Plainbackupname" not in manifest_text
    assert "Roundtrip" not in manifest_text
    event = AuditEvent.objects.get(object_type="database_backup")
    assert event.action == AuditAction.EXPORT
    assert str(event.object_public_id) == manifest["backup_id"]

    # Changes after the backup, which the restore must not bring back.
    ProcessNote.objects.filter(pk=seeded.note.pk).delete()
    client_update(
        actor=world.clinician,
        client=seeded.client,
        data={"address": "Somewhere else entirely"},
        expected_version=seeded.client.version,
    )
    client_create(
        actor=world.clinician,
        practice=world.practice_a,
        data={
            "given_name": "Later",
            "family_name": "Added",
            "date_of_birth": datetime.date(1990, 1, 2),
            "language": "en",
        },
    )
    changed = database_sums(connection.settings_dict)
    assert {notes_table, clients_table} <= _changed(at_backup, changed)

    assert table_count(target.db) == 0
    restored = target.manage("restore", "--input", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "row counts and checksums match" in restored.stdout
    assert "encryption key" not in restored.stderr  # the same key is configured

    # Independently of the command: the target is the database as it was backed up.
    in_target = database_sums(target.db)
    assert _changed(at_backup, in_target) == set()
    assert in_target[notes_table].rows == 1
    assert in_target[clients_table] != changed[clients_table]
    ciphertext = target.note_ciphertext(seeded.note.public_id)
    assert ciphertext.startswith("enc1:")
    assert NOTE not in ciphertext
    assert decrypt_text(ciphertext) == NOTE
    address = target.execute(
        f'SELECT address FROM "{clients_table}" WHERE given_name = ?',  # noqa: S608
        ("Plainbackupname",),
    )
    assert decrypt_text(str(address[0][0])) == ADDRESS

    # The target now has tables: no overwrite without --yes.
    refused = target.manage("restore", "--input", str(backup))
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    assert "--yes" in refused.stderr

    # Right after the restore the verify passes; a row deleted makes it fail by name.
    verified = target.manage("restore", "--input", str(backup), "--verify-only")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    target.execute(f'DELETE FROM "{notes_table}"')  # noqa: S608
    broken = target.manage("restore", "--input", str(backup), "--verify-only")
    assert broken.returncode != 0
    assert f"table {notes_table} has 0 rows; the backup has 1" in broken.stderr
    assert clients_table not in broken.stderr

    # Restored where the backup's key is not configured: it works, and says so.
    target.env["OPENIPT_ENCRYPTION_KEYS"] = generate_key()
    repaired = target.manage("restore", "--input", str(backup), "--yes")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "1 of the 1 encryption key(s) configured when this backup was made" in repaired.stderr
    assert _changed(at_backup, database_sums(target.db)) == set()
    assert decrypt_text(target.note_ciphertext(seeded.note.public_id)) == NOTE


def test_a_changed_backup_file_is_refused_before_anything_is_restored(
    world: World, tmp_path: Path
) -> None:
    """GIVEN a backup WHEN one byte of it is flipped THEN restoring it (even with --yes,
    over this very database) is refused with a clear message and nothing is changed."""
    _seed(world)
    backup = tmp_path / "openipt.backup"
    _backup(backup)
    Client.objects.filter(given_name="Plainbackupname").update(family_name="Changedafter")
    before = database_sums(connection.settings_dict)

    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="does not match its manifest"):
        call_command("restore", input=str(backup), yes=True)
    with pytest.raises(CommandError, match="does not match its manifest"):
        call_command("restore", input=str(backup), verify_only=True)
    assert database_sums(connection.settings_dict) == before
    assert Client.objects.filter(family_name="Changedafter").exists()


def test_a_restore_that_does_not_match_the_manifest_fails_naming_the_table(
    world: World, target: Target, tmp_path: Path
) -> None:
    """GIVEN a backup whose manifest says the client table had one row more than it did
    WHEN it is restored THEN the command exits non-zero naming that table (and only it)."""
    _seed(world)
    backup = tmp_path / "openipt.backup"
    manifest = _backup(backup)
    clients_table = Client._meta.db_table
    rows = manifest["tables"][clients_table]["rows"]
    manifest["tables"][clients_table]["rows"] = rows + 1
    Path(f"{backup}{MANIFEST_SUFFIX}").write_text(json.dumps(manifest))

    result = target.manage("restore", "--input", str(backup))
    assert result.returncode != 0
    assert "does not match the backup's manifest (1 table(s))" in result.stderr
    assert f"table {clients_table} has {rows} rows; the backup has {rows + 1}" in result.stderr


def _restored_sql(backup: Path) -> bytes:
    """A PostgreSQL custom-format dump is compressed: turn it back into its SQL text."""
    pg_restore = shutil.which("pg_restore")
    assert pg_restore is not None, "pg_restore is needed for the PostgreSQL half"
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [pg_restore, "--file=-", str(backup)], capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def test_the_encryption_key_is_not_in_the_backup_or_its_manifest(
    world: World, tmp_path: Path
) -> None:
    """GIVEN encrypted text written through the services WHEN the database is backed up
    THEN no configured key (as text or as raw bytes) and none of the clear text is in the
    backup or the manifest, while a plain column written alongside is (so the search looks
    in the right bytes) and the manifest says the key file is needed."""
    _seed(world)
    backup = tmp_path / "openipt.backup"
    manifest = _backup(backup)
    blobs = backup.read_bytes() + Path(f"{backup}{MANIFEST_SUFFIX}").read_bytes()
    if connection.vendor == "postgresql":
        blobs += _restored_sql(backup)

    assert b"Plainbackupname" in blobs
    assert b"enc1:" in blobs
    keys = configured_keys()
    assert keys
    for key in keys:
        raw = base64.urlsafe_b64decode(key)
        for form in (key.encode(), key.rstrip("=").encode(), raw, raw.hex().encode()):
            assert form not in blobs, "an encryption key is in the backup"
    for secret in (NOTE, ADDRESS, "Roundtrip-7Q", "Quarry Lane"):
        assert secret.encode() not in blobs
    assert "key" in manifest["encryption"]["note"]
    assert any("encryption keys" in item for item in manifest["not_included"])


def test_backup_never_replaces_an_existing_file(world: World, tmp_path: Path) -> None:
    existing = tmp_path / "yesterday.backup"
    existing.write_bytes(b"yesterday's backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=str(existing))
    assert existing.read_bytes() == b"yesterday's backup"
    assert not Path(f"{existing}{MANIFEST_SUFFIX}").exists()
    assert not AuditEvent.objects.filter(object_type="database_backup").exists()
