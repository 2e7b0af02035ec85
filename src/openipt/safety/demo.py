"""Demo safety settings, crisis resources and a safety plan, written through the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openipt.safety.services import (
    PlanSections,
    crisis_resource_create,
    safety_plan_save,
    safety_settings_update,
)

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Client, Membership, Practice

# Invented contacts for an invented practice; the emergency numbers are the
# real UK/EU ones because a demo that shows a wrong emergency number teaches
# the wrong habit.
DEMO_CRISIS_RESOURCES = (
    ("en", "Emergency services", "Call 999 or 112", "If you are in danger now.", 0),
    (
        "en",
        "Samaritans",
        "Call 116 123 (free, day or night)",
        "Someone to talk to, any time.",
        1,
    ),
    (
        "en",
        "Riverside Clinic duty clinician",
        "+44 20 7946 0100, weekdays 9:00–17:00",
        "Ask for the duty clinician.",
        2,
    ),
    ("es", "Servicios de emergencia", "Llame al 999 o al 112", "Si está en peligro ahora.", 0),
    (
        "es",
        "Samaritans (en inglés)",
        "Llame al 116 123 (gratis, día y noche)",
        "Alguien con quien hablar, a cualquier hora.",
        1,
    ),
)
REPLY_TIME = (
    "Messages and questionnaires are read on weekdays between 9:00 and 17:00, "
    "usually the same day. Nobody reads them at night or at weekends: if you need "
    "help now, use the numbers on this page."
)


def seed_demo_safety(
    *,
    admin: User,
    practice: Practice,
    on_call: Membership,
    clinician: User,
    plan_client: Client,
) -> None:
    safety_settings_update(
        actor=admin,
        practice=practice,
        ack_deadline_hours=4,
        on_call=on_call,
        reply_time_statement=REPLY_TIME,
    )
    for language, name, contact, description, order in DEMO_CRISIS_RESOURCES:
        crisis_resource_create(
            actor=admin,
            practice=practice,
            language=language,
            name=name,
            contact=contact,
            description=description,
            order=order,
        )
    safety_plan_save(
        actor=clinician,
        client=plan_client,
        sections=PlanSections(
            warning_signs="Staying in bed past ten; cancelling climbing; not answering Sam.",
            internal_coping="A walk by the river; the playlist from the first climbing trip.",
            distraction="The climbing wall on Saturday; the café on the corner with a book.",
            people_to_ask="Sam (sibling); Alex (friend).",
            professionals="Maya Okafor at Riverside Clinic; the GP surgery; Samaritans 116 123.",
            safe_environment="Keep only a week of tablets at home; Sam keeps the rest.",
        ),
        base_version=0,
        reviewed_with_client=True,
    )
