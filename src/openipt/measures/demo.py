"""Demo questionnaire scores: a course on track, one not on track, two in remission, one alert.

The demo courses (courses/demo.py) call `seed_session_measures` after each
session they record, so every score goes through `measure_submit` like a
clinician's would, risk alert included.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from openipt.measures.engine import Instrument, shipped
from openipt.measures.services import measure_request_create, measure_submit

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.courses.models import Course, Session

# PHQ-9 totals, one per session, by demo client. The stories they tell:
# Jordan recovering as expected, Aisha stuck above the expected range (not on
# track), Margaret and Wei in remission, Mohammed too early to tell.
PHQ9_SERIES: Mapping[str, Sequence[int]] = {
    "Jordan Ellis": (17, 16, 15, 13, 12, 11, 10),
    "Lucía Fernández": (15,),
    "Margaret O'Brien": (15, 14, 14, 12, 11, 10, 9, 9, 8, 7, 6, 5, 4, 4, 3),
    "Mohammed Al-Sayed": (14, 15, 15),
    "Wei Zhang": (12, 11, 9, 7, 5, 4),
    "Tomasz Kowalski": (6, 5, 5, 4),
    "Aisha Bello": (16, 17, 17, 18, 17, 18, 18, 17, 18, 18, 17, 18, 18),
}
# GDS-15 for the older-adult course, as its schedule asks.
GDS15_SERIES: Mapping[str, Sequence[int]] = {
    "Margaret O'Brien": (11, 11, 10, 10, 9, 8, 8, 7, 6, 6, 5, 4, 4, 3, 3),
}
# Lucía answered "several days" to the self-harm item at her first session:
# the demo's open risk alert.
RISK_ANSWER_AT: Mapping[str, int] = {"Lucía Fernández": 1}


def answers_for_total(instrument: Instrument, total: int, *, risk: int = 0) -> dict[str, int]:
    """Ordinals that add up to `total`, spread evenly, with risk items set to `risk`.

    Invented answers for invented people: the demo needs plausible, valid
    questionnaires with a chosen total, not any particular pattern.
    """
    answers: dict[str, int] = {}
    remaining = total
    for item in instrument.risk_items:
        ordinal = min(risk, max(o.ordinal for o in item.options))
        answers[item.link_id] = ordinal
        if item.scored:
            remaining -= item.value_of(ordinal)
    scored = [i for i in instrument.scored_items if i.link_id not in answers]
    # Round-robin one point at a time so the answers look like a spread of
    # symptoms rather than a few maxed-out items.
    values = dict.fromkeys((i.link_id for i in scored), 0)
    maximum = {i.link_id: max(i.value_of(o.ordinal) for o in i.options) for i in scored}
    while remaining > 0:
        progressed = False
        for item in scored:
            if remaining and values[item.link_id] < maximum[item.link_id]:
                values[item.link_id] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            raise ValueError(f"{instrument.code} cannot reach the total {total}")
    for item in scored:
        answers[item.link_id] = next(
            o.ordinal for o in item.options if item.value_of(o.ordinal) == values[item.link_id]
        )
    return answers


def _gad7_from_phq9(total: int) -> int:
    # Anxiety that moves with the low mood, a little lower, as it often does.
    return min(21, round(total * 0.7))


def seed_session_measures(
    *, actor: User, course: Course, session: Session, client_name: str, day: datetime.date
) -> None:
    """Record the questionnaires a demo client filled in before `session`."""
    index = session.number - 1
    series = PHQ9_SERIES.get(client_name, ())
    if index >= len(series):
        return
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))
    risk = 1 if RISK_ANSWER_AT.get(client_name) == session.number else 0
    phq9 = series[index]
    scores = [
        ("phq9", answers_for_total(shipped("phq9"), phq9, risk=risk)),
        ("gad7", answers_for_total(shipped("gad7"), _gad7_from_phq9(phq9))),
    ]
    gds = GDS15_SERIES.get(client_name, ())
    if index < len(gds):
        scores.append(("gds15", answers_for_total(shipped("gds15"), gds[index])))
    for code, answers in scores:
        measure_submit(
            actor=actor,
            course=course,
            instrument_code=code,
            answers=answers,
            administered_at=moment,
            session=session,
        )


def seed_demo_requests(*, actor: User, course: Course) -> None:
    """Questionnaires waiting in the client's portal before their next session."""
    for code in ("phq9", "gad7"):
        measure_request_create(actor=actor, course=course, instrument_code=code)
