"""The diary chart for the clinician: mood by day beside session dates and life events.

Drawn like the questionnaire charts (`openipt.measures.charts`): matplotlib's
object API only, the same deterministic SVG settings, under the same lock
(the settings are process-wide, so one lock must guard every chart drawn with
them), served as an image from its own URL because of the page's CSP.
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
    GRID,
    INK,
    LAYOUTS,
    LIFE_EVENT_COLOUR,
    MUTED,
    PHASE_LINE,
    RENDER_LOCK,
    SCORE_COLOUR,
    SVG_SETTINGS,
    ChartSize,
)

DIARY_SVG_SETTINGS = {**SVG_SETTINGS, "svg.hashsalt": "openipt-diary-chart"}
# The shortest span drawn, so that a first week of entries does not fill the width.
MIN_SPAN_DAYS = 14
EPOCH = datetime.date(1970, 1, 1)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _x(day: datetime.date) -> float:
    """A day's position on the axis: days since the first of January 1970."""
    return float((day - EPOCH).days)


def _date_ticks(first: datetime.date, last: datetime.date, max_ticks: int) -> list[datetime.date]:
    """Evenly spaced days (1, 2, 7, 14 or 28 apart) from the first, at most `max_ticks`."""
    span = (last - first).days
    step = next((s for s in (1, 2, 7, 14, 28, 56) if span / s <= max_ticks), 91)
    return [first + datetime.timedelta(days=n) for n in range(0, span + 1, step)]


@dataclass(frozen=True)
class DiaryPoint:
    day: datetime.date
    mood: int


@dataclass(frozen=True)
class SessionMark:
    day: datetime.date
    number: int


def diary_chart_svg(
    *,
    points: Sequence[DiaryPoint],
    sessions: Sequence[SessionMark],
    events: Sequence[datetime.date],
    start: datetime.date,
    title: str,
    size: ChartSize = "wide",
) -> str:
    """The chart as an SVG document; the same arguments always give the same bytes."""
    with RENDER_LOCK, matplotlib.rc_context(DIARY_SVG_SETTINGS):
        figure = _draw(points, sessions, events, start, title, size)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _span(
    points: Sequence[DiaryPoint],
    sessions: Sequence[SessionMark],
    start: datetime.date,
) -> tuple[datetime.date, datetime.date]:
    days = [p.day for p in points] + [s.day for s in sessions] + [start]
    first, last = min(days), max(days)
    last = max(last, first + datetime.timedelta(days=MIN_SPAN_DAYS))
    return first - datetime.timedelta(days=1), last + datetime.timedelta(days=1)


def _draw(
    points: Sequence[DiaryPoint],
    sessions: Sequence[SessionMark],
    events: Sequence[datetime.date],
    start: datetime.date,
    title: str,
    size: ChartSize,
) -> Figure:
    layout = LAYOUTS[size]
    font = layout.font
    figure = Figure(figsize=(layout.width, layout.height), facecolor="#ffffff")
    FigureCanvasSVG(figure)
    left, bottom, width, height = layout.axes
    # No band labels on the right here: the plot may use that room.
    axes = figure.add_axes((left, bottom, min(width + 0.12, 0.96 - left), height))
    first, last = _span(points, sessions, start)
    axes.set_xlim(_x(first), _x(last))
    axes.set_ylim(-0.5, 10.5)
    axes.set_title(title, loc="left", fontsize=font + 2, color=INK, pad=font * 3)
    axes.set_ylabel("Mood (0–10)", color=MUTED, fontsize=font)
    axes.set_yticks([0, 2, 4, 6, 8, 10])
    axes.tick_params(colors=MUTED, labelsize=font - 0.5)
    # Tick labels are written here (not by a date locator) so that they are
    # the same on every machine and in every locale.
    ticks = _date_ticks(first + datetime.timedelta(days=1), last, layout.max_ticks)
    labels = [f"{d.day} {MONTHS[d.month - 1]}" for d in ticks]
    axes.set_xticks([_x(d) for d in ticks], labels=labels)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)

    legend: list[Artist] = []
    for index, mark in enumerate(sessions, start=1):
        x = _x(mark.day)
        line = axes.axvline(x, color=PHASE_LINE, linewidth=1.0, linestyle=(0, (2, 2)), zorder=1)
        line.set_gid(f"session-{index}")
        label = axes.text(
            x,
            1.02,
            str(mark.number),
            transform=axes.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=font - 1.5,
            color=MUTED,
            clip_on=False,
        )
        label.set_gid(f"session-label-{index}")
    if sessions:
        legend.append(
            Line2D([], [], color=PHASE_LINE, linestyle=(0, (2, 2)), label="Session (number above)")
        )
    shown_events = [day for day in events if first <= day <= last]
    for index, day in enumerate(shown_events, start=1):
        (dot,) = axes.plot(
            [_x(day)],
            [0.97],
            marker="D",
            markersize=6,
            color=LIFE_EVENT_COLOUR,
            linestyle="none",
            transform=axes.get_xaxis_transform(),
            clip_on=False,
            zorder=4,
        )
        dot.set_gid(f"life-event-{index}")
    if shown_events:
        legend.append(
            Line2D(
                [], [], marker="D", color=LIFE_EVENT_COLOUR, linestyle="none", label="Life event"
            )
        )
    if points:
        ordered = sorted(points, key=lambda p: p.day)
        (line,) = axes.plot(
            [_x(p.day) for p in ordered],
            [p.mood for p in ordered],
            color=SCORE_COLOUR,
            linewidth=1.6,
            marker="o",
            markersize=4,
            markerfacecolor="#ffffff",
            markeredgewidth=1.5,
            zorder=5,
        )
        line.set_gid("mood")
        legend.append(
            Line2D([], [], color=SCORE_COLOUR, marker="o", markerfacecolor="#ffffff", label="Mood")
        )
    else:
        note = axes.text(
            0.5,
            0.5,
            "No diary entries yet",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            fontsize=font + 1,
        )
        note.set_gid("no-entries")
    if legend:
        key = figure.legend(
            handles=legend,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=min(len(legend), layout.legend_columns),
            frameon=False,
            fontsize=font - 1,
            labelcolor=INK,
        )
        key.set_gid("legend")
    return figure
