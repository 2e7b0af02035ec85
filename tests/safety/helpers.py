"""Shared steps of the safety tests."""

from __future__ import annotations

import uuid
from typing import Any

from openipt.practice.models import Client
from openipt.safety.models import RiskAlert
from openipt.safety.services import risk_alert_raise
from tests.world import World


def raise_alert(world: World, *, client: Client | None = None, **overrides: Any) -> RiskAlert:
    """A PHQ-9 item 9 alert for Alice (client_1), as the measures service would raise it."""
    client = client or world.client_1
    params: dict[str, Any] = {
        "practice": client.practice,
        "client": client,
        "course": world.course_1 if client == world.client_1 else None,
        "source_type": "measure_administration",
        "source_public_id": uuid.uuid4(),
        "instrument_code": "phq9",
        "risk_link_ids": ["phq9-9"],
        "raised_by": world.clinician,
    }
    params.update(overrides)
    return risk_alert_raise(**params)
