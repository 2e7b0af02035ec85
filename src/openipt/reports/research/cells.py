"""What may go into one cell of a research file. Pure: no Django, no database.

Every value passes through `cell`: numbers stay numbers (a negative change
score must still sum in a spreadsheet), text is neutralised against formula
injection, and anything that is not a number, a date or an allowed code is
refused loudly rather than written.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

# A spreadsheet treats a cell starting with one of these as a formula (OWASP's
# list: = + - @ tab CR), plus LF and the full-width forms some locales accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

# Codes are short machine words (instrument, band, variant, phase, status,
# problem area, linkId, version). Anything else, e.g. a sentence stored in a
# code field by mistake, is not a code and is left out.
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,63}$")

AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 11, "under 12"),
    (12, 17, "12-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 74, "65-74"),
    (75, None, "75 and over"),
)

Cell = str | int | float


def neutralise(text: str) -> str:
    """`text` with a leading apostrophe when a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def cell(value: object) -> Cell:
    """One value as written to the file: "" for nothing, 1/0 for yes/no, numbers as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int
        return 1 if value else 0
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    raise TypeError(f"A research cell cannot hold a {type(value).__name__}.")


def code(value: object) -> str:
    """A code, or "" when the value does not look like one (never free text)."""
    if isinstance(value, str) and _CODE_RE.match(value):
        return value
    return ""


def codes(values: Iterable[object]) -> str:
    """Several codes in one cell, sorted and joined with ";", unknown shapes dropped."""
    return ";".join(sorted({c for c in (code(v) for v in values) if c}))


def number(value: object) -> int | None:
    """A whole-number answer, or None for anything else (text, bools, lists)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def age_on(date_of_birth: datetime.date, on: datetime.date) -> int:
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def age_band(date_of_birth: datetime.date | None, on: datetime.date) -> str:
    """The age band on `on` ("25-34"); the birth date itself never leaves this function."""
    if date_of_birth is None or date_of_birth > on:
        return ""
    age = age_on(date_of_birth, on)
    for low, high, label in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return ""
