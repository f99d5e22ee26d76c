"""One measured step of the benchmark, run by ``benchmarks/run.py`` in its own process (so that
the peak RSS the parent reads with ``os.wait4`` belongs to this step alone).

    python benchmarks/steps.py kit CLIENT_DIR [--start D --end D] --out FILE
    python benchmarks/steps.py kit-spark CLIENT_DIR [--start D --end D] --out FILE   (the kit on local Spark)
    python benchmarks/steps.py sql CLIENT_DIR [--start D --end D] --out FILE
    python benchmarks/steps.py sql-tuned CLIENT_DIR [--start D --end D] --out FILE
    python benchmarks/steps.py pandas CLIENT_DIR [--start D --end D] --out FILE
    python benchmarks/steps.py widgets CLIENT_DIR [--repeat 5] --out FILE

Every step writes a JSON file: ``seconds`` (measured in the process, after the imports: reading
plus computing), ``cpu_seconds`` (CPU time of all the process's threads over the same span),
``import_seconds`` and what the step computed (the scorecard, or the widget
timings). ``kit`` also records ``calls``: the duration of every ``compute(kpi_id, ...)`` call and
breakdown function of the scorecard, in call order (the profile of the kit).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
if os.environ.get("BENCH_KIT_PATH"):  # measure another checkout of kpi_helpers (a branch, a prototype)
    sys.path.insert(0, os.environ["BENCH_KIT_PATH"])

from common import write_json  # noqa: E402


def _kit(args) -> dict:
    import kpi_helpers.scorecard as sc
    from kpi_helpers import path_to_purchase, search
    from kpi_helpers.loading import Client, load_client

    calls: list[dict] = []

    def timed(fn, label):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                calls.append({"call": label(a, k), "seconds": time.perf_counter() - t})
        return wrapper

    # the scorecard module calls these names: wrap them to time each KPI query (negligible overhead)
    sc.compute = timed(sc.compute, lambda a, k: a[0] + (f" by {k['by']}" if k.get("by") else ""))
    path_to_purchase.days_to_purchase = timed(path_to_purchase.days_to_purchase, lambda a, k: "days_to_purchase (breakdown)")
    path_to_purchase.visits_to_purchase = timed(path_to_purchase.visits_to_purchase, lambda a, k: "visits_to_purchase (breakdown)")
    search.top_zero_result_queries = timed(search.top_zero_result_queries, lambda a, k: "top_zero_result_queries (breakdown)")
    Client.date_range = timed(Client.date_range, lambda a, k: "date_range (default period)")
    imported, cpu0 = time.perf_counter(), time.process_time()
    client = load_client(args.client_dir, backend=getattr(args, "backend", None))
    loaded = time.perf_counter()
    card = sc.scorecard(client, start=args.start, end=args.end, margin_rate=args.margin_rate)
    done = time.perf_counter()
    card["cpu_seconds"] = time.process_time() - cpu0
    import kpi_helpers

    card.update(import_seconds=imported - _T0, seconds=done - imported, load_seconds=loaded - imported,
                scorecard_seconds=done - loaded, calls=calls, kit_path=str(Path(kpi_helpers.__file__).parent))
    return card


def _sql(args, tuned: bool = False) -> dict:
    from sql_scorecard import sql_scorecard

    imported, cpu0 = time.perf_counter(), time.process_time()
    card = sql_scorecard(args.client_dir, start=args.start, end=args.end, margin_rate=args.margin_rate, tuned=tuned)
    card.update(import_seconds=imported - _T0, seconds=time.perf_counter() - imported,
                cpu_seconds=time.process_time() - cpu0)
    return card


def _pandas(args) -> dict:
    from pandas_scorecard import pandas_scorecard

    imported, cpu0 = time.perf_counter(), time.process_time()
    card = pandas_scorecard(args.client_dir, start=args.start, end=args.end, margin_rate=args.margin_rate)
    card.update(import_seconds=imported - _T0, seconds=time.perf_counter() - imported,
                cpu_seconds=time.process_time() - cpu0)
    return card


def _widgets(args) -> dict:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot as plt

    import kpi_helpers.notebook as nb
    from kpi_helpers.results import results_of

    nb.display = lambda *a, **k: None  # the views' only output call: rendering is not measured
    imported = time.perf_counter()
    ctx = nb.setup(args.client_dir, show=False)
    setup_seconds = time.perf_counter() - imported
    channel = next(c for c in nb._segment_values(ctx.client, "channel") if c not in ("unknown",))
    renders = {
        "breakdown(conversion_rate, by=channel)": lambda: nb.breakdown(ctx, "conversion_rate", by="channel"),
        "headline(sessions, conversion_rate, average_order_value)":
            lambda: nb.headline(ctx, ["sessions", "conversion_rate", "average_order_value"]),
        f"breakdown(conversion_rate, by=device), channel={channel}":
            lambda: nb.breakdown(ctx.replace(channel=channel), "conversion_rate", by="device"),
        f"headline(sessions, conversion_rate, average_order_value), channel={channel}":
            lambda: nb.headline(ctx.replace(channel=channel), ["sessions", "conversion_rate", "average_order_value"]),
    }
    kept = results_of(ctx.client.con)  # the query results the kit keeps per connection
    out = {}
    for name, render in renders.items():
        t = time.perf_counter()
        render()  # first render (warm-up: Ibis compilation caches, matplotlib fonts...)
        first = time.perf_counter() - t
        runs, kept_runs = [], []
        for _ in range(args.repeat):
            kept.clear()  # recompute every KPI, as for a segment or period picked for the first time
            t = time.perf_counter()
            render()
            runs.append(time.perf_counter() - t)
            plt.close("all")
            t = time.perf_counter()  # the same view again: its query results are kept
            render()
            kept_runs.append(time.perf_counter() - t)
            plt.close("all")
        out[name] = {"first": first, "median": statistics.median(runs), "runs": runs,
                     "kept_median": statistics.median(kept_runs), "kept_runs": kept_runs}
    return {"client": ctx.client.name, "period": {"start": ctx.start.isoformat(), "end": ctx.end.isoformat()},
            "compare": ctx.compare, "setup_seconds": setup_seconds, "renders": out,
            "import_seconds": imported - _T0, "seconds": time.perf_counter() - imported}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one benchmark step in this process.")
    parser.add_argument("step", choices=["kit", "kit-spark", "sql", "sql-tuned", "pandas", "widgets"])
    parser.add_argument("client_dir")
    parser.add_argument("--start")
    parser.add_argument("--end")
    parser.add_argument("--margin-rate", type=float)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    args.backend = "pyspark" if args.step == "kit-spark" else None
    result = {"kit": _kit, "kit-spark": _kit, "sql": _sql, "sql-tuned": lambda a: _sql(a, tuned=True),
              "pandas": _pandas, "widgets": _widgets}[args.step](args)
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
