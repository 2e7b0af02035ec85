"""Shared builders for the measures-engine tests."""

from __future__ import annotations

import copy
from typing import Any

from openipt.measures.engine import Instrument, definition_to_json, parse_definition, shipped


def answers_for_total(instrument: Instrument, total: int) -> dict[str, int]:
    """Ordinals for every scored item that add up to `total` (risk items filled last)."""
    answers: dict[str, int] = {}
    remaining = total
    # Fill non-risk items first so a total below their sum leaves risk items at 0.
    ordered = sorted(instrument.scored_items, key=lambda item: item.is_risk)
    for item in ordered:
        value = min(item.max_ordinal, remaining)
        remaining -= value
        answers[item.link_id] = item.max_ordinal - value if item.reverse else value
    assert remaining == 0, f"{total} is above the maximum of {instrument.code}"
    for item in instrument.items:
        if item.required and item.link_id not in answers:
            answers[item.link_id] = _ordinal_for_value(instrument, item.link_id, 0)
    return answers


def _ordinal_for_value(instrument: Instrument, link_id: str, value: int) -> int:
    item = instrument.item(link_id)
    return item.max_ordinal - value if item.reverse else value


def ordinal_for_value(instrument: Instrument, link_id: str, value: int) -> int:
    return _ordinal_for_value(instrument, link_id, value)


def variant(code: str, **changes: Any) -> Instrument:
    """A shipped instrument with some top-level JSON keys changed, parsed again."""
    data = definition_to_json(shipped(code))
    data.update(changes)
    return parse_definition(data)


def small_definition() -> dict[str, Any]:
    """A small valid definition in JSON form, to mutate in validation tests."""
    frequency = [
        {"code": "never", "ordinal": 0, "display": "Never"},
        {"code": "sometimes", "ordinal": 1, "display": "Sometimes"},
        {"code": "often", "ordinal": 2, "display": "Often"},
    ]
    return copy.deepcopy(
        {
            "resourceType": "Questionnaire",
            "code": "mood3",
            "version": "1.0",
            "title": "Three-question mood check",
            "shortTitle": "Mood-3",
            "language": "en",
            "recallPeriod": "Past week",
            "stem": "How often in the past week…",
            "loincPanel": None,
            "loincTotal": None,
            "textLicensed": True,
            "licenceNotice": "Written for these tests.",
            "answerSets": {"frequency": frequency},
            "item": [
                {"linkId": "m-1", "text": "Low mood", "answerSet": "frequency"},
                {
                    "linkId": "m-2",
                    "text": "Enjoyed things",
                    "answerSet": "frequency",
                    "reverse": True,
                },
                {
                    "linkId": "m-3",
                    "text": "Thoughts of harm",
                    "answerSet": "frequency",
                    "riskMin": 1,
                },
                {
                    "linkId": "m-note",
                    "text": "Anything else?",
                    "scored": False,
                    "answerSet": "frequency",
                },
            ],
            "bands": [
                {"code": "low", "label": "Low", "low": 0, "high": 2},
                {"code": "high", "label": "High", "low": 3, "high": 6},
            ],
            "casenessMin": 3,
            "remissionMax": 1,
            "reliableChange": {"sd": 1.5, "r": 0.8, "nhsPoints": None},
            "expectedRecovery": [
                {"band": "low", "k": 0.1, "nCourses": 0},
                {"band": "high", "k": 0.6, "nCourses": 0},
            ],
            "prorateMaxMissing": 0,
            "subscales": {"core": ["m-1", "m-2"]},
        }
    )
