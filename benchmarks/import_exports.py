"""Benchmark of ``kpi import``: a Shopify orders export of a million lines into a client folder.

    .venv/bin/python benchmarks/import_exports.py [--lines 1000000] [--runs 3] [--reuse-data]

The export is written once (``benchmarks/data/shopify-<lines>/orders_export_1.csv``, git-ignored)
by the sample's Shopify writer (``kpi_helpers.sample.exports.write_shopify_orders``) from
synthetic orders (seed 1: 1 to 3 line items each, 2 years, paid / cancelled / refunded), then
imported ``--runs`` times, each time into a new folder and in its own process (``python -m
kpi_helpers import FILE --into DIR``), whose wall time, CPU time and peak RSS ``run.py``'s
``measure`` reads with ``os.wait4``. A last run imports the same export again into the folder of
the first (every order of the source replaced). Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from run import PY, _label, _star, fmt_s, machine, measure, measure_imports, table  # noqa: E402

from kpi_helpers.sample.exports import write_shopify_orders  # noqa: E402

LINES_PER_ORDER = 1.647  # line items the writer makes of 1 + Poisson(0.8) items (1,000,576 for 607,500 orders)


def write_export(path: Path, lines: int) -> int:
    """A Shopify export of about ``lines`` line items; returns the line items written."""
    rng = np.random.default_rng(1)
    n = int(round(lines / LINES_PER_ORDER))
    revenue = np.round(rng.gamma(3, 25, n), 2) + 4.90
    ordered = pd.Timestamp("2024-11-01", tz="Europe/Paris") + pd.to_timedelta(
        np.sort(rng.integers(0, 730 * 86400, n)), unit="s")
    orders = pd.DataFrame({
        "order_id": (100_001 + np.arange(n)).astype(str),
        "customer_id": rng.integers(0, n // 2.5, n).astype(str),
        "ordered_at": ordered, "revenue": revenue, "shipping": np.where(revenue > 60, 0.0, 4.90),
        "tax": np.round(revenue / 6, 2),
        "status": rng.choice(["paid", "shipped", "cancelled", "refunded"], n, p=[.05, .87, .02, .06]),
        "items": 1 + rng.poisson(0.8, n),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_shopify_orders(orders, path, timezone="Europe/Paris")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="line items of the export")
    parser.add_argument("--runs", type=int, default=3, help="imports into new folders (median reported)")
    parser.add_argument("--reuse-data", action="store_true", help="keep an export already written")
    args = parser.parse_args(argv)
    folder = HERE / "data" / f"shopify-{_label(args.lines)}"
    export = folder / "orders_export_1.csv"
    if not (args.reuse_data and export.is_file()):
        print(f"writing {export} ...", flush=True)
        written = write_export(export, args.lines)
        (folder / "lines.txt").write_text(f"{written}\n")
    written = int((folder / "lines.txt").read_text())
    size = export.stat().st_size / 1e6
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    results = measure_imports(export, folder, args.runs, logs=logs)
    again = measure([PY, "-m", "kpi_helpers", "import", str(export.relative_to(HERE.parent)), "--into",
                     str((folder / "client-0").relative_to(HERE.parent))], log=logs / "again.log")
    orders = pd.read_parquet(folder / "client-0" / "orders.parquet", columns=["order_id"])
    info = machine()
    rows = [[f"import {written:,} lines ({size:.0f} MB) into a new folder, median of {args.runs}",
             fmt_s(statistics.median(r["wall"] for r in results)) + "".join(_star(r) for r in results),
             f"{statistics.median(r['cpu'] for r in results):.1f}", f"{max(r['peak_mb'] for r in results):.0f}",
             f"{len(orders):,} orders"],
            ["the same export again into that folder (every order replaced)", fmt_s(again["wall"]) + _star(again),
             f"{again['cpu']:.1f}", f"{again['peak_mb']:.0f}", f"{len(orders):,} orders"]]
    print()
    print(f"{info['date']}, {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}, "
          f"pandas {info['pandas']}, pyarrow {info['pyarrow']}, DuckDB {info['duckdb']}")
    print(table(["step", "wall s", "CPU s", "peak RSS MB", "result"], rows))
    others = ", ".join("?" if r["other_cores"] is None else f"{r['other_cores']:.2f}" for r in results + [again])
    print(f"\nruns: {', '.join(fmt_s(r['wall']) for r in results)} s; other processes during each: {others} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
