"""Access to the portal pages (a client's own things) and the clinician's diary pages.

Portal pages show a client their own record: both clients reach their own
page (200); staff have no client record there and get 404; an id of another
client's experiment or contract is a 404 like a missing one. The diary pages
for clinicians follow the course rules: the care-team clinicians and the
practice's supervisors read; everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from openipt.courses.services.experiments import experiment_assign
from openipt.courses.services.formulation import FocusChoice, contract_propose, focus_set
from openipt.measures.models import MeasureAdministration
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World

OWN_PAGE = outcomes(404, client=200, client_b=200)
COURSE_READERS = outcomes(404, clinician=200, supervisor=200)


def _experiment(world: World) -> dict[str, Any]:
    experiment = experiment_assign(
        actor=world.clinician, session=world.session_1, description="Call a friend."
    )
    return {"public_id": experiment.public_id}


def _contract(world: World) -> dict[str, Any]:
    focus_set(
        actor=world.clinician, course=world.course_1, choices=[FocusChoice(area="role_transition")]
    )
    contract = contract_propose(
        actor=world.clinician,
        course=world.course_1,
        sessions=16,
        frequency="weekly",
        session_minutes=50,
    )
    return {"public_id": contract.public_id}


def _course(world: World) -> dict[str, Any]:
    return {"public_id": world.course_1.public_id}


def _own_score_chart(world: World) -> dict[str, Any]:
    """Practice A lets clients see their scores, and Alice has one PHQ-9 in course 1."""
    world.practice_a.clients_see_own_scores = True
    world.practice_a.save(update_fields=["clients_see_own_scores"])
    MeasureAdministration.objects.create(
        course=world.course_1,
        client=world.client_1,
        practice=world.practice_a,
        instrument_code="phq9",
        instrument_version="1.0",
        answers={},
        total=8,
        band_code="mild",
        administered_at=timezone.now(),
        mode="portal",
        entered_by=world.client_user_1,
    )
    return {"instrument_code": "phq9"}


ENTRIES: dict[str, Entry] = {
    "portal:plan": Entry(OWN_PAGE),
    "portal:contract_agree": Entry(outcomes(404, client=REDIRECT), method="POST", args=_contract),
    "portal:experiments": Entry(OWN_PAGE),
    "portal:experiment": Entry(outcomes(404, client=200), args=_experiment),
    "portal:diary": Entry(OWN_PAGE),
    "portal:data": Entry(OWN_PAGE),
    "portal:data_json": Entry(OWN_PAGE),
    "portal:data_copy": Entry(OWN_PAGE),
    "portal:access_log": Entry(OWN_PAGE),
    # Client B's practice does not allow it and client B has no course: 404.
    "portal:score_chart": Entry(outcomes(404, client=200), args=_own_score_chart),
    "diary:course": Entry(COURSE_READERS, args=_course),
    "diary:course_chart": Entry(COURSE_READERS, args=_course),
}
