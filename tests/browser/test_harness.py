"""The browser harness must be able to fail: it catches foreign requests and console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_harness_records_a_request_to_another_origin(
    page: Page, live_server: LiveServer, page_watch: PageWatch
) -> None:
    # Same server, different origin: 127.0.0.1 is not the live server's "localhost".
    other_origin = live_server.url.replace("localhost", "127.0.0.1", 1)
    assert other_origin != live_server.url
    page.goto(f"{live_server.url}/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert page_watch.foreign_requests() == []

    page.goto(f"{other_origin}/accounts/login/")
    page.wait_for_load_state("networkidle")

    foreign = page_watch.foreign_requests()
    assert foreign[0] == f"{other_origin}/accounts/login/"
    assert all(url.startswith(other_origin) for url in foreign)
    page_watch.forget()


def test_harness_records_a_csp_violation_as_a_console_error(
    page: Page, live_server: LiveServer, page_watch: PageWatch
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert page_watch.console_errors() == []

    # An inline script is exactly what the Content-Security-Policy forbids.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.appendChild(script);
        }"""
    )

    assert page.evaluate("() => window.inlineRan === true") is False
    errors = page_watch.console_errors()
    assert len(errors) == 1
    assert "Content Security Policy" in errors[0]
    page_watch.forget()
