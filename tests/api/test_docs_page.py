"""The API docs page at /api/v1/docs renders from our own origin under our CSP.

GIVEN the live server (no token needed: the schema holds no data)
WHEN chromium opens /api/v1/docs
THEN Swagger UI lists the operations, nothing is fetched from another origin and
     the console has no error (a CSP refusal of an inline script or style is one).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

# The browser harness: fails the test on foreign requests and console errors.
from tests.browser.conftest import (  # noqa: F401 - fixtures used by name
    browser,
    open_page,
    page_watch,
    playwright_driver,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_page_renders_without_csp_errors(
    live_server: LiveServer,
    open_page: Callable[[str], Page],  # noqa: F811 - the harness fixture imported above
) -> None:
    page = open_page("desktop")
    response = page.goto(live_server.url + "/api/v1/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("OpenIPT API")
    expect(page.get_by_text("/api/v1/courses/{course_id}/measures").first).to_be_visible()
    page.locator("#operations-measures-openipt_api_routers_measures_course_measure_create").click()
    expect(page.get_by_text("Idempotency-Key").first).to_be_visible()
