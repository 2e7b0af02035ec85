"""Access to the safety pages.

Alerts: the care-team clinicians and every supervisor of the practice see and
acknowledge them (the on-call person too, when named); everyone else gets the
same 404 as for a missing alert. Safety plans: care team writes, supervisor
reads; the client reads their own. The crisis page is open to every signed-in
person, at any time. Safety settings and crisis resources: practice admins.
"""

from __future__ import annotations

import uuid
from typing import Any

from openipt.safety.services import crisis_resource_create, risk_alert_raise
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World


def _alert(world: World) -> dict[str, Any]:
    alert = risk_alert_raise(
        practice=world.practice_a,
        client=world.client_1,
        course=world.course_1,
        source_type="measure_administration",
        source_public_id=uuid.uuid4(),
        instrument_code="phq9",
        risk_link_ids=["phq9-9"],
        raised_by=world.clinician,
    )
    return {"public_id": alert.public_id}


def _resource(world: World) -> dict[str, Any]:
    resource = crisis_resource_create(
        actor=world.admin,
        practice=world.practice_a,
        language="en",
        name="Night line",
        contact="Call 116 123",
    )
    return {"public_id": resource.public_id}


def _client_1(world: World) -> dict[str, Any]:
    return {"client_id": world.client_1.public_id}


ADMIN_ONLY = outcomes(403, admin=200)

ENTRIES: dict[str, Entry] = {
    # Clinicians and supervisors have a queue (empty for those who see no alert).
    "safety:alerts": Entry(
        outcomes(403, clinician=200, colleague=200, supervisor=200, clinician_b=200)
    ),
    "safety:alert_detail": Entry(outcomes(404, clinician=200, supervisor=200), args=_alert),
    "safety:alert_acknowledge": Entry(
        outcomes(404, clinician=REDIRECT, supervisor=REDIRECT),
        method="POST",
        args=_alert,
        data=lambda w: {"action": "contacted_client", "note": ""},
    ),
    "safety:plan": Entry(outcomes(404, clinician=200, supervisor=200), args=_client_1),
    "safety:plan_edit": Entry(outcomes(404, clinician=200, supervisor=403), args=_client_1),
    "safety:my_plan": Entry(outcomes(404, client=200, client_b=200)),
    "safety:crisis": Entry(outcomes(200)),
    "safety:settings": Entry(ADMIN_ONLY),
    "safety:crisis_resources": Entry(ADMIN_ONLY),
    "safety:crisis_resource_edit": Entry(ADMIN_ONLY, args=_resource),
    "safety:crisis_resource_remove": Entry(
        outcomes(403, admin=REDIRECT), method="POST", args=_resource
    ),
}
