"""`manage.py rotate_keys`: after rotation the old key can be removed and everything decrypts."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import TextField, Value
from pytest_django import Settings

from openipt.audit.models import AuditAction, AuditEvent
from openipt.audit.verify import verify_chain
from openipt.core.crypto import (
    CIPHERTEXT_PREFIX,
    DecryptionError,
    generate_key,
    is_encrypted_with_newest_key,
)
from openipt.core.management.commands.rotate_keys import encrypted_fields
from openipt.practice import services as practice_services
from openipt.practice.models import Client
from tests.world import World

TEXTS = [
    ("Flat 3, 14 Rookery Road", "Needs large-print handouts"),
    ("2 Wharf Cottages", "Prefers mornings; uses a hearing aid"),
    ("The Old Forge, Little Snoring", ""),
    ("", "Step-free access please"),
    ("9 Anchor Lane", "Interpreter: Tigrinya"),
]


def _raw_values(pks: list[int]) -> dict[int, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, address, access_needs FROM practice_client WHERE id IN ("  # noqa: S608
            + ",".join(["%s"] * len(pks))
            + ")",
            pks,
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _create_clients(world: World) -> dict[int, tuple[str, str]]:
    expected: dict[int, tuple[str, str]] = {}
    for i, (address, access_needs) in enumerate(TEXTS):
        client = practice_services.client_create(
            actor=world.clinician,
            practice=world.practice_a,
            data={
                "given_name": f"Rota{i}",
                "family_name": "Tion",
                "date_of_birth": datetime.date(1980, 1, 1 + i),
                "language": "en",
                "address": address,
                "access_needs": access_needs,
            },
        )
        expected[client.pk] = (address, access_needs)
    return expected


def test_every_encrypted_field_is_discovered() -> None:
    found = {model._meta.label: [f.name for f in fields] for model, fields in encrypted_fields()}
    assert found["practice.Client"] == ["address", "access_needs"]


def test_rotation_then_old_key_removed_everything_still_decrypts(
    world: World, settings: Settings
) -> None:
    # The world was written with the suite's key, so that key is the "old" one.
    old, new = settings.ENCRYPTION_KEYS[0], generate_key()
    settings.ENCRYPTION_KEYS = [old]
    expected = _create_clients(world)
    values = sum(1 for pair in expected.values() for text in pair if text)
    before = _raw_values(list(expected))
    stamps = dict(Client.objects.values_list("pk", "updated_at"))

    # A new key goes first; the old one stays, so everything still reads.
    settings.ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    with pytest.raises(CommandError, match="not on the newest key"):
        call_command("rotate_keys", "--check", stdout=out)
    assert f"practice.Client (address, access_needs): {values} not on the newest key" in (
        out.getvalue()
    )
    assert _raw_values(list(expected)) == before  # --check changes nothing

    output = _rotate("--batch-size", "2")
    assert f"practice.Client (address, access_needs): {values} re-encrypted" in output
    after = _raw_values(list(expected))
    for pk, (address, access_needs) in after.items():
        for stored, original, plain in zip(
            (address, access_needs), before[pk], expected[pk], strict=True
        ):
            if plain:
                assert stored.startswith(CIPHERTEXT_PREFIX)
                assert stored != original
                assert is_encrypted_with_newest_key(stored)
            else:
                assert stored == ""
    # Raw writes: no save(), so timestamps and edit versions are untouched.
    assert dict(Client.objects.values_list("pk", "updated_at")) == stamps
    assert set(Client.objects.filter(pk__in=expected).values_list("version", flat=True)) == {1}

    assert "Every value is on the newest key." in _rotate("--check")
    # Idempotent: a second run finds nothing to do.
    again = _rotate()
    assert f"0 re-encrypted, {values} already on the newest key" in again
    assert _raw_values(list(expected)) == after

    # The acceptance test: remove the old key from the configuration.
    settings.ENCRYPTION_KEYS = [new]
    for client in Client.objects.filter(pk__in=expected):
        assert (client.address, client.access_needs) == expected[client.pk]
    # And the values really moved: the old key alone no longer reads them.
    settings.ENCRYPTION_KEYS = [old]
    with pytest.raises(DecryptionError):
        list(Client.objects.filter(pk__in=expected).exclude(address=""))

    settings.ENCRYPTION_KEYS = [new]
    events = list(AuditEvent.objects.filter(action=AuditAction.ROTATE_KEYS).order_by("sequence"))
    assert len(events) == 2  # one per rotation run, none for --check
    assert events[0].actor_id is None
    assert events[0].object_type == "encryption_keys"
    # Field names only; the world's course records are rotated too.
    assert "practice.Client.access_needs" in events[0].changed_fields
    assert "practice.Client.address" in events[0].changed_fields
    assert "courses.Session.interval_history" in events[0].changed_fields
    assert events[1].changed_fields == []
    assert verify_chain() == (AuditEvent.objects.count(), [])


def test_rotation_with_keys_from_a_key_file(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    # The world was written with the suite's key, so that key is the "old" one.
    old, new = settings.ENCRYPTION_KEYS[0], generate_key()
    settings.ENCRYPTION_KEYS = [old]
    expected = _create_clients(world)
    key_file = tmp_path / "keys"
    key_file.write_text(f"{new}\n{old}\n", encoding="ascii")
    settings.ENCRYPTION_KEYS = []
    settings.ENCRYPTION_KEY_FILE = str(key_file)
    _rotate()
    key_file.write_text(f"{new}\n", encoding="ascii")
    settings.ENCRYPTION_KEY_FILE = str(key_file)  # re-read
    settings.ENCRYPTION_KEYS = []
    for client in Client.objects.filter(pk__in=expected):
        assert (client.address, client.access_needs) == expected[client.pk]


def test_an_unreadable_value_is_reported_and_the_rest_still_rotated(
    world: World, settings: Settings
) -> None:
    old, new, lost = settings.ENCRYPTION_KEYS[0], generate_key(), generate_key()
    settings.ENCRYPTION_KEYS = [old]
    expected = _create_clients(world)
    settings.ENCRYPTION_KEYS = [lost]
    orphan = practice_services.client_create(
        actor=world.clinician,
        practice=world.practice_a,
        data={
            "given_name": "Orphan",
            "family_name": "Value",
            "date_of_birth": datetime.date(1990, 1, 1),
            "language": "en",
            "address": "written with a key that was lost",
        },
    )
    Client.objects.filter(pk=orphan.pk).update(
        access_needs=Value(CIPHERTEXT_PREFIX + "garbage", output_field=TextField())
    )
    settings.ENCRYPTION_KEYS = [new, old]
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 value"):
        call_command("rotate_keys", stdout=out, stderr=err)
    assert "2 unreadable" in out.getvalue()
    assert f"pk={orphan.pk} field address" in err.getvalue()
    assert "lost" not in err.getvalue()  # no values, only where they are
    settings.ENCRYPTION_KEYS = [new]
    for client in Client.objects.filter(pk__in=expected):
        assert (client.address, client.access_needs) == expected[client.pk]
    with pytest.raises(CommandError, match="not on the newest key"):
        call_command("rotate_keys", "--check", stdout=StringIO())


def test_rotation_without_keys_is_a_clear_error(world: World, settings: Settings) -> None:
    settings.ENCRYPTION_KEYS = []
    settings.ENCRYPTION_KEY_FILE = ""
    with pytest.raises(CommandError, match="No encryption key"):
        _rotate()
    assert not AuditEvent.objects.filter(action=AuditAction.ROTATE_KEYS).exists()
