"""Instrument definitions as shipped (the JSON the measures engine reads), by code."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Path, Router, Schema
from pydantic import Field

from openipt.api.errors import errors
from openipt.measures.engine import definition_to_json, shipped_instruments

router = Router(tags=["instruments"])


class InstrumentSummaryOut(Schema):
    code: str
    title: str
    short_title: str
    version: str


class CodePath(Schema):
    code: str = Field(max_length=32, pattern=r"^[a-z0-9_-]+$")


@router.get(
    "/instruments",
    response={200: list[InstrumentSummaryOut], **errors()},
    url_name="instrument_list",
)
def instrument_list(request: HttpRequest) -> list[InstrumentSummaryOut]:
    """The shipped instruments (practices may add their own; those are not listed here)."""
    return [
        InstrumentSummaryOut(
            code=i.code, title=i.title, short_title=i.short_title, version=i.version
        )
        for i in sorted(shipped_instruments().values(), key=lambda i: i.code)
    ]


@router.get(
    "/instruments/{code}",
    response={200: dict[str, Any], **errors(404, 422)},
    url_name="instrument_get",
)
def instrument_get(request: HttpRequest, path: Path[CodePath]) -> dict[str, Any]:
    """The definition in the shipped JSON shape: items with their `linkId`s and answer options.

    Licensed wording is not part of the shipped file and is not returned.
    """
    instrument = shipped_instruments().get(path.code)
    if instrument is None:
        raise Http404
    return definition_to_json(instrument)
