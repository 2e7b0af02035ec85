"""Answers and texts shared by the measures tests."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from openipt.accounts.models import User
from openipt.courses.models import Course, Session
from openipt.measures.engine import shipped
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_submit

NOT_AT_ALL, SEVERAL_DAYS, MORE_THAN_HALF, NEARLY_EVERY_DAY = (
    "LA6568-5",
    "LA6569-3",
    "LA6570-1",
    "LA6571-9",
)
CODES = (NOT_AT_ALL, SEVERAL_DAYS, MORE_THAN_HALF, NEARLY_EVERY_DAY)
# "Not difficult at all" … "Extremely difficult" (the PHQ-9's unscored last item).
DIFFICULTY_CODES = ("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")


def phq9_answers(
    values: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 1, 1, 0), *, difficulty: int | None = 1
) -> dict[str, object]:
    """PHQ-9 answers as the form sends them (answer codes), item 1 first."""
    answers: dict[str, object] = {f"phq9-{n}": CODES[v] for n, v in enumerate(values, start=1)}
    if difficulty is not None:
        answers["phq9-difficulty"] = DIFFICULTY_CODES[difficulty]
    return answers


def gad7_answers(values: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 1)) -> dict[str, object]:
    return {f"gad7-{n}": CODES[v] for n, v in enumerate(values, start=1)}


def submit_phq9(
    actor: User,
    course: Course,
    values: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 1, 1, 0),
    *,
    days_ago: float = 0,
    session: Session | None = None,
    **kwargs: Any,
) -> MeasureAdministration:
    return measure_submit(
        actor=actor,
        course=course,
        instrument_code="phq9",
        answers=phq9_answers(values),
        administered_at=timezone.now() - datetime.timedelta(days=days_ago),
        session=session,
        **kwargs,
    )


def licensed_texts(code: str) -> dict[str, str]:
    """Made-up wording for every item and answer of an unlicensed instrument.

    Placeholder words only: the real EPDS and PHQ-A text must never be in the repository.
    """
    instrument = shipped(code)
    texts = {"stem": f"Test stem for {code}"}
    for item in instrument.items:
        texts[item.link_id] = f"Test question {item.link_id}"
        for option in item.options:
            texts[f"{item.link_id}:{option.code}"] = f"Test answer {option.code}"
    return texts


def form_data(answers: dict[str, object], **extra: str) -> dict[str, str]:
    data = {key: str(value) for key, value in answers.items()}
    data.update(extra)
    return data
