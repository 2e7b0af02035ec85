"""Access to the research export (reports:research_export).

Practice admins and supervisors of the current practice may export; everyone
else signed in gets 403 (the page names no record, so there is nothing to
hide behind a 404); a signed-out visitor is sent to sign in. What each role
gets in the file (group scores only for supervisors, for the facilitators
they supervise) is tested in tests/reports/test_research_*.py.
"""

from __future__ import annotations

from tests.access.spec import Entry, outcomes

ENTRIES: dict[str, Entry] = {
    "reports:research_export": Entry(outcomes(403, admin=200, supervisor=200)),
}
