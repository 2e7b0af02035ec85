from __future__ import annotations

import pytest

from tests.groups.world import GroupWorld, build_group_world
from tests.world import World


@pytest.fixture
def group_world(world: World) -> GroupWorld:
    return build_group_world(world)
