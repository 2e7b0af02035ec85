"""Practitioner and PractitionerRole (staff), CareTeam (the client's care team)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from openipt.fhir.codes import CARE_TEAM_ROLE_SYSTEM, STAFF_ROLE_SYSTEM, derived_id
from openipt.fhir.mappers.common import Json, concept, identifier, ref
from openipt.practice.models import CareTeamRole, Role

ROLE_LABELS = dict(Role.choices)
CARE_TEAM_ROLE_LABELS = dict(CareTeamRole.choices)


@dataclass(frozen=True)
class TeamMember:
    user_id: UUID
    role: str


def practitioner(*, user_id: UUID, full_name: str) -> Json:
    # The name only: staff e-mail addresses are sign-in identifiers, not contact points.
    result: Json = {
        "resourceType": "Practitioner",
        "id": str(user_id),
        "identifier": [identifier(user_id)],
        "active": True,
    }
    if full_name:
        result["name"] = [{"text": full_name}]
    return result


def practitioner_role(
    *, membership_id: UUID, user_id: UUID, practice_id: UUID, role: str, active: bool
) -> Json:
    return {
        "resourceType": "PractitionerRole",
        "id": str(membership_id),
        "identifier": [identifier(membership_id)],
        "active": active,
        "practitioner": ref("Practitioner", user_id),
        "organization": ref("Organization", practice_id),
        "code": [concept(STAFF_ROLE_SYSTEM, role, ROLE_LABELS.get(role, role))],
    }


def care_team_id(client_id: UUID) -> str:
    return derived_id("care-team", client_id)


def care_team(*, client_id: UUID, practice_id: UUID, members: Sequence[TeamMember]) -> Json:
    return {
        "resourceType": "CareTeam",
        "id": care_team_id(client_id),
        "status": "active",
        "name": "Care team",
        "subject": ref("Patient", client_id),
        "participant": [
            {
                "role": [
                    concept(
                        CARE_TEAM_ROLE_SYSTEM,
                        member.role,
                        CARE_TEAM_ROLE_LABELS.get(member.role, member.role),
                    )
                ],
                "member": ref("Practitioner", member.user_id),
            }
            for member in members
        ],
        "managingOrganization": [ref("Organization", practice_id)],
    }
