"""The programme dashboard's chart per site: mean PHQ-9 by group session, as SVG.

Drawn like the course charts, with their parts (`openipt.measures.charts`):
matplotlib's object API only, that module's SVG settings and severity-band
stripes, under its render lock (the settings are process-wide, so one lock
guards every chart).
The figures are means over members, never one person's score; a point resting
on fewer than `MIN_CELL` members is left out and its count shown as "<5".
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

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
    point_line(axes, [number for number, _ in shown], [mean for _, mean in shown], "means")
    for number, mean in shown:
        value_label(axes, f"{mean:.1f}", number, mean, y_max, font, f"mean-value-{number}")
    key = point_key(f"Mean {instrument.short_title} of the members scored")
    bottom_legend(figure, [key], layout, compact=False)
    return figure
