"""What the facilitator's and supervisor's pages say: one set of words for a problem area,
what to do after a self-harm answer, no rating asked twice, no empty counts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.groups.models import FidelityRating, GroupSession, GroupStatus
from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import group_session_record
from tests.groups.test_supervision import every_kind_for
from tests.groups.world import GroupWorld, phq9_answers

pytestmark = pytest.mark.django_db

Login = Callable[[User | None], HttpClient]
CALM = phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0)
RISK = phq9_answers(2, 2, 2, 1, 1, 1, 1, 1, 1)
LAY_DISPUTE = "Disputes: a conflict with someone close"


def _record(
    gw: GroupWorld, number: int = 1, *, risky: bool = False, self_fidelity: int | None = None
) -> GroupSession:
    entries = [
        MemberEntry(m.public_id, True, RISK if risky and i == 0 else CALM)
        for i, m in enumerate(gw.members)
    ]
    return group_session_record(
        actor=gw.facilitator,
        group=gw.group,
        number=number,
        held_on=timezone.localdate(),
        entries=entries,
        self_fidelity=self_fidelity,
    ).session


def _with_pre_group(gw: GroupWorld) -> None:
    """The member page names the problem area in its pre-group section."""
    grace = gw.members[0]
    grace.pre_group_at = timezone.now()
    grace.save(update_fields=["pre_group_at"])


def _page(http: HttpClient, name: str, public_id: object) -> str:
    response = http.get(reverse(name, args=[public_id]))
    assert response.status_code == 200
    return str(response.content.decode())


# --------------------------------------------------------------------------- problem areas


def test_the_session_page_names_problem_areas_in_the_group_pages_words(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN members whose problem area is a role dispute
    WHEN the session page and the group page are read
    THEN both say "Disputes: a conflict with someone close", never "Role dispute"."""
    gw = group_world
    http = client_for(gw.facilitator)
    session = _record(gw)
    _with_pre_group(gw)
    for html in (
        _page(http, "groups:session_detail", session.public_id),
        _page(http, "groups:group_detail", gw.group.public_id),
        _page(http, "groups:member_detail", gw.members[0].public_id),
    ):
        assert LAY_DISPUTE in html
        assert "Role dispute" not in html


def test_the_session_form_offers_the_same_words(group_world: GroupWorld, client_for: Login) -> None:
    gw = group_world
    grace = gw.members[0]
    grace.problem_area = ""
    grace.save(update_fields=["problem_area"])
    html = _page(client_for(gw.facilitator), "groups:session_record", gw.group.public_id)
    assert f'<option value="role_dispute">{LAY_DISPUTE}</option>' in html
    assert "Interpersonal deficits" not in html and "Loneliness: few people to turn to" in html


def test_a_practices_own_label_is_used_on_every_group_page(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN a practice that named role disputes "Family quarrels"
    WHEN the session, group and member pages and the session form are read
    THEN each says "Family quarrels"."""
    gw = group_world
    practice = gw.group.practice
    practice.problem_area_labels = {"role_dispute": "Family quarrels"}
    practice.save(update_fields=["problem_area_labels"])
    http = client_for(gw.facilitator)
    session = _record(gw)
    _with_pre_group(gw)
    for html in (
        _page(http, "groups:session_detail", session.public_id),
        _page(http, "groups:group_detail", gw.group.public_id),
        _page(http, "groups:member_detail", gw.members[0].public_id),
    ):
        assert "Family quarrels" in html and LAY_DISPUTE not in html
    grace = gw.members[0]
    grace.problem_area = ""
    grace.save(update_fields=["problem_area"])
    form = http.get(reverse("groups:session_edit", args=[session.public_id])).content.decode()
    assert '<option value="role_dispute">Family quarrels</option>' in form


# --------------------------------------------------------------------------- session page


def test_the_session_page_links_back_to_its_group(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    session = _record(gw)
    html = _page(client_for(gw.facilitator), "groups:session_detail", session.public_id)
    group_url = reverse("groups:group_detail", args=[gw.group.public_id])
    assert f'<p class="eyebrow"><a href="{group_url}">Tuesday group</a></p>' in html


def test_after_a_self_harm_answer_the_session_page_says_what_to_do_now(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN a session where a member answered the self-harm question positively
    WHEN the facilitator opens the session page
    THEN it says the supervisor was told, what to do now, and links to the crisis page."""
    gw = group_world
    session = _record(gw, risky=True)
    html = _page(client_for(gw.facilitator), "groups:session_detail", session.public_id)
    assert "the supervisor was told" in html
    assert "follow the safety steps you were trained in" in html
    assert f'<a href="{reverse("safety:crisis")}">Crisis contacts and what to do now</a>' in html
    calm = _page(client_for(gw.facilitator), "groups:session_detail", _record(gw, 2).public_id)
    assert reverse("safety:crisis") + '">Crisis contacts' not in calm


def test_the_last_session_asks_what_to_keep_doing_after_the_group(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    first = _record(gw)
    assert "Task until next time" in _page(http, "groups:session_detail", first.public_id)
    for number in range(2, gw.group.planned_sessions):
        _record(gw, number)
    form = _page(http, "groups:session_record", gw.group.public_id)
    assert "What to keep doing after the group" in form and "Task until next time" not in form
    last = _record(gw, gw.group.planned_sessions)
    page = _page(http, "groups:session_detail", last.public_id)
    assert "What to keep doing after the group" in page and "Task until next time" not in page


def test_the_facilitators_own_rating_is_shown_not_asked_again(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN a session the facilitator rated 4 in the session form
    WHEN she opens the session page
    THEN it shows "4 of 5" with a "change" link to the rating page, and no rating form;
    her supervisor still gets his own rating form."""
    gw = group_world
    session = _record(gw, self_fidelity=4)
    url = reverse("groups:session_detail", args=[session.public_id])
    html = client_for(gw.facilitator).get(url).content.decode()
    assert 'class="fidelity-form"' not in html
    change = reverse("groups:session_fidelity", args=[session.public_id]) + "?next=" + quote(url)
    assert f'4 of 5 · <a href="{change}">change' in html
    sam = client_for(gw.supervisor).get(url).content.decode()
    assert 'class="fidelity-form"' in sam and ">change<" not in sam


def test_without_her_own_rating_the_facilitator_is_asked_for_it(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    session = _record(gw)
    assert not FidelityRating.objects.exists()
    html = _page(client_for(gw.facilitator), "groups:session_detail", session.public_id)
    assert 'class="fidelity-form"' in html and "Your own rating" in html


# --------------------------------------------------------------------------- group and home


def test_before_any_session_the_group_says_none_was_held(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    for html in (
        _page(http, "groups:group_detail", gw.group.public_id),
        http.get(reverse("facilitator_home")).content.decode(),
    ):
        assert "No session held yet" in html and "Session 0 of" not in html
    _record(gw)
    assert "Session 1 of 8 held" in _page(http, "groups:group_detail", gw.group.public_id)


def test_the_phase_bar_keeps_a_range_on_one_line(
    group_world: GroupWorld, client_for: Login
) -> None:
    html = _page(
        client_for(group_world.facilitator), "groups:group_detail", group_world.group.public_id
    )
    assert '<span class="muted phase-range">2–7</span>' in html


def test_a_completed_group_does_not_count_places(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    assert "3 of 8 places taken" in _page(http, "groups:group_detail", gw.group.public_id)
    gw.group.status = GroupStatus.COMPLETED
    gw.group.completed_on = datetime.date(2026, 12, 1)
    gw.group.save(update_fields=["status", "completed_on"])
    html = _page(http, "groups:group_detail", gw.group.public_id)
    assert "places taken" not in html
    assert "started 6 Oct 2026 · ended 1 Dec 2026" in html


# --------------------------------------------------------------------------- queue


def test_the_queue_shows_alerts_before_the_list_of_facilitators(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    html = client_for(gw.supervisor).get(reverse("groups:supervision_queue")).content.decode()
    assert html.index('data-kind="alert"') < html.index("Facilitators you supervise")
