"""A facilitator's fidelity ratings over time, drawn as an SVG chart with matplotlib.

Two lines on a 1–5 scale by session date: the facilitator's own ratings and
their supervisor's, with the "adequate" level (`FIDELITY_PASS_MEAN`) as a
dashed line. Drawn like the questionnaire charts (`openipt.measures.charts`):
matplotlib's object API only, the same deterministic SVG settings, under the
same lock (those settings are process-wide, so one lock guards every chart
drawn with them), served as an image from its own URL because of the page's
CSP. The page shows the same numbers as a table for screen readers.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.artist import Artist
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from openipt.measures.charts import (
    EXPECTED_LINE,
    GRID,
    INK,
    LAYOUTS,
    MUTED,
    PHASE_LINE,
    RENDER_LOCK,
    SCORE_COLOUR,
    SVG_SETTINGS,
    ChartSize,
)
from openipt.protocol.group import FIDELITY_PASS_MEAN, FIDELITY_SCALE

FIDELITY_SVG_SETTINGS = {**SVG_SETTINGS, "svg.hashsalt": "openipt-fidelity-chart"}
MIN_SPAN_DAYS = 14
EPOCH = datetime.date(1970, 1, 1)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SELF_COLOUR = SCORE_COLOUR
SUPERVISOR_COLOUR = EXPECTED_LINE


@dataclass(frozen=True)
class FidelityPoint:
    day: datetime.date
    score: int


def _x(day: datetime.date) -> float:
    return float((day - EPOCH).days)


def _ticks(first: datetime.date, last: datetime.date, max_ticks: int) -> list[datetime.date]:
    span = (last - first).days
    step = next((s for s in (1, 2, 7, 14, 28, 56, 91, 182) if span / s <= max_ticks), 364)
    return [first + datetime.timedelta(days=n) for n in range(0, span + 1, step)]


def fidelity_chart_svg(
    *,
    self_points: Sequence[FidelityPoint],
    supervisor_points: Sequence[FidelityPoint],
    title: str,
    size: ChartSize = "wide",
) -> str:
    """The chart as an SVG document; the same arguments always give the same bytes."""
    with RENDER_LOCK, matplotlib.rc_context(FIDELITY_SVG_SETTINGS):
        figure = _draw(self_points, supervisor_points, title, size)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _draw(
    self_points: Sequence[FidelityPoint],
    supervisor_points: Sequence[FidelityPoint],
    title: str,
    size: ChartSize,
) -> Figure:
    layout = LAYOUTS[size]
    font = layout.font
    figure = Figure(figsize=(layout.width, layout.height), facecolor="#ffffff")
    FigureCanvasSVG(figure)
    left, bottom, width, height = layout.axes
    axes = figure.add_axes((left, bottom, min(width + 0.12, 0.96 - left), height))
    days = [p.day for p in (*self_points, *supervisor_points)]
    first = min(days) if days else EPOCH
    last = max(max(days) if days else EPOCH, first + datetime.timedelta(days=MIN_SPAN_DAYS))
    start, end = first - datetime.timedelta(days=2), last + datetime.timedelta(days=2)
    axes.set_xlim(_x(start), _x(end))
    low, high = FIDELITY_SCALE
    axes.set_ylim(low - 0.4, high + 0.4)
    axes.set_yticks(list(range(low, high + 1)))
    axes.set_title(title, loc="left", fontsize=font + 2, color=INK, pad=font)
    axes.set_ylabel(f"Rating ({low}–{high})", color=MUTED, fontsize=font)
    axes.tick_params(colors=MUTED, labelsize=font - 0.5)
    # Labels written here, not by a date locator: the same on every machine and locale.
    ticks = _ticks(first, last, layout.max_ticks)
    labels = [f"{d.day} {MONTHS[d.month - 1]}" for d in ticks]
    axes.set_xticks([_x(d) for d in ticks], labels=labels)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)

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
        (line,) = axes.plot(
            [_x(p.day) for p in ordered],
            [p.score for p in ordered],
            color=colour,
            linewidth=1.8,
            marker=marker,
            markersize=5,
            markerfacecolor="#ffffff",
            markeredgewidth=1.6,
            zorder=4,
        )
        line.set_gid(gid)
        legend.append(
            Line2D([], [], color=colour, marker=marker, markerfacecolor="#ffffff", label=label)
        )
    if not days:
        note = axes.text(
            0.5,
            0.5,
            "No ratings yet",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            fontsize=font + 1,
        )
        note.set_gid("no-ratings")
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
