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

The other charts (the diary's, a facilitator's fidelity, the programme
dashboard's) are drawn with the parts defined here: the SVG settings, the lock,
the layouts and colours, and the helpers under "Parts every chart is drawn
with", so that they render, look and name their key alike.
"""

from __future__ import annotations

import datetime
import io
import math
import threading
from collections.abc import Callable, Mapping, Sequence
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
    # Titles and labels carry text people typed (a practice's instrument title and
    # band labels, a site's name): print it as written. Read as TeX, "$…$" would
    # be drawn as a formula, and TeX matplotlib cannot parse raised an error (500).
    "text.parse_math": False,
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


# Parts every chart is drawn with. The diary, fidelity and dashboard charts
# import them rather than repeat them, so that all the charts render the same
# way (one lock, no creation date), keep one style (frame, key, notes, point
# lines), and a change to either is made once.


def render_svg(
    settings: dict[RcKeyType, Any],
    draw: Callable[[], Figure],
    *,
    metadata: Mapping[str, str | None] | None = None,
) -> str:
    """The figure `draw()` makes, as an SVG document, drawn and saved under `settings`.

    The settings are process-wide (`rcParams`), so `RENDER_LOCK` is held while
    the figure is drawn and saved. There is no creation date in the document (it
    would change the bytes on every request); `metadata` sets other entries.
    """
    with RENDER_LOCK, matplotlib.rc_context(settings):
        figure = draw()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, **(metadata or {})})
    return buffer.getvalue()


def new_figure(layout: Layout) -> Figure:
    """A white figure of the layout's size on its own SVG canvas (never `pyplot`'s)."""
    figure = Figure(figsize=(layout.width, layout.height), facecolor="#ffffff")
    FigureCanvasSVG(figure)
    return figure


def frame_axes(
    axes: Axes, title: str, font: float, *, pad: float, tick_size: float | None = None
) -> None:
    """The title at the top left, muted ticks (`font` - 0.5 unless given), and
    only the left and bottom spines, in the grid's grey."""
    axes.set_title(title, loc="left", fontsize=font + 2, color=INK, pad=pad)
    axes.tick_params(colors=MUTED, labelsize=font - 0.5 if tick_size is None else tick_size)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)


def empty_note(axes: Axes, text: str, gid: str, font: float) -> None:
    """A line in the middle of a plot with nothing to draw ("No scores yet")."""
    note = axes.text(
        0.5,
        0.5,
        text,
        transform=axes.transAxes,
        ha="center",
        va="center",
        color=MUTED,
        fontsize=font + 1,
    )
    note.set_gid(gid)


def point_line(
    axes: Axes,
    xs: Sequence[float],
    ys: Sequence[float],
    gid: str,
    *,
    colour: str = SCORE_COLOUR,
    marker: str = "o",
    linewidth: float = 2.0,
    markersize: float = 5,
    markeredgewidth: float = 1.8,
    zorder: float = 5,
) -> None:
    """A line through hollow (white-filled) points: scores, means, ratings, moods."""
    (line,) = axes.plot(
        xs,
        ys,
        color=colour,
        linewidth=linewidth,
        marker=marker,
        markersize=markersize,
        markerfacecolor="#ffffff",
        markeredgewidth=markeredgewidth,
        zorder=zorder,
    )
    line.set_gid(gid)


def point_key(label: str, *, colour: str = SCORE_COLOUR, marker: str = "o") -> Line2D:
    """The key's entry for a `point_line`."""
    return Line2D([], [], color=colour, marker=marker, markerfacecolor="#ffffff", label=label)


def value_label(
    axes: Axes, text: str, x: float, y: float, y_max: float, font: float, gid: str
) -> None:
    """A point's value written above it, or below it when near the top of the scale."""
    value = axes.annotate(
        text,
        (x, y),
        xytext=(0, 6 if y < y_max - 2 else -13),
        textcoords="offset points",
        ha="center",
        fontsize=font - 1,
        color=INK,
        zorder=6,
    )
    value.set_gid(gid)


def bottom_legend(
    figure: Figure, handles: Sequence[Artist], layout: Layout, *, compact: bool = True
) -> None:
    """The key, without a frame, along the bottom edge in up to the layout's
    number of columns; nothing when there is nothing to explain.

    `compact`: shorter line samples and closer columns (the course and fidelity
    charts); the diary's and the dashboard's keys keep matplotlib's spacing.
    """
    if not handles:
        return
    key = figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=min(len(handles), layout.legend_columns),
        frameon=False,
        fontsize=layout.font - 1,
        labelcolor=INK,
        handlelength=1.6 if compact else None,
        columnspacing=1.2 if compact else None,
    )
    key.set_gid("legend")


# Charts by day (the diary, fidelity ratings). A day's position on the x axis
# is its number of days since EPOCH, and the tick labels are written here, not
# by a date locator, so that they are the same on every machine and locale.
EPOCH = datetime.date(1970, 1, 1)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The shortest span drawn, so that a first week of entries does not fill the width.
MIN_SPAN_DAYS = 14


def day_x(day: datetime.date) -> float:
    """A day's position on the axis: days since the first of January 1970."""
    return float((day - EPOCH).days)


def day_ticks(
    first: datetime.date, last: datetime.date, max_ticks: int, steps: Sequence[int]
) -> list[datetime.date]:
    """Days from `first` on, evenly spaced: the first of `steps` (in days) that
    gives at most `max_ticks` ticks, else the last of them."""
    span = (last - first).days
    step = next((s for s in steps if span / s <= max_ticks), steps[-1])
    return [first + datetime.timedelta(days=n) for n in range(0, span + 1, step)]


def day_axes(figure: Figure, layout: Layout) -> Axes:
    """Axes for a chart by day, with a grey line behind each value on the y axis.

    Wider than the layout's: there are no band names on the right to keep room for.
    """
    left, bottom, width, height = layout.axes
    axes = figure.add_axes((left, bottom, min(width + 0.12, 0.96 - left), height))
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    return axes


def set_day_ticks(axes: Axes, days: Sequence[datetime.date]) -> None:
    """Ticks on the x axis at `days`, labelled like "3 Mar"."""
    labels = [f"{d.day} {MONTHS[d.month - 1]}" for d in days]
    axes.set_xticks([day_x(d) for d in days], labels=labels)


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
    return render_svg(
        SVG_SETTINGS,
        lambda: draw_figure(
            instrument=instrument,
            points=points,
            expected=expected,
            phase_boundaries=phase_boundaries,
            markers=markers,
            title=title,
            layout=LAYOUTS[size],
        ),
    )


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
    figure = new_figure(layout)
    axes = figure.add_axes(layout.axes)
    font = layout.font
    y_min, y_max = float(instrument.min_total), float(instrument.max_total)
    x_min, x_max = _x_range(points, expected, phase_boundaries, markers)
    axes.set_xlim(x_min, x_max)
    axes.set_ylim(y_min, y_max)
    # Room above the plot for the phase names.
    frame_axes(axes, title, font, pad=font * 3)
    axes.set_xlabel("Session", color=MUTED, fontsize=font)
    axes.set_ylabel("Total score", color=MUTED, fontsize=font)
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
    bottom_legend(figure, legend, layout)
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
        empty_note(axes, "No scores yet", "no-scores", font)
        return []
    ordered = sorted(points, key=lambda p: p.session)
    point_line(axes, [p.session for p in ordered], [p.total for p in ordered], "scores")
    for index, point in enumerate(ordered, start=1):
        value_label(
            axes, str(point.total), point.session, point.total, y_max, font, f"score-value-{index}"
        )
    return [point_key("Score")]
