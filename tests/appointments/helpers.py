"""Shared steps of the appointment tests: a fixed calendar, and booking through the service."""

from __future__ import annotations

import datetime
from typing import Any

from openipt.accounts.models import User
from openipt.appointments.models import Appointment
from openipt.appointments.services import appointment_create
from openipt.practice.models import Client
from tests.world import World

UTC = datetime.UTC
# Tuesday 3 December 2030, 10:00 (the tests run with TIME_ZONE = UTC).
TUE_10 = datetime.datetime(2030, 12, 3, 10, 0, tzinfo=UTC)
# "Now" for most tests: a week before.
NOW = datetime.datetime(2030, 11, 26, 9, 0, tzinfo=UTC)
MINUTES = datetime.timedelta(minutes=1)
HOURS = datetime.timedelta(hours=1)


def book(
    world: World,
    *,
    starts_at: datetime.datetime = TUE_10,
    minutes: int = 50,
    actor: User | None = None,
    client: Client | None = None,
    now: datetime.datetime = NOW,
    **extra: Any,
) -> Appointment:
    """Book through the service, by default Alice with Clara on Tuesday 3 December at 10:00."""
    client = client or world.client_1
    params: dict[str, Any] = {
        "actor": actor or world.clinician,
        "client": client,
        "starts_at": starts_at,
        "ends_at": starts_at + minutes * MINUTES,
        "now": now,
    }
    if client == world.client_1 and "course" not in extra:
        params["course"] = world.course_1
    params.update(extra)
    return appointment_create(**params)
