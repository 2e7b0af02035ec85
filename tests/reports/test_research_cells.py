"""The pure parts of the research export: cells, pseudonyms, date shifts, rows, CSV lines."""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openipt.measures.engine import shipped
from openipt.measures.engine.outcomes import course_outcome
from openipt.reports.research.cells import age_band, cell, code, codes, neutralise, number
from openipt.reports.research.csv_out import csv_lines
from openipt.reports.research.options import DateMode, ExportKind, ExportOptions
from openipt.reports.research.pseudonyms import ExportKeys
from openipt.reports.research.records import (
    AdministrationRecord,
    CourseRecord,
    CourseRef,
    Person,
)
from openipt.reports.research.rows import Layout, administration_row, course_row

# --- formula injection ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        '=HYPERLINK("http://x")',
        "=cmd|' /C calc'!A0",
        "＝1+1",
    ],
)
def test_a_text_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert cell(text) == "'" + text


@pytest.mark.parametrize("text", ["phq9", "moderate", "12-17", "", "a=b", "C3f9a0"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_numbers_stay_numbers_so_negative_changes_still_sum() -> None:
    assert cell(-5) == -5
    assert cell(-2.5) == -2.5
    assert cell(0) == 0
    assert cell(True) == 1 and cell(False) == 0
    assert cell(None) == ""
    assert cell(datetime.date(2026, 1, 2)) == "2026-01-02"
    line = next(iter(csv_lines(["a"], [[cell(-5)]])))  # header
    rows = list(csv_lines(["change"], [[cell(-5)], [cell("-5")]]))
    assert line == "a\r\n"
    assert rows[1] == "-5\r\n"
    assert rows[2] == "'-5\r\n"


def test_a_cell_refuses_what_it_does_not_know() -> None:
    with pytest.raises(TypeError):
        cell({"note": "text"})
    with pytest.raises(TypeError):
        cell(["a"])


@given(st.text())
def test_no_neutralised_text_starts_a_formula(text: str) -> None:
    assert not neutralise(text).startswith(("=", "+", "-", "@", "\t", "\r"))


# --- codes, numbers, ages ---------------------------------------------------------------


def test_codes_let_machine_words_through_and_nothing_else() -> None:
    assert code("role_dispute") == "role_dispute"
    assert code("phq9-1") == "phq9-1"
    assert code("1.0") == "1.0"
    assert code("She argued with her mother") == ""
    assert code("=1+1") == ""
    assert code(3) == ""
    assert code(None) == ""
    assert codes(["grief", "role_dispute", "grief", "free text here"]) == "grief;role_dispute"


def test_only_whole_numbers_are_answers() -> None:
    assert number(2) == 2
    assert number(True) is None
    assert number("2") is None
    assert number(None) is None


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (datetime.date(1990, 6, 15), datetime.date(2026, 6, 14), "35-44"),  # 35 the day after
        (datetime.date(1991, 6, 15), datetime.date(2026, 6, 14), "25-34"),  # still 34
        (datetime.date(1991, 6, 15), datetime.date(2026, 6, 15), "35-44"),  # 35 today
        (datetime.date(2010, 1, 1), datetime.date(2026, 1, 1), "12-17"),
        (datetime.date(2008, 1, 1), datetime.date(2026, 1, 1), "18-24"),
        (datetime.date(1940, 1, 1), datetime.date(2026, 1, 1), "75 and over"),
        (datetime.date(2030, 1, 1), datetime.date(2026, 1, 1), ""),
    ],
)
def test_ages_are_bands(born: datetime.date, on: datetime.date, band: str) -> None:
    assert age_band(born, on) == band


# --- pseudonyms and date shifts ---------------------------------------------------------


def test_pseudonyms_are_stable_within_an_export_and_differ_across_exports() -> None:
    public_id = uuid.uuid4()
    first, second = ExportKeys(), ExportKeys()
    assert first.pseudonym("client", public_id) == first.pseudonym("client", public_id)
    assert first.pseudonym("client", public_id) != second.pseudonym("client", public_id)
    assert first.pseudonym("client", public_id) != first.pseudonym("client", uuid.uuid4())
    assert str(public_id) not in first.pseudonym("client", public_id)
    assert first.pseudonym("client", public_id).startswith("C")
    assert first.pseudonym("course", public_id).startswith("K")
    assert "secret" not in repr(first) and "ExportKeys(" in repr(first)


def test_the_same_secret_gives_the_same_pseudonyms() -> None:
    # The pseudonym depends on the secret alone: a fixed one reproduces it (so the
    # randomness of a real export is what makes exports unlinkable).
    public_id = uuid.uuid4()
    a, b = ExportKeys(secret=b"k" * 32), ExportKeys(secret=b"k" * 32)
    assert a.pseudonym("client", public_id) == b.pseudonym("client", public_id)
    assert a.day_offset(public_id) == b.day_offset(public_id)


@given(st.uuids(), st.integers(min_value=1, max_value=400))
def test_a_shift_is_within_the_range_and_never_zero(public_id: uuid.UUID, span: int) -> None:
    offset = ExportKeys(max_shift_days=span).day_offset(public_id)
    assert offset != 0
    assert -span <= offset <= span


def test_shifts_differ_between_clients_and_both_directions_occur() -> None:
    keys = ExportKeys()
    offsets = {keys.day_offset(uuid.uuid4()) for _ in range(200)}
    assert len(offsets) > 50
    assert min(offsets) < 0 < max(offsets)


def test_a_shift_keeps_the_intervals_of_one_client() -> None:
    keys = ExportKeys()
    client = uuid.uuid4()
    first, later = datetime.date(2026, 9, 1), datetime.date(2026, 11, 17)
    assert (keys.shift(later, client) - keys.shift(first, client)) == later - first
    assert keys.shift(first, client) != first


def test_keys_refuse_a_shift_of_no_days() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        ExportKeys(max_shift_days=0)


# --- rows and lines ---------------------------------------------------------------------

PERSON = Person(public_id=uuid.uuid4(), date_of_birth=datetime.date(1990, 3, 4))
COURSE = CourseRef(public_id=uuid.uuid4(), variant="ipt16", start_date=datetime.date(2026, 9, 1))


def _administration(day: datetime.date, **overrides: object) -> AdministrationRecord:
    values: dict[str, object] = {
        "person": PERSON,
        "course": COURSE,
        "session_number": 3,
        "instrument_code": "phq9",
        "instrument_version": "1.0",
        "administered_on": day,
        "mode": "in_session",
        "prorated": False,
        "total": 8,
        "band_code": "mild",
        "risk_link_ids": ["phq9-9"],
        "answers": {"phq9-1": 1, "phq9-2": 3, "phq9-3": "some text"},
    }
    values.update(overrides)
    return AdministrationRecord(**values)  # type: ignore[arg-type]


def _as_dict(layout: Layout, row: Sequence[object]) -> dict[str, object]:
    return dict(zip(layout.header(), row, strict=True))


def test_an_administration_row_in_days_mode() -> None:
    layout = Layout(
        ExportKind.ADMINISTRATIONS, DateMode.DAYS, item_ids=("phq9-1", "phq9-2", "phq9-3")
    )
    row = _as_dict(
        layout,
        administration_row(
            _administration(datetime.date(2026, 9, 15)), keys=ExportKeys(), layout=layout
        ),
    )
    assert row["day"] == 14
    assert row["age_band"] == "35-44"
    assert row["item_phq9-1"] == 1 and row["item_phq9-2"] == 3
    assert row["item_phq9-3"] == ""  # not a number: left out, not written as text
    assert row["risk_items_positive"] == 1
    assert row["prorated"] == 0
    assert "date" not in row


def test_an_administration_row_in_shift_mode_moves_the_date_by_the_clients_offset() -> None:
    keys = ExportKeys()
    layout = Layout(ExportKind.ADMINISTRATIONS, DateMode.SHIFT)
    day = datetime.date(2026, 9, 15)
    row = _as_dict(layout, administration_row(_administration(day), keys=keys, layout=layout))
    assert (
        row["date"]
        == (day + datetime.timedelta(days=keys.day_offset(PERSON.public_id))).isoformat()
    )
    assert row["date"] != day.isoformat()
    assert row["client"] == keys.pseudonym("client", PERSON.public_id)


def test_free_text_in_a_code_field_never_reaches_a_row() -> None:
    layout = Layout(ExportKind.ADMINISTRATIONS, DateMode.DAYS)
    row = administration_row(
        _administration(datetime.date(2026, 9, 2), band_code="Alice told me about her mother"),
        keys=ExportKeys(),
        layout=layout,
    )
    assert "Alice" not in " ".join(str(value) for value in row)


def test_a_course_row_carries_outcomes_per_instrument() -> None:
    outcome = course_outcome(shipped("phq9"), [18, 6])
    record = CourseRecord(
        person=PERSON,
        course=COURSE,
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        status="closed",
        phase="termination",
        closed_on=datetime.date(2026, 12, 22),
        sessions_recorded=16,
        sessions_attended=15,
        sessions_missed=1,
        focus_areas=["role_dispute"],
        outcome_category="responder",
        next_step="end",
        outcomes={"phq9": outcome},
    )
    layout = Layout(ExportKind.COURSES, DateMode.DAYS, outcome_codes=("phq9", "gad7"))
    row = _as_dict(layout, course_row(record, keys=ExportKeys(), layout=layout))
    assert row["closed_day"] == 112
    assert "start_date" not in row
    assert row["phq9_change"] == -12
    assert row["phq9_response"] == 1
    assert row["gad7_baseline"] == ""
    assert row["focus_areas"] == "role_dispute"


def test_csv_lines_quote_and_refuse_a_row_of_the_wrong_width() -> None:
    lines = list(csv_lines(["a", "b"], [["x,y", 1]]))
    assert list(csv.reader(io.StringIO("".join(lines)))) == [["a", "b"], ["x,y", "1"]]
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        list(csv_lines(["a", "b"], [["only one"]]))


def test_the_file_name_says_what_not_whose() -> None:
    options = ExportOptions(kind=ExportKind.SESSIONS, dates=DateMode.DAYS)
    assert options.filename == "research-sessions-days.csv"
    assert ExportOptions(kind=ExportKind.ADMINISTRATIONS, instrument="phq9").filename == (
        "research-administrations-shift-phq9.csv"
    )
