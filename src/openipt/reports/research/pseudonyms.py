"""Pseudonyms and date shifts for one export. Pure: no Django, no database.

Each export draws a fresh random secret that lives only in this object, in
memory, for the length of the export: it is never stored, logged or shown.
A pseudonym is HMAC-SHA256(secret, namespace + public id), so one client has
one pseudonym throughout an export and an unrelated one in the next, and the
file cannot be joined back to the database (or to another export) without
the secret. The per-client date shift comes from the same keyed hash, which
keeps it stable within the export without holding a table of offsets.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from uuid import UUID

DEFAULT_MAX_SHIFT_DAYS = 180
# 16 hex digits = 64 bits: collisions are negligible at any practice's size.
_PSEUDONYM_HEX = 16

# A letter first so that a spreadsheet never reads a pseudonym as a number
# ("1234e567" would become 1.234E+570) and so that kinds cannot be confused.
PREFIXES = {"client": "C", "course": "K", "group": "G"}


class ExportKeys:
    """The secret of one export, and what it derives."""

    __slots__ = ("_secret", "max_shift_days")

    def __init__(
        self, *, secret: bytes | None = None, max_shift_days: int = DEFAULT_MAX_SHIFT_DAYS
    ) -> None:
        if max_shift_days < 1:
            raise ValueError("The date shift must allow at least one day.")
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self.max_shift_days = max_shift_days

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"ExportKeys(max_shift_days={self.max_shift_days})"

    def _digest(self, namespace: str, public_id: UUID | str) -> bytes:
        message = f"{namespace}:{public_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def pseudonym(self, namespace: str, public_id: UUID | str) -> str:
        """E.g. "C3f9a0c1d2e4b5a6f" for a client: the same within this export only."""
        prefix = PREFIXES[namespace]
        return prefix + self._digest(namespace, public_id).hex()[:_PSEUDONYM_HEX]

    def day_offset(self, client_public_id: UUID | str) -> int:
        """This client's shift in days: between −max and +max, never 0.

        Zero is excluded because a zero shift would publish the client's real dates.
        """
        span = self.max_shift_days
        draw = int.from_bytes(self._digest("shift", client_public_id)[:8], "big") % (2 * span)
        return draw - span if draw < span else draw - span + 1

    def shift(self, day: datetime.date, client_public_id: UUID | str) -> datetime.date:
        return day + datetime.timedelta(days=self.day_offset(client_public_id))
