"""Scores in the session page, and what the course's task list learns from questionnaires."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.courses.models import Session
from openipt.courses.selectors.inventory import score_series_for_timeline
from openipt.courses.services.course import course_mark_task
from openipt.courses.state import course_state, latest_measure_session
from openipt.measures.services import measure_correct, measure_submit
from openipt.protocol.engine import AgendaCode, agenda_for
from openipt.protocol.tasks import TaskCode
from tests.measures.helpers import phq9_answers
from tests.measures_outcomes.helpers import (
    at_noon,
    give_gad7,
    give_phq9,
    phq9_series,
    phq9_values,
    session_on,
)
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def session_page(world: World, http: HttpClient, session: Session) -> str:
    url = reverse("courses:session_detail", args=[world.course_1.public_id, session.public_id])
    response = http.get(url)
    assert response.status_code == 200
    return response.content.decode()


def score_rows(body: str) -> dict[str, str]:
    """The session page's score table as {questionnaire: the rest of its row, as text}."""
    section = re.search(r'<section class="card session-scores".*?</section>', body, re.S)
    assert section is not None
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section.group(0), re.S)[1:]:
        cells = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = " | ".join(cells[1:])
    return rows


def test_a_session_page_shows_baseline_previous_latest_and_the_change_label(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN PHQ-9 totals 18, 15, 11 at sessions 1–3 and a GAD-7 of 12 at session 1
    WHEN the clinician opens session 3
    THEN the PHQ-9 row reads baseline 18, previous 15, latest 11, −7 points and
    reliable improvement; the GAD-7 row is a baseline only."""
    phq9_series(world.clinician, world.course_1, [18, 15, 11])
    give_gad7(world.clinician, world.course_1, 1, 12)
    third = Session.objects.get(course=world.course_1, number=3)
    rows = score_rows(session_page(world, client_for(world.clinician), third))
    assert rows["PHQ-9"] == (
        "18 Moderately severe, session 1 | 15 session 2 | 11 Moderate, session 3 | "
        "−7 points (−39 %) · Reliable improvement"
    )
    assert rows["GAD-7"] == "12 Moderate, session 1 | — | 12 Moderate, session 1 | Baseline only"


def test_an_earlier_session_shows_the_scores_as_they_stood_then(
    world: World, client_for: ClientFor
) -> None:
    phq9_series(world.clinician, world.course_1, [18, 15, 11])
    rows = score_rows(session_page(world, client_for(world.supervisor), world.session_1))
    assert rows["PHQ-9"].startswith("18 Moderately severe, session 1 | — | 18 Moderately severe")
    assert rows["PHQ-9"].endswith("Baseline only")


def test_the_new_session_page_shows_every_score_so_far_and_scheduled_instruments(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a PHQ-9 at session 1 and none of the GAD-7 the default schedule asks for
    WHEN the clinician records session 2 THEN both rows are there, the GAD-7 one empty."""
    give_phq9(world.clinician, world.course_1, 1, 14)
    body = (
        client_for(world.clinician)
        .get(reverse("courses:session_new", args=[world.course_1.public_id]))
        .content.decode()
    )
    rows = score_rows(body)
    assert rows["PHQ-9"].startswith("14 Moderate, session 1")
    assert rows["GAD-7"] == "None yet | — | — | No scores yet"
    assert reverse("measures:history", args=[world.course_1.public_id]) in body


# --- the task list and the agenda ------------------------------------------------------------


def test_without_any_questionnaire_there_is_no_baseline(world: World) -> None:
    state = course_state(world.course_1)
    assert TaskCode.BASELINE_MEASURE not in state.done
    assert state.sessions_since_measure is None


def test_a_questionnaire_is_the_baseline_and_dates_the_last_measure(world: World) -> None:
    """GIVEN a PHQ-9 in session 2 and sessions recorded up to 6
    WHEN the course state is built THEN the baseline task is done and the last measure
    was 4 sessions ago, so the agenda for session 7 asks for a measure."""
    give_phq9(world.clinician, world.course_1, 2, 15)
    for number in range(3, 7):
        session_on(world.course_1, number, world.clinician)
    state = course_state(world.course_1)
    assert TaskCode.BASELINE_MEASURE in state.done
    assert state.sessions_since_measure == 4
    codes = {item.code for item in agenda_for(state, 7)}
    assert AgendaCode.MEASURE_OVERDUE in codes


def test_a_questionnaire_between_sessions_counts_for_the_next_one(world: World) -> None:
    """GIVEN sessions 1–3 (weekly from 1 September) WHEN a PHQ-9 not linked to a session is
    completed on the day of session 2 THEN it counts for session 2; WHEN another is
    completed after session 3 THEN it counts for session 4, and the measure is current."""
    for number in (2, 3):
        session_on(world.course_1, number, world.clinician)
    assert latest_measure_session(world.course_1) is None
    give_phq9(world.clinician, world.course_1, 2, 10, linked=False)
    assert latest_measure_session(world.course_1) == 2
    assert course_state(world.course_1).sessions_since_measure == 1
    measure_submit(
        actor=world.clinician,
        course=world.course_1,
        instrument_code="phq9",
        answers=phq9_answers(phq9_values(9)),
        administered_at=at_noon(datetime.date(2026, 9, 20)),
    )
    assert latest_measure_session(world.course_1) == 4
    assert course_state(world.course_1).sessions_since_measure == 0


def test_a_corrected_questionnaire_counts_through_its_correction(world: World) -> None:
    first = give_phq9(world.clinician, world.course_1, 1, 12)
    session_on(world.course_1, 2, world.clinician)
    measure_correct(
        actor=world.clinician,
        administration=first,
        answers=phq9_answers(phq9_values(13)),
        reason="Item 3 was misread.",
    )
    state = course_state(world.course_1)
    assert TaskCode.BASELINE_MEASURE in state.done
    assert state.sessions_since_measure == 1


def test_a_baseline_ticked_by_hand_still_counts(world: World) -> None:
    """GIVEN a baseline taken outside OpenIPT and ticked by the clinician (as before
    questionnaires were recorded here) THEN the task is done and the measure current."""
    course_mark_task(actor=world.clinician, course=world.course_1, task="baseline_measure")
    state = course_state(world.course_1)
    assert TaskCode.BASELINE_MEASURE in state.done
    assert state.sessions_since_measure == 0


# --- the timeline -----------------------------------------------------------------------------


def test_the_timeline_draws_each_instruments_scores_by_date(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN PHQ-9 totals 18, 12 and a GAD-7 WHEN the timeline is built THEN it has one
    series per instrument, dated, scaled to the instrument's maximum, and the page draws them."""
    phq9_series(world.clinician, world.course_1, [18, 12])
    give_gad7(world.clinician, world.course_1, 1, 9)
    series = score_series_for_timeline(course=world.course_1)
    assert [(s.name, s.max_value) for s in series] == [("GAD-7", 21.0), ("PHQ-9", 27.0)]
    assert [(p.date, p.value) for p in series[1].points] == [
        (datetime.date(2026, 9, 1), 18.0),
        (datetime.date(2026, 9, 8), 12.0),
    ]
    body = (
        client_for(world.clinician)
        .get(reverse("courses:timeline", args=[world.course_1.public_id]))
        .content.decode()
    )
    assert '<g class="score-series"><title>PHQ-9</title>' in body
