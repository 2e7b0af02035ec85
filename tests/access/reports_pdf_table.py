"""Access to the course PDF reports: exactly the course's readers (the care team's
clinicians and the practice's supervisors); everyone else gets 404 like a missing id."""

from __future__ import annotations

from typing import Any

from tests.access.spec import Entry, outcomes
from tests.world import World


def letter_args(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id, "kind": "letter"}


ENTRIES: dict[str, Entry] = {
    "reports:course_pdf": Entry(outcomes(404, clinician=200, supervisor=200), args=letter_args),
}
