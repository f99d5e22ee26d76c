"""Every chart of a notebook's views, drawn in this process: the notebook's code cells run with
``exec`` (its parameters cell first, then the overrides), each figure captured where
:func:`kpi_helpers.plots.png` renders it, so that a test can inspect it (tick labels, pixels).

No kernel and no papermill: the views are the same helpers a kernel would call; the Explore cell
renders its views too (into its HTML widget), so its charts are captured as well.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import nbformat

from kpi_helpers import plots
from kpi_helpers.notebook_tools import committed_notebooks
from kpi_helpers.paths import SAMPLE_DIR

SAMPLE_CLIENTS = ("maison-lune", "bureau-direct", "atelier-brume")


@dataclass
class Chart:
    """One rendered chart: where it was drawn and its figure (drawn, kept open for inspection)."""

    notebook: str
    cell: int
    source: str
    figure: Any
    png: bytes = field(repr=False, default=b"")


@contextlib.contextmanager
def capture_charts() -> Iterator[list[tuple[Any, bytes]]]:
    """Within the block, every figure rendered by :func:`plots.png` is appended (figure, PNG bytes)."""
    seen: list[tuple[Any, bytes]] = []
    original = plots.png

    def recording(fig):
        data, width = original(fig)
        seen.append((fig, data))
        return data, width

    plots.png = recording
    try:
        yield seen
    finally:
        plots.png = original


def code_cells(path: Path) -> list[tuple[list[str], str]]:
    nb = nbformat.read(path, as_version=4)
    return [(list(c.metadata.get("tags", [])), c.source) for c in nb.cells if c.cell_type == "code"]


def notebook_charts(path: Path, **parameters: Any) -> list[Chart]:
    """Run ``path``'s code cells here with ``parameters`` overriding its parameters cell; every chart."""
    namespace: dict[str, Any] = {}
    charts: list[Chart] = []
    with capture_charts() as seen, contextlib.redirect_stdout(io.StringIO()):
        for i, (tags, source) in enumerate(code_cells(path)):
            exec(compile(source, f"{path.name}[{i}]", "exec"), namespace)  # noqa: S102: the kit's own notebooks
            if "parameters" in tags:
                namespace.update(parameters)
            while seen:
                fig, data = seen.pop(0)
                charts.append(Chart(path.name, i, source, fig, data))
    return charts


def notebooks() -> list[Path]:
    return committed_notebooks()


def sample_dir(client: str) -> str:
    return str(SAMPLE_DIR / client)


def explore_in_process(prefix: str, client: str) -> tuple[Any, dict, dict[str, Any]]:
    """The first notebook whose name starts with ``prefix``, run in this process on sample client
    ``client`` up to its Explore cell: (the Explore box, the cells' namespace, its pickers by
    description). Outside a kernel a change of a picker re-renders at once (benchmarks time it)."""
    import ipywidgets as w

    path = next(p for p in notebooks() if p.stem.startswith(prefix))
    ns: dict = {}
    box = None
    with contextlib.redirect_stdout(io.StringIO()):  # the cells' displays, outside a kernel
        for tags, source in code_cells(path):
            if "nb.explore(" in source:
                box = eval(source, ns)  # noqa: S307: the kit's own notebook cell, one expression
                break
            exec(source, ns)  # noqa: S102
            if "parameters" in tags:
                ns.update(client_dir=sample_dir(client))
    pickers, stack = {}, [box]
    while stack:
        x = stack.pop()
        stack.extend(getattr(x, "children", ()))
        if isinstance(x, (w.Dropdown, w.DatePicker)):
            pickers[x.description] = x
    return box, ns, pickers
