"""Access to the group IPT pages: screening, members and groups.

Fixtures come from tests/groups/world.py (`build_group_world`), built on the
shared world inside each entry's `args`. Fay (the world's facilitator) screened
Wendy (waiting) and leads "Tuesday group"; Sam (the world's supervisor)
supervises Fay and reads everything of hers, but changes nothing (403).
The caregiver session page is written like the pre-group page, for a member
whose programme offers it. Screening and forming a group are facilitators'
pages (403 for other roles);
a screening, member or group outside reach is a 404 like a missing id.
"""

from __future__ import annotations

from typing import Any

from openipt.groups.models import Group, GroupStatus, Programme
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.groups.world import build_group_world, make_member
from tests.world import World

READ = outcomes(404, facilitator=200, supervisor=200)
WRITE_PAGE = outcomes(404, facilitator=200, supervisor=403)
WRITE_POST = outcomes(404, facilitator=REDIRECT, supervisor=403)
FACILITATOR_PAGE = outcomes(403, facilitator=200)


def _waiting_screening(world: World) -> dict[str, Any]:
    return {"public_id": build_group_world(world).waiting.screening.public_id}


def _waiting_member(world: World) -> dict[str, Any]:
    return {"public_id": build_group_world(world).waiting.public_id}


def _waiting_member_offered_a_caregiver_session(world: World) -> dict[str, Any]:
    gw = build_group_world(world)
    Programme.objects.filter(pk=gw.programme.pk).update(caregiver_session=True)
    return {"public_id": gw.waiting.public_id}


def _group(world: World) -> dict[str, Any]:
    return {"public_id": build_group_world(world).group.public_id}


def _forming_group_with_enough_members(world: World) -> dict[str, Any]:
    gw = build_group_world(world)
    group = Group.objects.create(
        programme=gw.programme,
        practice=world.practice_a,
        facilitator=gw.facilitator,
        name="Friday group",
        planned_sessions=8,
        initial_last=1,
        middle_last=7,
        max_size=8,
        status=GroupStatus.FORMING,
    )
    for n in range(gw.programme.min_group_size):
        make_member(
            programme=gw.programme,
            practice=world.practice_a,
            facilitator=gw.facilitator,
            given=f"Member{n}",
            family="Friday",
            group=group,
        )
    return {"public_id": group.public_id}


def _fays_running_group(world: World) -> dict[str, Any]:
    group = Group.objects.get(facilitator=world.facilitator, name="Tuesday group")
    return {"group": str(group.public_id)}


ENTRIES: dict[str, Entry] = {
    "groups:screen": Entry(FACILITATOR_PAGE),
    "groups:screening_detail": Entry(READ, args=_waiting_screening),
    "groups:member_detail": Entry(READ, args=_waiting_member),
    "groups:member_pre_group": Entry(WRITE_PAGE, args=_waiting_member),
    "groups:member_caregiver_session": Entry(
        WRITE_PAGE, args=_waiting_member_offered_a_caregiver_session
    ),
    "groups:member_place": Entry(
        WRITE_POST, method="POST", args=_waiting_member, data=_fays_running_group
    ),
    "groups:member_drop": Entry(
        WRITE_POST,
        method="POST",
        args=_waiting_member,
        data=lambda w: {"reason": "Moved to another town."},
    ),
    "groups:group_create": Entry(FACILITATOR_PAGE),
    "groups:group_detail": Entry(READ, args=_group),
    "groups:group_start": Entry(
        WRITE_POST,
        method="POST",
        args=_forming_group_with_enough_members,
        data=lambda w: {"started_on": "2026-01-05"},
    ),
}
