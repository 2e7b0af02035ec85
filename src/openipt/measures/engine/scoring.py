"""Scoring: a pure function of an instrument definition and a client's answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from openipt.measures.engine.definition import Band, FrozenMap, Instrument, Item

__all__ = ["ALL", "InvalidAnswers", "Score", "score_answers"]

# Key for problems that belong to the questionnaire as a whole rather than one item.
ALL = "__all__"
WRONG_TYPE = "Answer must be a whole number or an answer code"


class InvalidAnswers(ValueError):
    """The answers cannot be scored. `errors` maps linkId (or "__all__") to a message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(self.errors.values()))


@dataclass(frozen=True)
class Score:
    instrument_code: str
    version: str
    total: int
    band: Band
    item_values: Mapping[str, int]  # scored values of the answered scored items, by linkId
    risk_link_ids: tuple[str, ...]  # risk items at or above their threshold, definition order
    subscale_totals: Mapping[str, int]
    prorated: bool
    missing: tuple[str, ...]  # scored items left unanswered (only when prorating allowed it)
    # The answers as ordinals by linkId (every answered item, scored or not): the
    # normalised form to store, whichever of ordinals or codes the caller sent.
    ordinals: Mapping[str, int] = FrozenMap({})


def _round_half_up(value: Fraction) -> int:
    # Python's round() rounds halves to even; a prorated 13.5 must become 14, not 14 or 13
    # depending on parity, so clinicians can reproduce the number by hand.
    return int((value + Fraction(1, 2)).__floor__())


def _ordinal_of(item: Item, raw: object) -> int | str:
    """The answer's ordinal, or a message saying why it is not a valid answer."""
    if isinstance(raw, bool):
        return WRONG_TYPE
    if isinstance(raw, str):
        option = item.option_for_code(raw.strip())
        if option is not None:
            return option.ordinal
        text = raw.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit()):
            return f"'{raw}' is not one of the answer codes for item {item.link_id}"
        # HTML forms send numbers as text; accept them as ordinals.
        raw = int(text)
    if not isinstance(raw, int):
        return WRONG_TYPE
    if not 0 <= raw <= item.max_ordinal:
        return f"Answer {raw} is out of range for item {item.link_id} (0–{item.max_ordinal})"
    return raw


def _prorated(answered_sum: int, answered: int, total_items: int) -> int:
    if answered == total_items:
        return answered_sum
    return _round_half_up(Fraction(answered_sum * total_items, answered))


def score_answers(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    """Score one completed questionnaire, or raise InvalidAnswers listing every problem.

    `answers` maps linkId to an ordinal (int; a bool is refused; digits in text are
    accepted) or an answer code (str). None or empty text means "not answered".

    Required items are the scored items and the risk items. A missing risk item is
    always refused: an unanswered suicide question must never be estimated. Other
    missing scored items are allowed only up to the instrument's `prorate_max_missing`;
    then the total is the answered sum × items / answered items, rounded half up
    (13.5 → 14), and clamped to the instrument's range. Subscales are prorated the
    same way within their own items.
    """
    if not isinstance(answers, Mapping):
        raise InvalidAnswers({ALL: "Answers must be given as a set of item → answer pairs"})
    errors: dict[str, str] = {}
    ordinals: dict[str, int] = {}
    by_id = {item.link_id: item for item in instrument.items}
    for key, raw in answers.items():
        item = by_id.get(key) if isinstance(key, str) else None
        if item is None:
            errors[str(key)] = f"Unknown item '{key}'"
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        result = _ordinal_of(item, raw)
        if isinstance(result, str):
            errors[key] = result
        else:
            ordinals[key] = result

    unanswered = [
        item
        for item in instrument.items
        if item.required and item.link_id not in ordinals and item.link_id not in errors
    ]
    missing_risk = [item for item in unanswered if item.is_risk]
    missing_scored = [item for item in unanswered if not item.is_risk]
    for item in missing_risk:
        errors[item.link_id] = f"Item {item.link_id} has no answer"
    if len(missing_scored) > instrument.prorate_max_missing:
        for item in missing_scored:
            errors[item.link_id] = f"Item {item.link_id} has no answer"
        if instrument.prorate_max_missing:
            errors[ALL] = (
                f"{len(missing_scored)} items have no answer; {instrument.short_title} can be "
                f"scored with at most {instrument.prorate_max_missing} missing"
            )

    values = {
        item.link_id: item.value_of(ordinals[item.link_id])
        for item in instrument.scored_items
        if item.link_id in ordinals
    }
    subscale_totals: dict[str, int] = {}
    if not errors:
        for name, members in instrument.subscales.items():
            answered = [values[m] for m in members if m in values]
            if not answered:
                errors[ALL] = f"Subscale '{name}' cannot be scored: none of its items has an answer"
                continue
            ceiling = sum(instrument.item(m).max_ordinal for m in members)
            prorated = _prorated(sum(answered), len(answered), len(members))
            subscale_totals[name] = min(ceiling, prorated)
    if errors:
        raise InvalidAnswers(errors)

    scored_count = len(instrument.scored_items)
    total = _prorated(sum(values.values()), len(values), scored_count)
    total = max(instrument.min_total, min(instrument.max_total, total))
    risk = tuple(
        item.link_id
        for item in instrument.risk_items
        if item.link_id in ordinals and item.is_risk_positive(item.value_of(ordinals[item.link_id]))
    )
    return Score(
        instrument_code=instrument.code,
        version=instrument.version,
        total=total,
        band=instrument.band_for(total),
        item_values=FrozenMap(values),
        risk_link_ids=risk,
        subscale_totals=FrozenMap(subscale_totals),
        prorated=bool(missing_scored),
        missing=tuple(item.link_id for item in missing_scored),
        ordinals=FrozenMap(
            {
                item.link_id: ordinals[item.link_id]
                for item in instrument.items
                if item.link_id in ordinals
            }
        ),
    )
