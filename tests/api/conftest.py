"""Helpers for the API tests: tokens for the world's people and a JSON client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from openipt.accounts.models import User
from openipt.api.models import ApiToken
from openipt.api.tokens import display_prefix, new_token, token_digest


def raw_token_for(user: User, **fields: Any) -> str:
    """A token row written directly (the service refuses clients; the API must refuse them too)."""
    secret = new_token()
    ApiToken.objects.create(
        user=user,
        name="test",
        prefix=display_prefix(secret),
        digest=token_digest(secret),
        **fields,
    )
    return secret


class Api:
    """A JSON client that sends one bearer token (or none)."""

    def __init__(self, token: str | None) -> None:
        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **headers: str) -> Any:
        return self.http.get("/api/v1" + path, headers={**self.headers, **headers})

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.http.post(
            "/api/v1" + path,
            data=json.dumps(body),
            content_type="application/json",
            headers={**self.headers, **headers},
        )


@pytest.fixture
def api_as() -> Callable[[User | None], Api]:
    def make(user: User | None, **fields: Any) -> Api:
        return Api(raw_token_for(user, **fields) if user is not None else None)

    return make


__all__ = ["Api", "raw_token_for"]
