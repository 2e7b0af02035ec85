"""Access to the group IPT pages: sessions.

Only the group's own facilitator (Fay) records and corrects a session; her
supervisor (Sam) reads the session page and is refused the forms (403); every
other role, members included, gets the same 404 as for a missing id.

Fixtures come from tests/groups/world.py (`build_group_world`), built on the
shared world inside each entry's `args`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import group_session_record
from tests.access.spec import Entry, outcomes
from tests.groups.world import build_group_world, phq9_answers
from tests.world import World


def _group(world: World) -> dict[str, Any]:
    return {"public_id": build_group_world(world).group.public_id}


def _session(world: World) -> dict[str, Any]:
    gw = build_group_world(world)
    result = group_session_record(
        actor=gw.facilitator,
        group=gw.group,
        number=1,
        held_on=timezone.localdate(),
        entries=[
            MemberEntry(
                member_public_id=m.public_id,
                present=True,
                answers=phq9_answers(2, 1, 1, 1, 1, 1, 1, 0, 0),
            )
            for m in gw.members
        ],
    )
    return {"public_id": result.session.public_id}


ENTRIES: dict[str, Entry] = {
    "groups:session_record": Entry(outcomes(404, facilitator=200, supervisor=403), args=_group),
    "groups:session_detail": Entry(outcomes(404, facilitator=200, supervisor=200), args=_session),
    "groups:session_edit": Entry(outcomes(404, facilitator=200, supervisor=403), args=_session),
}
