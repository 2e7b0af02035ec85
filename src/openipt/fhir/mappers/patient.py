"""Patient (the client) and Organization (the practice).

Only demographics and contact details go out: access needs, notes and anything
typed as free clinical text stay behind.
"""

from __future__ import annotations

from openipt.fhir.mappers.common import Json, date, identifier, ref
from openipt.practice.models import Client, ClientStatus, Practice


def organization(practice: Practice) -> Json:
    result: Json = {
        "resourceType": "Organization",
        "id": str(practice.public_id),
        "identifier": [identifier(practice.public_id)],
        "active": True,
        "name": practice.name,
    }
    if practice.contact_phone:
        result["telecom"] = [{"system": "phone", "value": practice.contact_phone, "use": "work"}]
    return result


def patient(client: Client, *, practice_id: object) -> Json:
    names: list[Json] = [
        {"use": "official", "family": client.family_name, "given": [client.given_name]}
    ]
    if client.preferred_name:
        names.append(
            {"use": "usual", "family": client.family_name, "given": [client.preferred_name]}
        )
    telecom: list[Json] = []
    if client.email:
        telecom.append({"system": "email", "value": client.email, "use": "home"})
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone, "use": "mobile"})
    result: Json = {
        "resourceType": "Patient",
        "id": str(client.public_id),
        "identifier": [identifier(client.public_id)],
        "active": client.status == ClientStatus.ACTIVE,
        "name": names,
        "birthDate": date(client.date_of_birth),
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": client.language}]}}
        ],
        "managingOrganization": ref("Organization", practice_id),
    }
    if telecom:
        result["telecom"] = telecom
    if client.address:
        result["address"] = [{"use": "home", "text": client.address}]
    contact = _emergency_contact(client)
    if contact:
        result["contact"] = [contact]
    return result


def _emergency_contact(client: Client) -> Json | None:
    if not client.emergency_contact_name:
        return None
    contact: Json = {
        "relationship": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}
                ],
                "text": client.emergency_contact_relationship or "Emergency contact",
            }
        ],
        "name": {"text": client.emergency_contact_name},
    }
    if client.emergency_contact_phone:
        contact["telecom"] = [{"system": "phone", "value": client.emergency_contact_phone}]
    return contact
