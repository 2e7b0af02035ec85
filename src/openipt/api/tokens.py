"""Personal access tokens: how one is made and recognised (no database access here).

A token is `oipt_` followed by 32 random bytes (URL-safe base64). Only its
SHA-256 digest is stored; the prefix (the first characters) is kept so that
people can tell their tokens apart in the settings page and in a leaked log.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "oipt_"  # noqa: S105 - a fixed label, not a secret
# Shown in the settings page: "oipt_" and the first few random characters.
DISPLAY_PREFIX_LENGTH = 12
# Longer than any token we issue; anything longer is refused before hashing.
MAX_TOKEN_LENGTH = 100


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    return token[:DISPLAY_PREFIX_LENGTH]


def looks_like_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and len(token) <= MAX_TOKEN_LENGTH
