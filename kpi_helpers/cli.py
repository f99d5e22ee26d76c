"""The ``kpi`` command line (``python -m kpi_helpers``): validate, sample, import, kpis, explain, report.

A user's mistake exits with status 2 and a clear message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from .errors import EXIT_BAD_INPUT, KpiInputError, format_problems

__all__ = ["main"]


def _validate(argv: list[str]) -> int:
    from .loading import load_client

    parser = argparse.ArgumentParser(prog="kpi validate", description="Check a client folder against the data contract.")
    parser.add_argument("client_dir", help="the client folder (sessions.csv, orders.parquet, ... and client.yml)")
    args = parser.parse_args(argv)
    client = load_client(args.client_dir)
    summary = client.summary()
    print(f"{client.name}: {client.path} (timezone {client.timezone}, currency {client.settings.currency})")
    width = max(len(f) for f in summary["file"]) if len(summary) else 10
    for row in summary.itertuples():
        print(f"  {row.file:<{width}}  {row.rows:>10,} rows  {row.first_date} .. {row.last_date}  [{row.format}]")
    if client.warnings:
        print(format_problems(client.warnings, header=f"{len(client.warnings)} warning(s):"))
    print("OK: the folder follows the data contract.")
    return 0


def _lazy(module: str, attr: str = "main") -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        import importlib

        return getattr(importlib.import_module(f"kpi_helpers.{module}"), attr)(argv)

    return run


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "validate": (_validate, "check a client folder and print a summary of its tables"),
    "sample": (_lazy("sample"), "generate a synthetic client folder"),
    "import": (_lazy("importers"), "import a client's exports (Shopify, Google Ads, Meta...) or a public dataset"),
    "kpis": (_lazy("scorecard"), "compute the KPI scorecard of a client (JSON or table)"),
    "explain": (_lazy("explain"), "explain the change from the comparison period: effects, contributions, significance"),
    "report": (_lazy("reports"), "run the notebooks for many clients and write HTML/PDF reports"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: kpi COMMAND [ARGS]  (or: python -m kpi_helpers COMMAND [ARGS])\n\ncommands:")
        for name, (_, doc) in COMMANDS.items():
            print(f"  {name:<9} {doc}")
        print("\n'kpi COMMAND --help' describes a command. Values that a message finds wrong are described, not\n"
              "quoted (they may be personal data): add --show-values to any command to see them.")
        return 0 if argv else EXIT_BAD_INPUT
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"kpi: unknown command {name!r}; expected one of {', '.join(COMMANDS)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # offending values are described, not quoted (they may be personal data); --show-values quotes them
    reveal = "--show-values" in rest
    rest = [a for a in rest if a != "--show-values"]
    try:
        return COMMANDS[name][0](rest)
    except KpiInputError as exc:
        print(f"error: {exc.render(reveal=reveal)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
