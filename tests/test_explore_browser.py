"""The Explore section in a real browser: JupyterLab started by the test, driven by Playwright with
Debian's Chromium (never a downloaded browser), as an analyst uses it: open a notebook on a sample
client, run all, pick a channel, a device, type dates digit by digit.

What must hold: never a blank chart (checked on the screenshot's pixels), never a traceback (in
the page or in the server's log, where a widget callback's error would go), the views follow the
filter, only the pickers that apply. The latency seen in the browser is measured by
benchmarks/explore_latency.py (figures in benchmarks/README.md), not asserted here; a generous
bound catches an output that never comes.
"""

from __future__ import annotations

import pytest

from explore_browser import SKIP_REASON, ExplorePage, Lab, launch, notebook_copy

pytestmark = [pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or ""), pytest.mark.slow,
              pytest.mark.xdist_group("jupyterlab")]

#: An output that has not come after this many seconds never will (the latency is measured elsewhere).
NEVER = 15.0
#: Share of a chart's pixels that are not near white: a blank chart has none, a bar chart about 0.1 to 0.3.
MIN_INK = 0.02


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jupyterlab")
    names = {"conversion": notebook_copy(folder, "02-", "maison-lune"),
             "social": notebook_copy(folder, "01-", "atelier-brume")}
    with Lab(folder) as server:
        server.names = names
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()


def _no_traceback(page: ExplorePage, lab: Lab) -> None:
    assert "Traceback" not in page.page_text()
    assert "Traceback" not in lab.log_text()
    assert not [m for m in page.console if "widget" in m.lower() or "model" in m.lower()]


def test_picking_a_channel_a_device_and_typing_dates_always_shows_charts_or_a_sentence(lab, browser):
    page = ExplorePage(browser, lab, lab.names["conversion"])
    try:
        assert page.pickers() == ["Canal", "Appareil", "Début", "Fin"]
        assert page.chart_ink() and min(page.chart_ink()) > MIN_INK
        assert page.headings() == ["Taux de conversion (visiteurs) par canal"]

        page.select("Canal", "E-mail")  # the view by channel follows the filter: by device
        assert page.latency() < NEVER
        assert page.headings() == ["Taux de conversion (visiteurs) par appareil"]
        assert min(page.chart_ink()) > MIN_INK

        page.select("Appareil", "Mobile")  # one channel and one device: nothing to break down, said so
        assert page.latency() < NEVER
        assert "rien à répartir" in page.output_text()

        page.select("Appareil", "Tous")
        before = page.output_text()
        page.type_date("Début", "10052025")  # mm dd yyyy, digit by digit: the year goes 0002, 0020, 0202, 2025
        assert page.latency() < NEVER
        assert page.output_text() != before
        assert "Indicateur" in page.output_text() and min(page.chart_ink()) > MIN_INK

        page.type_date("Début", "01011999")  # before the client's data: one sentence
        assert page.latency() < NEVER
        assert "Les données de ce client vont du" in page.output_text()
        _no_traceback(page, lab)
    finally:
        page.close()


def test_social_posts_get_only_the_dates(lab, browser):
    page = ExplorePage(browser, lab, lab.names["social"])
    try:
        assert page.pickers() == ["Début", "Fin"]
        assert min(page.chart_ink()) > MIN_INK
        page.type_date("Début", "09012025")
        assert page.latency() < NEVER
        assert min(page.chart_ink()) > MIN_INK
        _no_traceback(page, lab)
    finally:
        page.close()
