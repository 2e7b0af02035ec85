"""Cursor pagination: stable order by (created_at, public_id), an opaque cursor.

The cursor is the position of the last row returned, base64url-encoded JSON.
Rows are ordered by creation time and then by public id (never the integer
key, which stays inside the database), so a row added while a client pages
through a list appears at the end instead of shifting the pages.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from ninja import Schema
from pydantic import Field

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
M = TypeVar("M", bound=Model)
T = TypeVar("T")


class PageParams(Schema):
    cursor: str | None = Field(
        None, max_length=200, description="The `next_cursor` of the previous page."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def encode_cursor(created_at: datetime.datetime, public_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(public_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, public_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(public_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError({"cursor": "This cursor is not one the API gave out."}) from exc


def paginate(
    queryset: QuerySet[M], params: PageParams, shape: Callable[[M], Any]
) -> dict[str, Any]:
    """One page of `queryset` in (created_at, public_id) order, each row shaped by `shape`."""
    queryset = queryset.order_by("created_at", "public_id")
    if params.cursor:
        at, public_id = decode_cursor(params.cursor)
        queryset = queryset.filter(Q(created_at__gt=at) | Q(created_at=at, public_id__gt=public_id))
    rows: Sequence[M] = list(queryset[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(last.created_at, last.public_id)  # type: ignore[attr-defined]
    return {"items": [shape(row) for row in rows], "next_cursor": next_cursor}
