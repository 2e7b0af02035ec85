"""GET /api/v1/fhir/Patient/{id}/$everything: content, codes, references, privacy, access."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from openipt.accounts.models import User
from openipt.api.services import api_token_create
from openipt.audit.models import AuditAction, AuditEvent
from openipt.fhir.codes import LOINC, PROBLEM_AREA_SYSTEM
from openipt.fhir.mappers.safety import FLAG_TEXT
from tests.fhir.support import (
    FORMULATION_TEXT,
    GOAL_TEXT,
    SECRETS,
    Json,
    Records,
    check_status,
    codes,
    of_type,
    unresolved,
    validate,
)
from tests.world import World

pytestmark = pytest.mark.django_db


def url(client_id: object) -> str:
    return reverse("api:fhir_patient_everything", kwargs={"patient_id": client_id})


def token_for(user: User) -> str:
    _, token = api_token_create(actor=user, name="fhir test")
    return token


def get(user: User | None, client_id: object) -> Any:
    headers = {"Authorization": f"Bearer {token_for(user)}"} if user else {}
    return HttpClient().get(url(client_id), headers=headers)


def everything(world: World, user: User | None = None) -> tuple[Json, list[Json]]:
    response = get(user or world.clinician, world.client_1.public_id)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    bundle = json.loads(response.content)
    return bundle, [entry["resource"] for entry in bundle["entry"]]


def test_bundle_and_every_resource_validate_as_fhir_r4b(world: World, records: Records) -> None:
    bundle, resources = everything(world)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset"
    kinds = {r["resourceType"] for r in resources}
    assert kinds >= {
        "Organization",
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "CareTeam",
        "EpisodeOfCare",
        "Encounter",
        "Condition",
        "CarePlan",
        "Goal",
        "QuestionnaireResponse",
        "Observation",
        "Questionnaire",
        "Flag",
    }
    for resource in resources:
        validate(resource)
        check_status(resource)


def test_every_reference_resolves_inside_the_bundle(world: World, records: Records) -> None:
    bundle, resources = everything(world)
    assert unresolved(resources) == []
    # fullUrl ends in Type/id, so relative references resolve against the entries.
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(f"/fhir/{resource['resourceType']}/{resource['id']}")
    ids = [f"{r['resourceType']}/{r['id']}" for r in resources]
    assert len(ids) == len(set(ids))


def test_no_typed_clinical_note_leaves(world: World, records: Records) -> None:
    response = get(world.clinician, world.client_1.public_id)
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text
    # The client-facing texts do go out (so the check above is not vacuous).
    assert GOAL_TEXT in text
    assert FORMULATION_TEXT in text


def test_totals_carry_loinc_and_derive_from_their_response(world: World, records: Records) -> None:
    _, resources = everything(world)
    responses = {r["id"]: r for r in of_type(resources, "QuestionnaireResponse")}
    totals = {r["id"]: r for r in of_type(resources, "Observation") if "valueInteger" in r}
    phq9 = totals[str(records.phq9.public_id)]
    assert (LOINC, "44261-6") in set(codes(phq9["code"]))
    assert phq9["valueInteger"] == records.phq9.total == 11
    gad7 = totals[str(records.gad7.public_id)]
    assert (LOINC, "70274-6") in set(codes(gad7["code"]))
    for observation in of_type(resources, "Observation"):
        assert observation["status"] == "final"
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert "effectiveDateTime" in observation
        (source,) = observation["derivedFrom"]
        qr_id = source["reference"].removeprefix("QuestionnaireResponse/")
        assert qr_id in responses
    # One item observation per answered item, the PHQ-9's with their LOINC item codes.
    items = [o for o in of_type(resources, "Observation") if "valueCodeableConcept" in o]
    phq9_items = [
        o for o in items if o["derivedFrom"][0]["reference"].endswith(str(records.phq9.public_id))
    ]
    assert len(phq9_items) == 10  # nine items and the difficulty question
    first = next(o for o in phq9_items if (LOINC, "44250-9") in set(codes(o["code"])))
    assert first["valueCodeableConcept"]["coding"][0] == {
        "system": LOINC,
        "code": "LA6570-1",
        "display": "More than half the days",
    }


def test_questionnaire_response_answers_by_link_id(world: World, records: Records) -> None:
    _, resources = everything(world)
    qr = next(
        r
        for r in resources
        if r["id"] == str(records.phq9.public_id) and r["resourceType"] == "QuestionnaireResponse"
    )
    answers = {i["linkId"]: i["answer"][0]["valueCoding"]["code"] for i in qr["item"]}
    assert answers["phq9-1"] == "LA6570-1"
    assert answers["phq9-9"] == "LA6569-3"
    assert qr["status"] == "completed"
    assert qr["questionnaire"] == "https://openipt.org/fhir/Questionnaire/phq9|1.0"
    assert qr["encounter"] == {"reference": f"Encounter/{world.session_1.public_id}"}


def test_problem_areas_are_conditions_in_our_code_system(world: World, records: Records) -> None:
    _, resources = everything(world)
    conditions = {r["id"]: r for r in of_type(resources, "Condition")}
    current = conditions[str(records.focus.public_id)]
    assert current["code"]["coding"][0]["system"] == PROBLEM_AREA_SYSTEM
    assert current["code"]["coding"][0]["code"] == "role_dispute"
    assert current["clinicalStatus"]["coding"][0]["code"] == "active"
    ended = conditions[str(records.ended_focus.public_id)]
    assert ended["clinicalStatus"]["coding"][0]["code"] == "inactive"
    (episode,) = of_type(resources, "EpisodeOfCare")
    assert episode["status"] == "active"
    assert episode["type"][0]["coding"][0]["code"] == "ipt16"
    assert episode["diagnosis"] == [
        {"condition": {"reference": f"Condition/{records.focus.public_id}"}, "rank": 1}
    ]


def test_sessions_goals_and_flag(world: World, records: Records) -> None:
    _, resources = everything(world)
    encounters = {r["id"]: r for r in of_type(resources, "Encounter")}
    held = encounters[str(world.session_1.public_id)]
    assert held["status"] == "finished"
    assert held["extension"][0] == {
        "url": "https://openipt.org/fhir/StructureDefinition/session-number",
        "valuePositiveInt": 1,
    }
    assert held["episodeOfCare"] == [{"reference": f"EpisodeOfCare/{world.course_1.public_id}"}]
    assert encounters[str(records.no_show.public_id)]["status"] == "cancelled"
    (goal,) = of_type(resources, "Goal")
    assert goal["achievementStatus"]["coding"][0]["code"] == "improving"  # rated 3, then 7
    (plan,) = of_type(resources, "CarePlan")
    assert plan["status"] == "active"
    assert plan["goal"] == [{"reference": f"Goal/{records.goal.public_id}"}]
    (flag,) = of_type(resources, "Flag")
    assert flag["code"]["text"] == FLAG_TEXT
    assert set(flag) == {
        "resourceType",
        "id",
        "identifier",
        "status",
        "category",
        "code",
        "subject",
        "period",
    }


def test_the_export_is_audited_with_resource_types_only(world: World, records: Records) -> None:
    everything(world)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == world.clinician
    assert event.subject_client_public_id == world.client_1.public_id
    assert event.object_type == "fhir_patient_everything"
    assert "Patient" in event.changed_fields


@pytest.mark.parametrize("role", ["clinician", "supervisor"])
def test_the_care_team_and_supervisors_get_the_bundle(
    world: World, records: Records, role: str
) -> None:
    user = world.users_by_role_name()[role]
    _, resources = everything(world, user)
    assert of_type(resources, "EpisodeOfCare")


def test_an_admin_gets_the_record_but_no_course_content(world: World, records: Records) -> None:
    _, resources = everything(world, world.admin)
    assert of_type(resources, "Patient")
    assert not of_type(resources, "EpisodeOfCare")
    assert not of_type(resources, "Observation")
    assert unresolved(resources) == []


@pytest.mark.parametrize("role", ["colleague", "facilitator", "clinician_b", "programme_manager"])
def test_outsiders_get_404(world: World, records: Records, role: str) -> None:
    user = world.users_by_role_name()[role]
    response = get(user, world.client_1.public_id)
    assert response.status_code == 404
    assert world.client_1.family_name not in response.content.decode()


def test_a_missing_id_is_the_same_404(world: World) -> None:
    assert get(world.clinician, uuid.uuid4()).status_code == 404


def test_anonymous_and_session_only_callers_get_401(world: World, records: Records) -> None:
    assert get(None, world.client_1.public_id).status_code == 401
    # A signed-in browser session is not a token: the client's own portal session too.
    for user in (world.client_user_1, world.clinician):
        http = HttpClient()
        http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
        assert http.get(url(world.client_1.public_id)).status_code == 401


def test_a_malformed_id_is_refused_without_a_server_error(world: World) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.clinician)}"}
    response = HttpClient().get("/api/v1/fhir/Patient/not-a-uuid/$everything", headers=headers)
    assert response.status_code in {404, 422}
