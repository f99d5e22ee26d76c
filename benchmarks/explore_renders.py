"""Explore's rendering of a new period, alone: many dates picked in one process, no kernel, no browser.

For each sample client, the notebook's cells up to its Explore cell run in this process; then its
start date is set to ``--dates`` dates never shown before (new queries each time), as the widget
does when a typed year is whole, and each rendering is timed (``render_seconds``, and the CPU time
of the process's threads) with the garbage collector off (as it is during a re-render in a
kernel, see ``kpi_helpers.notebook.explore._Later``). It also counts the queries each rendering runs.
The latency in the browser is ``benchmarks/explore_latency.py``; this isolates what the kit's own
code costs, to compare two versions of the kit on the same machine (run it at each commit).

    .venv/bin/python benchmarks/explore_renders.py [--dates 78]

Figures recorded in benchmarks/README.md ("Explore in the browser").
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

CLIENTS = [("maison-lune", "02-"), ("bureau-direct", "02-")]


def measure(client: str, prefix: str, n: int) -> dict:

    from kpi_helpers.results import results_of
    from notebook_views import explore_in_process

    box, ns, pickers = explore_in_process(prefix, client)
    start = pickers.get("Début", pickers.get("Start"))
    results = results_of(ns["ctx"].client.con)
    days = [dt.date(2025, 9, 1) + dt.timedelta(days=i) for i in range(n)]  # inside the sample clients' data
    wall, cpu, queries = [], [], []
    was = gc.isenabled()
    gc.disable()
    try:
        for day in days:
            misses, c0 = results.misses, time.process_time()
            start.value = day
            cpu.append(time.process_time() - c0)
            wall.append(box.render_seconds)
            queries.append(results.misses - misses)
    finally:
        if was:
            gc.enable()
    return {"client": client, "renders": n, "wall": statistics.median(wall), "min": min(wall),
            "cpu": statistics.median(cpu), "queries": statistics.median(queries)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dates", type=int, default=78, help="dates picked per client (default 78)")
    args = ap.parse_args(argv)
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"load average {load} before (2 cores)")
    print("| client | renders | median (s) | min (s) | median CPU (s) | queries per rendering |")
    print("|---|---|---|---|---|---|")
    for client, prefix in CLIENTS:
        r = measure(client, prefix, args.dates)
        print(f"| {client} | {r['renders']} | {r['wall']:.3f} | {r['min']:.3f} | {r['cpu']:.3f} | {r['queries']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
