"""Playwright harness: Debian's chromium driving the app served by pytest-django's live server.

No browser is ever downloaded: Playwright launches /usr/bin/chromium. Every
page a test opens is watched. After the test, each page is saved as a
screenshot under test-artifacts/screenshots/, and the test fails if a page
sent any request to another origin than the live server (promise 8: no
third-party request, ever) or logged a console error (CSP violations and
script errors show up there).

Browser tests use the live server, so they need `transactional_db`; mark
modules with `pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Request,
    ViewportSize,
    sync_playwright,
)
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

Viewport = Literal["desktop", "phone"]
VIEWPORTS: dict[Viewport, ViewportSize] = {
    "desktop": ViewportSize(width=1280, height=800),
    "phone": ViewportSize(width=390, height=844),
}
# URL schemes that never leave the browser.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in {"", "0", "false", "no", "off"}


def browser_required() -> bool:
    """`make test` and CI must never skip browser tests silently."""
    return _truthy("OPENIPT_REQUIRE_BROWSER") or _truthy("CI")


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = (
            f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`) "
            "to run the browser tests"
        )
        if browser_required():
            pytest.fail(f"{reason} (OPENIPT_REQUIRE_BROWSER/CI is set).", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an event loop marked as running in this
    # thread, so Django's async-safety check would refuse every ORM call the
    # test makes (building the fixture world, asserting on rows); the live
    # server itself runs in its own thread. The variable is set only while a
    # browser module runs, and the driver stops with the module, so no other
    # test (or subprocess, such as `check --deploy`) ever sees either.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as driver:
            yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class WatchedPage:
    """A page plus everything it asked the network for and complained about."""

    page: Page
    viewport: Viewport
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@dataclass
class PageWatch:
    origin: str
    pages: list[WatchedPage] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [
            url
            for watched in self.pages
            for url in watched.requests
            if urlsplit(url).scheme not in LOCAL_SCHEMES and _origin(url) != self.origin
        ]

    def console_errors(self) -> list[str]:
        return [error for watched in self.pages for error in watched.console_errors]

    def forget(self) -> None:
        """Drop what was recorded so far (only the harness's own tests need this)."""
        for watched in self.pages:
            watched.requests.clear()
            watched.console_errors.clear()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _artifact_name(nodename: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", nodename).strip("-")


def save_screenshot(page: Page, name: str, label: str = "") -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / (f"{name}-{label}.png" if label else f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a screenshot of an intermediate step as <test name>-<label>.png."""
    name = _artifact_name(request.node.name)
    return lambda page, label: save_screenshot(page, name, label)


@pytest.fixture
def page_watch(live_server: LiveServer) -> PageWatch:
    return PageWatch(origin=_origin(live_server.url))


@pytest.fixture
def open_page(
    browser: Browser, page_watch: PageWatch, request: pytest.FixtureRequest
) -> Iterator[Callable[[Viewport], Page]]:
    """Open a fresh page (its own cookies) at a desktop or phone viewport.

    Teardown saves a full-page screenshot of every page, then fails the test
    on any request to a foreign origin or any console error.
    """
    contexts = []

    def make(viewport: Viewport = "desktop") -> Page:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
            device_scale_factor=1,
            service_workers="block",
        )
        contexts.append(context)
        page = context.new_page()
        watched = WatchedPage(page=page, viewport=viewport)

        def on_request(req: Request) -> None:
            watched.requests.append(req.url)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                watched.console_errors.append(f"{message.text} ({message.location})")

        def on_page_error(error: Error) -> None:
            watched.console_errors.append(f"uncaught: {error}")

        context.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page_watch.pages.append(watched)
        return page

    yield make

    name = _artifact_name(request.node.name)
    seen: dict[Viewport, int] = {}
    for watched in page_watch.pages:
        count = seen[watched.viewport] = seen.get(watched.viewport, 0) + 1
        # Desktop is the default; parametrized names already say "[phone]".
        plain = watched.viewport == "desktop" or name.endswith(watched.viewport)
        label = "" if plain else watched.viewport
        label += "" if count == 1 else f"{count}"
        if not watched.page.is_closed():
            save_screenshot(watched.page, name, label)
    for context in contexts:
        context.close()

    foreign = page_watch.foreign_requests()
    errors = page_watch.console_errors()
    problems = []
    if foreign:
        problems.append(
            f"requests to origins other than {page_watch.origin}: " + ", ".join(foreign)
        )
    if errors:
        problems.append("console errors: " + " | ".join(errors))
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def page(open_page: Callable[[Viewport], Page]) -> Page:
    """A watched desktop (1280x800) page."""
    return open_page("desktop")


@pytest.fixture
def phone_page(open_page: Callable[[Viewport], Page]) -> Page:
    """A watched phone (390x844) page."""
    return open_page("phone")


@pytest.fixture
def demo(settings: Settings) -> None:
    """The seeded demo practice (`make demo`); sign in with tests/browser/demo_helpers.py."""
    from tests.browser.demo_helpers import seed_demo

    seed_demo(settings)


# --- automated accessibility checks (axe-core) --------------------------------------------

# Installed by `make axe` (a dependency of `make test`) from the npm registry.
AXE_SCRIPT = (
    Path(__file__)
    .resolve()
    .parents[2]
    .joinpath("var", "node", "node_modules", "axe-core", "axe.min.js")
)
AXE_FAILING_IMPACTS = frozenset({"serious", "critical"})
AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        reason = f"{AXE_SCRIPT} is missing: run `make axe` to install axe-core"
        if browser_required():
            pytest.fail(f"{reason} (OPENIPT_REQUIRE_BROWSER/CI is set).", pytrace=False)
        pytest.skip(reason)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page, source: str) -> list[str]:
    """The serious and critical accessibility problems axe finds on the page, as sentences.

    axe is evaluated through the DevTools protocol (`page.evaluate`), which the
    page's Content-Security-Policy does not govern: a `<script>` tag added to
    the page would be refused by `script-src 'self'`, rightly.
    """
    page.evaluate(source)
    found = page.evaluate(AXE_RUN_JS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}"
        for v in found
        if v["impact"] in AXE_FAILING_IMPACTS
    ]
