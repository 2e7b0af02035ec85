"""Courses with scores, built through the real services, for the outcome tests."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils import timezone

from openipt.accounts.models import User
from openipt.courses.models import Course, Session
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_submit
from openipt.protocol.phases import Phase
from tests.measures.helpers import gad7_answers, phq9_answers


def phq9_values(total: int) -> tuple[int, ...]:
    """PHQ-9 item values adding up to `total`, item 9 (the risk item) always 0."""
    if not 0 <= total <= 24:
        raise ValueError("Without the risk item a PHQ-9 totals 0–24.")
    values = [0] * 9
    for index in range(8):
        values[index] = min(3, total - sum(values))
    return tuple(values)


def gad7_values(total: int) -> tuple[int, ...]:
    values = [0] * 7
    for index in range(7):
        values[index] = min(3, total - sum(values))
    return tuple(values)


def session_on(course: Course, number: int, actor: User) -> Session:
    """Session `number` of the course (made when missing), one week after the one before."""
    existing = Session.objects.filter(course=course, number=number).first()
    if existing is not None:
        return existing
    phase = (
        Phase.INITIAL
        if number <= course.initial_last
        else Phase.MIDDLE
        if number <= course.middle_last
        else Phase.TERMINATION
    )
    return Session.objects.create(
        course=course,
        number=number,
        date=course.start_date + datetime.timedelta(weeks=number - 1),
        phase=phase,
        recorded_by=actor,
    )


def at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def give_phq9(
    actor: User, course: Course, number: int, total: int, *, linked: bool = True
) -> MeasureAdministration:
    """A PHQ-9 with this total, given in (or, unlinked, on the day of) session `number`."""
    session = session_on(course, number, actor)
    return measure_submit(
        actor=actor,
        course=course,
        instrument_code="phq9",
        answers=phq9_answers(phq9_values(total)),
        administered_at=at_noon(session.date),
        session=session if linked else None,
    )


def give_gad7(actor: User, course: Course, number: int, total: int) -> MeasureAdministration:
    session = session_on(course, number, actor)
    return measure_submit(
        actor=actor,
        course=course,
        instrument_code="gad7",
        answers=gad7_answers(gad7_values(total)),
        administered_at=at_noon(session.date),
        session=session,
    )


def phq9_series(actor: User, course: Course, totals: Sequence[int], *, first: int = 1) -> None:
    """One PHQ-9 per session, sessions `first`, `first + 1`…, in order."""
    for offset, total in enumerate(totals):
        give_phq9(actor, course, first + offset, total)
