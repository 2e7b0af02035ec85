"""The integration contracts of issue 7, to the letter.

GIVEN Alice's course and her clinician's token
WHEN a PHQ-9 is posted, the definition read, and the outcomes read
THEN the bodies have exactly the promised keys, a positive item 9 raises an
     alert whose id is returned, and bad answers give 422 with one message per linkId.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from openipt.api.main import api
from openipt.measures.engine import definition_to_json, shipped
from openipt.measures.models import AdministrationMode, MeasureAdministration
from openipt.safety.models import RiskAlert
from tests.api.conftest import Api
from tests.world import World

CREATED_KEYS = {"id", "instrument", "total", "severity", "risk_items", "alert_id"}
OUTCOME_KEYS = {
    "baseline",
    "latest",
    "change",
    "response",
    "remission",
    "reliable_improvement",
    "reliable_deterioration",
    "recovery",
    "on_track",
}


def phq9(item_value: int, item9: int = 0) -> dict[str, int]:
    return {f"phq9-{n}": item_value for n in range(1, 9)} | {"phq9-9": item9}


def _when(days_ago: int) -> str:
    return (timezone.now() - datetime.timedelta(days=days_ago)).isoformat()


def test_submit_phq9_returns_exactly_the_promised_body(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    response = api.post(
        f"/courses/{world.course_1.public_id}/measures",
        {"instrument": "phq9", "answers": phq9(2), "administered_at": _when(1)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CREATED_KEYS
    assert body["instrument"] == "phq9"
    assert body["total"] == 16
    assert body["severity"] == "moderately_severe"
    assert body["risk_items"] == []
    assert body["alert_id"] is None
    stored = MeasureAdministration.objects.get(public_id=body["id"])
    assert stored.mode == AdministrationMode.API
    assert stored.entered_by == world.clinician


def test_positive_item_9_raises_an_alert_and_returns_its_id(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    response = api.post(
        f"/courses/{world.course_1.public_id}/measures",
        {"instrument": "phq9", "answers": phq9(1, item9=2), "administered_at": _when(0)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["risk_items"] == ["phq9-9"]
    alert = RiskAlert.objects.get(public_id=body["alert_id"])
    assert alert.client == world.client_1
    assert (
        alert.source_public_id == MeasureAdministration.objects.get(public_id=body["id"]).public_id
    )


def test_invalid_answers_give_422_with_a_message_per_link_id(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    answers: dict[str, object] = {**phq9(1), "phq9-3": 7, "phq9-nope": 1}
    del answers["phq9-9"]
    response = api.post(
        f"/courses/{world.course_1.public_id}/measures",
        {"instrument": "phq9", "answers": answers, "administered_at": _when(0)},
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert set(body["errors"]) >= {"phq9-3", "phq9-9", "phq9-nope"}
    assert "out of range" in body["errors"]["phq9-3"]
    assert MeasureAdministration.objects.count() == 0


def test_malformed_body_gets_the_same_error_shape(world: World, api_as: Callable[..., Api]) -> None:
    api: Api = api_as(world.clinician)
    response = api.post(
        f"/courses/{world.course_1.public_id}/measures",
        {"instrument": "phq9", "answers": {"phq9-1": True}, "administered_at": "yesterday"},
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert "administered_at" in body["errors"]
    assert any(key.startswith("answers") for key in body["errors"])


def test_unknown_instrument_and_future_date_are_field_errors(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    url = f"/courses/{world.course_1.public_id}/measures"
    unknown = api.post(url, {"instrument": "nope", "answers": {}, "administered_at": _when(0)})
    assert unknown.status_code == 422
    assert set(unknown.json()["errors"]) == {"instrument"}
    future = api.post(url, {"instrument": "phq9", "answers": phq9(0), "administered_at": _when(-2)})
    assert future.status_code == 422
    assert set(future.json()["errors"]) == {"administered_at"}


def test_idempotency_key_stores_one_questionnaire(world: World, api_as: Callable[..., Api]) -> None:
    api: Api = api_as(world.clinician)
    body = {"instrument": "phq9", "answers": phq9(1), "administered_at": _when(0)}
    url = f"/courses/{world.course_1.public_id}/measures"
    first = api.post(url, body, **{"Idempotency-Key": "tablet-42"})
    second = api.post(url, body, **{"Idempotency-Key": "tablet-42"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert MeasureAdministration.objects.count() == 1


def test_instrument_definition_is_the_shipped_json(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    response = api.get("/instruments/phq9")
    assert response.status_code == 200
    assert response.json() == definition_to_json(shipped("phq9"))
    link_ids = [item["linkId"] for item in response.json()["item"]]
    assert "phq9-9" in link_ids
    assert api.get("/instruments/nope").status_code == 404


def test_outcomes_per_instrument_have_exactly_the_promised_keys(
    world: World, api_as: Callable[..., Api]
) -> None:
    api: Api = api_as(world.clinician)
    url = f"/courses/{world.course_1.public_id}"
    assert api.get(url + "/outcomes").json() == {}
    for days_ago, value in ((20, 2), (1, 0)):
        response = api.post(
            url + "/measures",
            {"instrument": "phq9", "answers": phq9(value), "administered_at": _when(days_ago)},
        )
        assert response.status_code == 201
    response = api.get(url + "/outcomes")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"phq9"}
    outcome = body["phq9"]
    assert set(outcome) == OUTCOME_KEYS
    assert outcome["baseline"] == 16
    assert outcome["latest"] == 0
    assert outcome["change"] == -16
    assert outcome["response"] is True
    assert outcome["remission"] is True
    assert outcome["reliable_improvement"] is True
    assert outcome["reliable_deterioration"] is False
    assert outcome["recovery"] is True


def test_every_operation_declares_the_errors_it_can_give() -> None:
    """No token is a 401 everywhere; a body can always be unreadable or invalid (422);
    an operation on one record (an id in its path) can always be outside reach (404)."""
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = {str(code) for code in operation["responses"]}
            where = f"{method.upper()} {path}"
            assert "401" in declared, where
            if "requestBody" in operation:
                assert "422" in declared, where
            if "{" in path:
                assert "404" in declared, where


def test_a_body_that_is_not_json_is_a_declared_422(
    world: World, api_as: Callable[..., Api]
) -> None:
    client = api_as(world.clinician)
    response = client.http.post(
        f"/api/v1/courses/{world.course_1.public_id}/measures",
        data="{'instrument': phq9",
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"body": "Send a JSON object."}
