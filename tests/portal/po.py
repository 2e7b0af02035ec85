"""A small reader of gettext .po files, so that tests need neither gettext nor a new library."""

from __future__ import annotations

import ast
from pathlib import Path

# (msgid, msgid_plural or None, the msgstr forms, marked fuzzy)
Entry = tuple[str, str | None, list[str], bool]


def _entry(block: list[str]) -> Entry | None:
    fields: dict[str, str] = {}
    current = ""
    fuzzy = False
    for line in block:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += ast.literal_eval(line)
        else:
            keyword, _, quoted = line.partition(" ")
            current = keyword
            fields[current] = ast.literal_eval(quoted)
    msgid = fields.get("msgid", "")
    if not msgid:
        return None  # the header, or an obsolete entry
    if "msgstr" in fields:
        forms = [fields["msgstr"]]
    else:
        forms = [fields[k] for k in sorted(f for f in fields if f.startswith("msgstr["))]
    return msgid, fields.get("msgid_plural"), forms, fuzzy


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a .po file except its header, in file order."""
    entries: list[Entry] = []
    for chunk in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        entry = _entry(lines)
        if entry is not None:
            entries.append(entry)
    return entries
