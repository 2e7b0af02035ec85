"""The group session pages: the phone form, the session page, corrections, who may do what."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.groups.models import GroupMember, GroupSession, GroupStatus, MemberScore, MemberTask
from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import group_session_record
from openipt.safety.models import RiskAlert
from tests.groups.world import GroupWorld, make_member, phq9_answers

Login = Callable[[User | None], HttpClient]
TODAY = timezone.localdate()
CALM = phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0)
RISK = phq9_answers(2, 2, 2, 1, 1, 1, 1, 1, 1)


def record_url(gw: GroupWorld) -> str:
    return reverse("groups:session_record", kwargs={"public_id": gw.group.public_id})


def form_data(
    members: Sequence[GroupMember],
    *,
    key: str | None = None,
    answers: dict[int, dict[str, Any]] | None = None,
    absent: Sequence[int] = (),
    number: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """What the phone form posts: every member present with CALM answers unless told."""
    data: dict[str, Any] = {
        "held_on": TODAY.isoformat(),
        "number": str(number),
        "idempotency_key": key or str(uuid.uuid4()),
        "member": [str(m.public_id) for m in members],
        "notes": "",
    }
    for index, member in enumerate(members):
        prefix = f"m-{member.public_id}"
        if index in absent:
            continue
        data[f"{prefix}-present"] = "1"
        for link_id, value in (answers or {}).get(index, CALM).items():
            data[f"{prefix}-{link_id}"] = str(value)
    data.update(extra)
    return data


def stored_session(gw: GroupWorld, **kwargs: Any) -> GroupSession:
    kwargs.setdefault(
        "entries",
        [MemberEntry(member_public_id=m.public_id, present=True, answers=CALM) for m in gw.members],
    )
    kwargs.setdefault("held_on", TODAY)
    return group_session_record(actor=gw.facilitator, group=gw.group, number=1, **kwargs).session


def add_members(gw: GroupWorld, count: int) -> None:
    for n in range(count):
        gw.members.append(
            make_member(
                programme=gw.programme,
                practice=gw.group.practice,
                facilitator=gw.facilitator,
                given=f"Extra{n}",
                family=f"Member{n}",
                group=gw.group,
            )
        )


# --------------------------------------------------------------------------- the form


def test_the_form_shows_the_agenda_the_questions_and_a_card_per_member(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    response = client_for(gw.facilitator).get(record_url(gw))
    assert response.status_code == 200
    html = response.content.decode()
    assert "What to cover today" in html
    assert "What the questions ask" in html
    assert "Thoughts that you would be better off dead" in html
    for member in gw.members:
        assert member.client.display_name in html
        assert f'name="m-{member.public_id}-phq9-9"' in html
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', html)
    assert key is not None
    offline = re.search(r'data-offline-key="([^"]+)"', html)
    assert offline is not None
    assert str(gw.group.public_id) in offline.group(1) and key.group(1) in offline.group(1)
    for member in gw.members:
        assert member.client.family_name not in offline.group(1)
    assert re.search(r'<script src="[^"]*groups/offline-form\.js" defer>', html)
    # A fresh key for every page drawn.
    again = client_for(gw.facilitator).get(record_url(gw)).content.decode()
    assert key.group(1) not in again


def test_the_form_reads_and_is_audited(group_world: GroupWorld, client_for: Login) -> None:
    gw = group_world
    client_for(gw.facilitator).get(record_url(gw))
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="group_session_form", actor=gw.facilitator
    ).exists()


def test_saving_redirects_to_the_session_page(group_world: GroupWorld, client_for: Login) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    response = http.post(record_url(gw), form_data(gw.members, absent=[2]))
    session = GroupSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "groups:session_detail", kwargs={"public_id": session.public_id}
    )
    assert MemberScore.objects.filter(session=session).count() == 2
    page = http.get(response["Location"]).content.decode()
    assert "Session 1 saved." in page


def test_a_positive_item_9_says_the_supervisor_was_told(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    response = http.post(record_url(gw), form_data(gw.members, answers={0: RISK}))
    assert response.status_code == 302
    # The address names the session only: no score, no member.
    assert re.fullmatch(r"/groups/sessions/[0-9a-f-]{36}/", response["Location"])
    page = http.get(response["Location"]).content.decode()
    assert "your supervisor has been told" in page
    assert "Safety alert raised" in page
    assert RiskAlert.objects.count() == 1


def test_an_incomplete_questionnaire_is_shown_again_with_what_was_typed(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN Grace present with question 3 left out WHEN the form is saved THEN 422:
    nothing is stored, the message sits in Grace's card beside question 3, and every
    answer, the notes and the key come back as they were typed."""
    gw = group_world
    grace = next(m for m in gw.members if m.client.given_name == "Grace")
    index = gw.members.index(grace)
    partial = {k: v for k, v in phq9_answers(3, 2, 0, 1, 1, 1, 1, 1, 0).items() if k != "phq9-3"}
    data = form_data(gw.members, answers={index: partial}, notes="We met in the hall")
    response = client_for(gw.facilitator).post(record_url(gw), data)
    assert response.status_code == 422
    assert not GroupSession.objects.exists()
    html = response.content.decode()
    assert "Choose an answer for question 3." in html
    assert f'id="m-{grace.public_id}-phq9-3-errors"' in html
    assert re.search(rf'name="m-{grace.public_id}-phq9-1" value="3" checked', html)
    assert not re.search(rf'name="m-{grace.public_id}-phq9-3" value="\d" checked', html)
    assert "We met in the hall" in html
    assert f'value="{data["idempotency_key"]}"' in html


def test_a_future_date_and_a_bad_rating_are_shown_beside_their_fields(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    future = (TODAY + datetime.timedelta(days=2)).isoformat()
    response = client_for(gw.facilitator).post(
        record_url(gw), form_data(gw.members, held_on=future, self_fidelity="5")
    )
    assert response.status_code == 422
    assert "The session date cannot be in the future." in response.content.decode()
    response = client_for(gw.facilitator).post(
        record_url(gw), form_data(gw.members, self_fidelity="9")
    )
    assert response.status_code == 422
    assert "Rate the session from 1 to 5." in response.content.decode()
    assert not GroupSession.objects.exists()


def test_a_member_enrolled_after_the_form_was_drawn_is_not_silently_absent(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    data = form_data(gw.members)
    add_members(gw, 1)
    response = client_for(gw.facilitator).post(record_url(gw), data)
    assert response.status_code == 422
    assert "members changed" in response.content.decode()
    assert not GroupSession.objects.exists()


def test_a_tampered_member_id_is_refused_not_a_crash(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    data = form_data(gw.members)
    data["member"] = [*data["member"], str(uuid.uuid4())]
    response = client_for(gw.facilitator).post(record_url(gw), data)
    assert response.status_code == 422


def test_the_same_form_sent_twice_stores_one_session(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN the form saved once (the phone never got the answer) WHEN it is sent again
    with the same key THEN the same session page comes back, one session, one score each."""
    gw = group_world
    http = client_for(gw.facilitator)
    data = form_data(gw.members, key=str(uuid.uuid4()))
    first = http.post(record_url(gw), data)
    second = http.post(record_url(gw), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert GroupSession.objects.count() == 1
    assert MemberScore.objects.count() == len(gw.members)
    assert "nothing was stored twice" in http.get(second["Location"]).content.decode()


def test_a_second_form_for_the_same_session_is_a_conflict(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    http.post(record_url(gw), form_data(gw.members))
    response = http.post(record_url(gw), form_data(gw.members, notes="typed in a second tab"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Session 1 is already recorded." in html
    assert "typed in a second tab" in html
    assert GroupSession.objects.count() == 1


def test_a_forming_group_asks_to_be_started_first(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    gw.group.status = GroupStatus.FORMING
    gw.group.save()
    http = client_for(gw.facilitator)
    page = http.get(record_url(gw))
    assert page.status_code == 200
    assert "start the group first" in page.content.decode()
    assert b'name="idempotency_key"' not in page.content
    response = http.post(record_url(gw), form_data(gw.members))
    assert response.status_code == 409
    assert not GroupSession.objects.exists()


def test_the_next_form_reviews_last_times_tasks(group_world: GroupWorld, client_for: Login) -> None:
    gw = group_world
    grace = gw.members[0]
    stored_session(
        gw,
        held_on=TODAY - datetime.timedelta(days=7),
        entries=[
            MemberEntry(
                member_public_id=m.public_id,
                present=True,
                answers=CALM,
                task_text="Visit my neighbour" if m == grace else "",
            )
            for m in gw.members
        ],
    )
    http = client_for(gw.facilitator)
    html = http.get(record_url(gw)).content.decode()
    assert "Visit my neighbour" in html and "Session 2" in html
    data = form_data(gw.members, number=2)
    data[f"m-{grace.public_id}-review"] = "done"
    assert http.post(record_url(gw), data).status_code == 302
    assert MemberTask.objects.get(member=grace).outcome == "done"


# --------------------------------------------------------------------------- the session page


def test_the_session_page_shows_totals_bands_change_and_tasks(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    grace, hana, ivy = gw.members
    session = stored_session(
        gw,
        entries=[
            MemberEntry(grace.public_id, True, CALM, task_text="Call my sister"),
            MemberEntry(hana.public_id, True, RISK),
            MemberEntry(ivy.public_id, False, {}),
        ],
        notes="A quiet start",
        self_fidelity=4,
    )
    url = reverse("groups:session_detail", kwargs={"public_id": session.public_id})
    for reader in (gw.facilitator, gw.supervisor):
        html = client_for(reader).get(url).content.decode()
        assert "PHQ-9 8 · Mild" in html
        assert "PHQ-9 12 · Moderate" in html
        assert "Since screening (14): 6 points lower (better)" in html
        assert "Not here" in html
        assert "Call my sister" in html and "A quiet start" in html
        assert "Safety alert raised" in html
        assert "4 of 5" in html
    assert "Correct this session" in client_for(gw.facilitator).get(url).content.decode()
    assert "Correct this session" not in client_for(gw.supervisor).get(url).content.decode()
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.VIEW, object_type="group_session", object_public_id=session.public_id
        ).count()
        == 4
    )


# --------------------------------------------------------------------------- corrections


def test_a_correction_starts_from_the_stored_session(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    session = stored_session(gw, notes="First notes")
    url = reverse("groups:session_edit", kwargs={"public_id": session.public_id})
    html = client_for(gw.facilitator).get(url).content.decode()
    member = gw.members[0]
    assert re.search(rf'name="m-{member.public_id}-phq9-1" value="1" checked', html)
    assert "First notes" in html and 'name="version" value="1"' in html
    data = form_data(gw.members, version="1", notes="Second notes")
    response = client_for(gw.facilitator).post(url, data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.notes == "Second notes" and session.version == 2


def test_a_stale_correction_keeps_what_was_typed(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    session = stored_session(gw)
    url = reverse("groups:session_edit", kwargs={"public_id": session.public_id})
    http = client_for(gw.facilitator)
    assert http.post(url, form_data(gw.members, version="1")).status_code == 302
    response = http.post(url, form_data(gw.members, version="1", notes="my late words"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html and "my late words" in html
    assert 'name="version" value="2"' in html


# --------------------------------------------------------------------------- who may


def test_the_supervisor_reads_but_cannot_record_or_correct(
    group_world: GroupWorld, client_for: Login
) -> None:
    gw = group_world
    session = stored_session(gw)
    http = client_for(gw.supervisor)
    edit = reverse("groups:session_edit", kwargs={"public_id": session.public_id})
    detail = reverse("groups:session_detail", kwargs={"public_id": session.public_id})
    assert http.get(record_url(gw)).status_code == 403
    assert http.post(record_url(gw), form_data(gw.members, number=2)).status_code == 403
    assert http.get(edit).status_code == 403
    assert http.post(edit, form_data(gw.members, version="1", notes="x")).status_code == 403
    assert http.get(detail).status_code == 200
    assert http.post(detail, {}).status_code == 405
    assert GroupSession.objects.count() == 1
    session.refresh_from_db()
    assert session.version == 1


@pytest.mark.parametrize("who", ["facilitator_2", "supervisor_2"])
def test_another_facilitator_or_supervisor_gets_404(
    group_world: GroupWorld, client_for: Login, who: str
) -> None:
    gw = group_world
    session = stored_session(gw)
    http = client_for(getattr(gw, who))
    edit = reverse("groups:session_edit", kwargs={"public_id": session.public_id})
    detail = reverse("groups:session_detail", kwargs={"public_id": session.public_id})
    assert http.get(record_url(gw)).status_code == 404
    assert http.post(record_url(gw), form_data(gw.members, number=2)).status_code == 404
    assert http.get(detail).status_code == 404
    assert http.get(edit).status_code == 404
    assert http.post(edit, form_data(gw.members, version="1")).status_code == 404


# --------------------------------------------------------------------------- constant queries


def _queries(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_form_and_the_session_page_cost_the_same_for_6_or_12_members(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN a group of 6, then of 12 WHEN the form and a session page are drawn
    THEN the number of queries does not grow with the members."""
    gw = group_world
    http = client_for(gw.facilitator)
    counts: dict[int, tuple[int, int]] = {}
    for size in (6, 12):
        add_members(gw, size - len(gw.members))
        GroupSession.objects.filter(group=gw.group).delete()
        session = stored_session(
            gw,
            entries=[MemberEntry(m.public_id, True, CALM, task_text="Walk") for m in gw.members],
            idempotency_key=str(uuid.uuid4()),
        )
        MemberTask.objects.filter(session=session).update(outcome="")
        detail = reverse("groups:session_detail", kwargs={"public_id": session.public_id})
        counts[size] = (_queries(http, record_url(gw)), _queries(http, detail))
    assert counts[6] == counts[12]
