"""Scratch (helper E): screenshots of the dashboard. Deleted before hand-back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from playwright.sync_api import Page

from tests.groups.test_dashboard import _grow, build_dataset
from tests.groups.world import build_group_world
from tests.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_scratch_dashboard(live_server, open_page: Callable[[str], Page]) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    gw = build_group_world(world)
    data = build_dataset(gw)
    _grow(gw, 3)
    http = HttpClient()
    http.force_login(world.programme_manager, backend="allauth.account.auth_backends.AuthenticationBackend")
    cookie = http.cookies["sessionid"].value
    for viewport in ("desktop", "phone"):
        for path in ("", f"programmes/{gw.programme.public_id}/", f"programmes/{gw.programme.public_id}/settings/"):
            page = open_page(viewport)
            page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
            page.goto(f"{live_server.url}/organisation/{path}")
            page.wait_for_load_state("networkidle")
    _ = data
