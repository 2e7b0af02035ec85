"""The caseload's score columns: latest score, change label and on-track status per client."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.courses.models import Course
from openipt.courses.selectors.caseload import caseload_for_actor
from openipt.courses.services.course import course_start
from openipt.measures.chart_data import course_progress
from openipt.measures.engine import shipped
from openipt.measures.services import measure_submit
from tests.factories import CareTeamMemberFactory, ClientFactory
from tests.measures.helpers import phq9_answers
from tests.measures_outcomes.helpers import at_noon, give_phq9, phq9_series, phq9_values
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def new_course(world: World, family_name: str, *, variant: str = "ipt16") -> Course:
    client = ClientFactory.create(practice=world.practice_a, family_name=family_name)
    CareTeamMemberFactory.create(client=client, user=world.clinician)
    return course_start(
        actor=world.clinician,
        client=client,
        variant_code=variant,
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
    )


def caseload_rows(http: HttpClient) -> dict[str, str]:
    """The caseload table as {client family name: the row's text}."""
    response = http.get(reverse("courses:caseload"))
    assert response.status_code == 200
    body = response.content.decode()
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        name = re.search(r"\w+ (\w+)", text)
        assert name is not None
        rows[name.group(1)] = text
    return rows


def test_the_caseload_shows_each_clients_latest_score_change_and_progress(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN Alice improving reliably (18 → 8), a client getting worse (16 → 20 by session
    6), an older adult with only a GDS-15, and a client without scores
    WHEN the clinician opens the caseload
    THEN each row shows the latest score of the right questionnaire, the change label
    and the on-track status (a heuristic)."""
    phq9_series(world.clinician, world.course_1, [18, 16, 15, 13, 11, 8])
    worse = new_course(world, "Worse")
    phq9_series(world.clinician, worse, [16, 17, 18, 19, 20, 20])
    older = new_course(world, "Older", variant="ipt_older")
    measure_submit(
        actor=world.clinician,
        course=older,
        instrument_code="gds15",
        answers={item.link_id: 1 for item in shipped("gds15").items},
        administered_at=timezone.now(),
    )
    new_course(world, "Noscores")
    rows = caseload_rows(client_for(world.clinician))
    assert (
        "PHQ-9 8 Mild −10 points (−56 %) · Reliable improvement Progress (heuristic): On track"
        in rows["Anders"]
    )
    assert (
        "PHQ-9 20 Severe +4 points (+25 %) · No reliable change Progress (heuristic): Not on track"
        in rows["Worse"]
    )
    assert "GDS-15" in rows["Older"]
    assert "Baseline only" in rows["Older"]
    assert "No baseline score yet" not in rows["Older"]
    assert "No scores yet" in rows["Noscores"]
    # A questionnaire is the baseline measure: only the course without one is flagged.
    assert "No baseline measure" in rows["Noscores"]
    assert "No baseline measure" not in rows["Anders"]


def test_the_caseload_agrees_with_the_course_overview(world: World) -> None:
    """GIVEN courses whose questionnaires are linked to sessions or completed between them
    WHEN the caseload computes baseline, latest and status in SQL
    THEN they equal what the course overview computes from the whole series."""
    phq9_series(world.clinician, world.course_1, [18, 16, 15, 13])
    # Completed after session 4, before session 5: it counts for session 5.
    measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="phq9",
        answers=phq9_answers(phq9_values(19)),
        administered_at=at_noon(datetime.date(2026, 9, 25)),
    )
    other = new_course(world, "Other")
    give_phq9(world.clinician, other, 1, 20, linked=False)
    for number, total in ((2, 20), (3, 21), (4, 22), (5, 22)):
        give_phq9(world.clinician, other, number, total)
    for course in caseload_for_actor(actor=world.clinician, practice=world.practice_a):
        progress = course_progress(course)
        if not progress.instruments:
            continue
        phq9 = progress.instruments[0]
        assert phq9.baseline is not None and phq9.latest is not None
        assert (course.baseline_total, course.baseline_session) == (  # type: ignore[attr-defined]
            phq9.baseline.total,
            phq9.baseline.session,
        )
        assert (course.latest_total, course.latest_session) == (  # type: ignore[attr-defined]
            phq9.latest.total,
            phq9.latest.session,
        )
        assert course.score_count == len(phq9.scores)  # type: ignore[attr-defined]


def test_the_caseload_costs_the_same_queries_for_many_courses_with_scores(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN one course with scores, then nine more WHEN the caseload is opened
    THEN it takes no more queries with ten courses than with one."""
    http = client_for(world.clinician)
    phq9_series(world.clinician, world.course_1, [18, 12])
    http.get(reverse("courses:caseload"))  # warm up the session
    with CaptureQueriesContext(connection) as few:
        assert http.get(reverse("courses:caseload")).status_code == 200
    for number in range(9):
        course = new_course(world, f"Case{number}")
        phq9_series(world.clinician, course, [20 - number, 15, 10 + number])
    with CaptureQueriesContext(connection) as many:
        response = http.get(reverse("courses:caseload"))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count("track-status") == 10
