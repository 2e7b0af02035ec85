"""Access to the portal pages (a client's own things) and the clinician's diary pages.

Portal pages show a client their own record: both clients reach their own
page (200); staff have no client record there and get 404; an id of another
client's experiment or contract is a 404 like a missing one. The diary pages
for clinicians follow the course rules: the care-team clinicians and the
practice's supervisors read; everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from openipt.courses.services.experiments import experiment_assign
from openipt.courses.services.formulation import FocusChoice, contract_propose, focus_set
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
    "diary:course": Entry(COURSE_READERS, args=_course),
    "diary:course_chart": Entry(COURSE_READERS, args=_course),
}
