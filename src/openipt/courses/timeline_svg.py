"""The timeline as geometry: life events on one horizontal time axis. Pure Python.

Events sit above the axis in as many label rows ("lanes") as their labels
need; the course start and today are marked across the whole height. Below
the axis there is room for measure scores on the same time scale: pass
`ScoreSeries` to `layout_timeline` and each is drawn as a line in the score
band. Until the measures app exists the page passes none (see
`selectors.inventory.score_series_for_timeline`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 1000.0
MARGIN_LEFT = 36.0
MARGIN_RIGHT = 36.0
# A header row for the "Course start" and "Today" labels, above the event lanes.
HEADER = 22.0
TOP = HEADER + 8.0
LANE_HEIGHT = 24.0
AXIS_GAP = 22.0
TICK_AREA = 30.0
SCORE_BAND = 96.0
BOTTOM = 24.0
CHAR_WIDTH = 6.4
LABEL_CHARS = 22
MIN_SPAN_DAYS = 60
MAX_LANES = 8

ONSET_FILL = "#c2410c"
EVENT_FILL = "#2a7a74"
SCORE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")


@dataclass(frozen=True)
class TimelineEvent:
    key: str
    date: datetime.date
    title: str
    kind_label: str = ""
    linked_to_onset: bool = False


@dataclass(frozen=True)
class ScorePoint:
    date: datetime.date
    value: float


@dataclass(frozen=True)
class ScoreSeries:
    """One measure's scores over time (e.g. PHQ-9 totals), drawn in the score band."""

    name: str
    points: Sequence[ScorePoint]
    max_value: float


@dataclass(frozen=True)
class PlacedEvent:
    event: TimelineEvent
    x: float
    lane: int
    label: str
    label_x: float
    label_y: float
    stem_top: float
    radius: float
    fill: str
    emphasised: bool


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    label: str
    label_x: float
    anchor: str


@dataclass(frozen=True)
class PlacedSeries:
    name: str
    colour: str
    points: tuple[tuple[float, float], ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self.points)


@dataclass(frozen=True)
class TimelineDrawing:
    width: float
    height: float
    axis_y: float
    axis_x1: float
    axis_x2: float
    events: tuple[PlacedEvent, ...]
    ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    series: tuple[PlacedSeries, ...] = field(default_factory=tuple)
    score_top: float = 0.0
    score_bottom: float = 0.0

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"

    @property
    def has_scores(self) -> bool:
        return bool(self.series)

    # Derived positions, so that the template does no arithmetic.
    @property
    def marker_top(self) -> float:
        return HEADER - 2

    @property
    def marker_bottom(self) -> float:
        return self.axis_y + 8

    @property
    def marker_label_y(self) -> float:
        return HEADER - 8

    @property
    def tick_end(self) -> float:
        return self.axis_y + 6

    @property
    def tick_label_y(self) -> float:
        return self.axis_y + 20

    @property
    def score_width(self) -> float:
        return self.axis_x2 - self.axis_x1

    @property
    def score_height(self) -> float:
        return self.score_bottom - self.score_top


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` on one line, cut at a word boundary when it is longer than `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _label_width(label: str) -> float:
    return len(label) * CHAR_WIDTH + 14


def assign_lanes(xs_and_widths: Sequence[tuple[float, float]], lanes: int = MAX_LANES) -> list[int]:
    """The first lane where each label fits after the previous one (input sorted by x).

    When every lane is full the label goes to the lane that frees up first, so
    the drawing never grows without bound; the list below the drawing still
    names every event.
    """
    ends: list[float] = []
    result = []
    for x, width in xs_and_widths:
        for lane, end in enumerate(ends):
            if x >= end:
                ends[lane] = x + width
                result.append(lane)
                break
        else:
            if len(ends) < lanes:
                ends.append(x + width)
                result.append(len(ends) - 1)
            else:
                lane = min(range(len(ends)), key=ends.__getitem__)
                ends[lane] = x + width
                result.append(lane)
    return result


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    total = day.year * 12 + day.month - 1 + months
    return datetime.date(total // 12, total % 12 + 1, 1)


def ticks_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Tick dates: months for short spans, years (every 1, 2, 5 or 10) for long ones."""
    days = (last - first).days
    if days <= 190:
        step_months = 1
    elif days <= 400:
        step_months = 2
    elif days <= 800:
        step_months = 3
    elif days <= 1500:
        step_months = 6
    else:
        years = days / 365.25
        step = next((s for s in (1, 2, 5, 10, 20) if years / s <= 10), 50)
        start = datetime.date(first.year - first.year % step + step, 1, 1)
        return [
            datetime.date(y, 1, 1)
            for y in range(start.year, last.year + 1, step)
            if first <= datetime.date(y, 1, 1) <= last
        ]
    tick = _month_start(first)
    if tick < first:
        tick = _add_months(tick, 1)
    while (tick.month - 1) % step_months:
        tick = _add_months(tick, 1)
    result = []
    while tick <= last:
        result.append(tick)
        tick = _add_months(tick, step_months)
    return result


def tick_labels(days: Sequence[datetime.date]) -> list[str]:
    """Year ticks read "2019"; month ticks read "Mar", with the year on the first and on January."""
    if all(d.month == 1 for d in days) and len(days) > 1:
        return [str(d.year) for d in days]
    return [
        d.strftime("%b %Y") if i == 0 or d.month == 1 else d.strftime("%b")
        for i, d in enumerate(days)
    ]


def _marker(x: float, label: str, anchor: str) -> Marker:
    return Marker(x, label, x - 4 if anchor == "end" else x + 4, anchor)


def place_markers(start_x: float, today_x: float, *, right_edge: float) -> list[Marker]:
    """The "Course start" and "Today" lines, with labels that do not run into each other.

    Labels read to the right of their line unless that would leave the drawing or
    run into the other label; when the two lines almost meet, only the course start
    is labelled.
    """

    def anchor_for(x: float, width: float) -> str:
        return "end" if x > right_edge - width else "start"

    start_anchor = anchor_for(start_x, 80)
    today_anchor = anchor_for(today_x, 40)
    gap = today_x - start_x
    if 0 <= gap < 130:
        start_anchor = "end"
    markers = [_marker(start_x, "Course start", start_anchor)]
    if abs(gap) >= 45:
        markers.append(_marker(today_x, "Today", today_anchor))
    return markers


def layout_timeline(
    events: Sequence[TimelineEvent],
    *,
    course_start: datetime.date,
    today: datetime.date,
    score_series: Sequence[ScoreSeries] = (),
) -> TimelineDrawing:
    """Lay out events, the course start, today and any score series on one axis."""
    dates = [e.date for e in events] + [course_start, today]
    for series in score_series:
        dates += [p.date for p in series.points]
    first, last = min(dates), max(dates)
    span = max((last - first).days, MIN_SPAN_DAYS)
    pad = max(span // 25, 5)
    first -= datetime.timedelta(days=pad)
    last = first + datetime.timedelta(days=span + 2 * pad)
    x1, x2 = MARGIN_LEFT, WIDTH - MARGIN_RIGHT

    def x_of(day: datetime.date) -> float:
        return round(x1 + (x2 - x1) * (day - first).days / (last - first).days, 1)

    ordered = sorted(events, key=lambda e: (e.date, e.title))
    labels = [short_label(e.title) for e in ordered]
    lanes = assign_lanes(
        [(x_of(e.date) - 6, _label_width(lb)) for e, lb in zip(ordered, labels, strict=True)]
    )
    lane_count = max(lanes, default=-1) + 1
    axis_y = TOP + max(lane_count, 1) * LANE_HEIGHT + AXIS_GAP
    placed = tuple(
        PlacedEvent(
            event=e,
            x=x_of(e.date),
            lane=lane,
            label=label,
            label_x=round(x_of(e.date) - 3, 1),
            label_y=axis_y - AXIS_GAP - lane * LANE_HEIGHT,
            stem_top=axis_y - AXIS_GAP - lane * LANE_HEIGHT + 5,
            radius=7.0 if e.linked_to_onset else 5.0,
            fill=ONSET_FILL if e.linked_to_onset else EVENT_FILL,
            emphasised=e.linked_to_onset,
        )
        for e, lane, label in zip(ordered, lanes, labels, strict=True)
    )
    tick_dates = ticks_between(first, last)
    ticks = tuple(
        Tick(x_of(d), label) for d, label in zip(tick_dates, tick_labels(tick_dates), strict=True)
    )

    markers = place_markers(x_of(course_start), x_of(today), right_edge=x2)

    score_top = axis_y + TICK_AREA
    placed_series: list[PlacedSeries] = []
    if score_series:
        bottom = score_top + SCORE_BAND
        for index, series in enumerate(score_series):
            scale = series.max_value or 1.0
            points = tuple(
                (x_of(p.date), round(bottom - (SCORE_BAND - 8) * min(p.value, scale) / scale, 1))
                for p in sorted(series.points, key=lambda p: p.date)
            )
            placed_series.append(
                PlacedSeries(series.name, SCORE_COLOURS[index % len(SCORE_COLOURS)], points)
            )
        height = bottom + BOTTOM
    else:
        height = score_top + BOTTOM - 8
    return TimelineDrawing(
        width=WIDTH,
        height=height,
        axis_y=axis_y,
        axis_x1=x1,
        axis_x2=x2,
        events=placed,
        ticks=ticks,
        markers=tuple(markers),
        series=tuple(placed_series),
        score_top=score_top,
        score_bottom=score_top + SCORE_BAND,
    )
