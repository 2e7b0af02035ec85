"""Reads of personal access tokens: a person sees only their own."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from openipt.api.models import ApiToken
from openipt.api.tokens import looks_like_token, token_digest

if TYPE_CHECKING:
    from openipt.accounts.models import User


def tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_get_for_owner(*, user: User, public_id: UUID | str) -> ApiToken:
    try:
        return tokens_for_user(user=user).get(public_id=public_id)
    except (ApiToken.DoesNotExist, ValueError) as exc:
        raise Http404("No such token.") from exc


def token_usable(token: ApiToken, *, now: datetime.datetime) -> bool:
    if token.revoked_at is not None:
        return False
    if token.expires_at is not None and token.expires_at <= now:
        return False
    return bool(token.user.is_active)


def token_for_secret(secret: str, *, now: datetime.datetime) -> ApiToken | None:
    """The live token whose digest matches, or None (unknown, revoked, expired, inactive owner)."""
    if not looks_like_token(secret):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
    if token is None or not token_usable(token, now=now):
        return None
    return token
