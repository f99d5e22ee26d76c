"""Explore's latency as an analyst sees it: from a change in the browser to the new output shown.

For each sample client, JupyterLab (this venv) and Debian's Chromium (Playwright) open a copy of a
notebook, run all, then pick channels and devices and type dates digit by digit in its Explore
section (tests/explore_browser.py does the driving). A probe in the page timestamps, in the
browser's clock, the last input event of each change (the option picked, the last keystroke of a
date) and the moment the Explore output was replaced with its images decoded.

Baseline, in the same run: the same changes made in this process on ``nb.explore``'s widgets (no
kernel, no browser), whose ``render_seconds`` is the rendering alone. The difference is what the
kernel's messages, the front end and the browser add (a typed date renders as soon as its year is
whole; ``DATE_SETTLE`` delays only the date changes this benchmark does not make). With
``--repeat 2`` the second baseline runs in a warm process: it is lower than the first.

    .venv/bin/python benchmarks/explore_latency.py [--repeat 2] [--json benchmarks/results/explore_latency.json]

Figures recorded in benchmarks/README.md ("Explore in the browser").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from explore_browser import SKIP_REASON, ExplorePage, Lab, fresh_folder, launch, notebook_copy  # noqa: E402

TARGET = 0.5
#: (client, notebook prefix, [(action, picker, value)]): channels and devices by their labels, dates
#: as typed (mm dd yyyy) in an en-US browser
PLANS = [
    ("maison-lune", "02-", [("channel", "Canal", "E-mail"), ("channel", "Canal", "Accès direct"),
                            ("device", "Appareil", "Mobile"), ("device", "Appareil", "Tous"),
                            ("channel", "Canal", "Tous"), ("date", "Début", "10052025"), ("date", "Début", "10012026")]),
    ("bureau-direct", "02-", [("channel", "Canal", "E-mail"), ("device", "Appareil", "Ordinateur"),
                              ("device", "Appareil", "Tous"), ("channel", "Canal", "Tous"),
                              ("date", "Début", "10052025"), ("date", "Début", "10012026")]),
    ("atelier-brume", "01-", [("date", "Début", "09012025"), ("date", "Début", "10012026")]),
]


def _iso(typed: str) -> str:
    return f"{typed[4:]}-{typed[:2]}-{typed[2:4]}"


def kernel_baseline(client: str, prefix: str, plan) -> list[float]:
    """The same changes on nb.explore's widgets in this process: render seconds of each."""
    import datetime as dt

    import ipywidgets as w

    from notebook_views import explore_in_process

    box, _, found = explore_in_process(prefix, client)
    seconds = []
    for _, picker, value in plan:
        widget = found[picker]
        if isinstance(widget, w.Dropdown):
            widget.label = value
        else:
            widget.value = dt.date.fromisoformat(_iso(value))
        seconds.append(box.render_seconds)
    return seconds


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="times each client's plan is played (default 1)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "explore_latency.json")
    args = ap.parse_args(argv)
    if SKIP_REASON:
        print(f"skipped: {SKIP_REASON}")
        return 0
    from playwright.sync_api import sync_playwright

    rows = []
    folder = fresh_folder(Path("/tmp") / f"kpi-explore-latency-{int(time.time())}")
    load_before = loadavg()
    with Lab(folder) as lab, sync_playwright() as p:
        browser = launch(p)
        try:
            for client, prefix, plan in PLANS:
                name = notebook_copy(folder, prefix, client)
                for rep in range(args.repeat):
                    kernel = kernel_baseline(client, prefix, plan)
                    page = ExplorePage(browser, lab, name)
                    state = {"Canal": "Tous", "Appareil": "Tous", "Début": "10012026"}
                    seen = {tuple(sorted(state.items()))}
                    try:
                        for (action, picker, value), k in zip(plan, kernel):
                            state[picker] = value
                            again = tuple(sorted(state.items())) in seen
                            seen.add(tuple(sorted(state.items())))
                            if action == "date":
                                page.type_date(picker, value)
                            else:
                                page.select(picker, value)
                            rows.append({"client": client, "action": action + (" again" if again else ""), "value": value,
                                         "browser": page.latency(), "kernel": k, "repeat": rep})
                            r = rows[-1]
                            print(f"{client:14} {action:8} {value:14} browser {r['browser'] if r['browser'] is None else round(r['browser'], 3)} s"
                                  f"  kernel render {k:.3f} s  {r['action']}", flush=True)
                    finally:
                        page.close()
        finally:
            browser.close()
    load_after = loadavg()
    print(f"\nload average: {load_before:.1f} before, {load_after:.1f} after (2 cores)")
    print("\n| client | change | n | browser median (s) | browser max (s) | kernel render median (s) | browser / kernel | under 0.5 s |")
    print("|---|---|---|---|---|---|---|---|")
    for client, _, _ in PLANS:
        for action in ("channel", "device", "date", "channel again", "device again", "date again"):
            sel = [r for r in rows if r["client"] == client and r["action"] == action and r["browser"] is not None]
            if not sel:
                continue
            b = [r["browser"] for r in sel]
            k = [r["kernel"] for r in sel]
            ratio = statistics.median(b) / statistics.median(k) if statistics.median(k) > 0.005 else float("nan")
            print(f"| {client} | {action} | {len(sel)} | {statistics.median(b):.2f} | {max(b):.2f} | "
                  f"{statistics.median(k):.2f} | {ratio:.1f} | "
                  f"{sum(x <= TARGET for x in b)}/{len(b)} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows": rows, "load_before": load_before, "load_after": load_after}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
