"""FHIR R4 read endpoints under /api/v1/fhir/ (mounted by openipt.api.main).

`GET Patient/{id}/$everything` answers with a searchset Bundle of everything the
token's owner may see about that client, as `application/fhir+json`. A client
outside the owner's reach is a 404 exactly like a missing one; the bundle is
audited as an export (the token's call itself is audited by TokenAuth).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from openipt.api.auth import TokenAuth
from openipt.api.errors import errors
from openipt.fhir.bundle import everything_bundle
from openipt.practice.selectors import client_get_for_actor

router = Router(tags=["FHIR"])

FHIR_JSON = "application/fhir+json"

_BUNDLE_RESPONSE: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "A FHIR R4 searchset Bundle (see docs/fhir.md).",
            "content": {
                FHIR_JSON: {
                    "schema": {
                        "type": "object",
                        "required": ["resourceType", "type", "entry"],
                        "properties": {
                            "resourceType": {"type": "string", "enum": ["Bundle"]},
                            "type": {"type": "string", "enum": ["searchset"]},
                            "entry": {"type": "array", "items": {"type": "object"}},
                        },
                    }
                }
            },
        }
    }
}


@router.get(
    "/Patient/{patient_id}/$everything",
    auth=TokenAuth(),
    response=errors(404, 422),
    openapi_extra=_BUNDLE_RESPONSE,
    url_name="fhir_patient_everything",
    summary="Everything about one patient, as a FHIR Bundle",
)
def patient_everything(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    actor: Any = request.user
    client = client_get_for_actor(actor=actor, public_id=patient_id)
    base = request.build_absolute_uri(request.path.split("Patient/", 1)[0])
    bundle = everything_bundle(
        actor=actor, client=client, base_url=base, self_url=request.build_absolute_uri()
    )
    return HttpResponse(
        json.dumps(bundle, ensure_ascii=False, separators=(",", ":")),
        content_type=FHIR_JSON,
    )
