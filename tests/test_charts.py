"""Every chart of every notebook's views, for the sample clients: tick labels that do not overlap.

The views are called in this process (tests/notebook_views.py runs the notebooks' code cells, the
Explore cell included, and captures each figure where kpi_helpers.plots.png renders it). Tick
label extents are Matplotlib's own, in display pixels, after the figure was drawn.
"""

from __future__ import annotations

import pytest

from notebook_views import SAMPLE_CLIENTS, notebook_charts, notebooks, sample_dir

pytestmark = pytest.mark.slow


def overlapping_ticks(fig) -> list[tuple[str, str]]:
    """Pairs of neighbouring tick labels, on any axis of ``fig``, whose drawn extents overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = min(lim), max(lim)
            ticks = [(loc, t) for loc, t in zip(axis.get_majorticklocs(), axis.get_majorticklabels())
                     if t.get_visible() and t.get_text().strip() and lo - 1e-9 <= loc <= hi + 1e-9]
            boxes = sorted(((t.get_window_extent(renderer), t.get_text()) for _, t in ticks),
                           key=lambda b: (b[0].x0, b[0].y0))
            for (a, ta), (b, tb) in zip(boxes, boxes[1:]):
                if a.overlaps(b) and a.intersection(a, b) is not None and a.intersection(a, b).width > 0.5 \
                        and a.intersection(a, b).height > 0.5:
                    found.append((ta, tb))
    return found


CASES = [(nb.name, client, "fr") for nb in notebooks() for client in SAMPLE_CLIENTS] + \
        [(nb.name, "maison-lune", "en") for nb in notebooks()]


@pytest.mark.parametrize("name, client, language", CASES)
def test_no_chart_has_overlapping_tick_labels(name, client, language):
    path = next(p for p in notebooks() if p.name == name)
    charts = notebook_charts(path, client_dir=sample_dir(client), language=language)
    problems = {f"cell {c.cell}: {c.source.strip().splitlines()[0][:70]}": overlapping_ticks(c.figure) for c in charts}
    assert not {k: v for k, v in problems.items() if v}


def test_the_overlap_check_finds_overlapping_labels():
    import pandas as pd

    from kpi_helpers import plots

    ax = plots.figure((2.0, 2.0)).add_subplot()
    ax.bar(range(6), [1] * 6)
    ax.set_xticks(range(6), ["a long label"] * 6)
    assert overlapping_ticks(ax.figure)
    ax = plots.bar(pd.DataFrame({"channel": ["email", "direct"], "value": [0.1, 0.2]}), x="channel", kpi="conversion_rate")
    assert not overlapping_ticks(ax.figure)
