"""Soak: the notebooks run headless hundreds of times, as users and CI run them; count the hangs.

Two loops, each run with a deadline (a run past it is a hang: its state is recorded, its process
group killed):

1. ``papermill`` from the command line, exactly as a user types it (TCP kernel, default engine,
   no retry), over every notebook for every sample client (and the real-data clients when
   ``../shared/realdata`` is present), ``--parallel`` at a time;
2. nbval over the committed notebooks, as ``make test`` runs it.

    .venv/bin/python benchmarks/soak.py [--runs 300] [--parallel 2] [--nbval 20] [--deadline 120]

Prints one line per run and a summary; writes every run to ``benchmarks/results/soak-<time>.json``.
A hang is a bug to find at its root (``benchmarks/SOAK.md`` tells the one found), not a retry to add.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpi_helpers.notebook_tools import committed_notebooks  # noqa: E402
from kpi_helpers.paths import SAMPLE_DIR, sample_clients  # noqa: E402

PY = sys.executable


def _clients(work: Path) -> list[Path]:
    """The sample clients, then three real-data clients when ``../shared/realdata`` is here."""
    from kpi_helpers.importers import DATASET_FOLDERS, IMPORTERS

    clients = [SAMPLE_DIR / c for c in sample_clients()]
    realdata = ROOT.parent / "shared" / "realdata"
    for source in ("ga360", "online_retail", "facebook_posts"):
        if (realdata / DATASET_FOLDERS[source]).is_dir():
            IMPORTERS[source](realdata / DATASET_FOLDERS[source], work / source)
            clients.append(work / source)
    return clients


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _kernels_of(pid: int) -> list[int]:
    """Kernel processes started by ``pid`` (jupyter_client puts them in a session of their own)."""
    out = subprocess.run(["pgrep", "-f", "-P", str(pid), "ipykernel"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _running_cell(path: Path) -> str | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for i, c in enumerate(nb.get("cells", [])):
        if c.get("metadata", {}).get("papermill", {}).get("status") == "running":
            return f"cell {i}: {''.join(c.get('source', ''))[:120]}"
    return None


def papermill_run(i: int, notebook: Path, client: Path, work: Path, deadline: float) -> dict:
    out = work / f"run-{i}.ipynb"
    cmd = [PY, "-m", "papermill", str(notebook), str(out), "-p", "client_dir", str(client), "-k", "python3",
           "--cwd", str(ROOT), "--no-progress-bar"]
    t0 = time.perf_counter()
    err = work / f"run-{i}.err"
    with open(err, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=fh, start_new_session=True)
        try:
            rc = proc.wait(deadline)
            status = "ok" if rc == 0 else "error"
            detail = None if rc == 0 else err.read_text(errors="replace")[-400:]
        except subprocess.TimeoutExpired:
            status, detail = "hang", _running_cell(out)
            kernels = _kernels_of(proc.pid)
            _kill_group(proc)
            for k in kernels:
                try:
                    os.kill(k, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    return {"kind": "papermill", "run": i, "notebook": notebook.name, "client": client.name, "status": status,
            "seconds": round(time.perf_counter() - t0, 2), "detail": detail}


def nbval_run(i: int, deadline: float) -> dict:
    cmd = [PY, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "--nbval", "--nbval-sanitize-with",
           str(ROOT / "notebooks" / "nbval_sanitize.cfg"), str(ROOT / "notebooks"), "-q"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=deadline)
        status = "ok" if proc.returncode == 0 else "error"
        detail = None if status == "ok" else out[-400:]
    except subprocess.TimeoutExpired:
        status, detail = "hang", None
        _kill_group(proc)
    return {"kind": "nbval", "run": i, "status": status, "seconds": round(time.perf_counter() - t0, 2),
            "detail": detail}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="papermill command-line runs")
    parser.add_argument("--parallel", type=int, default=2, help="papermill runs at a time")
    parser.add_argument("--nbval", type=int, default=20, help="nbval runs over the committed notebooks")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds after which a papermill run is a hang")
    parser.add_argument("--notebooks", default="", help="comma-separated notebook names, both editions (00-overview.ipynb) or one (fr/00-overview.ipynb); default: all")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="kpi-soak-"))
    chosen = args.notebooks.split(",") if args.notebooks else []
    notebooks = [p for p in committed_notebooks() if not chosen or p.name in chosen or f"{p.parent.name}/{p.name}" in chosen]
    jobs = list(itertools.islice(itertools.cycle([(n, c) for c in _clients(work) for n in notebooks]), args.runs))
    info = {"started": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "python": platform.python_version(),
            "cores": os.cpu_count(), **{p: version(p) for p in ("papermill", "nbclient", "jupyter_client", "ipykernel",
                                                                 "pyzmq", "ipywidgets", "nbval")},
            "runs": args.runs, "parallel": args.parallel, "nbval_runs": args.nbval, "deadline": args.deadline}
    print(json.dumps(info), flush=True)
    results: list[dict] = []
    t0 = time.perf_counter()

    def one(i: int) -> dict:
        r = papermill_run(i, *jobs[i], work, args.deadline)
        print(json.dumps(r), flush=True)
        return r

    with ThreadPoolExecutor(args.parallel) as ex:
        results += list(ex.map(one, range(len(jobs))))
    for i in range(args.nbval):
        r = nbval_run(i, max(600.0, args.deadline))
        print(json.dumps(r), flush=True)
        results.append(r)
    summary = {}
    for kind in ("papermill", "nbval"):
        rs = [r for r in results if r["kind"] == kind]
        if rs:
            secs = sorted(r["seconds"] for r in rs if r["status"] == "ok") or [0.0]
            summary[kind] = {"runs": len(rs), **{s: sum(r["status"] == s for r in rs) for s in ("ok", "error", "hang")},
                             "median_seconds": secs[len(secs) // 2], "longest_ok_seconds": secs[-1]}
    info["wall_seconds"] = round(time.perf_counter() - t0, 1)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"soak-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({"info": info, "summary": summary, "runs": results}, indent=1), encoding="utf-8")
    print("SUMMARY", json.dumps(summary), f"wall {info['wall_seconds']} s; written to {path}", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if any(s["hang"] or s["error"] for s in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
