"""Whole-database backups, their manifests, and checking a database against one.

Used by `manage.py backup` and `manage.py restore` (docs/operations.md,
"Backup and restore"; security promise 18).

- SQLite: the online backup API copies the live database, write-ahead log
  included, into a single self-contained file while the application keeps
  writing (readers never block the writer in WAL mode).
- PostgreSQL: `pg_dump --format=custom`, run inside an exported snapshot of a
  repeatable-read transaction, so that the dump and the manifest's checksums
  describe exactly the same moment.

Beside every backup goes a JSON manifest: the engine, when, the application
version and migration heads, and per table its row count and a SHA-256 over
its rows in primary-key order. It never holds row content, and never an
encryption key: the keys live outside the database and must be kept (and
restored) separately. Both files are created with mode 0600, written under a
temporary name, fsynced and then linked into place (never over an existing
file).

Checksums are comparable between a backup and a database restored from it on
the same engine (SQLite to SQLite, PostgreSQL to PostgreSQL).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

MANIFEST_FORMAT = 1
MANIFEST_KIND = "openipt-database-backup"
MANIFEST_SUFFIX = ".manifest.json"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
_ENGINES = {
    "django.db.backends.sqlite3": SQLITE,
    "django.db.backends.postgresql": POSTGRESQL,
}
KEY_NOTE = (
    "Encrypted clinical text in this backup can only be read with the encryption key(s) "
    "configured when it was made (OPENIPT_ENCRYPTION_KEYS / OPENIPT_ENCRYPTION_KEY_FILE). "
    "The keys are not in the backup: keep the key file separately, and securely."
)
NOT_INCLUDED = [
    "encryption keys (OPENIPT_ENCRYPTION_KEYS, OPENIPT_ENCRYPTION_KEY_FILE)",
    "message attachment files ($OPENIPT_DATA_DIR/attachments)",
    "settings and secrets (the environment, OPENIPT_SECRET_KEY)",
]
# What identifies a key in a manifest: an HMAC keyed *by* the key over a fixed
# label, shortened. It cannot be turned back into the key.
_KEY_ID_LABEL = b"openipt-backup-key-id-v1"
_CHUNK = 1024 * 1024
_FETCH = 2000
# libpq connection parameters Django passes through OPTIONS, with the
# environment variable the PostgreSQL command-line tools read them from.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "sslpassword": "PGSSLPASSWORD",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
}


class BackupError(Exception):
    """A backup or restore could not be made or checked. The message names files and
    tables only, never row content."""


@dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    engine: str
    backup_id: str
    created_at: str
    backup_bytes: int
    backup_sha256: str
    tables: dict[str, TableSum]
    key_ids: list[str]
    data: dict[str, Any]


# --- Small helpers ------------------------------------------------------------


def engine_of(db: Mapping[str, Any]) -> str:
    engine = _ENGINES.get(str(db.get("ENGINE", "")))
    if engine is None:
        raise BackupError(f"Backups support SQLite and PostgreSQL only, not {db.get('ENGINE')!s}.")
    return engine


def manifest_path_for(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def key_id(key: str) -> str:
    return hmac.new(key.encode("utf-8"), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.tmp")


def _create_private(path: Path) -> None:
    """Create an empty file readable and writable by its owner only (whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _publish(tmp: Path, final: Path) -> None:
    """fsync `tmp`, give it its final name without ever replacing a file, fsync the folder."""
    os.chmod(tmp, 0o600)
    _fsync_path(tmp)
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise BackupError(f"{final} already exists; choose a new name.") from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_path(final.parent)


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _feed(digest: Any, value: object) -> None:
    """Add one column value to a table digest: typed and length-prefixed, so that
    no two different rows can produce the same byte stream."""
    if value is None:
        digest.update(b"N")
    elif isinstance(value, bool):
        digest.update(b"T" if value else b"F")
    elif isinstance(value, int):
        digest.update(b"I%d;" % value)
    elif isinstance(value, float):
        digest.update(b"R" + repr(value).encode("ascii") + b";")
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        digest.update(b"S%d:" % len(data))
        digest.update(data)
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        digest.update(b"B%d:" % len(data))
        digest.update(data)
    else:  # pragma: no cover - the queries below only return the types above
        raise BackupError(f"Cannot checksum a column of type {type(value).__name__}.")


def _table_digest(columns: list[str], rows: Iterable[tuple[object, ...]]) -> TableSum:
    digest = hashlib.sha256()
    digest.update(b"C%d:" % len(columns))
    for name in columns:
        _feed(digest, name)
    count = 0
    for row in rows:
        digest.update(b"\x1e%d:" % len(row))
        for value in row:
            _feed(digest, value)
        count += 1
    return TableSum(rows=count, sha256=digest.hexdigest())


# --- SQLite -------------------------------------------------------------------


def _sqlite_path(db: Mapping[str, Any]) -> Path:
    name = str(db.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("The SQLite database must be a file for backups.")
    return Path(name)


def _sqlite_open(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A plain connection (no type converters) that never creates a missing file."""
    if not path.is_file():
        raise BackupError(f"There is no SQLite database at {path}.")
    mode = "ro" if read_only else "rw"
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode={mode}", uri=True, isolation_level=None, timeout=30
    )
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return [str(name) for (name,) in rows]


def _sqlite_sums(conn: sqlite3.Connection) -> dict[str, TableSum]:
    sums: dict[str, TableSum] = {}
    conn.execute("BEGIN")  # one read snapshot for every table
    try:
        for table in _sqlite_tables(conn):
            info = conn.execute(f"PRAGMA table_info({_quote_sqlite(table)})").fetchall()
            columns = [str(row[1]) for row in info]
            pk = [str(row[1]) for row in sorted(info, key=lambda r: int(r[5])) if int(row[5]) > 0]
            order = (
                ", ".join(_quote_sqlite(c) for c in pk)
                if pk
                else ", ".join(str(i) for i in range(1, len(columns) + 1))
            )
            # Text as bytes: the checksum never depends on decoding.
            conn.text_factory = bytes
            try:
                cursor = conn.execute(f"SELECT * FROM {_quote_sqlite(table)} ORDER BY {order}")  # noqa: S608 - quoted identifiers
                sums[table] = _table_digest(columns, _batches(cursor))
            finally:
                conn.text_factory = str
    finally:
        conn.execute("ROLLBACK")
    return sums


def _batches(cursor: Any) -> Iterator[tuple[object, ...]]:
    while rows := cursor.fetchmany(_FETCH):
        yield from rows


def _sqlite_backup(db: Mapping[str, Any], tmp: Path) -> dict[str, TableSum]:
    source_path = _sqlite_path(db)
    source = _sqlite_open(source_path, read_only=False)
    try:
        target = sqlite3.connect(tmp, isolation_level=None)
        try:
            # One step: a consistent snapshot of the live database, WAL included.
            source.backup(target)
            # A self-contained file: no -wal/-shm beside the backup.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"The SQLite backup failed: {exc}.") from exc
    finally:
        source.close()
    copy = _sqlite_open(tmp, read_only=True)
    try:
        (check,) = copy.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise BackupError("The new backup file failed SQLite's integrity check.")
        return _sqlite_sums(copy)
    finally:
        copy.close()


def _sqlite_restore(db: Mapping[str, Any], backup: Path) -> None:
    target_path = _sqlite_path(db)
    source = _sqlite_open(backup, read_only=True)
    try:
        (check,) = source.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise BackupError(f"{backup} failed SQLite's integrity check; nothing was restored.")
        new_file = not target_path.exists()
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path, isolation_level=None, timeout=30)
        try:
            target.execute("PRAGMA busy_timeout=30000")
            source.backup(target)
            # The application's own journal mode (settings.py).
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
        if new_file:
            os.chmod(target_path, 0o600)
    except sqlite3.Error as exc:
        raise BackupError(f"The SQLite restore failed: {exc}.") from exc
    finally:
        source.close()


def _sqlite_table_count(db: Mapping[str, Any]) -> int:
    path = _sqlite_path(db)
    if not path.exists() or path.stat().st_size == 0:
        return 0
    conn = _sqlite_open(path, read_only=False)
    try:
        return len(_sqlite_tables(conn))
    finally:
        conn.close()


# --- PostgreSQL -----------------------------------------------------------------


def postgres_connect(
    db: Mapping[str, Any], *, dbname: str | None = None, autocommit: bool = False
) -> psycopg.Connection[tuple[Any, ...]]:
    """A plain psycopg connection from Django's settings dict (no Django type loaders)."""
    params: dict[str, Any] = {"dbname": dbname or db.get("NAME")}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if db.get(key):
            params[name] = str(db[key])
    if db.get("PASSWORD"):
        params["password"] = str(db["PASSWORD"])
    for key, value in (db.get("OPTIONS") or {}).items():
        if key in _LIBPQ_OPTIONS:
            params[key] = value
    try:
        return psycopg.connect(autocommit=autocommit, **params)
    except psycopg.Error as exc:
        raise BackupError(
            f"Could not connect to PostgreSQL database {params['dbname']}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__}."
        ) from exc


def _pg_env(db: Mapping[str, Any]) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore, in the environment (never argv)."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for key, value in (db.get("OPTIONS") or {}).items():
        if key in _LIBPQ_OPTIONS:
            env[_LIBPQ_OPTIONS[key]] = str(value)
    return env


def _conninfo_dbname(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{escaped}'"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client), of the server's major version or newer."
        )
    return found


def _tool_errors(stderr: str) -> str:
    """The error lines of pg_dump/pg_restore, without the SQL or data they may quote."""
    lines = []
    for line in stderr.splitlines():
        text = line.strip()
        if "error:" in text and not text.lower().startswith(("detail", "context", "command was")):
            lines.append(text[:300])
    return "; ".join(lines[:5]) or "see the PostgreSQL server log"


def _pg_read_snapshot(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    """Start a read-only repeatable-read transaction with a fixed text output format."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    for statement in (
        "SET TIME ZONE 'UTC'",
        "SET DateStyle = 'ISO, YMD'",
        "SET IntervalStyle = 'postgres'",
        "SET extra_float_digits = 1",
        "SET bytea_output = 'hex'",
    ):
        conn.execute(statement)


def _pg_tables(conn: psycopg.Connection[tuple[Any, ...]]) -> list[tuple[int, str]]:
    rows = conn.execute(
        "SELECT c.oid::bigint, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
        "AND NOT c.relispartition ORDER BY c.relname"
    ).fetchall()
    return [(int(oid), str(name)) for oid, name in rows]


def _pg_sums(conn: psycopg.Connection[tuple[Any, ...]]) -> dict[str, TableSum]:
    sums: dict[str, TableSum] = {}
    for number, (oid, table) in enumerate(_pg_tables(conn)):
        columns = [
            str(name)
            for (name,) in conn.execute(
                "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                (oid,),
            ).fetchall()
        ]
        pk = conn.execute(
            "SELECT a.attname, a.attcollation <> 0 FROM pg_catalog.pg_index i "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s AND i.indisprimary "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            (oid,),
        ).fetchall()
        # Text keys are ordered bytewise (COLLATE "C"), so that the order does not
        # depend on the server's locale.
        order = (
            sql.SQL(", ").join(
                sql.SQL('r.{} COLLATE "C"' if collatable else "r.{}").format(sql.Identifier(name))
                for name, collatable in pk
            )
            if pk
            else sql.SQL('ROW(r.*)::text COLLATE "C"')
        )
        query = sql.SQL("SELECT ROW(r.*)::text FROM {} AS r ORDER BY {}").format(
            sql.Identifier(table), order
        )
        with conn.cursor(name=f"openipt_backup_sum_{number}") as cursor:
            cursor.itersize = _FETCH
            cursor.execute(query)
            sums[table] = _table_digest(columns, _batches(cursor))
    return sums


def _pg_backup(db: Mapping[str, Any], tmp: Path) -> dict[str, TableSum]:
    pg_dump = _tool("pg_dump")
    with contextlib.closing(postgres_connect(db)) as conn:
        _pg_read_snapshot(conn)
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        if row is None:  # pragma: no cover - the function always returns a row
            raise BackupError("PostgreSQL did not export a snapshot.")
        snapshot = str(row[0])
        env = _pg_env(db)
        env["PGDATABASE"] = str(db["NAME"])
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={tmp}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {_tool_errors(result.stderr)}.")
        # Same snapshot as the dump: the checksums describe exactly what it holds.
        sums = _pg_sums(conn)
        conn.rollback()
    return sums


def _pg_restore(db: Mapping[str, Any], backup: Path) -> None:
    pg_restore = _tool("pg_restore")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={_conninfo_dbname(str(db['NAME']))}",
            str(backup),
        ],
        env=_pg_env(db),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed and changed nothing (one transaction): "
            f"{_tool_errors(result.stderr)}."
        )


def _pg_table_count(db: Mapping[str, Any]) -> int:
    with contextlib.closing(postgres_connect(db, autocommit=True)) as conn:
        return len(_pg_tables(conn))


def _pg_database_sums(db: Mapping[str, Any]) -> dict[str, TableSum]:
    with contextlib.closing(postgres_connect(db)) as conn:
        _pg_read_snapshot(conn)
        sums = _pg_sums(conn)
        conn.rollback()
        return sums


# --- What the commands call -------------------------------------------------------


def database_sums(db: Mapping[str, Any]) -> dict[str, TableSum]:
    """Row count and checksum of every table of the database `db` (a Django settings dict)."""
    if engine_of(db) == SQLITE:
        conn = _sqlite_open(_sqlite_path(db), read_only=False)
        try:
            return _sqlite_sums(conn)
        finally:
            conn.close()
    return _pg_database_sums(db)


def backup_file_sums(engine: str, backup: Path) -> dict[str, TableSum]:
    """The checksums of an SQLite backup file itself (PostgreSQL dumps must be restored first)."""
    if engine != SQLITE:
        raise BackupError("Only SQLite backup files can be read without restoring them.")
    conn = _sqlite_open(backup, read_only=True)
    try:
        return _sqlite_sums(conn)
    finally:
        conn.close()


def table_count(db: Mapping[str, Any]) -> int:
    """How many tables the database has (0: empty or missing; safe to restore into)."""
    if engine_of(db) == SQLITE:
        return _sqlite_table_count(db)
    return _pg_table_count(db)


def _app_version() -> str:
    try:
        return metadata.version("openipt")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed
        return "unknown"


def make_backup(
    db: Mapping[str, Any],
    output: Path,
    *,
    keys: Iterable[str],
    migration_heads: list[str],
    unapplied_migrations: list[str],
) -> Manifest:
    """Back up the database `db` into `output` and write its manifest beside it."""
    engine = engine_of(db)
    manifest_path = manifest_path_for(output)
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist.")
    for path in (output, manifest_path):
        if path.exists():
            raise BackupError(f"{path} already exists; choose a new name.")
    tmp = _temporary_name(output)
    _create_private(tmp)
    try:
        created = datetime.datetime.now(tz=datetime.UTC)
        sums = _sqlite_backup(db, tmp) if engine == SQLITE else _pg_backup(db, tmp)
        os.chmod(tmp, 0o600)
        size = tmp.stat().st_size
        checksum = file_sha256(tmp)
        _publish(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    backup_id = str(uuid.uuid4())
    created_at = created.isoformat().replace("+00:00", "Z")
    key_ids = [key_id(k) for k in keys]
    data: dict[str, Any] = {
        "kind": MANIFEST_KIND,
        "format": MANIFEST_FORMAT,
        "backup_id": backup_id,
        "engine": engine,
        "created_at": created_at,
        "app_version": _app_version(),
        "migration_heads": sorted(migration_heads),
        "unapplied_migrations": sorted(unapplied_migrations),
        "backup_file": output.name,
        "backup_bytes": size,
        "backup_sha256": checksum,
        "tables": {name: {"rows": s.rows, "sha256": s.sha256} for name, s in sorted(sums.items())},
        "encryption": {"key_ids": key_ids, "note": KEY_NOTE},
        "not_included": NOT_INCLUDED,
    }
    try:
        write_manifest(manifest_path, data)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return Manifest(
        engine=engine,
        backup_id=backup_id,
        created_at=created_at,
        backup_bytes=size,
        backup_sha256=checksum,
        tables=sums,
        key_ids=key_ids,
        data=data,
    )


def write_manifest(path: Path, data: Mapping[str, Any]) -> None:
    tmp = _temporary_name(path)
    _create_private(tmp)
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        _publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_manifest(backup: Path) -> Manifest:
    path = manifest_path_for(backup)
    if not backup.is_file():
        raise BackupError(f"There is no backup file at {backup}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"The manifest {path} is missing; it is written beside every backup."
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(
            f"The manifest {path} cannot be read ({exc.__class__.__name__})."
        ) from None
    try:
        if data["kind"] != MANIFEST_KIND or data["format"] != MANIFEST_FORMAT:
            raise BackupError(f"{path} is not an OpenIPT backup manifest this version can read.")
        tables = {
            str(name): TableSum(rows=int(entry["rows"]), sha256=str(entry["sha256"]))
            for name, entry in data["tables"].items()
        }
        return Manifest(
            engine=str(data["engine"]),
            backup_id=str(data["backup_id"]),
            created_at=str(data["created_at"]),
            backup_bytes=int(data["backup_bytes"]),
            backup_sha256=str(data["backup_sha256"]),
            tables=tables,
            key_ids=[str(k) for k in data.get("encryption", {}).get("key_ids", [])],
            data=data,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BackupError(f"The manifest {path} is incomplete or damaged.") from None


def check_backup_file(backup: Path, manifest: Manifest) -> None:
    """The backup file must be byte for byte the one the manifest describes."""
    size = backup.stat().st_size
    if size != manifest.backup_bytes or file_sha256(backup) != manifest.backup_sha256:
        raise BackupError(
            f"{backup} does not match its manifest (size or SHA-256 differ): the file is "
            "damaged or was changed. Nothing was restored."
        )


def restore_backup(db: Mapping[str, Any], backup: Path, manifest: Manifest) -> None:
    """Replace the contents of the database `db` with the backup (checked first)."""
    engine = engine_of(db)
    if manifest.engine != engine:
        raise BackupError(
            f"This is a {manifest.engine} backup; the configured database is {engine}. "
            "Nothing was restored."
        )
    check_backup_file(backup, manifest)
    if engine == SQLITE:
        _sqlite_restore(db, backup)
    else:
        _pg_restore(db, backup)


def compare(expected: Mapping[str, TableSum], actual: Mapping[str, TableSum]) -> list[str]:
    """Every difference between a manifest's tables and a database's, one line per table."""
    problems = []
    for table in sorted(expected):
        want = expected[table]
        have = actual.get(table)
        if have is None:
            problems.append(f"table {table} is missing")
        elif have.rows != want.rows:
            problems.append(f"table {table} has {have.rows} rows; the backup has {want.rows}")
        elif have.sha256 != want.sha256:
            problems.append(f"table {table}: its rows differ from the backup (checksum)")
    return problems


def extra_tables(expected: Mapping[str, TableSum], actual: Mapping[str, TableSum]) -> list[str]:
    return sorted(set(actual) - set(expected))
