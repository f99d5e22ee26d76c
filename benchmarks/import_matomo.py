"""Benchmark of ``kpi import`` of a Matomo visits log (``Live.getLastVisitsDetails``, CSV in UTF-16).

    .venv/bin/python benchmarks/import_matomo.py [--visits 100000] [--runs 3] [--reuse-data]

The log is written once (``benchmarks/data/matomo-<visits>/visits_log.csv``, git-ignored) as
Matomo's CSV renderer writes it: UTF-16LE with a byte-order mark, comma-separated, four flattened
actions per visit (``actionDetails_<i>_<key>``, 11 keys each): a page view, a search (results 0, 3
or unknown), a second page view, then an order (1 visit in 40) or an abandoned cart (1 in 10), from
seed 1 over 28 days. It is then imported ``--runs`` times, each time into a new folder and in its
own process (``python -m kpi_helpers import FILE --into DIR``), whose wall time, CPU time and peak
RSS ``run.py``'s ``measure`` reads with ``os.wait4``. Prints a Markdown table for
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from run import _label, _star, fmt_s, machine, measure_imports, table  # noqa: E402

KEYS = ["type", "url", "pageTitle", "timestamp", "siteSearchKeyword", "siteSearchCount", "orderId", "revenue",
        "revenueTax", "revenueShipping", "items"]


def write_log(path: Path, visits: int) -> None:
    """A visits log of ``visits`` visits (see the module docstring)."""
    rng = np.random.default_rng(1)
    start = rng.integers(1_740_787_200, 1_740_787_200 + 28 * 86_400, visits)
    kinds = rng.choice(["direct", "search", "website", "social"], visits)
    names = rng.choice(["Google", "idealo.fr", "Facebook", ""], visits)
    devices = rng.choice(["Desktop", "Smartphone", "Tablet"], visits)
    words = rng.choice(["robe lin", "sac", "écharpe laine"], visits)
    counts = rng.choice(["0", "3", ""], visits)
    header = ["idVisit", "visitorId", "userId", "visitIp", "firstActionTimestamp", "referrerType", "referrerName",
              "deviceType"] + [f"actionDetails_{i}_{k}" for i in range(4) for k in KEYS]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for v in range(visits):
        ts = int(start[v])
        last = (["ecommerceOrder", "", "", ts + 90, "", "", f"O{v}", "59.90", "9.98", "4.90", "2"] if v % 40 == 0 else
                ["ecommerceAbandonedCart", "", "", ts + 90, "", "", "", "35.00", "", "", "1"] if v % 10 == 0 else
                [""] * 11)
        w.writerow([v + 1, f"{v * 2654435761 % 2**64:016x}", "", "10.0.0.1", ts, kinds[v], names[v], devices[v],
                    "action", f"https://shop.fr/p/{v % 500}", "Produit", ts, "", "", "", "", "", "", "",
                    "search", "", "", ts + 30, words[v], counts[v], "", "", "", "", "",
                    "action", "https://shop.fr/panier", "Panier", ts + 60, "", "", "", "", "", "", "", *last])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xfe" + buf.getvalue().encode("utf-16-le"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=100_000, help="visits of the log")
    parser.add_argument("--runs", type=int, default=3, help="imports into new folders (median reported)")
    parser.add_argument("--reuse-data", action="store_true", help="keep a log already written")
    args = parser.parse_args(argv)
    folder = HERE / "data" / f"matomo-{_label(args.visits)}"
    log_file = folder / "visits_log.csv"
    if not (args.reuse_data and log_file.is_file()):
        print(f"writing {log_file} ...", flush=True)
        write_log(log_file, args.visits)
    size = log_file.stat().st_size / 1e6
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    results = measure_imports(log_file, folder, args.runs, logs=logs)
    info = machine()
    rows = [[f"import {args.visits:,} visits ({size:.0f} MB, UTF-16) into a new folder, median of {args.runs}",
             fmt_s(statistics.median(r["wall"] for r in results)) + "".join(_star(r) for r in results),
             f"{statistics.median(r['cpu'] for r in results):.1f}", f"{max(r['peak_mb'] for r in results):.0f}",
             "sessions, orders, carts, searches"]]
    print()
    print(f"{info['date']}, {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}, "
          f"pandas {info['pandas']}, pyarrow {info['pyarrow']}, DuckDB {info['duckdb']}")
    print(table(["step", "wall s", "CPU s", "peak RSS MB", "result"], rows))
    others = ", ".join("?" if r["other_cores"] is None else f"{r['other_cores']:.2f}" for r in results)
    print(f"\nruns: {', '.join(fmt_s(r['wall']) for r in results)} s; other processes during each: {others} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
