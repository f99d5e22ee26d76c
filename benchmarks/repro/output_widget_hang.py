"""The hang from a notebook: papermill runs of a cell that shows outputs in an ipywidgets Output widget.

nbclient (papermill's client) stands in for a front end: for every output an ``Output`` widget
captures, its ``OutputWidget`` mimic sends a ``comm_msg`` back to the kernel on the shell channel
(``kernel_client.shell_channel.send``), while the same client awaits the cell's reply on that
channel. ``lost_wakeup.py`` shows how such a send can lose the reply. The same notebook with an
``HTML`` widget (what ``nb.explore`` uses) sends nothing back.

    .venv/bin/python benchmarks/repro/output_widget_hang.py [--runs 100] [--deadline 30]

Each notebook is run ``--runs`` times with the papermill command line, two at a time; a run past
``--deadline`` seconds is a hang (killed). Prints the counts per notebook.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

SHOW = "with out:\n    for i in range(40):\n        display(HTML(f'<p>{i}</p>'))"
SET = "out.value = ''.join(f'<p>{i}</p>' for i in range(40))"
NOTEBOOKS = {
    "output_widget": ["import ipywidgets as w\nfrom IPython.display import display, HTML\nout = w.Output()\ndisplay(out)",
                      SHOW, SHOW, "1 + 1"],
    "html_widget": ["import ipywidgets as w\nfrom IPython.display import display, HTML\nout = w.HTML()\ndisplay(out)",
                    SET, SET, "1 + 1"],
}


def run(notebook: Path, out: Path, deadline: float) -> str:
    proc = subprocess.Popen([sys.executable, "-m", "papermill", "-k", "python3", str(notebook), str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return "ok" if proc.wait(deadline) == 0 else "error"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "hang"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--deadline", type=float, default=30.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kpi-hang-"))
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=[new_code_cell(c) for c in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = work / f"{name}.ipynb"
        nbformat.write(nb, path)
        with ThreadPoolExecutor(2) as ex:
            results = list(ex.map(lambda i: run(path, work / f"out-{i % 4}.ipynb", args.deadline), range(args.runs)))
        print(f"{name}: {args.runs} runs, " + ", ".join(f"{k} {results.count(k)}" for k in ("ok", "hang", "error")),
              flush=True)


if __name__ == "__main__":
    main()
