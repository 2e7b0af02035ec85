"""Access to the programme manager's pages: dashboard, site chart, settings, new programme.

Only the programme managers of the programme's organisation reach a programme's
pages; everyone else gets the 404 of a missing programme. "New programme" is a
role-wide page: 403 for anyone who manages no organisation.

Fixtures come from tests/groups/world.py (`build_group_world`), built on the
shared world inside each entry's `args`.
"""

from __future__ import annotations

from typing import Any

from tests.access.spec import Entry, outcomes
from tests.groups.world import build_group_world
from tests.world import World


def _programme(world: World) -> dict[str, Any]:
    return {"public_id": build_group_world(world).programme.public_id}


def _site_chart(world: World) -> dict[str, Any]:
    group_world = build_group_world(world)
    return {
        "public_id": group_world.programme.public_id,
        "site_public_id": world.practice_a.public_id,
    }


MANAGER_ONLY = outcomes(404, programme_manager=200)

ENTRIES: dict[str, Entry] = {
    "programmes:programme_create": Entry(outcomes(403, programme_manager=200)),
    "programmes:programme_dashboard": Entry(MANAGER_ONLY, args=_programme),
    "programmes:programme_settings": Entry(MANAGER_ONLY, args=_programme),
    "programmes:site_chart": Entry(MANAGER_ONLY, args=_site_chart),
}
