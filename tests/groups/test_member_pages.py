"""The facilitator's pages: home, screening, member record, pre-group, placing, groups, portal."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.groups.models import (
    Attendance,
    Group,
    GroupMember,
    GroupSession,
    GroupStatus,
    MemberScore,
    MemberStatus,
    MemberTask,
    Screening,
    ScreeningOutcome,
)
from openipt.practice.models import Client
from tests.groups.world import GroupWorld, make_member, phq9_answers
from tests.measures.helpers import phq9_answers as phq9_form_answers

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
SCREEN = "/groups/screen/"


def _screen_data(
    values: tuple[int, ...] = (2, 2, 1, 1, 1, 1, 1, 1, 0), **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": "Nia",
        "family_name": "Moyo",
        "date_of_birth": "1988-03-09",
        "gender": "woman",
        "phone": "",
        "submission_key": "k" * 32,
        **phq9_form_answers(values),
    }
    data.update(extra)
    return data


def _count_queries(fetch: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
        assert response.status_code == 200
    return len(queries)


def _add_session(group: Group, number: int, actor: User, members: list[GroupMember]) -> None:
    session = GroupSession.objects.create(
        group=group, number=number, held_on=datetime.date(2026, 10, 6 + number), recorded_by=actor
    )
    for member in members:
        Attendance.objects.create(session=session, member=member, present=True)
        MemberScore.objects.create(
            member=member,
            session=session,
            practice=group.practice,
            instrument_version="1.0",
            answers=phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0),
            total=8,
            band_code="mild",
            administered_at=timezone.now(),
            entered_by=actor,
        )
        MemberTask.objects.create(member=member, session=session, text=f"Call {member.pk}")


# --------------------------------------------------------------------------- home


def test_home_lists_groups_and_the_waiting_list(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    page = client_for(gw.facilitator).get(reverse("facilitator_home")).content.decode()
    assert "Tuesday group" in page and "Thursday group" not in page
    assert "Wendy Phiri" in page and "Joy Banda" not in page
    assert "Screen someone" in page and "Form a group" in page
    assert "No session held yet" in page


def test_home_queries_stay_constant_as_groups_and_people_grow(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    url = reverse("facilitator_home")
    _add_session(gw.group, 1, gw.facilitator, gw.members)
    before = _count_queries(lambda: http.get(url))
    for n in range(4):
        group = Group.objects.create(
            programme=gw.programme,
            practice=gw.world.practice_a,
            facilitator=gw.facilitator,
            name=f"Extra {n}",
            planned_sessions=8,
            initial_last=1,
            middle_last=7,
            max_size=8,
            status=GroupStatus.RUNNING,
        )
        members = [
            make_member(
                programme=gw.programme,
                practice=gw.world.practice_a,
                facilitator=gw.facilitator,
                given=f"G{n}{k}",
                family="Extra",
                group=group if k < 2 else None,
            )
            for k in range(4)
        ]
        _add_session(group, 1, gw.facilitator, members[:2])
        _add_session(group, 2, gw.facilitator, members[:2])
    after = _count_queries(lambda: http.get(url))
    assert after == before
    assert "2 of 2 came last time" in http.get(url).content.decode()


# --------------------------------------------------------------------------- screening


def test_screen_form_shows_the_phq9_the_exclusions_and_a_key(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    page = client_for(group_world.facilitator).get(SCREEN).content.decode()
    assert page.count('name="phq9-') == 40  # 10 items × 4 answers
    assert page.count('name="exclusions"') == 5
    assert re.search(r'name="submission_key" value="[0-9a-f]{32}"', page)
    assert "Little interest or pleasure" in page


def test_screening_an_eligible_person_leads_to_the_next_steps(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    http = client_for(group_world.facilitator)
    response = http.post(SCREEN, _screen_data())
    screening = Screening.objects.get(idempotency_key="k" * 32)
    assert response.status_code == 302
    assert response["Location"] == reverse("groups:screening_detail", args=[screening.public_id])
    assert screening.outcome == ScreeningOutcome.ELIGIBLE
    page = http.get(response["Location"]).content.decode()
    assert "Nia Moyo can join a group" in page
    assert "Record the pre-group session" in page and "Place in a group" in page
    # A resubmission of the same form stores nothing twice and lands on the same page.
    again = http.post(SCREEN, _screen_data())
    assert again["Location"] == response["Location"]
    assert Client.objects.filter(family_name="Moyo").count() == 1


def test_screening_with_item_9_refers_and_says_the_supervisor_was_told(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    http = client_for(group_world.facilitator)
    response = http.post(SCREEN, _screen_data((2, 2, 2, 2, 1, 1, 1, 1, 1)))
    page = http.get(response["Location"]).content.decode()
    assert "Refer Nia Moyo for other care" in page
    assert "Your supervisor has been told: Sam Supervisor" in page
    assert reverse("safety:crisis") in page
    assert "Record the pre-group session" not in page


def test_invalid_screening_is_422_with_messages_and_everything_kept(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    data = _screen_data(
        date_of_birth="31/31/31", given_name="Nia<script>", exclusions=["psychosis"]
    )
    del data["phq9-4"]
    data["phq9-5"] = "not-an-answer"
    response = client_for(group_world.facilitator).post(SCREEN, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Write a date" in page
    assert "Choose an answer to this question." in page  # item 4, beside the item
    assert 'id="q-phq9-5"' in page and "has-error" in page
    assert 'value="Nia&lt;script&gt;"' in page and 'value="Moyo"' in page
    assert re.search(r'value="psychosis" checked', page)
    assert re.search(r'name="phq9-1" value="LA6570-1" checked', page)
    assert not Screening.objects.filter(idempotency_key="k" * 32).exists()


@pytest.mark.parametrize(
    "garbage",
    [
        {"gender": "robot"},
        {"exclusions": ["nope"]},
        {"phq9-9": "9"},
        {"date_of_birth": "2999-01-01"},
        {"given_name": "x" * 500},
    ],
)
def test_garbage_screening_input_is_a_4xx_never_a_500(
    group_world: GroupWorld, client_for: ClientFor, garbage: dict[str, Any]
) -> None:
    response = client_for(group_world.facilitator).post(SCREEN, _screen_data(**garbage))
    assert response.status_code == 422


def test_screening_pages_are_for_the_facilitator_and_her_supervisor(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    url = reverse("groups:screening_detail", args=[gw.waiting.screening.public_id])
    sam = client_for(gw.supervisor).get(url)
    assert sam.status_code == 200
    assert "Record the pre-group session" not in sam.content.decode()
    assert client_for(gw.supervisor_2).get(url).status_code == 404
    assert client_for(gw.facilitator_2).get(url).status_code == 404
    assert client_for(gw.world.clinician).get(url).status_code == 404
    assert client_for(gw.supervisor).get("/groups/screenings/not-a-uuid/").status_code == 404


# --------------------------------------------------------------------------- member page


def test_member_page_shows_history_and_the_group_picker(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    url = reverse("groups:member_detail", args=[gw.waiting.public_id])
    page = client_for(gw.facilitator).get(url).content.decode()
    assert "Wendy Phiri" in page
    assert "Tuesday group · 3 of 8 places taken" in page
    assert reverse("groups:member_place", args=[gw.waiting.public_id]) in page
    sam = client_for(gw.supervisor).get(url).content.decode()
    assert "Wendy Phiri" in sam and "Place in this group" not in sam and "leaving" not in sam
    event = AuditEvent.objects.filter(object_type="group_member").latest("id")
    assert event.action == "view" and event.subject_client_public_id == gw.waiting.client.public_id


def test_member_page_shows_only_the_members_own_scores_and_tasks(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    _add_session(gw.group, 1, gw.facilitator, gw.members)
    page = (
        client_for(gw.facilitator)
        .get(reverse("groups:member_detail", args=[gw.members[0].public_id]))
        .content.decode()
    )
    assert f"Call {gw.members[0].pk}" in page
    assert f"Call {gw.members[1].pk}" not in page
    assert "Session 1" in page and "Came" in page


def test_pre_group_page_saves_and_refuses_a_stale_edit_with_the_text_kept(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    url = reverse("groups:member_pre_group", args=[gw.waiting.public_id])
    assert http.get(url).status_code == 200
    data = {
        "held_at": "2026-01-10T10:00",
        "symptoms": "Tired.",
        "onset": "After the move.",
        "problem_area": "role_transition",
        "hopes": "Friends.",
        "version": "1",
    }
    assert http.post(url, data).status_code == 302
    gw.waiting.refresh_from_db()
    assert gw.waiting.problem_area == "role_transition" and gw.waiting.version == 2
    stale = http.post(url, {**data, "hopes": "My newer words"})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "My newer words" in page and "Someone else saved" in page
    assert 'name="version" value="2"' in page
    bad = http.post(
        url, {**data, "held_at": "yesterday-ish", "problem_area": "luck", "version": "2"}
    )
    assert bad.status_code == 422
    assert "My newer words" not in bad.content.decode()
    assert "Friends." in bad.content.decode()
    assert client_for(gw.supervisor).get(url).status_code == 403


def test_placing_from_the_member_page(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    url = reverse("groups:member_place", args=[gw.waiting.public_id])
    assert http.post(url, {"group": "not-a-uuid"}).status_code == 400
    assert http.post(url, {"group": str(gw.group_2.public_id)}).status_code == 404
    Group.objects.filter(pk=gw.group.pk).update(max_size=3)
    full = http.post(url, {"group": str(gw.group.public_id)})
    assert full.status_code == 400
    assert "This group is full" in full.content.decode()
    Group.objects.filter(pk=gw.group.pk).update(max_size=8)
    assert http.post(url, {"group": str(gw.group.public_id)}).status_code == 302
    gw.waiting.refresh_from_db()
    assert gw.waiting.status == MemberStatus.ENROLLED
    assert http.get(url).status_code == 405


def test_dropping_from_the_member_page(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    url = reverse("groups:member_drop", args=[gw.members[2].public_id])
    empty = http.post(url, {"reason": "   "})
    assert empty.status_code == 422
    assert http.post(url, {"reason": "Moved away."}).status_code == 302
    gw.members[2].refresh_from_db()
    assert gw.members[2].status == MemberStatus.DROPPED
    page = http.get(reverse("groups:member_detail", args=[gw.members[2].public_id])).content
    assert b"Moved away." in page


# --------------------------------------------------------------------------- groups


def test_forming_a_group_and_starting_it(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    create = reverse("groups:group_create")
    assert http.get(create).status_code == 200
    refused = http.post(create, {"programme": str(gw.programme.public_id), "name": "  "})
    assert refused.status_code == 422
    bad_programme = http.post(create, {"programme": "nonsense", "name": "Wed"})
    assert bad_programme.status_code == 422 and b"Wed" in bad_programme.content
    response = http.post(create, {"programme": str(gw.programme.public_id), "name": "Wed"})
    assert response.status_code == 302
    group = Group.objects.get(name="Wed")
    assert response["Location"] == reverse("groups:group_detail", args=[group.public_id])
    detail = http.get(response["Location"]).content.decode()
    assert "Start the group" in detail and "Not started yet" in detail
    start = reverse("groups:group_start", args=[group.public_id])
    too_few = http.post(start, {"started_on": timezone.localdate().isoformat()})
    assert too_few.status_code == 400
    assert "at least 4 members; 0 are placed" in too_few.content.decode()
    assert http.post(start, {"started_on": "soon"}).status_code == 422
    for n in range(4):
        make_member(
            programme=gw.programme,
            practice=gw.world.practice_a,
            facilitator=gw.facilitator,
            given=f"S{n}",
            family="Wed",
            group=group,
        )
    assert http.post(start, {"started_on": timezone.localdate().isoformat()}).status_code == 302
    group.refresh_from_db()
    assert group.status == GroupStatus.RUNNING


def test_group_page_shows_members_scores_and_sessions(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    _add_session(gw.group, 1, gw.facilitator, gw.members[:2])
    page = (
        client_for(gw.facilitator)
        .get(reverse("groups:group_detail", args=[gw.group.public_id]))
        .content.decode()
    )
    assert "Grace Okafor" in page and "Joy Banda" not in page
    assert "Disputes: a conflict with someone close" in page
    assert "1 of 1" in page and "0 of 1" in page
    assert "<strong>8</strong>" in page
    assert "Record session 2" in page
    session = GroupSession.objects.get(group=gw.group, number=1)
    assert reverse("groups:session_detail", args=[session.public_id]) in page
    assert reverse("groups:session_record", args=[gw.group.public_id]) in page
    sam = client_for(gw.supervisor).get(reverse("groups:group_detail", args=[gw.group.public_id]))
    assert sam.status_code == 200 and "Record session" not in sam.content.decode()
    assert (
        client_for(gw.supervisor_2)
        .get(reverse("groups:group_detail", args=[gw.group.public_id]))
        .status_code
        == 404
    )


def test_group_page_queries_stay_constant_as_members_and_sessions_grow(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    url = reverse("groups:group_detail", args=[gw.group.public_id])
    _add_session(gw.group, 1, gw.facilitator, gw.members)
    before = _count_queries(lambda: http.get(url))
    more = [
        make_member(
            programme=gw.programme,
            practice=gw.world.practice_a,
            facilitator=gw.facilitator,
            given=f"M{n}",
            family="More",
            group=gw.group,
        )
        for n in range(4)
    ]
    for number in range(2, 6):
        _add_session(gw.group, number, gw.facilitator, gw.members + more)
    assert _count_queries(lambda: http.get(url)) == before


# --------------------------------------------------------------------------- portal card


def _card(user: User) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load groups_portal %}{% portal_group_card %}").render(
        Context({"request": request})
    )


def test_portal_card_shows_the_clients_own_group_and_task_only(group_world: GroupWorld) -> None:
    gw = group_world
    alice = gw.world.client_1
    screening = Screening.objects.create(
        programme=gw.programme,
        practice=gw.world.practice_a,
        client=alice,
        screened_by=gw.facilitator,
        screened_at=timezone.now(),
        phq9_answers={},
        phq9_total=12,
        phq9_band="moderate",
        outcome=ScreeningOutcome.ELIGIBLE,
    )
    member = GroupMember.objects.create(
        programme=gw.programme,
        practice=gw.world.practice_a,
        client=alice,
        screening=screening,
        facilitator=gw.facilitator,
        status=MemberStatus.WAITING,
    )
    assert "You are on the list for a group" in _card(gw.world.client_user_1)
    GroupMember.objects.filter(pk=member.pk).update(group=gw.group, status=MemberStatus.ENROLLED)
    _add_session(gw.group, 1, gw.facilitator, [member, *gw.members])
    card = _card(gw.world.client_user_1)
    assert "Tuesday group" in card
    assert "session 2 of 8" in card
    assert f"Call {member.pk}" in card
    for other in gw.members:
        assert f"Call {other.pk}" not in card
        assert other.client.given_name not in card
    # Someone in no programme sees no card at all.
    assert _card(gw.world.client_user_2).strip() == ""


def test_pre_group_page_names_the_problem_areas_as_the_practice_does(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    """GIVEN the site renamed 'role transition' WHEN the facilitator opens the pre-group
    form THEN the choice carries the site's words, and the others keep the lay words."""
    gw = group_world
    practice = gw.waiting.practice
    practice.problem_area_labels = {"role_transition": "Big changes in life"}
    practice.save(update_fields=["problem_area_labels"])
    url = reverse("groups:member_pre_group", args=[gw.waiting.public_id])
    page = client_for(gw.facilitator).get(url).content.decode()
    assert '<option value="role_transition">Big changes in life</option>' in page
    assert "Grief: someone close died" in page
