"""The formulation and treatment-contract letter, addressed to the client.

It says exactly what the client's own plan page in the portal says, read
through the same selector (`plan_for_client`): the latest formulation, the
current focus in the client's words, the goals and the latest contract with
its agreement date. The contract's working notes and everything written for
the clinical team stay out, as they do in the portal.
"""

from __future__ import annotations

from typing import Any

from openipt.courses.models import Course
from openipt.courses.selectors.client_portal import plan_for_client
from openipt.portal.progress import focus_phrase
from openipt.reports.pdf.common import base_context

HOW_OFTEN = {
    "weekly": "every week",
    "fortnightly": "every two weeks",
    "monthly": "every month",
}


def letter_context(course: Course) -> dict[str, Any]:
    client = course.client
    plan = plan_for_client(client=client, course=course)
    contract = plan.contract
    return {
        **base_context(course, title="Our plan together"),
        "salutation": client.preferred_name or client.given_name,
        "plan": plan,
        "focus": [focus_phrase(f) for f in plan.focus],
        "how_often": HOW_OFTEN.get(contract.frequency, contract.frequency) if contract else "",
    }
