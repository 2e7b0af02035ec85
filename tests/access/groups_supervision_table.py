"""Access to the group IPT pages: supervision.

Fixtures come from tests/groups/world.py (`build_group_world`), built on the
shared world inside each entry's `args`. The world's supervisor (Sam)
supervises the world's facilitator (Fay): Sam has the queue, Fay's page, her
sessions' supervisor ratings and notes about her; Fay sees her own page and
rates her own sessions; the practice admin assigns supervisors. Everyone
else gets the queue and the assignments page refused (403: role-wide pages)
and a 404 for a facilitator or a session, exactly like a missing id.
"""

from __future__ import annotations

import datetime
from typing import Any

from openipt.groups.models import GroupSession
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.groups.world import build_group_world
from tests.world import World


def _fay(world: World) -> dict[str, Any]:
    build_group_world(world)
    return {"public_id": world.facilitator.public_id}


def _fays_session(world: World) -> dict[str, Any]:
    gw = build_group_world(world)
    session = GroupSession.objects.create(
        group=gw.group,
        number=1,
        held_on=datetime.date(2026, 10, 6),
        adherence_percent=50,
        recorded_by=gw.facilitator,
    )
    return {"public_id": session.public_id}


ENTRIES: dict[str, Entry] = {
    "groups:supervision_queue": Entry(outcomes(403, supervisor=200)),
    "groups:supervision_assignments": Entry(outcomes(403, admin=200)),
    "groups:facilitator_detail": Entry(outcomes(404, supervisor=200, facilitator=200), args=_fay),
    "groups:facilitator_fidelity_chart": Entry(
        outcomes(404, supervisor=200, facilitator=200), args=_fay
    ),
    # Fay may open her page but not write notes about herself.
    "groups:supervision_note_add": Entry(
        outcomes(404, supervisor=REDIRECT, facilitator=403),
        method="POST",
        args=_fay,
        data=lambda w: {"text": "Talked through session 3."},
    ),
    # Fay rates her own session ("self"), Sam as her supervisor.
    "groups:session_fidelity": Entry(
        outcomes(404, supervisor=REDIRECT, facilitator=REDIRECT),
        method="POST",
        args=_fays_session,
        data=lambda w: {"score": "4", "comment": ""},
    ),
}
