"""Encryption keys for clinical free text.

Keys come from outside the database and are never derived from SECRET_KEY,
so a stolen database (or a leaked settings file) alone does not reveal notes.
The newest key encrypts; every listed key can decrypt, which is what makes
rotation possible (`manage.py rotate_keys`).

Keys are read from `settings.ENCRYPTION_KEYS` (OPENIPT_ENCRYPTION_KEYS,
comma-separated, newest first) followed by the lines of
`settings.ENCRYPTION_KEY_FILE` (OPENIPT_ENCRYPTION_KEY_FILE, one key per line,
newest first, `#` comments and blank lines ignored). Error messages name a key
by its position and source, never by its value.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

CIPHERTEXT_PREFIX = "enc1:"

_KEY_HELP = (
    "A key is 32 url-safe base64-encoded bytes (44 characters ending in '='); "
    "generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


class DecryptionError(Exception):
    """Stored text could not be decrypted with any configured key."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _keys_with_source() -> list[tuple[str, str]]:
    """Every configured key, newest first, with where it came from (for messages)."""
    raw_keys: Any = getattr(settings, "ENCRYPTION_KEYS", None) or []
    if isinstance(raw_keys, str):
        raw_keys = raw_keys.split(",")
    keys = [("OPENIPT_ENCRYPTION_KEYS", str(key).strip()) for key in raw_keys if str(key).strip()]
    key_file = getattr(settings, "ENCRYPTION_KEY_FILE", "") or ""
    if key_file:
        path = Path(key_file)
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise ImproperlyConfigured(
                f"The encryption key file {key_file} (OPENIPT_ENCRYPTION_KEY_FILE) does not exist."
            ) from None
        except UnicodeDecodeError:
            raise ImproperlyConfigured(
                f"The encryption key file {key_file} (OPENIPT_ENCRYPTION_KEY_FILE) contains "
                f"characters that cannot be part of a key. {_KEY_HELP}."
            ) from None
        except OSError as exc:
            raise ImproperlyConfigured(
                f"The encryption key file {key_file} (OPENIPT_ENCRYPTION_KEY_FILE) cannot be "
                f"read: {exc.strerror}."
            ) from None
        for line in text.splitlines():
            key = line.strip()
            if key and not key.startswith("#"):
                keys.append((f"OPENIPT_ENCRYPTION_KEY_FILE {key_file}", key))
    return keys


def configured_keys() -> list[str]:
    """The configured keys, newest first (environment keys before key-file keys)."""
    return [key for _, key in _keys_with_source()]


def _fernet(position: int, source: str, key: str) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        # `from None`: the original exception can carry the key text.
        raise ImproperlyConfigured(
            f"Encryption key {position} (from {source}) is not a valid key. {_KEY_HELP}."
        ) from None


@lru_cache(maxsize=1)
def _fernets() -> tuple[Fernet, ...]:
    keys = _keys_with_source()
    if not keys:
        raise ImproperlyConfigured(
            "No encryption key for clinical text is configured. Set OPENIPT_ENCRYPTION_KEYS "
            "(comma-separated, newest first) or OPENIPT_ENCRYPTION_KEY_FILE (one key per "
            f"line, newest first); see docs/operations.md. {_KEY_HELP}."
        )
    return tuple(_fernet(i, source, key) for i, (source, key) in enumerate(keys, start=1))


@lru_cache(maxsize=1)
def _cipher() -> MultiFernet:
    return MultiFernet(list(_fernets()))


def check_keys() -> None:
    """Raise ImproperlyConfigured unless at least one valid key is configured."""
    _cipher()


def reset_key_cache() -> None:
    _cipher.cache_clear()
    _fernets.cache_clear()


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ENCRYPTION_KEYS", "ENCRYPTION_KEY_FILE"}:
        reset_key_cache()


@checks.register(checks.Tags.security, deploy=True)
def _check_encryption_keys(**kwargs: Any) -> list[checks.CheckMessage]:
    """`manage.py check --deploy` fails when clinical text could not be encrypted."""
    try:
        check_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="openipt.E001")]
    return []


def encrypt_text(plaintext: str) -> str:
    token = _cipher().encrypt(plaintext.encode("utf-8"))
    return CIPHERTEXT_PREFIX + token.decode("ascii")


def _token(stored: str) -> bytes:
    if not stored.startswith(CIPHERTEXT_PREFIX):
        raise DecryptionError("Stored value is not OpenIPT ciphertext.")
    try:
        return stored.removeprefix(CIPHERTEXT_PREFIX).encode("ascii")
    except UnicodeEncodeError:
        raise DecryptionError("Stored value is not OpenIPT ciphertext.") from None


def decrypt_text(stored: str) -> str:
    token = _token(stored)
    try:
        return _cipher().decrypt(token).decode("utf-8")
    except InvalidToken:
        raise DecryptionError("No configured key decrypts this value.") from None


def rotate_ciphertext(stored: str) -> str:
    """Re-encrypt a stored value with the newest key (it must decrypt with some key)."""
    token = _token(stored)
    try:
        rotated = _cipher().rotate(token)
    except InvalidToken:
        raise DecryptionError("No configured key decrypts this value.") from None
    return CIPHERTEXT_PREFIX + rotated.decode("ascii")


def is_encrypted_with_newest_key(stored: str) -> bool:
    """True when the newest configured key decrypts `stored` (False for anything else)."""
    try:
        token = _token(stored)
    except DecryptionError:
        return False
    newest = _fernets()[0]
    try:
        newest.decrypt(token)
    except InvalidToken:
        return False
    return True
