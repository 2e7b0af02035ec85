"""A group programme on top of the shared fixture world.

Practice A of the shared world is a site of the "Community Group IPT"
programme (WHO model: 8 group sessions, 1 / 2–7 / 8, PHQ-9 ≥ 10, groups of up
to 8). Fay (the world's facilitator) leads the running group "Tuesday group"
with three members; Finn, a second facilitator at A, leads "Thursday group"
with one member. Sam (the world's supervisor) supervises Fay; Sue, a second
supervisor at A, supervises Finn. Wendy waits for a group (screened by Fay).

Rows are written directly here (a fixture, not a journey); the services are
tested on their own.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from openipt.accounts.models import User
from openipt.groups.models import (
    Gender,
    Group,
    GroupMember,
    GroupStatus,
    MemberStatus,
    Programme,
    ProgrammeSite,
    Screening,
    ScreeningOutcome,
    SupervisionAssignment,
)
from openipt.practice.models import Client, Practice, Role
from tests.factories import ClientFactory
from tests.world import World, _staff

PHQ9_LINK_IDS = [f"phq9-{n}" for n in range(1, 10)]


def phq9_answers(*values: int) -> dict[str, int]:
    """PHQ-9 answers by linkId from nine item values (0–3)."""
    assert len(values) == 9
    return dict(zip(PHQ9_LINK_IDS, values, strict=True))


@dataclass
class GroupWorld:
    world: World
    programme: Programme
    facilitator: User  # Fay, the world's facilitator
    facilitator_2: User  # Finn
    supervisor: User  # Sam, supervises Fay
    supervisor_2: User  # Sue, supervises Finn
    group: Group  # Fay's running group
    group_2: Group  # Finn's running group
    members: list[GroupMember]  # in Fay's group
    member_2: GroupMember  # in Finn's group
    waiting: GroupMember  # screened by Fay, not placed


def make_member(
    *,
    programme: Programme,
    practice: Practice,
    facilitator: User,
    given: str,
    family: str,
    group: Group | None,
    gender: str = Gender.WOMAN,
    total: int = 14,
) -> GroupMember:
    client: Client = ClientFactory.create(practice=practice, given_name=given, family_name=family)
    screening = Screening.objects.create(
        programme=programme,
        practice=practice,
        client=client,
        screened_by=facilitator,
        screened_at=timezone.now() - datetime.timedelta(days=30),
        gender=gender,
        phq9_answers=phq9_answers(2, 2, 2, 2, 2, 2, 1, 1, 0),
        phq9_total=total,
        phq9_band="moderate",
        outcome=ScreeningOutcome.ELIGIBLE,
    )
    return GroupMember.objects.create(
        programme=programme,
        practice=practice,
        client=client,
        screening=screening,
        facilitator=facilitator,
        group=group,
        gender=gender,
        status=MemberStatus.ENROLLED if group else MemberStatus.WAITING,
        problem_area="role_dispute" if group else "",
        enrolled_at=timezone.now() - datetime.timedelta(days=20) if group else None,
    )


def _group(programme: Programme, practice: Practice, facilitator: User, name: str) -> Group:
    return Group.objects.create(
        programme=programme,
        practice=practice,
        facilitator=facilitator,
        name=name,
        planned_sessions=programme.group_sessions,
        initial_last=programme.initial_last,
        middle_last=programme.middle_last,
        max_size=programme.max_group_size,
        status=GroupStatus.RUNNING,
        started_on=datetime.date(2026, 10, 6),
    )


def build_group_world(world: World) -> GroupWorld:
    practice = world.practice_a
    programme = Programme.objects.create(
        organisation=world.organisation,
        name="Community Group IPT",
        variant_code="group_who",
        group_sessions=8,
        initial_last=1,
        middle_last=7,
        min_phq9=10,
        max_group_size=8,
    )
    ProgrammeSite.objects.create(programme=programme, practice=practice)
    facilitator_2 = _staff(practice, Role.FACILITATOR, "Finn Facilitator")
    supervisor_2 = _staff(practice, Role.SUPERVISOR, "Sue Supervisor")
    SupervisionAssignment.objects.create(
        practice=practice, supervisor=world.supervisor, facilitator=world.facilitator
    )
    SupervisionAssignment.objects.create(
        practice=practice, supervisor=supervisor_2, facilitator=facilitator_2
    )
    group = _group(programme, practice, world.facilitator, "Tuesday group")
    group_2 = _group(programme, practice, facilitator_2, "Thursday group")
    members = [
        make_member(
            programme=programme,
            practice=practice,
            facilitator=world.facilitator,
            given=given,
            family=family,
            group=group,
        )
        for given, family in (("Grace", "Okafor"), ("Hana", "Mensah"), ("Ivy", "Tembo"))
    ]
    member_2 = make_member(
        programme=programme,
        practice=practice,
        facilitator=facilitator_2,
        given="Joy",
        family="Banda",
        group=group_2,
    )
    waiting = make_member(
        programme=programme,
        practice=practice,
        facilitator=world.facilitator,
        given="Wendy",
        family="Phiri",
        group=None,
    )
    return GroupWorld(
        world=world,
        programme=programme,
        facilitator=world.facilitator,
        facilitator_2=facilitator_2,
        supervisor=world.supervisor,
        supervisor_2=supervisor_2,
        group=group,
        group_2=group_2,
        members=members,
        member_2=member_2,
        waiting=waiting,
    )
