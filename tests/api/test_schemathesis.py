"""Schemathesis against the API's own schema: 0 server errors, 0 responses off the schema.

GIVEN the OpenAPI document the app serves, a seeded world and the clinician's token
WHEN schemathesis generates requests for every operation (examples and fuzzing,
     deterministic, a few examples each) — once with the generated ids and once with
     the ids of real seeded records, so that bodies and queries reach real objects
THEN no response is a 5xx, every status code is declared, and every body matches
     the declared schema for its status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from openipt.api.main import api
from openipt.api.services import api_token_create
from tests.api.seed import Seed, build_seed
from tests.world import World

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
MAX_EXAMPLES = 8


@pytest.fixture
def api_schema(db: None) -> Iterator[Any]:
    # Like Django's test client: the request must not close the test's connection
    # (it holds the transaction that the test rolls back).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
        schema.app = WSGIHandler()
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(world: World) -> tuple[Seed, str]:
    seed = build_seed(world)
    _row, token = api_token_create(actor=world.clinician, name="schemathesis")
    return seed, token


def _real_ids(seed: Seed, path: str) -> dict[str, str]:
    world = seed.world
    ids = {
        "client_id": world.client_1.public_id,
        "course_id": world.course_1.public_id,
        "measure_id": seed.measure.public_id,
        "alert_id": seed.alert.public_id,
        "appointment_id": seed.appointment.public_id,
        "group_id": seed.group.public_id,
        "patient_id": world.client_1.public_id,
        "session_id": (
            seed.group_session.public_id if "group-sessions" in path else world.session_1.public_id
        ),
    }
    return {name: str(value) for name, value in ids.items()}


def _run_operation(operation: Any, schema: Any, seed: Seed, token: str, statuses: set[int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    strategies = [operation.as_strategy(), *schema.get_strategies_from_examples(operation)]

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        statuses.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)
        if case.path_parameters:
            real = _real_ids(seed, case.path)
            case.path_parameters = {
                name: real.get(name, value) for name, value in case.path_parameters.items()
            }
            statuses.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    run()


def test_api_conforms_to_its_schema(api_schema: Any, seeded: tuple[Seed, str]) -> None:
    seed, token = seeded
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    failures: list[str] = []
    statuses: set[int] = set()
    for operation in operations:
        try:
            _run_operation(operation, api_schema, seed, token, statuses)
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert failures == [], "\n\n".join(failures)
    # The run reached real records and real refusals, not only 404s for made-up ids.
    assert {200, 404, 422} <= statuses, statuses
