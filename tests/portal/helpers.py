"""A course with a plan, experiments and a process note, for the portal tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.test import Client as HttpClient

from openipt.accounts.models import User
from openipt.courses.models import Contract, Experiment, ProcessNote
from openipt.courses.services.experiments import experiment_assign
from openipt.courses.services.formulation import (
    FocusChoice,
    contract_propose,
    focus_set,
    formulation_save,
    goal_add,
)
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]

PROCESS_NOTE_TEXT = "PROCESS-NOTE-CANARY: I noticed my own impatience today."
FORMULATION_V1 = "Old wording of the formulation."
FORMULATION_V2 = "Since the move, you have felt cut off from Sam and your friends."


@dataclass
class Plan:
    contract: Contract
    experiment: Experiment


def build_plan(world: World) -> Plan:
    """Alice's course: formulation (two versions), focus on a dispute with Sam, a goal,
    a proposed (unagreed) contract, an experiment with Sam, and a process note."""
    course = world.course_1
    formulation_save(actor=world.clinician, course=course, text=FORMULATION_V1)
    formulation_save(actor=world.clinician, course=course, text=FORMULATION_V2)
    focus_set(
        actor=world.clinician,
        course=course,
        choices=[FocusChoice(area="role_dispute", dispute_person=world.person_1)],
    )
    goal_add(actor=world.clinician, course=course, text="Talk with Sam about the chores.")
    contract = contract_propose(
        actor=world.clinician, course=course, sessions=16, frequency="weekly", session_minutes=50
    )
    experiment = experiment_assign(
        actor=world.clinician,
        session=world.session_1,
        description="Ask Sam for ten minutes to talk about the weekend.",
        person=world.person_1,
    )
    ProcessNote.objects.create(
        session=world.session_1, text=PROCESS_NOTE_TEXT, author=world.clinician
    )
    return Plan(contract=contract, experiment=experiment)
