"""A small seeded world for the API tests: one of each resource, reachable by the clinician
(clinical records) or the facilitator (groups), and nothing of it by practice B."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from openipt.appointments.models import Appointment
from openipt.courses.models import FocusArea, Goal
from openipt.groups.models import Group, GroupSession
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_submit
from openipt.safety.models import RiskAlert
from tests.access.appointments_table import _book
from tests.groups.world import build_group_world
from tests.world import World


@dataclass
class Seed:
    world: World
    measure: MeasureAdministration
    alert: RiskAlert
    appointment: Appointment
    focus: FocusArea
    goal: Goal
    group: Group
    group_session: GroupSession


def build_seed(world: World) -> Seed:
    answers = {f"phq9-{n}": 2 for n in range(1, 9)} | {"phq9-9": 1}
    measure = measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="phq9",
        answers=answers,
        administered_at=timezone.now() - datetime.timedelta(days=2),
    )
    alert = RiskAlert.objects.get(source_public_id=measure.public_id)
    focus = FocusArea.objects.create(
        course=world.course_1, area="role_transition", chosen_by=world.clinician
    )
    goal = Goal.objects.create(
        course=world.course_1, focus_area=focus, text="Feel settled in the new job", position=1
    )
    groups = build_group_world(world)
    group_session = GroupSession.objects.create(
        group=groups.group,
        number=1,
        held_on=datetime.date(2026, 10, 6),
        recorded_by=world.facilitator,
    )
    return Seed(
        world=world,
        measure=measure,
        alert=alert,
        appointment=_book(world),
        focus=focus,
        goal=goal,
        group=groups.group,
        group_session=group_session,
    )
