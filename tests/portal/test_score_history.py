"""A client's own score history in the portal: only when the practice allows it.

Off by default (clinicians usually go through scores with the client first);
a practice admin turns it on from the instruments page. The client then sees,
per questionnaire of their current course, a simple chart and a table of
date, total and band name — never the expected range, risk wording or answers.
"""

from __future__ import annotations

import datetime
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse
from django.utils import timezone

from openipt.audit.models import AuditAction, AuditEvent
from openipt.courses.models import Course
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_correct, measure_submit
from openipt.practice.models import Membership, Role
from tests.factories import MembershipFactory
from tests.measures.helpers import gad7_answers, phq9_answers, submit_phq9
from tests.portal.helpers import ClientFor
from tests.portal.helpers_queries import queries_for
from tests.world import TOTP_SECRET, World

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:questionnaires")
SETTING = reverse("measures:client_scores_setting")
FIELD = "clients_see_own_scores"


def chart_url(code: str = "phq9") -> str:
    return reverse("portal:score_chart", args=[code])


def allow(world: World, allowed: bool = True) -> None:
    world.practice_a.clients_see_own_scores = allowed
    world.practice_a.save(update_fields=["clients_see_own_scores"])


def two_phq9s(world: World) -> tuple[MeasureAdministration, MeasureAdministration]:
    """Alice's PHQ-9: 14 (moderate) two weeks ago, 8 (mild) today."""
    first = submit_phq9(world.clinician, world.course_1, (2, 2, 2, 2, 2, 2, 1, 1, 0), days_ago=14)
    latest = submit_phq9(world.clinician, world.course_1)
    assert (first.total, latest.total) == (14, 8)
    return first, latest


def chart_values(svg: str) -> list[int]:
    """The totals written beside the points of the chart, in order."""
    groups = re.findall(r'<g id="score-value-\d+">(.*?)</g>', svg, flags=re.S)
    return [int(re.findall(r">\s*(\d+)\s*<", group)[-1]) for group in groups]


def table_rows(page: str) -> list[list[str]]:
    body = page.split('id="your-scores"', 1)[1]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", body)
    return [list(row) for row in rows]


# --- the client's side -------------------------------------------------------------------------


def test_scores_are_hidden_by_default(world: World, client_for: ClientFor) -> None:
    """GIVEN a practice that kept the default and a client with PHQ-9 scores
    WHEN the client opens their questionnaires or guesses the chart's address
    THEN no score is shown and the chart is a 404."""
    two_phq9s(world)
    http = client_for(world.client_user_1)
    page = http.get(PAGE).content.decode()
    assert "Your scores" not in page
    assert "chart.svg" not in page
    assert ">14<" not in page
    assert http.get(chart_url()).status_code == 404


def test_when_allowed_the_client_sees_a_table_and_plain_words(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a practice that lets clients see their scores and two PHQ-9s in Alice's course
    WHEN Alice opens her questionnaires
    THEN she sees each date, total and band name, oldest first, in plain words,
    without the expected range, risk wording or her answers."""
    allow(world)
    first, latest = two_phq9s(world)
    page = client_for(world.client_user_1).get(PAGE).content.decode()
    assert "Your scores" in page
    assert "Lower scores mean fewer symptoms" in page
    assert chart_url() in page
    assert table_rows(page) == [
        [f"{timezone.localdate(first.administered_at):%-d %b %Y}", "14", "Moderate"],
        [f"{timezone.localdate(latest.administered_at):%-d %b %Y}", "8", "Mild"],
    ]
    section = page.split('id="your-scores"', 1)[1].lower()
    for word in ("expected", "on track", "risk", "harm", "several days"):
        assert word not in section, word
    # No GAD-7 was answered: no GAD-7 history.
    assert chart_url("gad7") not in page


def test_allowed_but_nothing_answered_says_so(world: World, client_for: ClientFor) -> None:
    allow(world)
    page = client_for(world.client_user_1).get(PAGE).content.decode()
    assert "Your scores will be shown here" in page
    assert "chart.svg" not in page


def test_the_chart_is_an_svg_of_the_current_totals(world: World, client_for: ClientFor) -> None:
    allow(world)
    two_phq9s(world)
    response = client_for(world.client_user_1).get(chart_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    svg = response.content.decode()
    assert svg.startswith("<?xml")
    assert chart_values(svg) == [14, 8]
    # The care team's extras are left out.
    for gid in ("expected-band", "expected-line", "phase-boundary", "marker-", "legend"):
        assert f'id="{gid}' not in svg, gid
    event = AuditEvent.objects.get(object_type="portal_score_chart")
    assert (event.action, event.actor_id) == (AuditAction.VIEW, world.client_user_1.pk)
    assert event.object_public_id == world.course_1.public_id
    assert event.subject_client_public_id == world.client_1.public_id


def test_corrected_scores_are_left_out(world: World, client_for: ClientFor) -> None:
    """GIVEN a PHQ-9 of 8 that the clinician corrected to 14
    WHEN Alice looks at her scores
    THEN only the corrected total is in the table and on the chart."""
    allow(world)
    wrong = submit_phq9(world.clinician, world.course_1)
    measure_correct(
        actor=world.clinician,
        administration=wrong,
        answers=phq9_answers((2, 2, 2, 2, 2, 2, 1, 1, 0)),
        reason="Entered from the wrong sheet.",
    )
    http = client_for(world.client_user_1)
    rows = table_rows(http.get(PAGE).content.decode())
    assert [row[1] for row in rows] == ["14"]
    assert chart_values(http.get(chart_url()).content.decode()) == [14]


def test_a_client_sees_only_their_own_course(world: World, client_for: ClientFor) -> None:
    """GIVEN Alice with PHQ-9 scores and Bob (same practice) with a GAD-7 in his own course
    WHEN Bob opens his questionnaires and Alice's chart address
    THEN he sees only his GAD-7; the PHQ-9 chart is a 404 for him."""
    allow(world)
    two_phq9s(world)
    bobs_course = Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )
    measure_submit(
        actor=world.clinician,
        course=bobs_course,
        instrument_code="gad7",
        answers=gad7_answers((3, 3, 3, 3, 3, 3, 3)),
        administered_at=bobs_course.created_at,
    )
    bob = client_for(world.client_user_2)
    page = bob.get(PAGE).content.decode()
    assert [row[1] for row in table_rows(page)] == ["21"]
    assert chart_url("phq9") not in page
    assert bob.get(chart_url("phq9")).status_code == 404
    assert chart_values(bob.get(chart_url("gad7")).content.decode()) == [21]
    assert client_for(world.client_user_1).get(chart_url("gad7")).status_code == 404


@pytest.mark.parametrize("role", ["client_b", "clinician", "supervisor", "admin"])
def test_nobody_else_gets_the_chart(world: World, client_for: ClientFor, role: str) -> None:
    allow(world)
    two_phq9s(world)
    user = world.users_by_role_name()[role]
    assert client_for(user).get(chart_url()).status_code == 404


def test_an_unknown_instrument_is_a_404(world: World, client_for: ClientFor) -> None:
    allow(world)
    two_phq9s(world)
    http = client_for(world.client_user_1)
    assert http.get(chart_url("nosuch")).status_code == 404
    assert http.get(chart_url("gad7")).status_code == 404  # known, never answered


def test_scores_follow_the_clients_language(world: World, client_for: ClientFor) -> None:
    allow(world)
    two_phq9s(world)
    world.client_1.language = "es"
    world.client_1.save(update_fields=["language"])
    http = client_for(world.client_user_1)
    page = http.get(PAGE).content.decode()
    assert "Tus puntuaciones" in page
    assert [row[2] for row in table_rows(page)] == ["Moderado", "Leve"]
    svg = http.get(chart_url()).content.decode()
    assert "Sesión" in svg
    assert "Puntuación" in svg


def test_the_page_query_count_does_not_grow_with_scores(
    world: World, client_for: ClientFor
) -> None:
    allow(world)
    submit_phq9(world.clinician, world.course_1)
    http = client_for(world.client_user_1)
    few = queries_for(http, PAGE)
    for days in (7, 14, 21):
        submit_phq9(world.clinician, world.course_1, days_ago=days)
    measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="gad7",
        answers=gad7_answers(),
        administered_at=world.course_1.created_at,
    )
    assert queries_for(http, PAGE) <= few


# --- the practice admin's setting --------------------------------------------------------------


def test_the_admin_turns_it_on_and_off(world: World, client_for: ClientFor) -> None:
    http = client_for(world.admin)
    page = http.get(reverse("measures:instruments")).content.decode()
    assert SETTING in page and f'name="{FIELD}"' in page
    assert f'name="{FIELD}" checked' not in page

    response = http.post(SETTING, {FIELD: "on"})
    assert response.status_code == 302
    world.practice_a.refresh_from_db()
    assert world.practice_a.clients_see_own_scores is True
    assert f'name="{FIELD}" checked' in http.get(reverse("measures:instruments")).content.decode()
    event = AuditEvent.objects.get(object_type="practice", action=AuditAction.UPDATE)
    assert event.changed_fields == [FIELD]
    assert event.object_public_id == world.practice_a.public_id

    http.post(SETTING, {})
    world.practice_a.refresh_from_db()
    assert world.practice_a.clients_see_own_scores is False
    assert AuditEvent.objects.filter(object_type="practice").count() == 2


def test_saving_without_a_change_is_not_audited(world: World, client_for: ClientFor) -> None:
    assert client_for(world.admin).post(SETTING, {}).status_code == 302
    assert not AuditEvent.objects.filter(object_type="practice").exists()


def test_the_setting_is_not_a_get(world: World, client_for: ClientFor) -> None:
    assert client_for(world.admin).get(SETTING).status_code == 405


@pytest.mark.parametrize("role", ["clinician", "supervisor", "client", "clinician_b", "client_b"])
def test_only_the_practice_admin_changes_it(world: World, client_for: ClientFor, role: str) -> None:
    user = world.users_by_role_name()[role]
    assert client_for(user).post(SETTING, {FIELD: "on"}).status_code == 403
    world.practice_a.refresh_from_db()
    world.practice_b.refresh_from_db()
    assert not world.practice_a.clients_see_own_scores
    assert not world.practice_b.clients_see_own_scores
    assert not AuditEvent.objects.filter(object_type="practice").exists()


def test_an_admin_of_another_practice_changes_only_their_own(
    world: World, client_for: ClientFor
) -> None:
    membership: Membership = MembershipFactory.create(
        practice=world.practice_b, role=Role.PRACTICE_ADMIN, user__full_name="Ben Badmin"
    )
    TOTP.activate(membership.user, TOTP_SECRET)
    assert client_for(membership.user).post(SETTING, {FIELD: "on"}).status_code == 302
    world.practice_a.refresh_from_db()
    world.practice_b.refresh_from_db()
    assert not world.practice_a.clients_see_own_scores
    assert world.practice_b.clients_see_own_scores
    # Practice A's clients still see nothing.
    submit_phq9(world.clinician, world.course_1)
    assert client_for(world.client_user_1).get(chart_url()).status_code == 404
