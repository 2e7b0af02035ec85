"""Instrument definitions: the data that says what a questionnaire asks and how it is scored.

A definition is shaped like a FHIR Questionnaire (a stable ``linkId`` per item, coded
answers with an ordinal value, LOINC codes where they exist) plus the scoring rules
FHIR leaves out: which items count, which are reverse-scored, which are risk items,
severity bands, caseness and remission thresholds, reliable-change parameters and the
default expected-recovery slope per baseline band.

Scoring is keyed to ``linkId`` and answer codes, never to display text, so a practice
can translate or load licensed wording without changing any score.

This module is pure Python: it must not import Django (a test checks that).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, TypeVar

__all__ = [
    "AnswerOption",
    "Band",
    "DefinitionError",
    "ExpectedBand",
    "FrozenMap",
    "Instrument",
    "Item",
    "ReliableChange",
    "definition_to_json",
    "loinc_check_digit_ok",
    "parse_definition",
    "with_licensed_text",
]

V = TypeVar("V")

# 1.96 is the two-sided 95 % point of the normal distribution used by Jacobson & Truax.
JT_CRITICAL = 1.96

# Lengths match the database columns that store codes and versions
# (measures.models: 32 and 16 characters).
_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_LINK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_BAND_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_LOINC_RE = re.compile(r"^([0-9]{1,7})-([0-9])$")
_VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,15}$")
# linkIds that would collide with the keys `with_licensed_text` and `InvalidAnswers` use.
_RESERVED_LINK_IDS = frozenset({"stem", "__all__"})


class FrozenMap(Mapping[str, V]):
    """A read-only, hashable mapping, so frozen dataclasses holding one stay hashable."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, V] | Iterable[tuple[str, V]] = ()) -> None:
        self._data: dict[str, V] = dict(data)

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


class DefinitionError(ValueError):
    """An instrument definition is invalid; `errors` lists every problem in plain English."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: list[str] = list(errors)
        count = len(self.errors)
        heading = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"The instrument definition has {heading}: " + "; ".join(self.errors))


@dataclass(frozen=True)
class AnswerOption:
    """One answer choice. `ordinal` is the raw value before any reverse scoring."""

    code: str
    ordinal: int
    display: str  # "" when the wording is licensed and not shipped


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    loinc: str | None
    options: tuple[AnswerOption, ...]
    scored: bool = True
    reverse: bool = False
    risk_min: int | None = None
    subscales: tuple[str, ...] = ()

    @property
    def max_ordinal(self) -> int:
        return max(option.ordinal for option in self.options)

    @property
    def is_risk(self) -> bool:
        return self.risk_min is not None

    @property
    def required(self) -> bool:
        """Scored and risk items must be answered; other unscored items are optional."""
        return self.scored or self.is_risk

    def value_of(self, ordinal: int) -> int:
        """The scored value of the answer with this ordinal (reverse items count down)."""
        if not 0 <= ordinal <= self.max_ordinal:
            raise ValueError(
                f"Answer {ordinal} is out of range for item {self.link_id} (0–{self.max_ordinal})"
            )
        return self.max_ordinal - ordinal if self.reverse else ordinal

    def option_for_code(self, code: str) -> AnswerOption | None:
        return next((option for option in self.options if option.code == code), None)

    def option_for_ordinal(self, ordinal: int) -> AnswerOption | None:
        return next((option for option in self.options if option.ordinal == ordinal), None)

    def is_risk_positive(self, value: int) -> bool:
        """True when this scored value reaches the item's risk threshold.

        There is deliberately no "negative" counterpart: a 0 on a risk item is not
        evidence of low risk, so nothing in the engine labels it that way.
        """
        return self.risk_min is not None and value >= self.risk_min


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    low: int  # inclusive
    high: int  # inclusive

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class ReliableChange:
    """Reliable-change parameters.

    `sd` and `r` (reliability) give the Jacobson–Truax criterion; `nhs_points`, when
    set, is the fixed change NHS Talking Therapies counts as reliable and takes
    precedence over Jacobson–Truax for the improvement/deterioration decision.
    """

    sd: float
    r: float
    nhs_points: int | None

    @property
    def s_diff(self) -> float:
        """Standard error of the difference between two scores: √2 · SD · √(1 − r)."""
        return math.sqrt(2.0) * self.sd * math.sqrt(1.0 - self.r)

    @property
    def amount(self) -> float:
        """The change that counts as reliable, in score points."""
        if self.nhs_points is not None:
            return float(self.nhs_points)
        return JT_CRITICAL * self.s_diff


@dataclass(frozen=True)
class ExpectedBand:
    """Slope of the expected-recovery curve for clients whose baseline is in `band_code`.

    `n_courses` is 0 for the shipped heuristic and the number of completed courses
    when the value was calibrated from a practice's own data.
    """

    band_code: str
    k: float
    n_courses: int


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    short_title: str
    language: str
    recall_period: str
    stem: str
    loinc_panel: str | None
    loinc_total: str | None
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    caseness_min: int | None
    remission_max: int | None
    reliable_change: ReliableChange | None
    expected_recovery: tuple[ExpectedBand, ...]
    prorate_max_missing: int
    licence_notice: str
    text_licensed: bool
    subscales: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: FrozenMap({}))

    def __post_init__(self) -> None:
        # Freeze the mapping so an Instrument is immutable and hashable like its parts.
        if not isinstance(self.subscales, FrozenMap):
            object.__setattr__(
                self, "subscales", FrozenMap({k: tuple(v) for k, v in self.subscales.items()})
            )

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @property
    def risk_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_risk)

    @property
    def max_total(self) -> int:
        return sum(item.max_ordinal for item in self.scored_items)

    @property
    def min_total(self) -> int:
        # Ordinals always start at 0, so every item's lowest scored value is 0.
        return 0

    @property
    def has_full_text(self) -> bool:
        """True when every item and answer has wording to show."""
        return all(
            item.text and all(option.display for option in item.options) for item in self.items
        )

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.contains(total):
                return band
        raise ValueError(
            f"Total {total} is outside the range of {self.short_title} "
            f"({self.min_total}–{self.max_total})"
        )

    def band(self, code: str) -> Band:
        for band in self.bands:
            if band.code == code:
                return band
        raise KeyError(code)

    def item(self, link_id: str) -> Item:
        for item in self.items:
            if item.link_id == link_id:
                return item
        raise KeyError(link_id)

    def expected_band(self, band_code: str) -> ExpectedBand | None:
        return next((e for e in self.expected_recovery if e.band_code == band_code), None)


def loinc_check_digit_ok(code: str) -> bool:
    """True when `code` looks like a LOINC term code ("44250-9") with a valid check digit.

    LOINC uses the mod-10 (Luhn) scheme: double every other digit from the right,
    add the digits of the results and of the remaining digits, and the check digit
    brings the sum up to a multiple of ten. LOINC *answer* codes ("LA6568-5") follow a
    different scheme and are not checked here.
    """
    match = _LOINC_RE.match(code)
    if match is None:
        return False
    digits, check = match.group(1), int(match.group(2))
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit // 10 + digit % 10
        total += digit
    return (10 - total % 10) % 10 == check


# ---------------------------------------------------------------------------
# Parsing


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class _Reader:
    """Reads typed values out of one JSON object, collecting problems instead of raising."""

    def __init__(self, data: Mapping[str, Any], where: str, problems: list[str]) -> None:
        self.data = data
        self.where = where
        self.problems = problems

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed_set = set(allowed)
        for key in self.data:
            # Keys starting with "_" are comments (e.g. where a number comes from).
            if isinstance(key, str) and key.startswith("_"):
                continue
            if key not in allowed_set:
                self.problem(f"unknown key '{key}' (allowed: {', '.join(sorted(allowed_set))})")

    def _present(self, key: str, required: bool) -> bool:
        if key in self.data:
            return True
        if required:
            self.problem(f"missing key '{key}'")
        return False

    def text(
        self, key: str, *, required: bool = True, default: str = "", allow_empty: bool = True
    ) -> str | None:
        if not self._present(key, required):
            return None if required else default
        value = self.data[key]
        if not isinstance(value, str):
            self.problem(f"'{key}' must be text, not {_kind(value)}")
            return None
        if not allow_empty and not value.strip():
            self.problem(f"'{key}' must not be empty")
            return None
        return value

    def optional_text(self, key: str) -> tuple[bool, str | None]:
        """(ok, value) for a key that may be missing or null."""
        value = self.data.get(key)
        if value is None:
            return True, None
        if not isinstance(value, str):
            self.problem(f"'{key}' must be text or null, not {_kind(value)}")
            return False, None
        return True, value

    def whole(
        self, key: str, *, required: bool = True, default: int | None = None, nullable: bool = False
    ) -> tuple[bool, int | None]:
        if not self._present(key, required):
            return (not required), default
        value = self.data[key]
        if value is None and nullable:
            return True, None
        if isinstance(value, bool) or not isinstance(value, int):
            expected = "a whole number or null" if nullable else "a whole number"
            self.problem(f"'{key}' must be {expected}, not {_kind(value)}")
            return False, None
        return True, value

    def number(self, key: str) -> float | None:
        if not self._present(key, True):
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(f"'{key}' must be a number, not {_kind(value)}")
            return None
        if not math.isfinite(value):
            self.problem(f"'{key}' must be a finite number")
            return None
        return float(value)

    def flag(self, key: str, default: bool) -> bool | None:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.problem(f"'{key}' must be true or false, not {_kind(value)}")
            return None
        return value

    def array(self, key: str, *, required: bool = True) -> list[Any] | None:
        if not self._present(key, required):
            return None if required else []
        value = self.data[key]
        if not isinstance(value, list | tuple):
            self.problem(f"'{key}' must be a list, not {_kind(value)}")
            return None
        return list(value)

    def mapping(self, key: str, *, required: bool = False) -> Mapping[str, Any] | None:
        if not self._present(key, required):
            return None if required else {}
        value = self.data[key]
        if not isinstance(value, Mapping):
            self.problem(f"'{key}' must be an object, not {_kind(value)}")
            return None
        return value


_TOP_KEYS = (
    "resourceType",
    "code",
    "version",
    "title",
    "shortTitle",
    "language",
    "recallPeriod",
    "stem",
    "loincPanel",
    "loincTotal",
    "textLicensed",
    "licenceNotice",
    "answerSets",
    "item",
    "bands",
    "casenessMin",
    "remissionMax",
    "reliableChange",
    "expectedRecovery",
    "prorateMaxMissing",
    "subscales",
)
_ITEM_KEYS = (
    "linkId",
    "text",
    "loinc",
    "scored",
    "reverse",
    "riskMin",
    "answerOption",
    "answerSet",
)
_OPTION_KEYS = ("code", "ordinal", "display")
_BAND_KEYS = ("code", "label", "low", "high")
_RC_KEYS = ("sd", "r", "nhsPoints")
_EXPECTED_KEYS = ("band", "k", "nCourses")


def _loinc(reader: _Reader, key: str) -> tuple[bool, str | None]:
    ok, value = reader.optional_text(key)
    if value is not None and not loinc_check_digit_ok(value):
        reader.problem(
            f"'{key}' value '{value}' is not a valid LOINC code "
            "(digits, a hyphen and a correct check digit, e.g. 44261-6)"
        )
        return False, None
    return ok, value


def _parse_options(
    raw: object, where: str, problems: list[str], text_licensed: bool
) -> tuple[AnswerOption, ...] | None:
    if not isinstance(raw, list | tuple):
        problems.append(f"{where}: answer options must be a list, not {_kind(raw)}")
        return None
    options: list[AnswerOption] = []
    ok = True
    for index, entry in enumerate(raw, start=1):
        option_where = f"{where}, answer {index}"
        if not isinstance(entry, Mapping):
            problems.append(f"{option_where}: must be an object, not {_kind(entry)}")
            ok = False
            continue
        reader = _Reader(entry, option_where, problems)
        before = len(problems)
        reader.check_keys(_OPTION_KEYS)
        code = reader.text("code", allow_empty=False)
        _, ordinal = reader.whole("ordinal")
        display = reader.text("display")
        if ordinal is not None and ordinal < 0:
            reader.problem(f"'ordinal' must be 0 or more, not {ordinal}")
            ordinal = None
        if display is not None and text_licensed and not display.strip():
            reader.problem("the answer has no display text but textLicensed is true")
        if code is None or ordinal is None or display is None or len(problems) > before:
            ok = False
            continue
        options.append(AnswerOption(code=code, ordinal=ordinal, display=display))
    if not ok:
        return None
    if len(options) < 2:
        problems.append(f"{where}: needs at least two answer options")
        return None
    codes = [option.code for option in options]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        problems.append(f"{where}: answer codes used more than once: {', '.join(duplicates)}")
        return None
    ordinals = sorted(option.ordinal for option in options)
    if ordinals != list(range(len(options))):
        shown = ", ".join(str(o) for o in ordinals)
        problems.append(
            f"{where}: answer ordinals must run 0, 1, 2, … without gaps or repeats (got {shown})"
        )
        return None
    return tuple(options)


def _parse_item(
    raw: object,
    index: int,
    problems: list[str],
    answer_sets: Mapping[str, object],
    text_licensed: bool,
) -> Item | None:
    where = f"item {index}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be an object, not {_kind(raw)}")
        return None
    link_id_raw = raw.get("linkId")
    if isinstance(link_id_raw, str) and link_id_raw:
        where = f"item {index} ({link_id_raw})"
    reader = _Reader(raw, where, problems)
    before = len(problems)
    reader.check_keys(_ITEM_KEYS)
    link_id = reader.text("linkId", allow_empty=False)
    if link_id is not None and (not _LINK_ID_RE.match(link_id) or link_id in _RESERVED_LINK_IDS):
        reader.problem(
            f"linkId '{link_id}' must start with a letter or digit and use only letters, "
            "digits, '.', '_' and '-' (and may not be 'stem' or '__all__')"
        )
    text = reader.text("text")
    if text is not None and text_licensed and not text.strip():
        reader.problem("the item has no text but textLicensed is true")
    _, loinc = _loinc(reader, "loinc")
    scored = reader.flag("scored", True)
    reverse = reader.flag("reverse", False)
    _, risk_min = reader.whole("riskMin", required=False, nullable=True)

    options: tuple[AnswerOption, ...] | None = None
    has_inline, has_set = "answerOption" in raw, "answerSet" in raw
    if has_inline and has_set:
        reader.problem("give either 'answerOption' or 'answerSet', not both")
    elif has_inline:
        options = _parse_options(raw["answerOption"], where, problems, text_licensed)
    elif has_set:
        set_name = raw["answerSet"]
        if not isinstance(set_name, str) or set_name not in answer_sets:
            known = ", ".join(sorted(answer_sets)) or "none defined"
            reader.problem(f"answerSet '{set_name}' is not defined in 'answerSets' ({known})")
        else:
            options = _parse_options(answer_sets[set_name], where, problems, text_licensed)
    else:
        reader.problem("missing key 'answerOption' (or 'answerSet')")

    if reverse and scored is False:
        reader.problem("an unscored item cannot be reverse-scored")
    if options is not None and risk_min is not None:
        top = max(option.ordinal for option in options)
        if not 1 <= risk_min <= top:
            reader.problem(f"riskMin {risk_min} is out of range (1–{top})")
    if (
        len(problems) > before
        or link_id is None
        or text is None
        or scored is None
        or reverse is None
        or options is None
    ):
        return None
    return Item(
        link_id=link_id,
        text=text,
        loinc=loinc,
        options=options,
        scored=scored,
        reverse=reverse,
        risk_min=risk_min,
    )


def _parse_bands(raw: list[Any], problems: list[str]) -> tuple[Band, ...] | None:
    bands: list[Band] = []
    ok = True
    for index, entry in enumerate(raw, start=1):
        where = f"band {index}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object, not {_kind(entry)}")
            ok = False
            continue
        if isinstance(entry.get("code"), str) and entry["code"]:
            where = f"band {index} ({entry['code']})"
        reader = _Reader(entry, where, problems)
        before = len(problems)
        reader.check_keys(_BAND_KEYS)
        code = reader.text("code", allow_empty=False)
        if code is not None and not _BAND_CODE_RE.match(code):
            reader.problem(f"code '{code}' must use only lower-case letters, digits, '_' and '-'")
        label = reader.text("label", allow_empty=False)
        _, low = reader.whole("low")
        _, high = reader.whole("high")
        if low is not None and high is not None and low > high:
            reader.problem(f"low ({low}) is above high ({high})")
        if len(problems) > before or code is None or label is None or low is None or high is None:
            ok = False
            continue
        bands.append(Band(code=code, label=label, low=low, high=high))
    if not ok:
        return None
    if not bands:
        problems.append("'bands' must list at least one band")
        return None
    codes = [band.code for band in bands]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        problems.append(f"band codes used more than once: {', '.join(duplicates)}")
        ok = False
    in_order = sorted(bands, key=lambda band: (band.low, band.high))
    if in_order != bands:
        problems.append("bands must be listed from the lowest scores to the highest")
        ok = False
    for previous, current in pairwise(in_order):
        if current.low > previous.high + 1:
            first, last = previous.high + 1, current.low - 1
            missing = str(first) if first == last else f"{first}–{last}"
            problems.append(f"bands leave a gap: no band covers {missing}")
            ok = False
        elif current.low <= previous.high:
            problems.append(
                f"bands '{previous.code}' ({previous.low}–{previous.high}) and "
                f"'{current.code}' ({current.low}–{current.high}) overlap"
            )
            ok = False
    return tuple(bands) if ok else None


def _parse_reliable_change(
    raw: object, problems: list[str], max_total: int | None
) -> tuple[bool, ReliableChange | None]:
    if raw is None:
        return True, None
    where = "reliableChange"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be an object or null, not {_kind(raw)}")
        return False, None
    reader = _Reader(raw, where, problems)
    before = len(problems)
    reader.check_keys(_RC_KEYS)
    sd = reader.number("sd")
    r = reader.number("r")
    _, nhs_points = reader.whole("nhsPoints", required=False, nullable=True)
    if sd is not None and sd <= 0:
        reader.problem(f"'sd' must be above 0, not {sd:g}")
    if r is not None and not 0 <= r < 1:
        reader.problem(f"'r' (reliability) must be at least 0 and below 1, not {r:g}")
    if nhs_points is not None and (
        nhs_points < 1 or (max_total is not None and nhs_points > max_total)
    ):
        upper = f"–{max_total}" if max_total is not None else " or more"
        reader.problem(f"'nhsPoints' {nhs_points} is out of range (1{upper})")
    if len(problems) > before or sd is None or r is None:
        return False, None
    return True, ReliableChange(sd=sd, r=r, nhs_points=nhs_points)


def _parse_expected(
    raw: list[Any], problems: list[str], bands: tuple[Band, ...] | None
) -> tuple[ExpectedBand, ...] | None:
    entries: list[ExpectedBand] = []
    ok = True
    for index, entry in enumerate(raw, start=1):
        where = f"expectedRecovery {index}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object, not {_kind(entry)}")
            ok = False
            continue
        reader = _Reader(entry, where, problems)
        before = len(problems)
        reader.check_keys(_EXPECTED_KEYS)
        band = reader.text("band", allow_empty=False)
        k = reader.number("k")
        _, n_courses = reader.whole("nCourses", required=False, default=0)
        if k is not None and k < 0:
            reader.problem(f"'k' must be 0 or more, not {k:g}")
        if n_courses is not None and n_courses < 0:
            reader.problem(f"'nCourses' must be 0 or more, not {n_courses}")
        if bands is not None and band is not None and band not in {b.code for b in bands}:
            reader.problem(f"band '{band}' is not one of the instrument's bands")
        if len(problems) > before or band is None or k is None or n_courses is None:
            ok = False
            continue
        entries.append(ExpectedBand(band_code=band, k=k, n_courses=n_courses))
    if not ok:
        return None
    codes = [entry.band_code for entry in entries]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        problems.append(
            f"expectedRecovery gives more than one slope for band {', '.join(duplicates)}"
        )
        return None
    if entries and bands is not None:
        missing = [band.code for band in bands if band.code not in codes]
        if missing:
            problems.append(
                "expectedRecovery must give a slope for every band or be empty; missing: "
                + ", ".join(missing)
            )
            return None
    return tuple(entries)


def _parse_subscales(
    raw: Mapping[str, Any], problems: list[str], items: tuple[Item, ...] | None
) -> dict[str, tuple[str, ...]] | None:
    result: dict[str, tuple[str, ...]] = {}
    ok = True
    by_id = {item.link_id: item for item in items} if items is not None else None
    for name, members in raw.items():
        where = f"subscale '{name}'"
        if not isinstance(name, str) or not _CODE_RE.match(name):
            problems.append(f"{where}: names use only lower-case letters, digits, '_' and '-'")
            ok = False
            continue
        if not isinstance(members, list | tuple) or not members:
            problems.append(f"{where}: must be a non-empty list of linkIds")
            ok = False
            continue
        bad_types = [m for m in members if not isinstance(m, str)]
        if bad_types:
            problems.append(f"{where}: every member must be a linkId (text)")
            ok = False
            continue
        repeated = sorted({m for m in members if members.count(m) > 1})
        if repeated:
            problems.append(f"{where}: lists {', '.join(repeated)} more than once")
            ok = False
        if by_id is not None:
            unknown = [m for m in members if m not in by_id]
            if unknown:
                problems.append(f"{where}: names unknown items {', '.join(unknown)}")
                ok = False
            unscored = [m for m in members if m in by_id and not by_id[m].scored]
            if unscored:
                problems.append(f"{where}: includes unscored items {', '.join(unscored)}")
                ok = False
        result[name] = tuple(members)
    return result if ok else None


def parse_definition(data: Mapping[str, Any]) -> Instrument:
    """Build an Instrument from its JSON form, or raise DefinitionError listing every problem."""
    if not isinstance(data, Mapping):
        raise DefinitionError([f"the definition must be a JSON object, not {_kind(data)}"])
    problems: list[str] = []
    top = _Reader(data, "definition", problems)
    top.check_keys(_TOP_KEYS)
    resource_type = data.get("resourceType", "Questionnaire")
    if resource_type != "Questionnaire":
        top.problem(f"'resourceType' must be 'Questionnaire', not '{resource_type}'")
    code = top.text("code", allow_empty=False)
    if code is not None and not _CODE_RE.match(code):
        top.problem(
            f"code '{code}' must be 1–32 lower-case letters, digits, '_' or '-' "
            "and start with a letter or digit"
        )
    version = top.text("version", allow_empty=False)
    if version is not None and not _VERSION_RE.match(version):
        top.problem(
            f"version '{version}' must be at most 16 characters with no spaces (e.g. '1.0')"
        )
    title = top.text("title", allow_empty=False)
    short_title = top.text("shortTitle", required=False, default=title or "", allow_empty=False)
    language = top.text("language", required=False, default="en", allow_empty=False)
    recall_period = top.text("recallPeriod", required=False)
    stem = top.text("stem", required=False)
    _, loinc_panel = _loinc(top, "loincPanel")
    _, loinc_total = _loinc(top, "loincTotal")
    text_licensed = top.flag("textLicensed", True)
    licence_notice = top.text("licenceNotice", required=False)

    answer_sets = top.mapping("answerSets") or {}
    raw_items = top.array("item")
    items: tuple[Item, ...] | None = None
    if raw_items is not None:
        parsed: list[Item | None] = [
            _parse_item(raw, index, problems, answer_sets, bool(text_licensed))
            for index, raw in enumerate(raw_items, start=1)
        ]
        built = [item for item in parsed if item is not None]
        ids = [item.link_id for item in built]
        duplicates = sorted({link_id for link_id in ids if ids.count(link_id) > 1})
        if duplicates:
            problems.append(f"linkIds used more than once: {', '.join(duplicates)}")
        if not raw_items:
            problems.append("'item' must list at least one item")
        elif built and not any(item.scored for item in built):
            problems.append("at least one item must be scored")
        if len(built) == len(parsed) and not duplicates and any(i.scored for i in built):
            items = tuple(built)
    max_total = sum(i.max_ordinal for i in items if i.scored) if items is not None else None

    raw_bands = top.array("bands")
    bands = _parse_bands(raw_bands, problems) if raw_bands is not None else None
    if bands is not None and max_total is not None:
        if bands[0].low != 0:
            problems.append(f"bands start at {bands[0].low} but the lowest possible total is 0")
        if bands[-1].high != max_total:
            problems.append(
                f"bands end at {bands[-1].high} but the highest possible total is {max_total}"
            )

    _, caseness_min = top.whole("casenessMin", required=False, nullable=True)
    _, remission_max = top.whole("remissionMax", required=False, nullable=True)
    if caseness_min is not None and max_total is not None and not 1 <= caseness_min <= max_total:
        top.problem(f"casenessMin {caseness_min} is out of range (1–{max_total})")
    if (
        remission_max is not None
        and max_total is not None
        and not 0 <= remission_max <= max_total - 1
    ):
        top.problem(f"remissionMax {remission_max} is out of range (0–{max_total - 1})")
    if caseness_min is not None and remission_max is not None and remission_max >= caseness_min:
        top.problem(f"remissionMax ({remission_max}) must be below casenessMin ({caseness_min})")

    rc_ok, reliable_change = _parse_reliable_change(data.get("reliableChange"), problems, max_total)
    raw_expected = top.array("expectedRecovery", required=False)
    expected = _parse_expected(raw_expected, problems, bands) if raw_expected is not None else None
    if expected and rc_ok and reliable_change is None:
        top.problem(
            "expectedRecovery needs reliableChange: the tolerance band around the expected "
            "curve is the reliable-change amount"
        )

    _, prorate = top.whole("prorateMaxMissing", required=False, default=0)
    if prorate is not None and items is not None:
        scored_count = sum(1 for item in items if item.scored)
        if not 0 <= prorate < scored_count:
            top.problem(f"prorateMaxMissing {prorate} is out of range (0–{scored_count - 1})")
    elif prorate is not None and prorate < 0:
        top.problem(f"prorateMaxMissing must be 0 or more, not {prorate}")

    raw_subscales = top.mapping("subscales")
    subscales = (
        _parse_subscales(raw_subscales, problems, items) if raw_subscales is not None else None
    )

    if problems:
        raise DefinitionError(problems)
    # Every value below was checked above; these asserts only narrow types for mypy.
    assert code is not None and version is not None and title is not None  # noqa: S101
    assert short_title is not None and language is not None  # noqa: S101
    assert recall_period is not None and stem is not None  # noqa: S101
    assert licence_notice is not None and text_licensed is not None  # noqa: S101
    assert items is not None and bands is not None and expected is not None  # noqa: S101
    assert prorate is not None and subscales is not None  # noqa: S101

    membership: dict[str, list[str]] = {}
    for name, members in subscales.items():
        for link_id in members:
            membership.setdefault(link_id, []).append(name)
    items = tuple(
        replace(item, subscales=tuple(membership.get(item.link_id, ()))) for item in items
    )
    return Instrument(
        code=code,
        version=version,
        title=title,
        short_title=short_title,
        language=language,
        recall_period=recall_period,
        stem=stem,
        loinc_panel=loinc_panel,
        loinc_total=loinc_total,
        items=items,
        bands=bands,
        caseness_min=caseness_min,
        remission_max=remission_max,
        reliable_change=reliable_change,
        expected_recovery=expected,
        prorate_max_missing=prorate,
        licence_notice=licence_notice,
        text_licensed=text_licensed,
        subscales=FrozenMap(subscales),
    )


def definition_to_json(instrument: Instrument) -> dict[str, Any]:
    """The JSON form of an instrument; `parse_definition` of the result gives it back."""
    rc = instrument.reliable_change
    return {
        "resourceType": "Questionnaire",
        "code": instrument.code,
        "version": instrument.version,
        "title": instrument.title,
        "shortTitle": instrument.short_title,
        "language": instrument.language,
        "recallPeriod": instrument.recall_period,
        "stem": instrument.stem,
        "loincPanel": instrument.loinc_panel,
        "loincTotal": instrument.loinc_total,
        "textLicensed": instrument.text_licensed,
        "licenceNotice": instrument.licence_notice,
        "item": [
            {
                "linkId": item.link_id,
                "text": item.text,
                "loinc": item.loinc,
                "scored": item.scored,
                "reverse": item.reverse,
                "riskMin": item.risk_min,
                "answerOption": [
                    {"code": o.code, "ordinal": o.ordinal, "display": o.display}
                    for o in item.options
                ],
            }
            for item in instrument.items
        ],
        "bands": [
            {"code": b.code, "label": b.label, "low": b.low, "high": b.high}
            for b in instrument.bands
        ],
        "casenessMin": instrument.caseness_min,
        "remissionMax": instrument.remission_max,
        "reliableChange": (
            None if rc is None else {"sd": rc.sd, "r": rc.r, "nhsPoints": rc.nhs_points}
        ),
        "expectedRecovery": [
            {"band": e.band_code, "k": e.k, "nCourses": e.n_courses}
            for e in instrument.expected_recovery
        ],
        "prorateMaxMissing": instrument.prorate_max_missing,
        "subscales": {name: list(members) for name, members in instrument.subscales.items()},
    }


def with_licensed_text(instrument: Instrument, texts: Mapping[str, str]) -> Instrument:
    """The instrument with a practice's licensed wording filled in.

    Keys are "stem", "<linkId>" (item text) and "<linkId>:<optionCode>" (answer text).
    Unknown keys or non-text values raise DefinitionError listing all of them. Scoring
    is unchanged. `text_licensed` becomes true once every item and answer has wording.
    """
    problems: list[str] = []
    by_id = {item.link_id: item for item in instrument.items}
    for key, value in texts.items():
        if not isinstance(value, str):
            problems.append(f"text for '{key}' must be text, not {_kind(value)}")
        if key == "stem":
            continue
        link_id, _, option_code = key.partition(":")
        item = by_id.get(link_id)
        if item is None:
            problems.append(f"unknown text key '{key}': no item '{link_id}'")
        elif option_code and item.option_for_code(option_code) is None:
            problems.append(
                f"unknown text key '{key}': item {link_id} has no answer code '{option_code}'"
            )
    if problems:
        raise DefinitionError(problems)

    items = tuple(
        replace(
            item,
            text=texts.get(item.link_id, item.text),
            options=tuple(
                replace(option, display=texts.get(f"{item.link_id}:{option.code}", option.display))
                for option in item.options
            ),
        )
        for item in instrument.items
    )
    updated = replace(instrument, stem=texts.get("stem", instrument.stem), items=items)
    if updated.has_full_text and not updated.text_licensed:
        updated = replace(updated, text_licensed=True)
    return updated
