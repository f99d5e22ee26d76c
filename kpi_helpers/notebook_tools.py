"""Maintenance of the committed notebooks: re-execute them in place on the sample data.

The committed notebooks are two editions of each theme, ``notebooks/fr/NN-theme.ipynb`` and
``notebooks/en/NN-theme.ipynb``, generated from ``notebooks/source/NN-theme.yml`` by
:mod:`kpi_helpers.editions` (``make notebooks`` regenerates and executes them).
``python -m kpi_helpers.notebook_tools execute-committed [NAME ...] [--language fr]`` runs the
committed editions as they are, with their default parameters, and writes them back with their
outputs, so that they render as training material and nbval can compare future runs with them.
Execution metadata (timestamps) is dropped so that a re-run without changes gives the same file.

The Explore cells' widgets are kept as JupyterLab keeps them (``metadata.widgets``, the
``application/vnd.jupyter.widget-state+json`` state), so that a notebook opened before it runs,
or on a git host that renders widgets, shows the pickers and the first rendering; their output
also carries a static HTML preview for the hosts that do not (see ``kpi_helpers.notebook.explore``).
Widget ids, random at each run, are renumbered in order of appearance so that the file stays the same.
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

from .paths import NOTEBOOKS_DIR

__all__ = ["EDITIONS", "committed_notebooks", "execute_in_place", "clean_metadata", "run_notebook", "main", "WIDGET_STATE"]

#: The mimetype of the widget state a notebook keeps in its metadata (``metadata.widgets``).
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

KERNEL = "python3"
#: Seconds a single cell may take: a sample client's cells take well under 10 s. A cell past it is
#: a failure (nbclient's CellTimeoutError), never retried: a hang is a bug to find (benchmarks/SOAK.md).
CELL_TIMEOUT = 60


def _ipc_kernel_manager(ipc_dir: str) -> type:
    """A kernel manager class whose kernels talk over UNIX sockets in ``ipc_dir``.

    With TCP, jupyter_client picks free ports that the kernel binds a moment later; kernels
    started at the same time by parallel test workers can pick the same port ("Address already
    in use", the kernel dies before replying). Sockets in a folder of their own cannot collide.
    The report runner (kpi_helpers.reports.execute) uses the same transport.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            super().__init__(transport="ipc", ip=os.path.join(ipc_dir, "k"), **kw)

    return IpcKernelManager


def run_notebook(source: Path | str, output: Path | str, *, parameters: dict | None = None,
                 cwd: Path | str | None = None, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Execute ``source`` with papermill into ``output``, the kernel on IPC sockets, each cell
    within ``timeout`` seconds."""
    import papermill as pm

    cwd = str(cwd or Path(source).parent)
    ipc_dir = tempfile.mkdtemp(prefix="kpi-nb-")
    try:
        return pm.execute_notebook(str(source), str(output), parameters=parameters or {}, kernel_name=KERNEL,
                                   cwd=cwd, progress_bar=False, execution_timeout=timeout, start_timeout=120,
                                   kernel_manager_class=_ipc_kernel_manager(ipc_dir))
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)


EDITIONS = ("fr", "en")


def committed_notebooks(language: str | None = None) -> list[Path]:
    """The committed editions in course order, French first (``notebooks/fr/NN-*.ipynb``, then
    ``notebooks/en/``), or those of one ``language``."""
    languages = EDITIONS if language is None else (language,)
    return [p for lang in languages for p in sorted((NOTEBOOKS_DIR / lang).glob("[0-9][0-9]-*.ipynb"))]


def clean_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes at every run without meaning anything (execution timestamps), keep the
    state of the widgets that outputs show (and only theirs) under stable ids."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("papermill", None)
    return _stable_widget_ids(nb)


def _shown_models(nb: nbformat.NotebookNode) -> list[str]:
    return [out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if WIDGET_VIEW in out.get("data", {})]


def _stable_widget_ids(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The widget state of the shown widgets and of the models they refer to, ids renumbered in
    the order they are shown (a uuid made from the rank), so that a re-run gives the same file."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown = _shown_models(nb)
    if not state or not shown:
        nb.metadata.pop("widgets", None)
        return nb
    order: list[str] = []

    def visit(model_id: str) -> None:  # depth first from each shown widget, through IPY_MODEL_ references
        if model_id in order or model_id not in state:
            return
        order.append(model_id)
        for ref in sorted(set(_refs(state[model_id])), key=json.dumps(state[model_id]).index):
            visit(ref)

    for model_id in shown:
        visit(model_id)
    kept = {m: state[m] for m in order}
    nb.metadata["widgets"] = {WIDGET_STATE: {**nb.metadata["widgets"][WIDGET_STATE], "state": kept}}
    text = json.dumps(nb)
    for rank, model_id in enumerate(order):
        text = text.replace(model_id, uuid.uuid5(uuid.NAMESPACE_URL, f"kpi-kit-widget-{rank}").hex)
    return nbformat.from_dict(json.loads(text))


def _refs(value) -> list[str]:
    """The model ids a widget's state refers to (``IPY_MODEL_<id>``)."""
    if isinstance(value, str):
        return [value[len("IPY_MODEL_"):]] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def execute_in_place(path: Path, *, timeout: int = CELL_TIMEOUT) -> float:
    """Execute ``path`` from its folder and write it back; returns the seconds it took."""
    t0 = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    ExecutePreprocessor(timeout=timeout, kernel_name=KERNEL).preprocess(nb, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - t0
    nbformat.write(clean_metadata(nb), path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kpi_helpers.notebook_tools")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute-committed", help="re-execute the committed notebooks in place")
    run.add_argument("names", nargs="*", help="notebook names (default: all)")
    run.add_argument("--language", choices=EDITIONS, help="only this edition (default: both)")
    args = parser.parse_args(argv)
    paths = committed_notebooks(args.language)
    if args.names:
        paths = [p for p in paths if p.stem in args.names or p.name in args.names]
    for path in paths:
        seconds = execute_in_place(path)
        print(f"{path.parent.name}/{path.name}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
