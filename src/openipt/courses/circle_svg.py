"""The closeness circle as geometry: pure Python, no ORM, no HTML.

The page draws the circle as inline SVG from a `CircleDrawing`. Everything a
template needs (coordinates, colours, short labels) is computed here, so the
drawing is the same on screen, in print and later in a PDF, and it can be
tested without a database. Colours are SVG presentation attributes because the
Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_RINGS = 3
MAX_RINGS = 4
LABEL_CHARS = 16

# The drawing's own coordinate system; the SVG scales it with its viewBox.
HALF_WIDTH = 230.0
HALF_HEIGHT = 202.0
VIEW_BOX = f"{-HALF_WIDTH:g} {-HALF_HEIGHT:g} {2 * HALF_WIDTH:g} {2 * HALF_HEIGHT:g}"
OUTER_RADIUS = 192.0
CENTRE_RADIUS = 36.0
PERSON_RADIUS = 10.0
LABEL_SIZE = 14.0
# Labels sit outside their person, away from the client in the centre: below
# people in the lower half, above people in the upper half (baseline offsets).
LABEL_BELOW = 24.0
LABEL_ABOVE = -15.0
# Two labels closer than this vertically may collide, so they must fit side by side.
LABEL_LINE = 17.0
MIN_LABEL_CHARS = 5
# An estimate of the width of one character of a label, for keeping labels
# inside the drawing (system fonts differ a little; this errs wide).
LABEL_CHAR_WIDTH = LABEL_SIZE * 0.56
# People are spread over the circle except for a narrow wedge on the left,
# where the ring numbers are written. Labels run horizontally, so none of
# them enters that wedge.
GAP_DEGREES = 16.0

# Fill and stroke by relationship kind. Chosen to stay apart for the common
# kinds of colour blindness (Okabe-Ito first, then muted extras).
RELATIONSHIP_COLOURS: Mapping[str, str] = {
    "partner": "#D55E00",
    "parent": "#0072B2",
    "child": "#E69F00",
    "sibling": "#56B4E9",
    "other_family": "#8E6CC4",
    "friend": "#009E73",
    "coworker": "#CC79A7",
    "neighbour": "#8C7A3C",
    "professional": "#5B6770",
    "deceased": "#FFFFFF",
    "other": "#A3A3A3",
}
FALLBACK_COLOUR = "#A3A3A3"
DECEASED = "deceased"
# The ring bands, innermost first: closer is darker.
BAND_FILLS = ("#cfe6e3", "#dfeeec", "#ecf5f3", "#f6faf9")
BAND_STROKE = "#a9cbc6"

# A halo around people who moved between the two circles being compared.
HALO_COLOURS: Mapping[str, str] = {"closer": "#1d7a46", "further": "#b45309"}

# One letter per problem area, drawn as a small badge on the person.
AREA_LETTERS: Mapping[str, str] = {
    "grief": "G",
    "role_dispute": "D",
    "role_transition": "T",
    "interpersonal_deficits": "I",
}


@dataclass(frozen=True)
class CircleEntry:
    """One person as the drawing needs them."""

    key: str
    name: str
    relationship: str
    ring: int
    problem_area: str = ""


@dataclass(frozen=True)
class PlacedPerson:
    entry: CircleEntry
    x: float
    y: float
    label: str
    label_x: float
    label_y: float
    label_anchor: str
    fill: str
    stroke: str
    deceased: bool
    area_letter: str
    badge_x: float
    badge_y: float
    halo: str = ""

    @property
    def name(self) -> str:
        return self.entry.name


@dataclass(frozen=True)
class Band:
    number: int
    radius: float
    fill: str
    number_x: float


@dataclass(frozen=True)
class LegendItem:
    code: str
    label: str
    fill: str
    stroke: str
    deceased: bool


@dataclass(frozen=True)
class CircleDrawing:
    rings: int
    bands: tuple[Band, ...]
    people: tuple[PlacedPerson, ...]
    centre_label: str
    view_box: str = VIEW_BOX
    centre_radius: float = CENTRE_RADIUS
    person_radius: float = PERSON_RADIUS
    halo_radius: float = PERSON_RADIUS + 4.5
    label_size: float = LABEL_SIZE

    @property
    def ring_numbers(self) -> range:
        return range(1, self.rings + 1)


def rings_needed(rings_in_use: Iterable[int], stored: int | None = None) -> int:
    """3 rings unless someone sits on ring 4 or a saved version was drawn with 4.

    GIVEN people on rings 1-3 and no stored choice WHEN the circle is drawn THEN it has
    3 rings; GIVEN anyone on ring 4, or a version saved with 4 rings, THEN it has 4.
    """
    widest = max(rings_in_use, default=0)
    return max(DEFAULT_RINGS, min(MAX_RINGS, max(widest, stored or 0)))


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


def band_width(rings: int) -> float:
    return (OUTER_RADIUS - CENTRE_RADIUS) / rings


def ring_middle(ring: int, rings: int) -> float:
    """The radius at which people on `ring` are drawn: the middle of its band."""
    return CENTRE_RADIUS + band_width(rings) * (ring - 0.5)


def angles(count: int) -> list[float]:
    """`count` evenly spread angles in radians, clockwise from just above the left wedge.

    (SVG's y axis points down, so growing angles go clockwise on screen.)
    """
    gap = math.radians(GAP_DEGREES)
    span = 2 * math.pi - 2 * gap
    start = math.pi + gap
    return [start + span * (i + 0.5) / count for i in range(count)]


def label_chars(radius: float, count: int, angle: float) -> int:
    """How many characters a label may have before it runs into its neighbours' labels.

    Neighbours on the same ring are one step of arc away. Near the top and bottom
    of the circle that step is mostly horizontal, so the labels, which read
    side by side, must share it; near the sides the neighbours sit above and
    below, and each label may be as long as the drawing allows.
    """
    if count < 2:
        return LABEL_CHARS
    step = radius * (2 * math.pi - 2 * math.radians(GAP_DEGREES)) / count
    if step * abs(math.cos(angle)) >= LABEL_LINE:
        return LABEL_CHARS
    room = step * abs(math.sin(angle)) - 6
    return max(MIN_LABEL_CHARS, min(LABEL_CHARS, int(room / LABEL_CHAR_WIDTH)))


def label_half_width(label: str) -> float:
    return len(label) * LABEL_CHAR_WIDTH / 2


def label_x_inside(x: float, label: str) -> float:
    """The label's centre: under its person, shifted inward if it would leave the drawing."""
    limit = HALF_WIDTH - 2 - label_half_width(label)
    return round(min(max(x, -limit), limit), 1)


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _overlap(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def label_box(x: float, baseline: float, anchor: str, label: str) -> Box:
    width = len(label) * LABEL_CHAR_WIDTH
    left = {"start": x, "end": x - width}.get(anchor, x - width / 2)
    return (left, baseline - LABEL_SIZE * 0.8, left + width, baseline + LABEL_SIZE * 0.25)


def label_candidates(x: float, y: float, label: str) -> list[tuple[float, float, str]]:
    """Where a person's label may go, best first: centred away from the centre
    vertically, beside them on the outer side, the same two nudged sideways,
    then the inner positions."""
    nudge = label_half_width(label) * 0.6
    outward = 1 if x >= 0 else -1
    above_y = round(y + LABEL_ABOVE, 1)
    below_y = round(y + LABEL_BELOW, 1)
    side_y = round(y + LABEL_SIZE * 0.35, 1)
    gap = PERSON_RADIUS + 5

    def centred(at_x: float, at_y: float) -> tuple[float, float, str]:
        return (label_x_inside(at_x, label), at_y, "middle")

    near, far = (above_y, below_y) if y < 0 else (below_y, above_y)
    outer_side = (round(x + outward * gap, 1), side_y, "start" if outward > 0 else "end")
    inner_side = (round(x - outward * gap, 1), side_y, "end" if outward > 0 else "start")
    return [
        centred(x, near),
        outer_side,
        centred(x + outward * nudge, near),
        centred(x - outward * nudge, near),
        centred(x + outward * nudge, far),
        centred(x, far),
        inner_side,
        centred(x - outward * nudge, far),
    ]


def _inside(box: Box) -> bool:
    return (
        box[0] >= -HALF_WIDTH + 2
        and box[2] <= HALF_WIDTH - 2
        and box[1] >= -HALF_HEIGHT + 1
        and box[3] <= HALF_HEIGHT - 1
    )


def place_labels(people: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """A position (x, baseline, text-anchor) for each label, avoiding the others.

    Greedy, in the order given: each label takes its first candidate position
    that stays inside the drawing and touches no marker, no label already
    placed and not the client in the centre; when every candidate collides, the
    one that overlaps least. Deterministic, so a circle always looks the same.
    """
    reach = PERSON_RADIUS + 1
    obstacles: list[Box] = [(x - reach, y - reach, x + reach, y + reach) for x, y, _ in people]
    obstacles.append((-CENTRE_RADIUS, -CENTRE_RADIUS, CENTRE_RADIUS, CENTRE_RADIUS))
    chosen: list[tuple[float, float, str]] = []
    for x, y, label in people:
        best: tuple[float, tuple[float, float, str]] | None = None
        for candidate in label_candidates(x, y, label):
            box = label_box(*candidate, label)
            if not _inside(box):
                continue
            cost = sum(_overlap(box, other) for other in obstacles)
            if best is None or cost < best[0]:
                best = (cost, candidate)
            if cost == 0:
                break
        position = best[1] if best is not None else label_candidates(x, y, label)[0]
        chosen.append(position)
        obstacles.append(label_box(*position, label))
    return chosen


def colours_for(relationship: str) -> tuple[str, str]:
    if relationship == DECEASED:
        return RELATIONSHIP_COLOURS[DECEASED], "#4b5563"
    return RELATIONSHIP_COLOURS.get(relationship, FALLBACK_COLOUR), "#ffffff"


def layout_circle(
    entries: Sequence[CircleEntry],
    *,
    rings: int | None = None,
    centre_label: str = "Client",
    highlights: Mapping[str, str] | None = None,
) -> CircleDrawing:
    """Place each person on their ring, evenly by angle, in the order given.

    `highlights` maps a person's key to "closer" or "further": they get a halo
    (used on the second circle of a comparison).
    """
    highlights = highlights or {}
    count = rings_needed((e.ring for e in entries), rings)
    width = band_width(count)
    bands = tuple(
        Band(
            number=n,
            radius=CENTRE_RADIUS + width * n,
            fill=BAND_FILLS[n - 1],
            number_x=-(CENTRE_RADIUS + width * (n - 0.5)),
        )
        for n in range(count, 0, -1)
    )
    by_ring: dict[int, list[CircleEntry]] = {}
    for entry in entries:
        ring = min(max(entry.ring, 1), count)
        by_ring.setdefault(ring, []).append(entry)
    spots: list[tuple[CircleEntry, float, float, str]] = []
    for ring in sorted(by_ring):
        people = by_ring[ring]
        radius = ring_middle(ring, count)
        for entry, angle in zip(people, angles(len(people)), strict=True):
            x = round(radius * math.cos(angle), 1)
            y = round(radius * math.sin(angle), 1)
            spots.append(
                (entry, x, y, short_label(entry.name, label_chars(radius, len(people), angle)))
            )
    labels = place_labels([(x, y, label) for _, x, y, label in spots])
    placed: list[PlacedPerson] = []
    for (entry, x, y, label), (label_x, label_y, anchor) in zip(spots, labels, strict=True):
        fill, stroke = colours_for(entry.relationship)
        placed.append(
            PlacedPerson(
                entry=entry,
                x=x,
                y=y,
                label=label,
                label_x=label_x,
                label_y=label_y,
                label_anchor=anchor,
                fill=fill,
                stroke=stroke,
                deceased=entry.relationship == DECEASED,
                area_letter=AREA_LETTERS.get(entry.problem_area, ""),
                badge_x=round(x + PERSON_RADIUS * 0.85, 1),
                badge_y=round(y - PERSON_RADIUS * 0.85, 1),
                halo=HALO_COLOURS.get(highlights.get(entry.key, ""), ""),
            )
        )
    return CircleDrawing(
        rings=count,
        bands=bands,
        people=tuple(placed),
        centre_label=short_label(centre_label, 10),
    )


def legend_for(relationships: Iterable[str], labels: Mapping[str, str]) -> list[LegendItem]:
    """One legend entry per relationship kind present, in the order of `labels`."""
    present = set(relationships)
    items = []
    for code, label in labels.items():
        if code in present:
            fill, stroke = colours_for(code)
            items.append(LegendItem(code, label, fill, stroke, code == DECEASED))
    return items


class Movement(StrEnum):
    CLOSER = "closer"
    FURTHER = "further"
    SAME = "same"
    ADDED = "added"
    LEFT = "left"


@dataclass(frozen=True)
class Change:
    key: str
    name: str
    before: int | None
    after: int | None
    movement: Movement

    @property
    def steps(self) -> int:
        if self.before is None or self.after is None:
            return 0
        return abs(self.before - self.after)


def compare_placements(
    before: Mapping[str, tuple[str, int]], after: Mapping[str, tuple[str, int]]
) -> list[Change]:
    """Who moved between two circles. Keys identify people; values are (name, ring).

    GIVEN a person on ring 3 in the first circle and ring 1 in the second WHEN the
    two are compared THEN they moved closer by 2; someone only in the second circle
    was added, someone only in the first has left it. Moves come first (closer,
    then further, biggest moves first), then additions, departures, and the unchanged.
    """
    changes: list[Change] = []
    for key in list(before) + [k for k in after if k not in before]:
        old = before.get(key)
        new = after.get(key)
        name = (new or old or ("", 0))[0]
        if old is None and new is not None:
            changes.append(Change(key, name, None, new[1], Movement.ADDED))
        elif new is None and old is not None:
            changes.append(Change(key, name, old[1], None, Movement.LEFT))
        elif old is not None and new is not None:
            if new[1] < old[1]:
                movement = Movement.CLOSER
            elif new[1] > old[1]:
                movement = Movement.FURTHER
            else:
                movement = Movement.SAME
            changes.append(Change(key, name, old[1], new[1], movement))
    order = [Movement.CLOSER, Movement.FURTHER, Movement.ADDED, Movement.LEFT, Movement.SAME]
    return sorted(changes, key=lambda c: (order.index(c.movement), -c.steps))
