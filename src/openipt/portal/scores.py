"""A client's own score history: a small table and a simple chart per questionnaire.

Shown only when the practice allows it (`Practice.clients_see_own_scores`, off
by default, because clinicians usually go through scores with the client
first). The client sees their totals, the date and the name of the band each
total falls in, for the questionnaires of their current course. Nothing else of
the clinical picture is shown: no expected-recovery range, no "on track"
status, no risk wording and no item answers.

The chart reuses the care team's chart drawing (`openipt.measures.charts`) with
the expected range, phases and markers left out, and with the words on it in
the client's language.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

import matplotlib
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from openipt.courses.models import Course
from openipt.courses.selectors.client_portal import current_course_for_client
from openipt.measures import selectors as measure_selectors
from openipt.measures.charts import (
    INK,
    LAYOUTS,
    RENDER_LOCK,  # The one lock every chart render holds: rcParams are process-wide.
    SVG_SETTINGS,
    ChartPoint,
    draw_figure,
)
from openipt.measures.engine import Instrument
from openipt.practice.models import Client

# The band names of the shipped questionnaires, marked so that the catalogue
# carries them; a practice's own instrument keeps the words it was defined with.
BAND_LABELS = (
    gettext_noop("Minimal"),
    gettext_noop("Mild"),
    gettext_noop("Moderate"),
    gettext_noop("Moderately severe"),
    gettext_noop("Severe"),
    gettext_noop("Normal range"),
    gettext_noop("Below the screening threshold"),
    gettext_noop("Possible depression"),
    gettext_noop("Probable depression"),
    gettext_noop("Negative screen"),
    gettext_noop("Positive screen"),
)


# Inches (96 px each in the page): about as wide as a phone's screen.
CHART_WIDTH, CHART_HEIGHT = 3.9, 3.5


@dataclass(frozen=True)
class ScoreRow:
    """One of the client's totals: when, how much, and the band's name."""

    date: datetime.date
    total: int
    band_label: str


@dataclass(frozen=True)
class ScoreHistory:
    """The client's current totals on one questionnaire of one course, oldest first."""

    instrument: Instrument
    rows: tuple[ScoreRow, ...]
    points: tuple[ChartPoint, ...]

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def title(self) -> str:
        return self.instrument.short_title


def _band_label(instrument: Instrument, total: int) -> str:
    try:
        return gettext(instrument.band_for(total).label)
    except ValueError:
        # A total stored under an older version of a practice's own instrument
        # may fall outside today's bands: show the total without a band name.
        return ""


def _history(
    instrument: Instrument, points: Sequence[tuple[datetime.datetime, int, int]]
) -> ScoreHistory:
    """From `score_series` rows (administered at, session number, total)."""
    return ScoreHistory(
        instrument=instrument,
        rows=tuple(
            ScoreRow(timezone.localdate(at), total, _band_label(instrument, total))
            for at, _number, total in points
        ),
        points=tuple(ChartPoint(float(number), total) for _at, number, total in points),
    )


def _course_for(client: Client) -> Course | None:
    if not client.practice.clients_see_own_scores:
        return None
    return current_course_for_client(client=client)


def score_histories(client: Client) -> list[ScoreHistory] | None:
    """Per questionnaire answered in the client's current course, its history.

    None when the practice does not let clients see their scores, or before the
    first course. Corrected questionnaires count only through their correction
    (`score_series` leaves superseded ones out). Four queries.
    """
    course = _course_for(client)
    if course is None:
        return None
    series = measure_selectors.score_series(course)
    instruments = measure_selectors.instruments_for_practice(
        client.practice, language=client.language
    )
    histories: list[ScoreHistory] = []
    for code, instrument in instruments.items():
        points = series.get(code)
        if not points:
            continue
        histories.append(_history(instrument, points))
    return histories


def score_history(client: Client, instrument_code: str) -> tuple[Course, ScoreHistory] | None:
    """One questionnaire's history for the chart, with its course; None when not shown."""
    course = _course_for(client)
    if course is None:
        return None
    points = measure_selectors.score_series(course).get(instrument_code)
    if not points:
        return None
    try:
        instrument = measure_selectors.instrument_for_practice(
            client.practice, instrument_code, language=client.language
        )
    except measure_selectors.UnknownInstrument:
        return None
    return course, _history(instrument, points)


def score_chart_svg(history: ScoreHistory) -> str:
    """The client's chart as an SVG document, sized for a phone, in the active language."""
    instrument = replace(
        history.instrument,
        bands=tuple(replace(band, label=gettext(band.label)) for band in history.instrument.bands),
    )
    layout = LAYOUTS["narrow"]
    with RENDER_LOCK, matplotlib.rc_context(SVG_SETTINGS):
        figure = draw_figure(
            instrument=instrument,
            points=history.points,
            expected=(),
            phase_boundaries=(),
            markers=(),
            title="",  # set below, closer to the plot: there are no phase names above it
            layout=layout,
        )
        axes = figure.axes[0]
        axes.set_xlabel(gettext("Session"))
        axes.set_ylabel(gettext("Score"))
        # One line needs no key (and the care team's key is in English); without
        # it and without phase names, the room kept for them is given back.
        for legend in list(figure.legends):
            legend.remove()
        figure.set_size_inches(CHART_WIDTH, CHART_HEIGHT)
        axes.set_position((0.15, 0.15, 0.81, 0.72))
        axes.set_title(
            instrument.short_title, loc="left", fontsize=layout.font + 2, color=INK, pad=8
        )
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
