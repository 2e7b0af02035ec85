"""Who sees which group, member and session (the selectors every page uses)."""

from __future__ import annotations

import pytest
from django.http import Http404

from openipt.groups.models import SupervisionAssignment
from openipt.groups.selectors.access import (
    can_run_group,
    can_write_member,
    group_get_for_actor,
    groups_visible_to,
    member_get_for_actor,
    members_visible_to,
)
from openipt.practice.models import CareTeamMember, CareTeamRole
from openipt.practice.selectors import clients_visible_to
from tests.groups.world import GroupWorld


def test_facilitator_sees_only_their_own_groups_and_members(group_world: GroupWorld) -> None:
    """GIVEN two facilitators at one site WHEN Fay lists groups and members
    THEN she sees her group, her members and the person she screened, nothing of Finn's."""
    gw = group_world
    assert list(groups_visible_to(actor=gw.facilitator)) == [gw.group]
    visible = set(members_visible_to(actor=gw.facilitator))
    assert visible == {*gw.members, gw.waiting}
    with pytest.raises(Http404):
        group_get_for_actor(actor=gw.facilitator, public_id=gw.group_2.public_id)
    with pytest.raises(Http404):
        member_get_for_actor(actor=gw.facilitator, public_id=gw.member_2.public_id)


def test_supervisor_sees_only_the_groups_of_facilitators_they_supervise(
    group_world: GroupWorld,
) -> None:
    """GIVEN Sam supervises Fay and Sue supervises Finn WHEN each lists groups
    THEN each sees only their own facilitator's group and members."""
    gw = group_world
    assert list(groups_visible_to(actor=gw.supervisor)) == [gw.group]
    assert list(groups_visible_to(actor=gw.supervisor_2)) == [gw.group_2]
    assert set(members_visible_to(actor=gw.supervisor_2)) == {gw.member_2}
    with pytest.raises(Http404):
        group_get_for_actor(actor=gw.supervisor, public_id=gw.group_2.public_id)


def test_ending_a_supervision_assignment_ends_the_access_at_once(group_world: GroupWorld) -> None:
    gw = group_world
    SupervisionAssignment.objects.filter(supervisor=gw.supervisor).update(is_active=False)
    assert list(groups_visible_to(actor=gw.supervisor)) == []
    assert list(members_visible_to(actor=gw.supervisor)) == []


@pytest.mark.parametrize(
    "role", ["clinician", "colleague", "admin", "client", "clinician_b", "programme_manager"]
)
def test_other_roles_see_no_group_and_no_member(group_world: GroupWorld, role: str) -> None:
    user = group_world.world.users_by_role_name()[role]
    assert list(groups_visible_to(actor=user)) == []
    assert list(members_visible_to(actor=user)) == []


def test_only_the_groups_own_facilitator_runs_it(group_world: GroupWorld) -> None:
    gw = group_world
    assert can_run_group(actor=gw.facilitator, group=gw.group)
    assert not can_run_group(actor=gw.supervisor, group=gw.group)
    assert not can_run_group(actor=gw.facilitator_2, group=gw.group)
    assert can_write_member(actor=gw.facilitator, member=gw.waiting)
    assert not can_write_member(actor=gw.supervisor, member=gw.members[0])


def test_supervisor_at_a_group_site_sees_only_their_facilitators_member_records(
    group_world: GroupWorld,
) -> None:
    """GIVEN practice A is a group programme site WHEN supervisors list client records
    THEN each sees the records of their own facilitators' members only."""
    gw = group_world
    practice = gw.world.practice_a
    practice.kind = "group_site"
    practice.save(update_fields=["kind"])
    sam_sees = set(clients_visible_to(actor=gw.supervisor))
    sue_sees = set(clients_visible_to(actor=gw.supervisor_2))
    assert {m.client for m in gw.members} <= sam_sees
    assert gw.member_2.client not in sam_sees
    assert sue_sees == {gw.member_2.client}
    # The site's admin still sees every record of the site.
    assert gw.member_2.client in set(clients_visible_to(actor=gw.world.admin))


def test_supervisor_at_a_group_site_also_sees_clients_whose_care_team_they_are_on(
    group_world: GroupWorld,
) -> None:
    """GIVEN a group site and a client of Finn's group WHEN Sam (who supervises Fay, not
    Finn) is added to that client's care team THEN Sam sees that record, and only then."""
    gw = group_world
    practice = gw.world.practice_a
    practice.kind = "group_site"
    practice.save(update_fields=["kind"])
    client = gw.member_2.client
    assert client not in set(clients_visible_to(actor=gw.supervisor))
    CareTeamMember.objects.create(client=client, user=gw.supervisor, role=CareTeamRole.SUPERVISOR)
    assert client in set(clients_visible_to(actor=gw.supervisor))
