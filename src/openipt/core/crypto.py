"""Encryption keys for clinical free text.

Keys come from outside the database and are never derived from SECRET_KEY,
so a stolen database (or a leaked settings file) alone does not reveal notes.
The newest key encrypts; every listed key can decrypt, which is what makes
rotation possible (`manage.py rotate_keys`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

CIPHERTEXT_PREFIX = "enc1:"


class DecryptionError(Exception):
    """Stored text could not be decrypted with any configured key."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def configured_keys() -> list[str]:
    keys: list[str] = list(settings.ENCRYPTION_KEYS)
    key_file = settings.ENCRYPTION_KEY_FILE
    if key_file:
        path = Path(key_file)
        if not path.exists():
            raise ImproperlyConfigured(f"OPENIPT_ENCRYPTION_KEY_FILE {key_file} does not exist.")
        lines = path.read_text(encoding="ascii").splitlines()
        keys.extend(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    return keys


@lru_cache(maxsize=1)
def _cipher() -> MultiFernet:
    keys = configured_keys()
    if not keys:
        raise ImproperlyConfigured(
            "No encryption key for clinical text. Set OPENIPT_ENCRYPTION_KEYS or "
            "OPENIPT_ENCRYPTION_KEY_FILE (see docs/operations.md)."
        )
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(
            "An encryption key is not a valid key (32 url-safe base64-encoded bytes)."
        ) from exc


def reset_key_cache() -> None:
    _cipher.cache_clear()


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ENCRYPTION_KEYS", "ENCRYPTION_KEY_FILE"}:
        reset_key_cache()


def encrypt_text(plaintext: str) -> str:
    token = _cipher().encrypt(plaintext.encode("utf-8"))
    return CIPHERTEXT_PREFIX + token.decode("ascii")


def decrypt_text(stored: str) -> str:
    if not stored.startswith(CIPHERTEXT_PREFIX):
        raise DecryptionError("Stored value is not OpenIPT ciphertext.")
    try:
        return _cipher().decrypt(stored.removeprefix(CIPHERTEXT_PREFIX).encode("ascii")).decode()
    except InvalidToken as exc:
        raise DecryptionError("No configured key decrypts this value.") from exc


def rotate_ciphertext(stored: str) -> str:
    """Re-encrypt a stored value with the newest key (it must decrypt with some key)."""
    try:
        token = _cipher().rotate(stored.removeprefix(CIPHERTEXT_PREFIX).encode("ascii"))
    except InvalidToken as exc:
        raise DecryptionError("No configured key decrypts this value.") from exc
    return CIPHERTEXT_PREFIX + token.decode("ascii")


def is_encrypted_with_newest_key(stored: str) -> bool:
    newest = Fernet(configured_keys()[0].encode("ascii"))
    try:
        newest.decrypt(stored.removeprefix(CIPHERTEXT_PREFIX).encode("ascii"))
    except InvalidToken:
        return False
    return True
