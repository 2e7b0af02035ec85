"""Access to the group IPT pages: dashboard.

Fixtures come from tests/groups/world.py (`build_group_world`), built on the
shared world inside each entry's `args`.
"""

from __future__ import annotations

from tests.access.spec import Entry

ENTRIES: dict[str, Entry] = {}
