"""API lists keep a constant number of queries as their rows grow (no query per row).

GIVEN the seeded world WHEN a list is read, then read again after five more of its
rows were written through the services THEN both reads take the same number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openipt.courses.services.course import course_start
from openipt.measures.services import measure_submit
from openipt.practice.models import CareTeamRole
from tests.access.appointments_table import _book
from tests.api.conftest import Api
from tests.api.seed import build_seed
from tests.factories import CareTeamMemberFactory, ClientFactory
from tests.world import World

RISKY_PHQ9 = {f"phq9-{n}": 1 for n in range(1, 9)} | {"phq9-9": 1}


def _more_clients_with_courses(world: World) -> None:
    for _ in range(5):
        client = ClientFactory.create(practice=world.practice_a)
        CareTeamMemberFactory.create(
            client=client, user=world.clinician, role=CareTeamRole.CLINICIAN
        )
        course_start(
            actor=world.clinician,
            client=client,
            variant_code="ipt16",
            planned_sessions=16,
            frequency="weekly",
            session_minutes=50,
            start_date=timezone.localdate(),
        )


def _more_measures_and_alerts(world: World) -> None:
    for days in range(5):
        measure_submit(
            actor=world.clinician,
            course=world.course_1,
            instrument_code="phq9",
            answers=RISKY_PHQ9,
            administered_at=timezone.now() - datetime.timedelta(hours=days + 1),
        )


def _more_appointments(world: World) -> None:
    for days in range(5):
        _book(world, days=10 + days)


LISTS: dict[str, tuple[Callable[[World], str], Callable[[World], None]]] = {
    "clients": (lambda w: "/clients", _more_clients_with_courses),
    "courses": (lambda w: "/courses", _more_clients_with_courses),
    "measures": (lambda w: f"/courses/{w.course_1.public_id}/measures", _more_measures_and_alerts),
    "alerts": (lambda w: "/alerts", _more_measures_and_alerts),
    "appointments": (lambda w: "/appointments", _more_appointments),
}


def _queries(api: Api, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path + "?limit=100")
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_queries_do_not_grow_with_rows(
    name: str, world: World, api_as: Callable[..., Api]
) -> None:
    path_of, grow = LISTS[name]
    build_seed(world)
    api = api_as(world.clinician)
    path = path_of(world)
    before_rows = len(api.get(path + "?limit=100").json()["items"])
    before = _queries(api, path)
    grow(world)
    after_rows = len(api.get(path + "?limit=100").json()["items"])
    assert after_rows >= before_rows + 5
    assert _queries(api, path) == before
