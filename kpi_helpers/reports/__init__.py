"""Client reports in batch: ``kpi report CONFIG.yml [--force] [--workers N] [--timeout S] [--only CLIENT]``.

For every client of the configuration (see :mod:`kpi_helpers.reports.config`) the notebooks run
with papermill into ``<output>/<client>/<period>/notebooks/``, then one report is written beside
them as a single HTML document and the same as PDF (``<client>-<period>.html`` / ``.pdf``):
every theme in course order with a table of contents, the client's name, the period and the
generation date, without code, teaching notes, widgets, exercises or the setup summary.
``<output>/index.html`` lists every client and period with headline KPIs and links;
``<output>/run.json`` records each run (status, duration, error with the failing cell).

Exit status: 0 when every client succeeded or was unchanged, 1 when any failed (the others are
still produced, and a failed client keeps its previous report), 2 for a bad configuration.

Modules: :mod:`.config` (the YAML), :mod:`.execute` (one notebook: kernel, deadline),
:mod:`.pool` (threads or processes), :mod:`.batch` (scheduling, incremental key, atomic
swap, run.json, index), :mod:`.render` and :mod:`.sanitize` (HTML), :mod:`.pdf` (Chromium).
"""

from __future__ import annotations

import argparse
import sys

from .batch import BatchOptions, run_batch
from .config import MAX_TIMEOUT, MAX_WORKERS, MIN_TIMEOUT, ClientSpec, ReportConfig, load_config, whole_number
from .pool import EXECUTORS, default_workers

__all__ = ["main", "run_batch", "load_config", "BatchOptions", "ReportConfig", "ClientSpec"]


def _bounded(low: int, high: int, what: str):
    def parse(text: str) -> int:
        try:
            value = float(text)
        except ValueError:
            value = None
        n = whole_number(value, low, high)
        if n is None:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {what}, a whole number from {low} to {high:,}")
        return n
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kpi report",
        description="Run the notebooks for every client of a configuration and write HTML/PDF reports, "
                    "an index and run.json. Exit status 1 when any client failed, 2 for a bad configuration.")
    parser.add_argument("config", help="the batch configuration, e.g. reports.yml")
    parser.add_argument("--force", action="store_true", help="redo every client, even when nothing changed")
    parser.add_argument("--workers", type=_bounded(1, MAX_WORKERS, "a number of workers"),
                        help=f"notebooks run at once (default: the config's 'workers', else one per core: {default_workers()})")
    parser.add_argument("--timeout", type=_bounded(MIN_TIMEOUT, MAX_TIMEOUT, "seconds"),
                        help="seconds allowed per notebook, kernel start included (default: the config's 'timeout', else 300); "
                             "a notebook that exceeds it is killed and fails")
    parser.add_argument("--only", action="append", metavar="CLIENT", default=[],
                        help="run only this client (its id or name); repeat for several")
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML reports only (no Chromium needed)")
    parser.add_argument("--executor", choices=EXECUTORS, default="threads",
                        help="where the papermill clients run (default: threads; see benchmarks/REPORTS.md)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    summary = run_batch(config, BatchOptions(force=args.force, workers=args.workers, timeout=args.timeout,
                                             only=tuple(args.only), executor=args.executor, pdf=not args.no_pdf,
                                             progress=not args.quiet))
    counts = summary["counts"]
    print(f"{counts['ok']} built, {counts['skipped']} unchanged, {counts['failed']} failed "
          f"in {summary['duration_seconds']:.1f} s -> {config.output / 'index.html'}")
    for run in summary["runs"]:
        if run["status"] == "failed":
            print(f"  FAILED {run['client']}: {run['error']['message']}", file=sys.stderr)
    return 1 if counts["failed"] else 0
