"""The instrument definitions shipped with OpenIPT (the JSON files in `definitions/`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources

from openipt.measures.engine.definition import DefinitionError, FrozenMap, Instrument
from openipt.measures.engine.definition import parse_definition as _parse

__all__ = ["shipped", "shipped_instruments"]


@cache
def shipped_instruments() -> Mapping[str, Instrument]:
    """Every shipped instrument by code, parsed and validated once per process."""
    folder = resources.files("openipt.measures.engine") / "definitions"
    found: dict[str, Instrument] = {}
    for entry in sorted(folder.iterdir(), key=lambda path: path.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            instrument = _parse(json.loads(entry.read_text(encoding="utf-8")))
        except DefinitionError as error:
            # A broken shipped file is a programming error: say which file it is.
            raise DefinitionError(
                [f"{entry.name}: {problem}" for problem in error.errors]
            ) from error
        if f"{instrument.code}.json" != entry.name:
            raise DefinitionError([f"{entry.name}: holds instrument '{instrument.code}'"])
        found[instrument.code] = instrument
    return FrozenMap(found)


def shipped(code: str) -> Instrument:
    """The shipped instrument with this code; KeyError if there is none."""
    return shipped_instruments()[code]
