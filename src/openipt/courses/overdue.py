"""Overdue items for the caseload, from the annotated course rows (pure, no queries)."""

from __future__ import annotations

import datetime
from typing import Any

from openipt.protocol.phases import Phase


def overdue_items(course: Any, *, today: datetime.date) -> list[str]:
    """What needs attention, in plain words, for one annotated caseload row."""
    items: list[str] = []
    if not course.has_baseline:
        items.append("No baseline measure")
    if course.contract_agreed_at is None:
        items.append("Contract not agreed")
    last = course.last_session or 0
    if (
        course.planned_sessions
        and course.phase != Phase.TERMINATION
        and not course.ending_raised
        and course.middle_last - last <= 2
    ):
        items.append("Ending not raised")
    if course.last_session_date is not None:
        gap = (today - course.last_session_date).days
        expected = {"weekly": 7, "fortnightly": 14, "monthly": 31}.get(course.frequency, 7)
        if gap > 2 * expected:
            items.append(f"No session for {gap} days")
    return items
