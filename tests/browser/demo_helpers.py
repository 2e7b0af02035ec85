"""Signing into the seeded demo practice (`make demo`) from a browser test.

The `demo` fixture (tests/browser/conftest.py) seeds the demo through the real
`seed_demo` command; the helpers here sign a demo staff member in with the
published password and the published authenticator secret, as a visitor does.
"""

from __future__ import annotations

import re
import time
from io import StringIO

from django.core.management import call_command
from playwright.sync_api import Page, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from openipt.core.management.commands.demo_codes import TOTP_PERIOD_SECONDS, totp_code
from openipt.core.management.commands.seed_demo import DEMO_PASSWORD, DEMO_STAFF

# Matches "Sign in" on the password page and "Verify and sign in" on the code page.
SIGN_IN_BUTTON = re.compile(r"sign in", re.IGNORECASE)
# Never type a code with fewer seconds than this left in its window.
MIN_SECONDS_LEFT = 5

# (account e-mail, TOTP window) of every code typed in this process. allauth
# accepts a code once per account and remembers it in the cache, which outlives
# a test, so a second sign-in of one person in one window waits for the next.
_typed: set[tuple[str, int]] = set()


def seed_demo(settings: Settings) -> None:
    """Create the demo organisation, staff, clients and courses (demo mode on)."""
    settings.DEMO = True
    call_command("seed_demo", stdout=StringIO())


def demo_code(email: str) -> str:
    """The demo authenticator code for `email` now: never about to expire, never reused."""
    while True:
        now = time.time()
        window = int(now) // TOTP_PERIOD_SECONDS
        left = TOTP_PERIOD_SECONDS - now % TOTP_PERIOD_SECONDS
        if (email, window) not in _typed and left >= MIN_SECONDS_LEFT:
            _typed.add((email, window))
            return totp_code(at=now)
        time.sleep(left + 0.2)


def sign_in_as_demo_staff(page: Page, live_server: LiveServer, full_name: str) -> None:
    """Sign in through the pages as the demo staff member called `full_name`.

    Ends on the person's home page (for clinicians and supervisors, the caseload).
    """
    person = next(p for p in DEMO_STAFF if p.full_name == full_name)
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text("every person here is fictional")).to_be_visible()
    page.locator('input[name="login"]').fill(person.email)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.locator('input[name="code"]').fill(demo_code(person.email))
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).to_have_url(f"{live_server.url}{person.home}")
    # The URL changes as soon as the new page starts to arrive; its script (which,
    # for one, submits the practice switcher on change) runs only once it has loaded.
    page.wait_for_load_state("load")
