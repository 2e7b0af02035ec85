"""Small request helpers shared by the groups views."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from openipt.accounts.models import User
from openipt.practice.models import Practice


def actor_of(request: HttpRequest) -> User:
    # Every groups view is behind login_required, so the user is a real User.
    return cast(User, request.user)


def current_practice(request: HttpRequest) -> Practice | None:
    return request.practice  # type: ignore[attr-defined,no-any-return]


def current_roles(request: HttpRequest) -> frozenset[str]:
    """The actor's roles in the practice they are working in (the practice switcher's choice)."""
    practice = current_practice(request)
    return request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined,no-any-return]
