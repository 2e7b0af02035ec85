"""The measures engine: instrument definitions, scoring, outcomes and expected recovery.

Pure Python with no Django import, so it can be tested and reused on its own.
"""

from openipt.measures.engine.catalogue import shipped, shipped_instruments
from openipt.measures.engine.definition import (
    AnswerOption,
    Band,
    DefinitionError,
    ExpectedBand,
    FrozenMap,
    Instrument,
    Item,
    ReliableChange,
    definition_to_json,
    parse_definition,
    with_licensed_text,
)
from openipt.measures.engine.expected import (
    ExpectedPoint,
    TrackStatus,
    calibrate,
    expected_curve,
    is_tracked,
    track_status,
)
from openipt.measures.engine.outcomes import Outcome, course_outcome, recovery_across
from openipt.measures.engine.scoring import InvalidAnswers, Score, score_answers

__all__ = [
    "AnswerOption",
    "Band",
    "DefinitionError",
    "ExpectedBand",
    "ExpectedPoint",
    "FrozenMap",
    "Instrument",
    "InvalidAnswers",
    "Item",
    "Outcome",
    "ReliableChange",
    "Score",
    "TrackStatus",
    "calibrate",
    "course_outcome",
    "definition_to_json",
    "expected_curve",
    "is_tracked",
    "parse_definition",
    "recovery_across",
    "score_answers",
    "shipped",
    "shipped_instruments",
    "track_status",
    "with_licensed_text",
]
