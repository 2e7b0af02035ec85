"""The encryption canary: the acceptance test of promise 9.

A clinician writes a unique canary string through the real pages (create,
then edit). The canary must then be absent from everything at rest: on SQLite
the database file *and* its write-ahead log; on PostgreSQL a `pg_dump` of the
database (what a backup would contain). A plain, unencrypted field written in
the same request (the given name) must be present in the same bytes, which
proves the test looked in the right place and can fail. The clinician still
sees the canary on the page.

The suite runs once on SQLite and once on PostgreSQL (DATABASE_URL); each run
executes the half for its database, and an unknown database fails the test
rather than skipping it. Set OPENIPT_TEST_DB_VENDOR=sqlite|postgresql in CI
to make a run fail if it is not on the database it is meant to test.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.practice.models import Client
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def _forms_of(canary: str) -> list[bytes]:
    """Every way the canary could plausibly be stored in plain text."""
    raw = canary.encode("utf-8")
    return [
        raw,
        canary.lower().encode("utf-8"),
        canary.upper().encode("utf-8"),
        canary.encode("utf-16-le"),
        canary.encode("utf-16-be"),
        base64.b64encode(raw)[:-4],
        base64.urlsafe_b64encode(raw)[:-4],
        raw.hex().encode("ascii"),
    ]


def _sqlite_bytes_at_rest() -> bytes:
    name = Path(str(connection.settings_dict["NAME"]))
    assert name.is_file(), f"the SQLite test database must be a file, not {name}"
    blobs = [name.read_bytes()]
    for suffix in ("-wal", "-journal"):
        companion = Path(f"{name}{suffix}")
        if companion.exists():
            blobs.append(companion.read_bytes())
    return b"\n".join(blobs)


def _postgresql_dump() -> bytes:
    pg_dump = os.environ.get("PG_DUMP") or shutil.which("pg_dump") or "/usr/bin/pg_dump"
    if not Path(pg_dump).exists():
        pytest.fail("pg_dump is needed for the PostgreSQL half of the canary test")
    db = connection.settings_dict
    command = [pg_dump, "--data-only", "--no-owner", "--dbname", str(db["NAME"])]
    if db.get("HOST"):
        command += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        command += ["--port", str(db["PORT"])]
    if db.get("USER"):
        command += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.mark.django_db(transaction=True)  # committed, so it is really on disk / in the dump
def test_canary_written_through_the_pages_is_encrypted_at_rest(
    world: World, client_for: ClientFor
) -> None:
    token = uuid.uuid4().hex[:12].upper()
    canary = f"CANARY{token}Zq"
    edited_canary = f"EDITED{token}Wx"
    plain_given_name = f"Plainname{token}"
    http = client_for(world.clinician)

    response = http.post(
        reverse("clients:create"),
        {
            "given_name": plain_given_name,
            "family_name": "Canarytest",
            "date_of_birth": "1984-06-01",
            "language": "en",
            "address": f"{canary} 1 Lantern Street",
            "access_needs": f"{canary} needs a quiet room",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = Client.objects.get(given_name=plain_given_name)

    response = http.post(
        reverse("clients:edit", args=[client.public_id]),
        {
            "given_name": plain_given_name,
            "family_name": "Canarytest",
            "date_of_birth": "1984-06-01",
            "language": "en",
            "address": f"{edited_canary} 2 Lantern Street",
            "access_needs": f"{edited_canary} and step-free access",
            "version": client.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    # The clinician still reads the decrypted text.
    page = http.get(reverse("clients:detail", args=[client.public_id])).content.decode()
    assert f"{edited_canary} 2 Lantern Street" in page
    assert f"{edited_canary} and step-free access" in page

    # CI can pin which half a run must execute, so that a misconfigured job
    # (say, a PostgreSQL job silently running on SQLite) fails here.
    expected_vendor = os.environ.get("OPENIPT_TEST_DB_VENDOR")
    if expected_vendor:
        assert connection.vendor == expected_vendor
    if connection.vendor == "sqlite":
        at_rest = _sqlite_bytes_at_rest()
    elif connection.vendor == "postgresql":
        at_rest = _postgresql_dump()
    else:  # pragma: no cover
        pytest.fail(f"no canary check for {connection.vendor}")

    # The check can fail: plain columns written by the same pages are there.
    assert plain_given_name.encode() in at_rest
    assert b"Canarytest" in at_rest
    # The encrypted columns are there, as ciphertext.
    assert b"enc1:" in at_rest
    for secret in (canary, edited_canary):
        for form in _forms_of(secret):
            assert form not in at_rest, f"{form!r} found in the database at rest"
    assert b"Lantern Street" not in at_rest
    assert b"step-free access" not in at_rest
