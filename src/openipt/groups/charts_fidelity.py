"""A facilitator's fidelity ratings over time, drawn as an SVG chart with matplotlib.

Two lines on a 1–5 scale by session date: the facilitator's own ratings and
their supervisor's, with the "adequate" level (`FIDELITY_PASS_MEAN`) as a
dashed line. Drawn like the questionnaire charts, with their parts
(`openipt.measures.charts`): matplotlib's object API only, the same
deterministic SVG settings, under the same lock (those settings are
process-wide, so one lock guards every chart drawn with them), served as an
image from its own URL because of the page's CSP. The page shows the same
numbers as a table for screen readers.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from openipt.measures.charts import (
    EPOCH,
    EXPECTED_LINE,
    LAYOUTS,
    MIN_SPAN_DAYS,
    MUTED,
    PHASE_LINE,
    SCORE_COLOUR,
    SVG_SETTINGS,
    ChartSize,
    bottom_legend,
    day_axes,
    day_ticks,
    day_x,
    empty_note,
    frame_axes,
    new_figure,
    point_key,
    point_line,
    render_svg,
    set_day_ticks,
)
from openipt.protocol.group import FIDELITY_PASS_MEAN, FIDELITY_SCALE

FIDELITY_SVG_SETTINGS = {**SVG_SETTINGS, "svg.hashsalt": "openipt-fidelity-chart"}
# Ratings can span years: ticks up to a quarter, half a year or else a year apart.
TICK_STEPS = (1, 2, 7, 14, 28, 56, 91, 182, 364)
SELF_COLOUR = SCORE_COLOUR
SUPERVISOR_COLOUR = EXPECTED_LINE


@dataclass(frozen=True)
class FidelityPoint:
    day: datetime.date
    score: int


def fidelity_chart_svg(
    *,
    self_points: Sequence[FidelityPoint],
    supervisor_points: Sequence[FidelityPoint],
    title: str,
    size: ChartSize = "wide",
) -> str:
    """The chart as an SVG document; the same arguments always give the same bytes."""
    return render_svg(
        FIDELITY_SVG_SETTINGS, lambda: _draw(self_points, supervisor_points, title, size)
    )


def _draw(
    self_points: Sequence[FidelityPoint],
    supervisor_points: Sequence[FidelityPoint],
    title: str,
    size: ChartSize,
) -> Figure:
    layout = LAYOUTS[size]
    font = layout.font
    figure = new_figure(layout)
    axes = day_axes(figure, layout)
    days = [p.day for p in (*self_points, *supervisor_points)]
    first = min(days) if days else EPOCH
    last = max(max(days) if days else EPOCH, first + datetime.timedelta(days=MIN_SPAN_DAYS))
    start, end = first - datetime.timedelta(days=2), last + datetime.timedelta(days=2)
    axes.set_xlim(day_x(start), day_x(end))
    low, high = FIDELITY_SCALE
    axes.set_ylim(low - 0.4, high + 0.4)
    axes.set_yticks(list(range(low, high + 1)))
    frame_axes(axes, title, font, pad=font)
    axes.set_ylabel(f"Rating ({low}–{high})", color=MUTED, fontsize=font)
    set_day_ticks(axes, day_ticks(first, last, layout.max_ticks, TICK_STEPS))

    legend: list[Artist] = []
    adequate = axes.axhline(
        FIDELITY_PASS_MEAN, color=PHASE_LINE, linewidth=1.0, linestyle=(0, (4, 3)), zorder=1
    )
    adequate.set_gid("fidelity-adequate")
    legend.append(Line2D([], [], color=PHASE_LINE, linestyle=(0, (4, 3)), label="Adequate (3)"))
    series = (
        ("fidelity-self", self_points, SELF_COLOUR, "o", "Facilitator's own rating"),
        ("fidelity-supervisor", supervisor_points, SUPERVISOR_COLOUR, "s", "Supervisor's rating"),
    )
    for gid, points, colour, marker, label in series:
        if not points:
            continue
        ordered = sorted(points, key=lambda p: p.day)
        point_line(
            axes,
            [day_x(p.day) for p in ordered],
            [p.score for p in ordered],
            gid,
            colour=colour,
            marker=marker,
            linewidth=1.8,
            markeredgewidth=1.6,
            zorder=4,
        )
        legend.append(point_key(label, colour=colour, marker=marker))
    if not days:
        empty_note(axes, "No ratings yet", "no-ratings", font)
    bottom_legend(figure, legend, layout)
    return figure
