from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from openipt.accounts.models import User
from tests.world import World, build_world


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    # Rate-limit counters and used TOTP codes live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def client_for() -> Callable[[User | None], HttpClient]:
    """An HTTP client signed in as `user` (a real session; MFA already satisfied)."""

    def make(user: User | None) -> HttpClient:
        http = HttpClient()
        if user is not None:
            http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
        return http

    return make
