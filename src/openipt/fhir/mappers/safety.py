"""Flag: an open (unacknowledged) risk alert. Nothing about the answers, the action
taken or who was told goes out: only that a risk item was positive and needs follow-up."""

from __future__ import annotations

from uuid import UUID

from openipt.fhir.codes import FLAG_CATEGORY, FLAG_SYSTEM
from openipt.fhir.mappers.common import Json, concept, identifier, instant, period, ref
from openipt.safety.models import RiskAlert

FLAG_TEXT = "Risk item positive: follow up"


def flag(alert: RiskAlert, *, client_id: UUID) -> Json:
    return {
        "resourceType": "Flag",
        "id": str(alert.public_id),
        "identifier": [identifier(alert.public_id)],
        "status": "active",
        "category": [concept(FLAG_CATEGORY, "clinical", "Clinical")],
        "code": concept(FLAG_SYSTEM, "risk-item-positive", FLAG_TEXT),
        "subject": ref("Patient", client_id),
        "period": period(instant(alert.raised_at), None),
    }
