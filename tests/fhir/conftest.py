from __future__ import annotations

import pytest

from tests.fhir.support import Records, build_records
from tests.world import World


@pytest.fixture
def records(world: World) -> Records:
    return build_records(world)
