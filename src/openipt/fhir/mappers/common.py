"""Small builders shared by the mappers: references, codings, dates."""

from __future__ import annotations

import datetime
from typing import Any

from openipt.fhir.codes import ID_SYSTEM

Json = dict[str, Any]


def ref(resource_type: str, resource_id: object) -> Json:
    """A relative reference ("Patient/<uuid>"): it resolves inside a bundle or an export."""
    return {"reference": f"{resource_type}/{resource_id}"}


def coding(system: str, code: str, display: str = "") -> Json:
    result: Json = {"system": system, "code": code}
    if display:
        result["display"] = display
    return result


def concept(system: str, code: str, display: str = "", text: str = "") -> Json:
    result: Json = {"coding": [coding(system, code, display)]}
    if text or display:
        result["text"] = text or display
    return result


def identifier(public_id: object) -> Json:
    return {"system": ID_SYSTEM, "value": str(public_id)}


def date(value: datetime.date | datetime.datetime) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return value.isoformat()


def instant(value: datetime.datetime) -> str:
    """An ISO 8601 dateTime with its offset (stored datetimes are aware)."""
    return value.isoformat()


def period(start: str | None, end: str | None) -> Json:
    result: Json = {}
    if start:
        result["start"] = start
    if end:
        result["end"] = end
    return result
