"""Maintenance of the committed notebooks: re-execute them in place on the sample data.

``python -m kpi_helpers.notebook_tools execute-committed [NAME ...]`` (``make notebooks``) runs
each notebook of ``notebooks/`` with its default parameters and writes it back with its outputs,
so that it renders as training material and nbval can compare future runs with it. Execution
metadata (timestamps) is dropped so that a re-run without changes gives the same file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

from .paths import NOTEBOOKS_DIR

__all__ = ["committed_notebooks", "execute_in_place", "clean_metadata", "main"]

KERNEL = "python3"


def committed_notebooks() -> list[Path]:
    """The numbered notebooks of ``notebooks/`` in course order."""
    return sorted(p for p in NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))


def clean_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes at every run without meaning anything (execution timestamps)."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    return nb


def execute_in_place(path: Path, *, timeout: int = 600) -> float:
    """Execute ``path`` from its folder and write it back; returns the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    ExecutePreprocessor(timeout=timeout, kernel_name=KERNEL).preprocess(nb, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - t0
    nbformat.write(clean_metadata(nb), path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kpi_helpers.notebook_tools")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute-committed", help="re-execute the committed notebooks in place")
    run.add_argument("names", nargs="*", help="notebook names (default: all)")
    args = parser.parse_args(argv)
    paths = committed_notebooks()
    if args.names:
        paths = [p for p in paths if p.stem in args.names or p.name in args.names]
    for path in paths:
        seconds = execute_in_place(path)
        print(f"{path.name}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
