"""Access to the API's write operations for client records, courses and the course record.

The matrix signs people in with a browser session; the API accepts only a
personal access token, so every operation answers 401 to every role here,
and to anonymous visitors. The matrix sends GET or POST only: a PATCH or PUT
operation is checked here through its path with GET (each shares its path
with a read, which answers 401 the same way), and tests/api/test_writes_*.py
send the PATCH and PUT themselves with a browser session (401) and with
every role's token.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.access.spec import Entry, outcomes
from tests.world import World

API = outcomes(401, anonymous=401)
ANY_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _course(world: World) -> dict[str, Any]:
    return {"course_id": world.course_1.public_id}


ENTRIES: dict[str, Entry] = {
    "api:client_create": Entry(API, method="POST"),
    "api:client_update": Entry(API, args=lambda w: {"client_id": w.client_1.public_id}),
    "api:course_create": Entry(API, method="POST"),
    "api:course_update": Entry(API, args=_course),
    "api:course_session_create": Entry(API, method="POST", args=_course),
    "api:session_update": Entry(API, args=lambda w: {"session_id": w.session_1.public_id}),
    "api:course_inventory_create": Entry(API, method="POST", args=_course),
    "api:inventory_person_get": Entry(API, args=lambda w: {"person_id": w.person_1.public_id}),
    "api:inventory_person_update": Entry(API, args=lambda w: {"person_id": w.person_1.public_id}),
    "api:course_focus_set": Entry(API, args=_course),
    "api:course_goal_create": Entry(API, method="POST", args=_course),
    "api:goal_end": Entry(API, method="POST", args=lambda w: {"goal_id": ANY_ID}),
}
