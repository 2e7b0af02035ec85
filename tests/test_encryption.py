"""Keys for clinical free text: where they come from, what happens when they are wrong.

Promise 9 of the security design (design/security.md): clinical free text is encrypted at rest
with keys that live outside the database (never derived from SECRET_KEY), with
rotation. The canary and rotation tests are in their own modules.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from pytest_django import Settings as SettingsWrapper

from openipt.core.crypto import (
    CIPHERTEXT_PREFIX,
    DecryptionError,
    configured_keys,
    decrypt_text,
    encrypt_text,
    generate_key,
    is_encrypted_with_newest_key,
    rotate_ciphertext,
)
from openipt.practice.models import Client
from tests.factories import ClientFactory

REPO = Path(__file__).resolve().parent.parent


def _client_row(**fields: Any) -> Client:
    client: Client = ClientFactory.create(**fields)
    return client


def _use_keys(settings: SettingsWrapper, *keys: str, key_file: str = "") -> None:
    settings.ENCRYPTION_KEYS = list(keys)
    settings.ENCRYPTION_KEY_FILE = key_file


# --- configuration errors -------------------------------------------------------------------


def test_missing_key_is_a_clear_configuration_error(settings: SettingsWrapper) -> None:
    _use_keys(settings)
    with pytest.raises(ImproperlyConfigured, match="No encryption key for clinical text") as info:
        encrypt_text("anything")
    assert "OPENIPT_ENCRYPTION_KEYS" in str(info.value)
    assert "OPENIPT_ENCRYPTION_KEY_FILE" in str(info.value)
    with pytest.raises(ImproperlyConfigured):
        decrypt_text(CIPHERTEXT_PREFIX + "x")


def test_missing_key_fails_the_deploy_check(settings: SettingsWrapper) -> None:
    _use_keys(settings)
    errors = [
        m for m in checks.run_checks(include_deployment_checks=True) if m.id == "openipt.E001"
    ]
    assert len(errors) == 1
    assert "No encryption key" in errors[0].msg
    _use_keys(settings, generate_key())
    assert not [
        m for m in checks.run_checks(include_deployment_checks=True) if m.id == "openipt.E001"
    ]


@pytest.mark.django_db
def test_missing_key_refuses_to_store_clinical_text(settings: SettingsWrapper) -> None:
    _use_keys(settings)
    with pytest.raises(ImproperlyConfigured), transaction.atomic():
        _client_row(address="1 Nowhere Road")
    assert not Client.objects.exists()
    # "Nothing recorded" needs no key.
    assert _client_row(address="").address == ""


@pytest.mark.parametrize(
    "bad_key",
    [
        "not-a-valid-key",
        "c2hvcnQ=",  # valid base64, but 5 bytes
        "6mNXqV0eGqfS2t8GbqP3tV1QwJXc4yV2nH8oC1l7q0Q",  # padding missing
        "ümlaut-is-not-base64-ümlaut-is-not-base64-=",
    ],
)
def test_invalid_key_is_a_clear_error_that_does_not_echo_the_key(
    settings: SettingsWrapper, bad_key: str
) -> None:
    _use_keys(settings, bad_key)
    with pytest.raises(ImproperlyConfigured, match="is not a valid key") as info:
        encrypt_text("anything")
    message = str(info.value)
    assert "Encryption key 1 (from OPENIPT_ENCRYPTION_KEYS)" in message
    assert "32 url-safe base64-encoded bytes" in message
    assert bad_key not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_the_position_of_an_invalid_older_key_is_named(settings: SettingsWrapper) -> None:
    _use_keys(settings, generate_key(), "garbage")
    with pytest.raises(ImproperlyConfigured, match="Encryption key 2 "):
        encrypt_text("anything")


# --- old keys and removed keys --------------------------------------------------------------


def test_old_key_listed_second_still_decrypts(settings: SettingsWrapper) -> None:
    old, new = generate_key(), generate_key()
    _use_keys(settings, old)
    stored = encrypt_text("Feels worse on Sunday evenings")
    assert stored.startswith(CIPHERTEXT_PREFIX)
    assert "Sunday" not in stored

    _use_keys(settings, new, old)
    assert decrypt_text(stored) == "Feels worse on Sunday evenings"
    assert not is_encrypted_with_newest_key(stored)
    fresh = encrypt_text("new text")
    assert is_encrypted_with_newest_key(fresh)

    _use_keys(settings, new)
    with pytest.raises(DecryptionError):
        decrypt_text(stored)
    assert decrypt_text(fresh) == "new text"


@pytest.mark.django_db
def test_a_removed_key_makes_stored_text_unreadable_not_wrong(settings: SettingsWrapper) -> None:
    """Reading a record whose key was removed fails loudly instead of showing garbage."""
    old = generate_key()
    _use_keys(settings, old)
    client = _client_row(access_needs="Wheelchair access")
    _use_keys(settings, generate_key(), old)
    assert Client.objects.get(pk=client.pk).access_needs == "Wheelchair access"
    _use_keys(settings, generate_key())
    with pytest.raises(DecryptionError):
        Client.objects.get(pk=client.pk)


def test_rotate_ciphertext_moves_a_value_to_the_newest_key(settings: SettingsWrapper) -> None:
    old, new = generate_key(), generate_key()
    _use_keys(settings, old)
    stored = encrypt_text("text")
    _use_keys(settings, new, old)
    rotated = rotate_ciphertext(stored)
    assert is_encrypted_with_newest_key(rotated)
    _use_keys(settings, new)
    assert decrypt_text(rotated) == "text"
    with pytest.raises(DecryptionError):
        rotate_ciphertext(CIPHERTEXT_PREFIX + "not a token")
    with pytest.raises(DecryptionError):
        decrypt_text("plain text that was never encrypted")
    assert not is_encrypted_with_newest_key("plain text")


# --- keys from a file -----------------------------------------------------------------------


def test_keys_can_come_from_a_key_file(settings: SettingsWrapper, tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    _use_keys(settings, old)
    stored_with_old = encrypt_text("written before the key file")

    key_file = tmp_path / "openipt.keys"
    key_file.write_text(f"# newest first\n\n{new}\n  {old}  \n", encoding="ascii")
    _use_keys(settings, key_file=str(key_file))
    assert configured_keys() == [new, old]
    assert decrypt_text(stored_with_old) == "written before the key file"
    stored = encrypt_text("written with the key file")
    _use_keys(settings, new)
    assert decrypt_text(stored) == "written with the key file"


def test_environment_keys_come_before_key_file_keys(
    settings: SettingsWrapper, tmp_path: Path
) -> None:
    from_env, from_file = generate_key(), generate_key()
    key_file = tmp_path / "keys"
    key_file.write_text(from_file + "\n", encoding="ascii")
    _use_keys(settings, from_env, key_file=str(key_file))
    assert configured_keys() == [from_env, from_file]


def test_missing_key_file_is_a_clear_error(settings: SettingsWrapper, tmp_path: Path) -> None:
    missing = tmp_path / "nope.keys"
    _use_keys(settings, key_file=str(missing))
    with pytest.raises(ImproperlyConfigured, match="does not exist") as info:
        encrypt_text("x")
    assert str(missing) in str(info.value)


def test_invalid_key_in_key_file_names_the_file(settings: SettingsWrapper, tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("this-is-not-a-key\n", encoding="ascii")
    _use_keys(settings, key_file=str(key_file))
    with pytest.raises(ImproperlyConfigured, match="is not a valid key") as info:
        encrypt_text("x")
    assert str(key_file) in str(info.value)
    assert "this-is-not-a-key" not in str(info.value)


def test_non_ascii_key_file_is_a_clear_error(settings: SettingsWrapper, tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_bytes("clé\n".encode())
    _use_keys(settings, key_file=str(key_file))
    with pytest.raises(ImproperlyConfigured, match="cannot be part of a key"):
        encrypt_text("x")


def test_key_file_environment_variable_is_used(tmp_path: Path) -> None:
    """OPENIPT_ENCRYPTION_KEY_FILE alone (no OPENIPT_ENCRYPTION_KEYS) configures the keys,
    in a fresh process that reads the real settings."""
    key = generate_key()
    key_file = tmp_path / "keys"
    key_file.write_text(key + "\n", encoding="ascii")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "OPENIPT_ENCRYPTION_KEYS": "",
        "OPENIPT_ENCRYPTION_KEY_FILE": str(key_file),
    }
    script = (
        "import django; django.setup()\n"
        "from openipt.core import crypto\n"
        f"assert crypto.configured_keys() == [{key!r}], crypto.configured_keys()\n"
        "from cryptography.fernet import Fernet\n"
        f"token = Fernet({key!r}.encode()).encrypt(b'from the file')\n"
        "print(crypto.decrypt_text(crypto.CIPHERTEXT_PREFIX + token.decode()))\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from the file"


# --- independent of SECRET_KEY --------------------------------------------------------------


@pytest.mark.django_db
def test_changing_secret_key_does_not_affect_decryption(settings: SettingsWrapper) -> None:
    client = _client_row(address="7 Lighthouse Row")
    stored = encrypt_text("text")
    settings.SECRET_KEY = "a-completely-different-secret-key-" + "x" * 30
    assert decrypt_text(stored) == "text"
    assert Client.objects.get(pk=client.pk).address == "7 Lighthouse Row"
    written_under_other_secret = encrypt_text("other")
    settings.SECRET_KEY = "yet-another-secret-key-" + "y" * 40
    assert decrypt_text(written_under_other_secret) == "other"


def test_the_key_is_not_the_secret_key(settings: SettingsWrapper) -> None:
    """No configured key is SECRET_KEY or anything obviously made from it."""
    import base64
    import hashlib

    secret = settings.SECRET_KEY.encode()
    derived = {
        base64.urlsafe_b64encode(hashlib.sha256(secret).digest()).decode(),
        base64.urlsafe_b64encode(secret[:32].ljust(32, b"\0")).decode(),
        settings.SECRET_KEY,
    }
    assert not derived & set(configured_keys())


# --- the column holds ciphertext ------------------------------------------------------------


@pytest.mark.django_db
def test_database_column_holds_ciphertext_only() -> None:
    client = _client_row(
        address="221B Baker Street",
        access_needs="Step-free entrance",
        date_of_birth=datetime.date(1970, 1, 1),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT address, access_needs FROM practice_client WHERE id = %s", [client.pk]
        )
        address, access_needs = cursor.fetchone()
    assert address.startswith(CIPHERTEXT_PREFIX) and "Baker" not in address
    assert access_needs.startswith(CIPHERTEXT_PREFIX) and "Step-free" not in access_needs
    assert address != encrypt_text("221B Baker Street")  # a fresh IV every time
    assert Client.objects.get(pk=client.pk).address == "221B Baker Street"


@pytest.mark.django_db
def test_encrypted_columns_refuse_lookups_that_would_silently_match_nothing() -> None:
    _client_row(address="221B Baker Street")
    _client_row(address="")
    with pytest.raises(NotImplementedError):
        list(Client.objects.filter(address="221B Baker Street"))
    # (Written as a dict: the mypy Django plugin itself trips over the refusal.)
    search = {"address__icontains": "Baker"}
    with pytest.raises(NotImplementedError):
        Client.objects.filter(**search)
    assert Client.objects.filter(address="").count() == 1
    assert Client.objects.exclude(address="").count() == 1
    assert Client.objects.filter(address__isnull=False).count() == 2
