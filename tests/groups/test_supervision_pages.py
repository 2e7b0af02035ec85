"""The supervision pages: queue, facilitator page, fidelity rating, notes, assignments."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.groups.forms_supervision import fidelity_form_for
from openipt.groups.models import (
    FidelityRating,
    GroupSessionStatus,
    SupervisionAssignment,
    SupervisionNote,
)
from openipt.groups.services.supervision import fidelity_rate, supervision_note_add
from openipt.groups.views.supervision import group_notes_context
from tests.groups.test_supervision import (
    _add_supervised_facilitators,
    every_kind_for,
    held,
)
from tests.groups.world import GroupWorld

ClientFor = Callable[[User | None], HttpClient]

QUEUE = "/groups/supervision/"
ASSIGNMENTS = "/groups/supervision/assignments/"


def text_of(response: Any) -> str:
    return str(response.content.decode())


def fay_url(gw: GroupWorld, suffix: str = "") -> str:
    return reverse("groups:facilitator_detail", args=[gw.facilitator.public_id]) + suffix


def rate_url(session: Any) -> str:
    return reverse("groups:session_fidelity", args=[session.public_id])


def test_urls_are_where_the_brief_says(group_world: GroupWorld) -> None:
    gw = group_world
    assert reverse("groups:supervision_queue") == QUEUE
    assert reverse("groups:supervision_assignments") == ASSIGNMENTS
    assert fay_url(gw) == f"/groups/supervision/facilitators/{gw.facilitator.public_id}/"
    assert fay_url(gw, "notes/") == reverse(
        "groups:supervision_note_add", args=[gw.facilitator.public_id]
    )


# --------------------------------------------------------------------------- queue


def test_queue_page_lists_every_reason_with_links(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    response = client_for(gw.supervisor).get(QUEUE)
    assert response.status_code == 200
    page = text_of(response)
    alert = gw.members[0].client.risk_alerts.get()
    assert reverse("safety:alert_detail", args=[alert.public_id]) in page
    assert "A risk question on the PHQ-9 was answered positively." in page
    assert "less than the 6 points that count as real improvement" in page
    assert "Attendance is 33%" in page
    assert "The adherence checklist is at 20%" in page
    session = gw.group.sessions.get(number=3)
    assert rate_url(session) in page
    assert reverse("groups:session_detail", args=[session.public_id]) in page
    assert reverse("groups:member_detail", args=[gw.members[0].public_id]) in page
    assert reverse("groups:group_detail", args=[gw.group.public_id]) in page
    assert reverse("groups:facilitator_detail", args=[gw.facilitator.public_id]) in page
    assert reverse("reports:research_export") in page
    # Ordered by urgency on the page too.
    positions = [page.index(f'data-kind="{k}"') for k in ("alert", "member", "group", "session")]
    assert positions == sorted(positions)
    event = AuditEvent.objects.filter(object_type="group_supervision_queue").get()
    assert (event.action, event.actor_id) == (AuditAction.LIST, gw.supervisor.pk)


def test_queue_page_shows_sue_none_of_fays_members(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    every_kind_for(gw, gw.group, gw.members)
    page = text_of(client_for(gw.supervisor_2).get(QUEUE))
    assert gw.members[0].client.display_name not in page
    assert "Tuesday group" not in page
    assert "Finn Facilitator" in page  # her own supervisee is listed


@pytest.mark.parametrize("role", ["facilitator", "clinician", "admin", "client"])
def test_queue_is_for_supervisors_only(
    group_world: GroupWorld, client_for: ClientFor, role: str
) -> None:
    user = group_world.world.users_by_role_name()[role]
    assert client_for(user).get(QUEUE).status_code == 403


def test_queue_page_takes_a_constant_number_of_queries(
    group_world: GroupWorld,
    client_for: ClientFor,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    gw = group_world
    http = client_for(gw.supervisor)
    http.get(QUEUE)  # warm up the session
    every_kind_for(gw, gw.group, gw.members)
    with CaptureQueriesContext(connection) as few:
        assert http.get(QUEUE).status_code == 200
    _add_supervised_facilitators(gw, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(QUEUE)
    assert text_of(response).count('data-kind="session"') == 6


# --------------------------------------------------------------------------- facilitator page


def test_supervisor_sees_the_facilitator_page(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    first = held(gw.group, 1, adherence=50)
    held(gw.group, 2, adherence=70)
    fidelity_rate(actor=gw.facilitator, session=first, rater="self", score=4)
    fidelity_rate(actor=gw.supervisor, session=first, rater="supervisor", score=2)
    supervision_note_add(
        actor=gw.supervisor,
        facilitator=gw.facilitator,
        practice=gw.world.practice_a,
        text="Worked on the closing round.",
    )
    response = client_for(gw.supervisor).get(fay_url(gw))
    assert response.status_code == 200
    page = text_of(response)
    assert "Tuesday group" in page
    assert "60%" in page  # adherence mean of 50 and 70
    assert reverse("groups:facilitator_fidelity_chart", args=[gw.facilitator.public_id]) in page
    assert "Fidelity ratings per session" in page  # the table beside the chart
    assert "Sessions waiting for your rating" in page and "(1)" in page
    assert "Worked on the closing round." in page
    assert 'name="score"' in page
    event = AuditEvent.objects.filter(object_type="group_facilitator").get()
    assert event.object_public_id == gw.facilitator.public_id


def test_facilitator_sees_her_own_page_without_notes(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    held(gw.group, 1)
    supervision_note_add(
        actor=gw.supervisor,
        facilitator=gw.facilitator,
        practice=gw.world.practice_a,
        text="Private supervision remark",
    )
    page = text_of(client_for(gw.facilitator).get(fay_url(gw)))
    assert "Sessions waiting for your own rating" in page
    assert "Private supervision remark" not in page
    assert "Add note" not in page


def test_facilitator_page_is_404_outside_reach(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    assert client_for(gw.supervisor_2).get(fay_url(gw)).status_code == 404
    assert client_for(gw.facilitator_2).get(fay_url(gw)).status_code == 404
    finn = reverse("groups:facilitator_detail", args=[gw.facilitator_2.public_id])
    assert client_for(gw.facilitator).get(finn).status_code == 404
    assert client_for(gw.supervisor).get(finn).status_code == 404
    SupervisionAssignment.objects.filter(supervisor=gw.supervisor).update(is_active=False)
    assert client_for(gw.supervisor).get(fay_url(gw)).status_code == 404


def test_facilitator_page_takes_a_constant_number_of_queries(
    group_world: GroupWorld,
    client_for: ClientFor,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    gw = group_world
    http = client_for(gw.supervisor)
    http.get(fay_url(gw))
    first = held(gw.group, 1)
    fidelity_rate(actor=gw.supervisor, session=first, rater="supervisor", score=3)
    supervision_note_add(
        actor=gw.supervisor, facilitator=gw.facilitator, practice=gw.world.practice_a, text="a"
    )
    with CaptureQueriesContext(connection) as few:
        assert http.get(fay_url(gw)).status_code == 200
    for number in range(2, 9):
        session = held(gw.group, number)
        fidelity_rate(actor=gw.facilitator, session=session, rater="self", score=4)
        supervision_note_add(
            actor=gw.supervisor,
            facilitator=gw.facilitator,
            practice=gw.world.practice_a,
            text=f"note {number}",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(fay_url(gw))
    assert "note 8" in text_of(response)


def test_fidelity_chart_is_an_svg_image(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    fidelity_rate(actor=gw.facilitator, session=held(gw.group, 1), rater="self", score=4)
    http = client_for(gw.supervisor)
    response = http.get(fay_url(gw, "fidelity.svg"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Cache-Control"] == "private, no-store"
    assert 'id="fidelity-self"' in text_of(response)
    assert http.get(fay_url(gw, "fidelity.svg?size=narrow")).status_code == 200
    bad = http.get(fay_url(gw, "fidelity.svg?size=<huge>"))
    assert bad.status_code == 400
    assert client_for(gw.supervisor_2).get(fay_url(gw, "fidelity.svg")).status_code == 404


# --------------------------------------------------------------------------- fidelity rating


def test_supervisor_rates_a_session_and_returns_to_the_page(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    session = held(gw.group, 1)
    response = client_for(gw.supervisor).post(
        rate_url(session), {"score": "4", "comment": "Clear agenda.", "next": QUEUE}
    )
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    rating = FidelityRating.objects.get()
    assert (rating.rater, rating.score, rating.comment) == ("supervisor", 4, "Clear agenda.")


def test_facilitator_rates_her_own_session(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    session = held(gw.group, 1)
    response = client_for(gw.facilitator).post(rate_url(session), {"score": "2"})
    assert response.status_code == 302
    assert response["Location"] == fay_url(gw)
    assert FidelityRating.objects.get().rater == "self"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_rating_never_redirects_off_site(
    group_world: GroupWorld, client_for: ClientFor, next_url: str
) -> None:
    gw = group_world
    response = client_for(gw.supervisor).post(
        rate_url(held(gw.group, 1)), {"score": "3", "next": next_url}
    )
    assert response["Location"] == fay_url(gw)


@pytest.mark.parametrize("value", ["", "0", "6", "abc", "3.5", "<script>"])
def test_bad_rating_is_refused_with_the_comment_kept(
    group_world: GroupWorld, client_for: ClientFor, value: str
) -> None:
    gw = group_world
    response = client_for(gw.supervisor).post(
        rate_url(held(gw.group, 1)), {"score": value, "comment": "Typed comment kept"}
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "Choose a rating from 1 to 5." in page
    assert "Typed comment kept" in page
    assert not FidelityRating.objects.exists()


def test_rating_a_cancelled_session_is_refused(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    session = held(gw.group, 1, status=GroupSessionStatus.CANCELLED)
    response = client_for(gw.facilitator).post(rate_url(session), {"score": "3"})
    assert response.status_code == 422
    assert "Only a session that was held can be rated." in text_of(response)


def test_rating_page_shows_the_current_ratings(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    session = held(gw.group, 1)
    fidelity_rate(actor=gw.facilitator, session=session, rater="self", score=2)
    fidelity_rate(actor=gw.supervisor, session=session, rater="supervisor", score=5)
    page = text_of(client_for(gw.supervisor).get(rate_url(session)))
    assert "2 out of 5" in page and "5 out of 5" in page
    assert re.search(r'value="5"[^>]* checked', page)
    assert not re.search(r'value="2"[^>]* checked', page)


def test_others_cannot_rate(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    url = rate_url(held(gw.group, 1))
    assert client_for(gw.supervisor_2).post(url, {"score": "3"}).status_code == 404
    assert client_for(gw.facilitator_2).post(url, {"score": "3"}).status_code == 404
    assert client_for(gw.world.admin).post(url, {"score": "3"}).status_code == 404
    assert not FidelityRating.objects.exists()


def test_fidelity_form_include_for_the_session_page(group_world: GroupWorld) -> None:
    gw = group_world
    session = held(gw.group, 1)
    request = RequestFactory().get("/")
    form = fidelity_form_for(actor=gw.supervisor, session=session, next_url="/back/")
    assert form is not None and form.rater == "supervisor"
    html = render_to_string(
        "groups/supervision_fidelity_form.html",
        {"session": session, "fidelity_form": form},
        request=request,
    )
    assert rate_url(session) in html and 'value="/back/"' in html
    assert fidelity_form_for(actor=gw.supervisor_2, session=session) is None
    assert fidelity_form_for(actor=gw.world.admin, session=session) is None
    empty = render_to_string(
        "groups/supervision_fidelity_form.html", {"session": session, "fidelity_form": None}
    )
    assert "<form" not in empty


# --------------------------------------------------------------------------- notes


def test_supervisor_adds_a_note(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    response = client_for(gw.supervisor).post(
        fay_url(gw, "notes/"),
        {"text": "Discussed a quiet member.", "group": str(gw.group.public_id)},
    )
    assert response.status_code == 302
    assert response["Location"] == fay_url(gw)
    note = SupervisionNote.objects.get()
    assert (note.text, note.group, note.supervisor) == (
        "Discussed a quiet member.",
        gw.group,
        gw.supervisor,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "Write the note first."),
        ({"text": "Kept text", "group": "not-a-group"}, "Choose one of this facilitator"),
        ({"text": "Kept text", "group": "{{ finn }}"}, "Choose one of this facilitator"),
    ],
)
def test_bad_note_is_refused_with_the_text_kept(
    group_world: GroupWorld, client_for: ClientFor, data: dict[str, str], message: str
) -> None:
    gw = group_world
    if data.get("group") == "{{ finn }}":
        data = {**data, "group": str(gw.group_2.public_id)}
    response = client_for(gw.supervisor).post(fay_url(gw, "notes/"), data)
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    if data["text"]:
        assert data["text"] in page
    assert not SupervisionNote.objects.exists()


def test_notes_refused_to_others(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    assert client_for(gw.facilitator).post(fay_url(gw, "notes/"), {"text": "x"}).status_code == 403
    assert client_for(gw.supervisor_2).post(fay_url(gw, "notes/"), {"text": "x"}).status_code == 404
    assert not SupervisionNote.objects.exists()


def test_group_notes_include(group_world: GroupWorld) -> None:
    gw = group_world
    supervision_note_add(
        actor=gw.supervisor,
        facilitator=gw.facilitator,
        practice=gw.world.practice_a,
        text="About Tuesday",
        group=gw.group,
    )
    supervision_note_add(
        actor=gw.supervisor,
        facilitator=gw.facilitator,
        practice=gw.world.practice_a,
        text="General remark",
    )
    request = RequestFactory().get("/groups/x/")
    request.user = gw.supervisor
    context = {"group": gw.group, **group_notes_context(request, gw.group)}
    html = render_to_string("groups/supervision_group_notes.html", context, request=request)
    assert "About Tuesday" in html and "General remark" not in html
    assert f'value="{gw.group.public_id}"' in html
    request.user = gw.facilitator
    context = {"group": gw.group, **group_notes_context(request, gw.group)}
    html = render_to_string("groups/supervision_group_notes.html", context, request=request)
    assert "About Tuesday" not in html and "<form" not in html


# --------------------------------------------------------------------------- assignments


def test_admin_sees_and_changes_assignments(group_world: GroupWorld, client_for: ClientFor) -> None:
    gw = group_world
    http = client_for(gw.world.admin)
    page = text_of(http.get(ASSIGNMENTS))
    assert "Fay Facilitator" in page and "Supervised by Sam Supervisor" in page
    response = http.post(
        ASSIGNMENTS,
        {
            "action": "assign",
            "facilitator": str(gw.facilitator.public_id),
            "supervisor": str(gw.supervisor_2.public_id),
        },
    )
    assert response.status_code == 302
    assert SupervisionAssignment.objects.filter(
        supervisor=gw.supervisor_2, facilitator=gw.facilitator, is_active=True
    ).exists()
    sam = SupervisionAssignment.objects.get(supervisor=gw.supervisor, facilitator=gw.facilitator)
    response = http.post(ASSIGNMENTS, {"action": "unassign", "assignment": str(sam.public_id)})
    assert response.status_code == 302
    sam.refresh_from_db()
    assert not sam.is_active


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "assign"}, "Choose a facilitator."),
        ({"action": "assign", "facilitator": "nonsense", "supervisor": "x"}, "Choose one of the"),
        ({"action": "unassign", "assignment": "nonsense"}, "That assignment is not at this site."),
        ({"action": "unassign"}, "That assignment is not at this site."),
    ],
)
def test_bad_assignment_input_is_a_4xx_with_a_message(
    group_world: GroupWorld, client_for: ClientFor, data: dict[str, str], message: str
) -> None:
    response = client_for(group_world.world.admin).post(ASSIGNMENTS, data)
    assert response.status_code == 400
    assert message in text_of(response)


def test_a_clinician_cannot_be_made_a_supervisor(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    response = client_for(gw.world.admin).post(
        ASSIGNMENTS,
        {
            "action": "assign",
            "facilitator": str(gw.facilitator.public_id),
            "supervisor": str(gw.world.clinician.public_id),
        },
    )
    assert response.status_code == 400
    assert "Choose one of the supervisors listed." in text_of(response)


@pytest.mark.parametrize("role", ["supervisor", "facilitator", "clinician", "programme_manager"])
def test_assignments_page_is_for_the_practice_admin(
    group_world: GroupWorld, client_for: ClientFor, role: str
) -> None:
    user = group_world.world.users_by_role_name()[role]
    http = client_for(user)
    assert http.get(ASSIGNMENTS).status_code == 403
    assert http.post(ASSIGNMENTS, {"action": "unassign"}).status_code == 403
