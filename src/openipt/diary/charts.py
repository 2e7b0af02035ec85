"""The diary chart for the clinician: mood by day beside session dates and life events.

Drawn like the questionnaire charts, with their parts (`openipt.measures.charts`):
matplotlib's object API only, the same deterministic SVG settings, under the
same lock (the settings are process-wide, so one lock must guard every chart
drawn with them), served as an image from its own URL because of the page's CSP.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from openipt.measures.charts import (
    LAYOUTS,
    LIFE_EVENT_COLOUR,
    MIN_SPAN_DAYS,
    MUTED,
    PHASE_LINE,
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

DIARY_SVG_SETTINGS = {**SVG_SETTINGS, "svg.hashsalt": "openipt-diary-chart"}
# Ticks 1, 2, 7, 14, 28, 56 or else 91 days apart.
TICK_STEPS = (1, 2, 7, 14, 28, 56, 91)


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
    return render_svg(
        DIARY_SVG_SETTINGS, lambda: _draw(points, sessions, events, start, title, size)
    )


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
    figure = new_figure(layout)
    axes = day_axes(figure, layout)
    first, last = _span(points, sessions, start)
    axes.set_xlim(day_x(first), day_x(last))
    axes.set_ylim(-0.5, 10.5)
    frame_axes(axes, title, font, pad=font * 3)
    axes.set_ylabel("Mood (0–10)", color=MUTED, fontsize=font)
    axes.set_yticks([0, 2, 4, 6, 8, 10])
    first_tick = first + datetime.timedelta(days=1)
    set_day_ticks(axes, day_ticks(first_tick, last, layout.max_ticks, TICK_STEPS))

    legend: list[Artist] = []
    for index, mark in enumerate(sessions, start=1):
        x = day_x(mark.day)
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
            [day_x(day)],
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
        point_line(
            axes,
            [day_x(p.day) for p in ordered],
            [p.mood for p in ordered],
            "mood",
            linewidth=1.6,
            markersize=4,
            markeredgewidth=1.5,
        )
        legend.append(point_key("Mood"))
    else:
        empty_note(axes, "No diary entries yet", "no-entries", font)
    bottom_legend(figure, legend, layout, compact=False)
    return figure
