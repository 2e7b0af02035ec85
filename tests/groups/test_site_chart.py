"""The dashboard's site chart: a hidden mean breaks the line; band names clear the values."""

from __future__ import annotations

import re

import matplotlib
import pytest

from openipt.groups.charts_dashboard import SITE_SVG_SETTINGS, _draw, line_through, site_chart_svg
from openipt.groups.selectors.dashboard import SessionMean
from openipt.measures.charts import RENDER_LOCK
from openipt.measures.engine import shipped

PHQ9 = shipped("phq9")
# Like the acceptance journey: falling means, session 6 resting on fewer than five.
FALLING = [
    SessionMean(0, 6, 16.2),
    SessionMean(1, 6, 15.2),
    SessionMean(2, 6, 13.5),
    SessionMean(3, 5, 13.0),
    SessionMean(4, 6, 11.2),
    SessionMean(5, 6, 9.7),
    SessionMean(6, 4, None),
    SessionMean(7, 6, 5.5),
    SessionMean(8, 6, 4.5),
]


def test_the_line_has_a_gap_where_a_mean_is_hidden() -> None:
    """GIVEN means for sessions 0–5 and 7–8, session 6's hidden (fewer than 5 members)
    WHEN the chart is drawn
    THEN the means line is two pieces (no stroke across session 6), with eight points."""
    xs, ys = line_through([(p.number, p.mean) for p in FALLING if p.mean is not None])
    assert xs == [float(n) for n in range(9)]
    assert [y != y for y in ys] == [n == 6 for n in range(9)]  # NaN only at session 6
    for size in ("wide", "narrow"):
        svg = site_chart_svg(
            instrument=PHQ9, points=FALLING, title="Riverside", planned_sessions=8, size=size
        )
        means = svg[svg.index('<g id="means">') :]
        path = re.search(r'<path d="([^"]*)"', means)
        assert path is not None
        assert path.group(1).count("M ") == 2
        assert means[: means.index("</g>\n   </g>")].count("<use ") == 8
        assert 'id="mean-value-6"' not in svg


@pytest.mark.parametrize(
    "points",
    [
        FALLING,
        [SessionMean(n, 6, 22.0 - n) for n in range(9)],  # high: crosses three bands
    ],
)
def test_band_names_never_cover_a_value_on_a_phone(points: list[SessionMean]) -> None:
    """GIVEN a narrow (phone) chart, where the band names sit inside the plot
    WHEN it is drawn
    THEN no band name's box overlaps a point's value label, and most names are shown."""
    with RENDER_LOCK, matplotlib.rc_context(SITE_SVG_SETTINGS):
        figure = _draw(PHQ9, points, "Riverside", 8, "narrow")
        axes = figure.axes[0]
        values = [t for t in axes.texts if (t.get_gid() or "").startswith("mean-value-")]
        bands = [
            t
            for t in axes.texts
            if (t.get_gid() or "").startswith("severity-band-label-") and t.get_visible()
        ]
        assert len(values) == sum(1 for p in points if p.mean is not None)
        assert len(bands) >= len(PHQ9.bands) - 1
        for band in bands:
            box = band.get_window_extent()
            for value in values:
                assert not box.overlaps(value.get_window_extent()), (band.get_text(), value)
