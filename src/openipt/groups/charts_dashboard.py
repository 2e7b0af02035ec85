"""The programme dashboard's chart per site: mean PHQ-9 by group session, as SVG.

Drawn like the course charts, with their parts (`openipt.measures.charts`):
matplotlib's object API only, that module's SVG settings and severity-band
stripes, under its render lock (the settings are process-wide, so one lock
guards every chart).
The figures are means over members, never one person's score; a point resting
on fewer than `MIN_CELL` members is left out and its count shown as "<5".
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from openipt.groups.selectors.dashboard import MIN_CELL, SessionMean
from openipt.measures.charts import (
    LAYOUTS,
    MUTED,
    SVG_SETTINGS,
    ChartSize,
    _draw_bands,
    bottom_legend,
    empty_note,
    frame_axes,
    new_figure,
    point_key,
    point_line,
    render_svg,
    value_label,
)
from openipt.measures.engine import Instrument

SITE_SVG_SETTINGS = {**SVG_SETTINGS, "svg.hashsalt": "openipt-site-chart"}


def _tick_labels(points: Sequence[SessionMean], last: int, size: ChartSize) -> list[str]:
    """Every session number up to `last`, each with the number of members scored under it."""
    by_number = {p.number: p for p in points}
    labels = []
    for number in range(last + 1):
        name = str(number) if number else ("Screen" if size == "wide" else "Scr.")
        point = by_number.get(number)
        if point is None:
            labels.append(name)
        else:
            count = str(point.members) if point.members >= MIN_CELL else f"<{MIN_CELL}"
            labels.append(f"{name}\n{count}")
    return labels


def site_chart_svg(
    *,
    instrument: Instrument,
    points: Sequence[SessionMean],
    title: str,
    planned_sessions: int = 0,
    size: ChartSize = "wide",
) -> str:
    """The chart as an SVG document; the same arguments always give the same bytes.

    The session axis runs to `planned_sessions` (the programme's plan) or to the
    last point drawn, whichever is further, so an early chart shows the road ahead.
    """
    return render_svg(
        SITE_SVG_SETTINGS,
        lambda: _draw(instrument, points, title, planned_sessions, size),
        metadata={"Creator": None},  # no link to anywhere
    )


def _draw(
    instrument: Instrument,
    points: Sequence[SessionMean],
    title: str,
    planned_sessions: int,
    size: ChartSize,
) -> Figure:
    layout = LAYOUTS[size]
    font = layout.font
    figure = new_figure(layout)
    axes = figure.add_axes(layout.axes)
    ordered = sorted(points, key=lambda p: p.number)
    last = max([p.number for p in ordered] + [planned_sessions, 4])
    y_min, y_max = float(instrument.min_total), float(instrument.max_total)
    axes.set_xlim(-0.5, last + 0.5)
    axes.set_ylim(y_min, y_max)
    # A long site name wraps on a phone instead of running off the image.
    heading = title if size == "wide" else textwrap.fill(title, 30)
    frame_axes(axes, heading, font, pad=font, tick_size=font - (1 if size == "wide" else 2))
    axes.set_xlabel("Group session (members scored below)", color=MUTED, fontsize=font)
    axes.set_ylabel(f"Mean {instrument.short_title}", color=MUTED, fontsize=font)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    axes.set_xticks(list(range(last + 1)), labels=_tick_labels(ordered, last, size))
    _draw_bands(axes, instrument, y_min, y_max, layout)

    shown = [(p.number, p.mean) for p in ordered if p.mean is not None]
    if not shown:
        empty = "No figures yet" if not ordered else f"Fewer than {MIN_CELL} members scored"
        empty_note(axes, empty, "no-figures", font)
        return figure
    xs, ys = line_through(shown)
    point_line(axes, xs, ys, "means")
    for number, mean in shown:
        value_label(axes, f"{mean:.1f}", number, mean, y_max, font, f"mean-value-{number}")
    key = point_key(f"Mean {instrument.short_title} of the members scored")
    bottom_legend(figure, [key], layout, compact=False)
    if not layout.band_labels_outside:
        _place_band_labels(axes, shown)
    return figure


def line_through(shown: Sequence[tuple[int, float]]) -> tuple[list[float], list[float]]:
    """The x and y of the means line: every session number from the first shown to the
    last, NaN where no mean is shown, so that matplotlib breaks the line there.

    A line drawn straight across a hidden mean (fewer than MIN_CELL members) or a
    session nobody was scored at would look like a value that is not there.
    """
    by_number = dict(shown)
    numbers = range(min(by_number), max(by_number) + 1)
    return [float(n) for n in numbers], [by_number.get(n, math.nan) for n in numbers]


# Where a band's name may go on a narrow chart, in order: (x in axes fraction, alignment).
PLACES: tuple[tuple[float, Literal["left", "center", "right"]], ...] = (
    (0.99, "right"),
    (0.01, "left"),
    (0.5, "center"),
)
# Room kept around a point's marker, and around a label, in points (1/72 inch).
MARKER_ROOM = 5.0
LABEL_ROOM = 2.0


def _place_band_labels(axes: Axes, shown: Sequence[tuple[int, float]]) -> None:
    """Put each band's name inside the plot where no point or value label is under it.

    On a narrow chart the names sit inside the plot: at the right edge first, where
    they usually clear the curve's start; else at the left edge, else in the middle;
    left out if all three are taken (the band's tint stays, and the other names).
    """
    figure = axes.get_figure(root=True)
    assert figure is not None  # noqa: S101 - the axes were added to a figure
    scale = figure.dpi / 72.0
    values = [t for t in axes.texts if (t.get_gid() or "").startswith("mean-value-")]
    obstacles = [t.get_window_extent().padded(LABEL_ROOM * scale) for t in values]
    room = MARKER_ROOM * scale
    for number, mean in shown:
        x, y = axes.transData.transform((number, mean))
        obstacles.append(Bbox.from_extents(x - room, y - room, x + room, y + room))
    bands = [t for t in axes.texts if (t.get_gid() or "").startswith("severity-band-label-")]
    for label in bands:
        for x, align in PLACES:
            label.set_x(x)
            label.set_horizontalalignment(align)
            box = label.get_window_extent().padded(LABEL_ROOM * scale)
            if not any(box.overlaps(other) for other in obstacles):
                break
        else:
            label.set_visible(False)
