"""Access to the JSON API's URL patterns and the API token settings pages.

The matrix signs people in with a browser session; the API accepts only a
personal access token, so every API operation answers 401 to every role here.
What each role may do *with a token* is tested operation by operation in
tests/api/test_api_access.py. The OpenAPI document and the docs page hold no
data and are public. The token pages are for staff (clients: 403); a token
can only be revoked by its owner (anyone else: 404, as for a missing id).
"""

from __future__ import annotations

import uuid
from typing import Any

from openipt.api.services import api_token_create
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World

API = outcomes(401, anonymous=401)
PUBLIC = outcomes(200, anonymous=200)
ANY_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _id(name: str) -> Any:
    return lambda _world: {name: ANY_ID}


def _course(world: World) -> dict[str, Any]:
    return {"course_id": world.course_1.public_id}


def _clinician_token(world: World) -> dict[str, Any]:
    token, _secret = api_token_create(actor=world.clinician, name="Matrix")
    return {"public_id": token.public_id}


ENTRIES: dict[str, Entry] = {
    "api:openapi-json": Entry(PUBLIC),
    "api:openapi-view": Entry(PUBLIC),
    # The API's root path has no operation of its own.
    "api:api-root": Entry(outcomes(404, anonymous=404)),
    "api:client_list": Entry(API),
    "api:client_get": Entry(API, args=lambda w: {"client_id": w.client_1.public_id}),
    "api:course_list": Entry(API),
    "api:course_get": Entry(API, args=_course),
    "api:course_session_list": Entry(API, args=_course),
    "api:session_get": Entry(API, args=lambda w: {"session_id": w.session_1.public_id}),
    "api:course_inventory_list": Entry(API, args=_course),
    "api:course_focus_list": Entry(API, args=_course),
    "api:course_goal_list": Entry(API, args=_course),
    "api:course_measure_create": Entry(API, method="POST", args=_course),
    "api:course_measure_list": Entry(API, args=_course),
    "api:measure_get": Entry(API, args=_id("measure_id")),
    "api:course_outcomes": Entry(API, args=_course),
    "api:instrument_list": Entry(API),
    "api:instrument_get": Entry(API, args=lambda w: {"code": "phq9"}),
    "api:alert_list": Entry(API),
    "api:alert_get": Entry(API, args=_id("alert_id")),
    "api:alert_acknowledge": Entry(API, method="POST", args=_id("alert_id")),
    "api:appointment_list": Entry(API),
    "api:appointment_get": Entry(API, args=_id("appointment_id")),
    "api:group_list": Entry(API),
    "api:group_get": Entry(API, args=_id("group_id")),
    "api:group_session_list": Entry(API, args=_id("group_id")),
    "api:group_session_get": Entry(API, args=_id("session_id")),
    "api:fhir_patient_everything": Entry(API, args=lambda w: {"patient_id": w.client_1.public_id}),
    # --- the settings page -------------------------------------------------------------
    "tokens:list": Entry(outcomes(200, client=403, client_b=403)),
    "tokens:revoke": Entry(
        outcomes(404, clinician=REDIRECT, client=403, client_b=403),
        method="POST",
        args=_clinician_token,
    ),
}
