"""The course chart as an SVG document: what it draws, and that it always draws it alike."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from openipt.measures.charts import (
    LAYOUTS,
    ChartMarker,
    ChartPoint,
    PhaseSpan,
    course_chart_svg,
    draw_figure,
)
from openipt.measures.engine import expected_curve, shipped

PHQ9 = shipped("phq9")
SVG = "{http://www.w3.org/2000/svg}"
PHASES = [PhaseSpan("Initial", 1, 3), PhaseSpan("Middle", 4, 14), PhaseSpan("Ending", 15, 16)]
MARKERS = [
    ChartMarker(3.4, "medication", "Medication"),
    ChartMarker(5.6, "life_event", "Conflict"),
    ChartMarker(7.2, "medication", "Medication"),
]
POINTS = [ChartPoint(float(n), t) for n, t in enumerate((18, 17, 15, 14, 12, 10), start=1)]


def chart(**overrides: object) -> str:
    expected = [
        type(p)(session=p.session + 1, expected=p.expected, low=p.low, high=p.high)
        for p in expected_curve(PHQ9, PHQ9.expected_recovery, 18, 15)
    ]
    arguments: dict[str, object] = {
        "instrument": PHQ9,
        "points": POINTS,
        "expected": expected,
        "phase_boundaries": PHASES,
        "markers": MARKERS,
        "title": PHQ9.title,
    }
    arguments.update(overrides)
    return course_chart_svg(**arguments)  # type: ignore[arg-type]


def ids(svg: str) -> set[str]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check its structure
    return {element.get("id", "") for element in root.iter()} - {""}


def test_the_chart_is_an_svg_document_with_every_part_named() -> None:
    """GIVEN six PHQ-9 scores, the expected range, three phases and three markers
    WHEN the chart is drawn
    THEN it holds a stripe per severity band, the expected band and line, two phase
    boundaries with three phase names, every marker and the score line."""
    svg = chart()
    assert svg.startswith("<?xml")
    found = ids(svg)
    for band in PHQ9.bands:
        assert f"severity-band-{band.code}" in found
        assert f"severity-band-label-{band.code}" in found
    assert {"expected-band", "expected-line", "scores", "legend"} <= found
    assert {"phase-boundary-1", "phase-boundary-2"} <= found
    assert "phase-boundary-0" not in found  # no line before the first phase
    assert {"phase-label-0", "phase-label-1", "phase-label-2"} <= found
    assert {"marker-medication-1", "marker-medication-2", "marker-life-event-1"} <= found
    assert {f"score-value-{n}" for n in range(1, 7)} <= found


def test_the_chart_labels_bands_phases_and_the_heuristic_in_words() -> None:
    svg = chart()
    for words in (
        "Expected range (heuristic)",
        "Moderately severe",
        "Minimal",
        "Initial",
        "Middle",
        "Ending",
        "Medication change",
        "Life event",
        "Session",
        PHQ9.title,
    ):
        assert words in svg, words


def test_the_y_axis_runs_from_zero_to_the_instrument_maximum() -> None:
    figure = draw_figure(
        instrument=PHQ9,
        points=POINTS,
        expected=[],
        phase_boundaries=PHASES,
        markers=MARKERS,
        title="t",
        layout=LAYOUTS["wide"],
    )
    (axes,) = figure.axes
    assert axes.get_ylim() == (0.0, 27.0)
    assert axes.get_xlim() == (0.5, 16.5)  # sessions 1 to 16, half a session either side
    assert list(axes.get_xticks()) == list(range(1, 17))


def test_the_same_chart_gives_the_same_bytes_and_carries_no_date() -> None:
    first, second = chart(), chart()
    assert first == second
    assert "<dc:date>" not in first


def test_charts_drawn_at_once_on_several_threads_do_not_disturb_each_other() -> None:
    """GIVEN two different charts WHEN each is drawn four times on four threads at once
    THEN every copy equals the chart drawn alone (no shared pyplot state)."""
    alone_wide, alone_narrow = chart(), chart(size="narrow")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda size: chart(size=size), ["wide", "narrow"] * 4))
    assert results == [alone_wide, alone_narrow] * 4


def test_the_svg_has_no_script_and_no_external_reference() -> None:
    svg = chart()
    assert "<script" not in svg.lower()
    assert not re.search(r'(href|src)="(?!#)', svg)
    assert "http://" not in svg.replace("http://www.w3.org", "").replace(
        "http://purl.org", ""
    ).replace("http://creativecommons.org", "")


def test_a_chart_without_scores_says_so_and_draws_no_expected_range() -> None:
    svg = chart(points=[], expected=[], markers=[])
    found = ids(svg)
    assert "no-scores" in found
    assert "No scores yet" in svg
    assert "expected-band" not in found
    assert "scores" not in found


def test_the_narrow_chart_is_taller_than_wide_and_keeps_every_part() -> None:
    wide, narrow = chart(), chart(size="narrow")
    assert ids(narrow) >= {"expected-band", "scores", "phase-boundary-1", "marker-life-event-1"}

    def ratio(svg: str) -> float:
        match = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
        assert match is not None
        return float(match.group(2)) / float(match.group(1))

    assert ratio(narrow) > 1 > ratio(wide)


@pytest.mark.parametrize("code", ["phq9", "gad7", "gds15", "phq2", "epds", "phqa"])
def test_every_shipped_instrument_can_be_charted(code: str) -> None:
    instrument = shipped(code)
    svg = course_chart_svg(
        instrument=instrument,
        points=[ChartPoint(1.0, instrument.max_total), ChartPoint(2.0, instrument.min_total)],
        expected=[],
        phase_boundaries=PHASES,
        markers=[],
        title=instrument.title,
    )
    assert {f"severity-band-{band.code}" for band in instrument.bands} <= ids(svg)
