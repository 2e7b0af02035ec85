"""Layout checks shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page

# Against the layout viewport (clientWidth), not window.innerWidth: a mobile
# browser's innerWidth grows with the page, so it would hide the overflow.
_SIDEWAYS_OVERFLOW_JS = (
    "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
)


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling).

    Measured once the page has loaded: laid out before its stylesheets and images
    are in, a page can be wider than a phone for a moment that no visitor sees.
    """
    page.wait_for_load_state("load")
    return int(page.evaluate(_SIDEWAYS_OVERFLOW_JS))
