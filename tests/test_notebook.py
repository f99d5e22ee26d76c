"""kpi_helpers.notebook: the Explore section renders views into HTML, on the kernel's main thread.

The views are exercised end to end by the notebook runs (tests/test_notebooks.py); here the
Explore machinery is driven directly, outside a kernel, as a widget callback would drive it.
"""

from __future__ import annotations

import gc
import threading
import time

import pytest

import kpi_helpers.notebook as nb
from kpi_helpers.paths import SAMPLE_DIR

ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def ctx():
    return nb.setup(SAMPLE_DIR / "maison-lune", show=False)


def _widgets(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _widgets(child)


def _pickers(box):
    found = {type(w).__name__ + ":" + (w.description or ""): w for w in _widgets(box) if hasattr(w, "value")
             and not isinstance(w, ipywidgets.HTML)}
    html = next(w for w in _widgets(box) if isinstance(w, ipywidgets.HTML))
    return found, html


def test_explore_shows_its_views_in_an_html_widget_and_no_output_widget(ctx):
    # An Output widget shown without a front end makes papermill's client answer each captured
    # output on the kernel's shell socket, which can leave the cell's reply unread (benchmarks/SOAK.md)
    box = nb.explore(ctx, nb.view(nb.headline, ["sessions", "conversion_rate"]),
                     nb.view(nb.breakdown, "conversion_rate", by="channel"))
    assert not [w for w in _widgets(box) if isinstance(w, ipywidgets.Output)]
    _, html = _pickers(box)
    assert "Taux de conversion (visiteurs)" in html.value
    assert html.value.count('src="data:image/png;base64,') == 1  # the breakdown's chart
    assert box.render_seconds is not None


def test_picking_a_channel_re_renders_and_the_breakdown_by_channel_follows_to_devices(ctx):
    box = nb.explore(ctx, nb.view(nb.breakdown, "conversion_rate", by="channel"))
    pickers, html = _pickers(box)
    assert "(visiteurs) par canal</h3>" in html.value
    pickers["Dropdown:Canal"].value = "email"  # outside a kernel the re-render runs at once
    assert "(visiteurs) par appareil</h3>" in html.value and "(visiteurs) par canal</h3>" not in html.value
    pickers["Dropdown:Appareil"].value = "mobile"
    assert "rien à répartir" in html.value


@pytest.mark.parametrize("changes, expected", [
    ({"Début": "1999-02-02"}, "Les données de ce client vont du"),
    ({"Fin": "9999-12-31"}, "Les données de ce client vont du"),
    ({"Début": "2026-09-20", "Fin": "2026-09-10"}, "La date de début est après la date de fin."),
    ({"Début": None}, "Choisissez une date de début et une date de fin."),  # a date cleared
])
def test_a_period_that_cannot_be_shown_is_one_sentence_not_a_traceback(ctx, changes, expected):
    import datetime as dt

    box = nb.explore(ctx, nb.view(nb.headline, ["sessions"]))
    pickers, html = _pickers(box)
    for name in ("Fin", "Début"):
        if name in changes:
            pickers[f"DatePicker:{name}"].value = dt.date.fromisoformat(changes[name]) if changes[name] else None
    assert expected in html.value and "Traceback" not in html.value


def test_a_date_typed_digit_by_digit_is_ignored_until_its_year_is_whole(ctx):
    import datetime as dt

    box = nb.explore(ctx, nb.view(nb.headline, ["sessions", "conversion_rate"]))
    pickers, html = _pickers(box)
    before, renders = html.value, box.renders
    for year in (2, 20, 202):  # what a browser's date field sends while the year is typed
        pickers["DatePicker:Début"].value = dt.date(year, ctx.start.month, ctx.start.day)
        assert html.value == before and box.renders == renders
    pickers["DatePicker:Début"].value = ctx.start.replace(day=2)
    assert box.renders == renders + 1 and "Traceback" not in html.value and "Visites" in html.value


def test_a_typed_year_renders_as_soon_as_it_is_whole_and_other_date_changes_wait_for_the_next_keystroke(ctx, monkeypatch):
    import datetime as dt

    delays = []
    monkeypatch.setattr(nb._Later, "request", lambda self, delay=0.0: delays.append(delay))
    box = nb.explore(ctx, nb.view(nb.headline, ["sessions"]))
    start = _pickers(box)[0]["DatePicker:Début"]
    # what Chromium sends while 10/05/2025 is typed over 10/01/2026, one value per keystroke
    # (mm/dd/yyyy; dd/mm/yyyy ends with the year too): the month, the day, then the year digit by digit
    start.value = dt.date(2026, 10, 1)
    typed = [dt.date(2026, 1, 1), dt.date(2026, 10, 1), dt.date(2026, 10, 5),
             dt.date(2, 10, 5), dt.date(20, 10, 5), dt.date(202, 10, 5), dt.date(2025, 10, 5)]
    delays.clear()
    for value in typed:
        start.value = value
    settle = nb.DATE_SETTLE
    assert delays == [settle] * 6 + [0.0]  # only the whole year needs no wait: nothing more comes
    delays.clear()
    start.value = dt.date(2025, 10, 15)  # a day typed over (« 1 » then « 15 »), or picked in the calendar
    assert delays == [settle]


def test_a_year_the_browser_accepts_but_python_does_not_is_a_sentence(ctx):
    box = nb.explore(ctx, nb.view(nb.headline, ["sessions"]))
    pickers, html = _pickers(box)
    # what the front end sends for 05/10/11999 (a fifth digit typed in the year)
    pickers["DatePicker:Début"].set_state({"value": {"year": 11999, "month": 9, "date": 5}})
    assert pickers["DatePicker:Début"].value is None
    assert "Choisissez une date de début et une date de fin." in html.value


def test_an_error_outside_the_views_is_one_sentence_too(ctx, monkeypatch):
    import sys

    explore_module = sys.modules["kpi_helpers.notebook.explore"]

    box = nb.explore(ctx, nb.view(nb.headline, ["sessions"]))
    pickers, html = _pickers(box)

    def overflow(*args):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(explore_module, "_choice_problem", overflow)
    pickers["Dropdown:Canal"].value = "email"
    assert "OverflowError : date value out of range" in html.value


def test_only_the_pickers_that_apply_are_offered(ctx):
    social = nb.explore(ctx, nb.view(nb.headline, ["posts", "engagement_rate_impressions_or_views"]),
                        nb.view(nb.breakdown, "engagement_rate_impressions_or_views", by="format"))
    assert sorted(_pickers(social)[0]) == ["DatePicker:Début", "DatePicker:Fin"]
    costs = nb.explore(ctx, nb.view(nb.headline, ["ad_spend", "cost_per_acquisition"]))
    assert sorted(_pickers(costs)[0]) == ["DatePicker:Début", "DatePicker:Fin", "Dropdown:Canal"]
    per_channel = nb.explore(ctx, nb.view(nb.acquisition))  # every paid channel, whatever the filter
    assert sorted(_pickers(per_channel)[0]) == ["DatePicker:Début", "DatePicker:Fin"]
    mixed = nb.explore(ctx, nb.view(nb.headline, ["sessions"]), nb.view(nb.shipping_bands))
    assert sorted(_pickers(mixed)[0]) == ["DatePicker:Début", "DatePicker:Fin", "Dropdown:Appareil", "Dropdown:Canal"]


def test_explore_shows_a_static_preview_and_a_sentence_where_widgets_cannot_run(ctx):
    box = nb.explore(ctx, nb.view(nb.breakdown, "conversion_rate", by="channel"))
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Exploration :") and "VBox" not in bundle["text/plain"]
    assert "Aperçu figé" in bundle["text/html"] and 'src="data:image/png;base64,' in bundle["text/html"]


def test_a_view_that_fails_is_one_sentence(ctx):
    def broken(_ctx):
        raise ValueError("no such column")

    html = nb.render_html(ctx, broken)
    assert "Cette vue n&#x27;a pas pu être affichée (ValueError : no such column)" in html


def test_without_segments_only_the_dates_are_offered(ctx):
    box = nb.explore(ctx, nb.view(nb.headline, ["posts"]), segments=False)
    pickers, _ = _pickers(box)
    assert sorted(pickers) == ["DatePicker:Début", "DatePicker:Fin"]


def test_re_renders_run_on_the_loop_thread_once_after_the_last_of_quick_changes():
    from tornado.ioloop import IOLoop

    ready = threading.Event()
    holder = {}

    def serve():
        import asyncio

        asyncio.set_event_loop(asyncio.new_event_loop())
        holder["loop"] = IOLoop.current()
        ready.set()
        holder["loop"].start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(5)
    calls = []
    later = nb._Later(lambda: calls.append((threading.current_thread(), gc.isenabled())))
    later.loop = holder["loop"]
    try:
        for _ in range(5):  # five keystrokes, from this (another) thread
            later.request(0.2)
            time.sleep(0.02)
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        # on the loop's thread, once, with the garbage collector paused; it resumes after (GC_RESUME)
        assert calls == [(thread, False)] and gc.isenabled()
    finally:
        holder["loop"].add_callback(holder["loop"].stop)
        thread.join(5)


def test_charts_are_drawn_without_pyplot_state():
    import pandas as pd

    from kpi_helpers import plots

    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ax = plots.bar(pd.DataFrame({"channel": ["email", "direct"], "value": [0.1, 0.2]}), x="channel",
                   kpi="conversion_rate")
    data, width = plots.png(ax.figure)
    assert plt.get_fignums() == before
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 300 < width < 1200


# ----------------------------------------------------------------------------------------------
# What the views show: tables in the chart's order, small samples flagged, numbers with context


def _cells(html: str, header: str) -> list[str]:
    """The cells of the column ``header`` of the first table holding it in ``html``."""
    from html.parser import HTMLParser

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr" and self.tables:
                self.tables[-1].append([])
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.tables[-1][-1].append(self.cell.strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Tables()
    parser.feed(html)
    for rows in parser.tables:
        if rows and header in rows[0]:
            i = rows[0].index(header)
            return [r[i] for r in rows[1:]]
    raise AssertionError(f"no column {header!r}")


def test_a_breakdown_table_follows_the_chart_order_and_flags_small_groups():
    ctx = nb.setup(SAMPLE_DIR / "bureau-direct", show=False)
    html = nb.render_html(ctx, nb.view(nb.breakdown, "median_days_to_purchase", by="channel"))
    values = _cells(html, "Jours avant achat (médiane)")
    assert values[0].startswith("420") and values[0].endswith("*")  # one order: shown, not hidden, and marked
    numbers = [float(v.split()[0].replace(",", ".")) for v in values if v != "–"]
    assert numbers == sorted(numbers, reverse=True)  # the chart's order (largest first)
    assert _cells(html, "Commandes")[0] == "1"
    assert "Médiane (jours)" not in html  # the median is not shown a second time
    assert "* Calculé sur moins de 30 commandes" in html
    assert "<h3" in html and html.count("<h3") == 1


def test_a_rate_on_few_visitors_gets_its_wilson_interval_in_the_table_and_a_note():
    from kpi_helpers.significance import wilson_interval

    ctx = nb.setup(SAMPLE_DIR / "maison-lune", show=False).replace(channel="price_comparator")
    html = nb.render_html(ctx, nb.view(nb.breakdown, "conversion_rate", by="channel"))  # follows to devices
    intervals = _cells(html, "Intervalle à 95 %")
    checked = False
    buyers, visitors = (_cells(html, "Visiteurs acheteurs"), _cells(html, "Visiteurs"))
    for ci, x, n in zip(intervals, buyers, visitors):
        if int(n) < 30:
            lo, hi = wilson_interval(int(x), int(n))
            assert ci == f"{ctx.fmt('conversion_rate', lo)} – {ctx.fmt('conversion_rate', hi)}"
            checked = True
    assert checked and "intervalle de Wilson" in html


def test_a_median_from_two_days_to_zero_is_a_difference_not_minus_100_percent():
    import pandas as pd

    from kpi_helpers.notebook.views import _change_text

    row = pd.Series({"value": 0.0, "comparison_value": 2.0, "change": -2.0, "relative_change": -1.0})
    assert _change_text("median_days_to_purchase", row, "fr", "EUR") == "\u22122 jours"
    row = pd.Series({"value": 5.0, "comparison_value": 0.0, "change": 5.0, "relative_change": float("nan")})
    assert _change_text("orders", row, "en", "EUR") == "+5"


def test_shipping_fee_bands_are_in_fee_order_with_a_readers_labels():
    ctx = nb.setup(SAMPLE_DIR / "maison-lune", show=False)
    html = nb.render_html(ctx, nb.view(nb.shipping_bands))
    assert _cells(html, "Frais de port") == ["Gratuits", "moins de 5\xa0€", "5–10\xa0€", "10–15\xa0€",
                                             "15\xa0€ et plus"]


def test_the_path_distribution_table_has_one_row_per_bucket():
    ctx = nb.setup(SAMPLE_DIR / "maison-lune", show=False)
    html = nb.render_html(ctx, nb.view(nb.path_distribution, "days"))
    assert _cells(html, "Jours depuis la première visite")[-3:] == ["61–120", "121–364", "365+"]


def test_a_weekly_trend_says_when_its_first_week_starts_before_the_period():
    ctx = nb.setup(SAMPLE_DIR / "maison-lune", show=False)  # October 2026: Thursday 1st
    html = nb.render_html(ctx, nb.view(nb.trend, "sessions", freq="W"))
    assert "semaine du 28/09/2026" in html and "à partir du 01/10/2026" in html


def test_tick_labels_have_the_decimals_they_need():
    from kpi_helpers.plots import kpi_formatter

    assert kpi_formatter("percent").format_ticks([0.10, 0.125, 0.15, 0.175]) == ["10,0\xa0%", "12,5\xa0%", "15,0\xa0%", "17,5\xa0%"]
    assert kpi_formatter("percent").format_ticks([0, 0.1, 0.2]) == ["0\xa0%", "10\xa0%", "20\xa0%"]
    assert kpi_formatter("count", "en").format_ticks([0, 2.5, 5]) == ["0.0", "2.5", "5.0"]


def test_a_line_is_broken_where_a_day_has_no_value():
    import numpy as np
    import pandas as pd

    from kpi_helpers import plots

    df = pd.DataFrame({"period_start": pd.date_range("2026-10-01", periods=5), "value": [1.0, np.nan, 3.0, np.nan, 5.0]})
    ax = plots.line(df, kpi="average_order_value", freq="D")
    [line] = ax.get_lines()
    assert np.isnan(line.get_ydata().astype(float)).sum() == 2  # matplotlib draws no segment across a NaN
    assert line.get_marker() == "o"  # a lone day between two gaps still shows


def test_a_rate_over_spend_is_never_too_few_but_one_over_sixteen_visitors_is():
    import pandas as pd

    from kpi_helpers.notebook.samples import flag_small
    from kpi_helpers.significance import wilson_interval

    assert not flag_small("roas", pd.DataFrame({"numerator": [50.0], "denominator": [10.0], "value": [5.0]}))["small"].any()
    row = flag_small("conversion_rate", pd.DataFrame({"numerator": [1.0], "denominator": [16.0], "value": [1 / 16]})).iloc[0]
    assert row["small"] and (row["low"], row["high"]) == wilson_interval(1, 16)
    big = flag_small("conversion_rate", pd.DataFrame({"numerator": [3.0], "denominator": [30.0], "value": [0.1]})).iloc[0]
    assert not big["small"] and pd.isna(big["low"])
