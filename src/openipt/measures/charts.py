"""A course's scores on one instrument, drawn as an SVG chart with matplotlib.

The chart shows, on an axis of session numbers: the instrument's severity bands
as calm shaded stripes, the expected-recovery range (a heuristic, and labelled
as one), the scores as a line with points, the phase boundaries as labelled
vertical lines, and medication changes and life events as markers along the
top. The same SVG is served to the page (as an `<img>`) and can be placed in a
PDF, so it is drawn once, here, and nowhere else.

Only matplotlib's object API is used (a `Figure` with its own SVG canvas), never
`pyplot`, whose global figure registry is not safe across request threads. The
few SVG settings matplotlib only reads from its process-wide `rcParams`
(deterministic ids, text kept as text) are applied inside `rc_context` while a
module lock is held, so two requests drawing at once never see each other's
settings.

Every part of the drawing carries an id (`set_gid`) so that tests, and anyone
reading the SVG, can find the severity bands, the expected range, the phase
lines and the markers without relying on matplotlib's generated names.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.typing import RcKeyType

    from openipt.measures.engine import ExpectedPoint, Instrument

MarkerKind = Literal["medication", "life_event"]

# Deterministic output: matplotlib hashes this salt into the ids of clip paths
# and markers, so the same chart always gives the same bytes (tests compare
# them, and an unchanged chart is not a changed document in a PDF export).
SVG_SETTINGS: dict[RcKeyType, Any] = {
    "svg.hashsalt": "openipt-course-chart",
    "svg.id": "openipt-course-chart",
    # Text stays text: smaller files, crisp at every size, and the labels can be
    # found in the SVG. The font list ends in the generic family so that a
    # browser or WeasyPrint without DejaVu uses its own sans-serif.
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9.0,
    "axes.unicode_minus": False,
}
RENDER_LOCK = threading.Lock()

ChartSize = Literal["wide", "narrow"]


@dataclass(frozen=True)
class Layout:
    """Sizes for one shape of the chart: wide for a desktop page or a PDF, narrow for a phone."""

    width: float  # inches
    height: float
    axes: tuple[float, float, float, float]  # left, bottom, width, height (figure fractions)
    font: float  # points
    legend_columns: int
    band_labels_outside: bool
    max_ticks: int


LAYOUTS: dict[ChartSize, Layout] = {
    "wide": Layout(8.0, 3.8, (0.07, 0.2, 0.75, 0.62), 8.5, 4, True, 20),
    # Shown about 350 px wide on a phone: fewer, larger labels, band names
    # inside the plot, and a two-column key.
    "narrow": Layout(3.9, 4.4, (0.14, 0.27, 0.83, 0.56), 11.0, 2, False, 6),
}

INK = "#1f2a30"
MUTED = "#5b6770"
GRID = "#d9dfe1"
SCORE_COLOUR = "#1f5f5b"
EXPECTED_FILL = "#7d9fc4"
EXPECTED_LINE = "#3f6791"
PHASE_LINE = "#8a959c"
MEDICATION_COLOUR = "#7a4a9c"
LIFE_EVENT_COLOUR = "#b45309"
# Calm tints from green (least severe) to rose (most severe); an instrument
# with more bands than tints repeats the last one.
BAND_TINTS = ("#eaf4ef", "#f1f5e6", "#fbf5e3", "#fbeee3", "#f7e6e6", "#f3e0e6")


@dataclass(frozen=True)
class ChartPoint:
    """One score: its position on the session axis and the instrument total."""

    session: float
    total: int


@dataclass(frozen=True)
class PhaseSpan:
    """One phase of the course on the session axis (`last` None: open-ended)."""

    label: str
    first: int
    last: int | None


@dataclass(frozen=True)
class ChartMarker:
    """Something that happened between sessions: a medication change or a life event."""

    session: float
    kind: MarkerKind
    label: str


def course_chart_svg(
    *,
    instrument: Instrument,
    points: Sequence[ChartPoint],
    expected: Sequence[ExpectedPoint],
    phase_boundaries: Sequence[PhaseSpan],
    markers: Sequence[ChartMarker],
    title: str,
    size: ChartSize = "wide",
) -> str:
    """The chart as an SVG document (a string starting with the XML declaration).

    `expected` holds the expected-recovery curve with `session` already on the
    course's session axis (the baseline's session number added); pass an empty
    sequence when there is no baseline yet. The same arguments always give the
    same bytes.
    """
    with RENDER_LOCK, matplotlib.rc_context(SVG_SETTINGS):
        figure = draw_figure(
            instrument=instrument,
            points=points,
            expected=expected,
            phase_boundaries=phase_boundaries,
            markers=markers,
            title=title,
            layout=LAYOUTS[size],
        )
        buffer = io.StringIO()
        # No creation date (it would change the bytes on every request).
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _x_range(
    points: Sequence[ChartPoint],
    expected: Sequence[ExpectedPoint],
    phases: Sequence[PhaseSpan],
    markers: Sequence[ChartMarker],
) -> tuple[float, float]:
    """From half a session before the first thing drawn to half a session after the last."""
    starts = [p.session for p in points] + [float(p.first) for p in phases] + [1.0]
    ends = (
        [p.session for p in points]
        + [float(e.session) for e in expected]
        + [float(p.last) for p in phases if p.last is not None]
        + [float(p.first) for p in phases]
        + [m.session for m in markers]
        + [4.0]
    )
    return min(starts) - 0.5, max(ends) + 0.5


def draw_figure(
    *,
    instrument: Instrument,
    points: Sequence[ChartPoint],
    expected: Sequence[ExpectedPoint],
    phase_boundaries: Sequence[PhaseSpan],
    markers: Sequence[ChartMarker],
    title: str,
    layout: Layout,
) -> Figure:
    """The chart as a matplotlib figure (call inside `rc_context(SVG_SETTINGS)`)."""
    figure = Figure(figsize=(layout.width, layout.height), facecolor="#ffffff")
    FigureCanvasSVG(figure)
    axes = figure.add_axes(layout.axes)
    font = layout.font
    y_min, y_max = float(instrument.min_total), float(instrument.max_total)
    x_min, x_max = _x_range(points, expected, phase_boundaries, markers)
    axes.set_xlim(x_min, x_max)
    axes.set_ylim(y_min, y_max)
    # Room above the plot for the phase names.
    axes.set_title(title, loc="left", fontsize=font + 2, color=INK, pad=font * 3)
    axes.set_xlabel("Session", color=MUTED, fontsize=font)
    axes.set_ylabel("Total score", color=MUTED, fontsize=font)
    axes.tick_params(colors=MUTED, labelsize=font - 0.5)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)
    axes.set_xticks(_session_ticks(x_min, x_max, layout.max_ticks))
    # Totals are whole numbers: no "12.5" on the score axis.
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))

    legend: list[Artist] = []
    _draw_bands(axes, instrument, y_min, y_max, layout)
    if expected:
        legend.extend(_draw_expected(axes, expected))
    _draw_phases(axes, phase_boundaries, x_min, x_max, font)
    legend.extend(_draw_markers(axes, markers))
    legend.extend(_draw_scores(axes, points, y_max, font))
    if legend:
        key = figure.legend(
            handles=legend,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=min(len(legend), layout.legend_columns),
            frameon=False,
            fontsize=font - 1,
            labelcolor=INK,
            handlelength=1.6,
            columnspacing=1.2,
        )
        key.set_gid("legend")
    return figure


def _session_ticks(x_min: float, x_max: float, max_ticks: int) -> list[int]:
    first, last = math.ceil(x_min), math.floor(x_max)
    span = max(last - first, 1)
    step = next(s for s in (1, 2, 4, 5, 10, 20, 50) if span / s <= max_ticks)
    return [n for n in range(first, last + 1) if n % step == 0 or (step == 1 and n == first)]


def _draw_bands(
    axes: Axes, instrument: Instrument, y_min: float, y_max: float, layout: Layout
) -> None:
    for index, band in enumerate(instrument.bands):
        # Totals are whole numbers: a band's stripe runs to halfway between its
        # highest score and the next band's lowest.
        low = max(band.low - 0.5, y_min) if index else y_min
        high = min(band.high + 0.5, y_max)
        tint = BAND_TINTS[min(index, len(BAND_TINTS) - 1)]
        stripe = axes.axhspan(low, high, facecolor=tint, edgecolor="none", zorder=0)
        stripe.set_gid(f"severity-band-{band.code}")
        if layout.band_labels_outside:
            text, x, align = f"{band.label}\n{band.low}–{band.high}", 1.01, "left"
        else:
            text, x, align = band.label, 0.99, "right"
        label = axes.text(
            x,
            (low + high) / 2,
            text,
            transform=axes.get_yaxis_transform(),
            va="center",
            ha=align,
            fontsize=layout.font - 1.5,
            linespacing=1.1,
            color=MUTED,
            clip_on=False,
            zorder=3,
        )
        if not layout.band_labels_outside:
            # Inside the plot a name may cross the curves: give it its band's colour behind.
            label.set_bbox({"facecolor": tint, "edgecolor": "none", "alpha": 0.85, "pad": 1.0})
        label.set_gid(f"severity-band-label-{band.code}")


def _draw_expected(axes: Axes, expected: Sequence[ExpectedPoint]) -> list[Artist]:
    xs = [float(p.session) for p in expected]
    band = axes.fill_between(
        xs,
        [p.low for p in expected],
        [p.high for p in expected],
        facecolor=EXPECTED_FILL,
        alpha=0.22,
        edgecolor="none",
        zorder=1,
    )
    band.set_gid("expected-band")
    (line,) = axes.plot(
        xs,
        [p.expected for p in expected],
        linestyle=(0, (4, 3)),
        linewidth=1.1,
        color=EXPECTED_LINE,
        zorder=2,
    )
    line.set_gid("expected-line")
    return [Patch(facecolor=EXPECTED_FILL, alpha=0.35, label="Expected range (heuristic)")]


def _draw_phases(
    axes: Axes, phases: Sequence[PhaseSpan], x_min: float, x_max: float, font: float
) -> None:
    for index, phase in enumerate(phases):
        start = max(phase.first - 0.5, x_min)
        end = min(phase.last + 0.5, x_max) if phase.last is not None else x_max
        if index and x_min < start < x_max:
            boundary = axes.axvline(
                start, color=PHASE_LINE, linewidth=1.0, linestyle=(0, (2, 2)), zorder=2
            )
            boundary.set_gid(f"phase-boundary-{index}")
        if end <= start:
            continue
        name = axes.text(
            (start + end) / 2,
            1.02,
            phase.label,
            transform=axes.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=font - 1,
            color=MUTED,
            clip_on=False,
        )
        name.set_gid(f"phase-label-{index}")


MARKER_STYLES: dict[MarkerKind, tuple[str, str, str]] = {
    "medication": ("v", MEDICATION_COLOUR, "Medication change"),
    "life_event": ("D", LIFE_EVENT_COLOUR, "Life event"),
}


def _draw_markers(axes: Axes, markers: Sequence[ChartMarker]) -> list[Artist]:
    counts: dict[MarkerKind, int] = {"medication": 0, "life_event": 0}
    for marker in markers:
        symbol, colour, _name = MARKER_STYLES[marker.kind]
        counts[marker.kind] += 1
        gid = f"marker-{marker.kind.replace('_', '-')}-{counts[marker.kind]}"
        line = axes.axvline(
            marker.session, color=colour, linewidth=0.8, alpha=0.45, zorder=2, ymax=0.97
        )
        line.set_gid(f"{gid}-line")
        (dot,) = axes.plot(
            [marker.session],
            [0.97],
            marker=symbol,
            markersize=6,
            color=colour,
            linestyle="none",
            transform=axes.get_xaxis_transform(),
            clip_on=False,
            zorder=4,
        )
        dot.set_gid(gid)
    return [
        Line2D([], [], marker=symbol, color=colour, linestyle="none", label=name)
        for kind, (symbol, colour, name) in MARKER_STYLES.items()
        if counts[kind]
    ]


def _draw_scores(
    axes: Axes, points: Sequence[ChartPoint], y_max: float, font: float
) -> list[Artist]:
    if not points:
        note = axes.text(
            0.5,
            0.5,
            "No scores yet",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            fontsize=font + 1,
        )
        note.set_gid("no-scores")
        return []
    ordered = sorted(points, key=lambda p: p.session)
    (line,) = axes.plot(
        [p.session for p in ordered],
        [p.total for p in ordered],
        color=SCORE_COLOUR,
        linewidth=2.0,
        marker="o",
        markersize=5,
        markerfacecolor="#ffffff",
        markeredgewidth=1.8,
        zorder=5,
    )
    line.set_gid("scores")
    for index, point in enumerate(ordered, start=1):
        # A value near the top of the scale is written below its point.
        value = axes.annotate(
            str(point.total),
            (point.session, point.total),
            xytext=(0, 6 if point.total < y_max - 2 else -13),
            textcoords="offset points",
            ha="center",
            fontsize=font - 1,
            color=INK,
            zorder=6,
        )
        value.set_gid(f"score-value-{index}")
    return [
        Line2D([], [], color=SCORE_COLOUR, marker="o", markerfacecolor="#ffffff", label="Score")
    ]
