"""Access to the JSON API's appointment and group writes (and the group member list that
the session writes need), for browser-session roles.

The matrix signs people in with a browser session; the API accepts only a
personal access token, so every one of these operations answers 401 to every
role here, anonymous included, whatever the body. What each role may do with
a token is tested in tests/api/test_writes_appointments.py and
tests/api/test_writes_groups.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.access.spec import Entry, outcomes

API = outcomes(401, anonymous=401)
ANY_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _id(name: str) -> Any:
    return lambda _world: {name: ANY_ID}


ENTRIES: dict[str, Entry] = {
    "api:appointment_create": Entry(API, method="POST"),
    "api:appointment_move": Entry(API, method="POST", args=_id("appointment_id")),
    "api:appointment_cancel": Entry(API, method="POST", args=_id("appointment_id")),
    "api:appointment_mark_held": Entry(API, method="POST", args=_id("appointment_id")),
    "api:group_create": Entry(API, method="POST"),
    "api:group_session_record": Entry(API, method="POST", args=_id("group_id")),
    "api:group_member_list": Entry(API, args=_id("group_id")),
}
