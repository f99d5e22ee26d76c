"""kpi-kit benchmarks (``make benchmark``): generation, validation, scorecard, notebook re-renders.

Every measured step runs in its own process (``benchmarks/steps.py`` or the kit's command line);
this script waits for it with ``os.wait4`` and so reads the peak RSS of that process alone. Ratios
compare figures measured in this same run, never stored baselines.

1. foundation: ``python -m kpi_helpers.sample DIR --profile fashion --sessions N --format parquet``
   and ``python -m kpi_helpers validate DIR`` for each size (default 1M and 10M sessions);
2. KPIs: the kit's ``load_client`` + ``scorecard()``, a pandas implementation and hand-written
   DuckDB SQL of the same KPIs, for the default period (last full month) and the full history;
   the three scorecards are compared item by item (1e-9 relative, see compare.py);
3. notebook views re-rendered on the sample clients (display patched to a no-op), median of 5, recomputed and with kept results.

    .venv/bin/python benchmarks/run.py [--sizes 1000000,10000000] [--reuse-data] [--skip-widgets]

Data goes to benchmarks/data/ (git-ignored), results to benchmarks/results/ (git-ignored): one
JSON file per run plus ``latest.md``, the tables pasted into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from compare import disagreements  # noqa: E402

PY = sys.executable
# the loader's cache of validated folders, new for each run: "validate" validates (and fills it),
# the scorecards then load the unchanged folders from it, as an analyst's second command does
CACHE = Path(tempfile.mkdtemp(prefix="kpi-bench-cache-"))
TARGETS = {"kit_vs_tuned_10m": 1.1, "pandas_vs_kit": 8.0, "peak_mb": 2048.0, "render_s": 0.5, "month_100m_s": 30.0,
           "full_100m_s": 60.0, "load_100m_s": 1.0}
IMPLS = ("kit", "sql", "sql-tuned", "pandas", "kit-spark")
BUSY_CORES = 0.25  # CPU used by other processes during a step (in cores) above which its time is flagged


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else (f"{n // 1000}k" if n % 1000 == 0 else str(n))


def measure(cmd: list[str], *, log: Path) -> dict[str, Any]:
    """Run ``cmd`` in a child process; its wall time, exit code and peak RSS (MB)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", KPI_CACHE_DIR=str(CACHE))
    with open(log, "w") as out:
        busy0 = _busy_cpu_seconds()
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        busy1 = _busy_cpu_seconds()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    # CPU used by every other process of the machine during the step, in cores (0 on a quiet machine)
    others = max(0.0, (busy1 - busy0) - cpu) / wall if busy0 is not None and busy1 is not None else None
    result = {"cmd": " ".join(cmd), "wall": wall, "peak_mb": usage.ru_maxrss / 1024, "rc": proc.returncode,
              "cpu": cpu, "other_cores": others}
    if others is not None and others > BUSY_CORES:
        print(f"  (warning: other processes used {others:.2f} cores during this step: its time is inflated)", flush=True)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"step failed (exit {proc.returncode}): {result['cmd']}\n{tail}")
    return result



def measure_imports(export: Path, folder: Path, runs: int, *, logs: Path, client_yml: str | None = None
                    ) -> list[dict[str, Any]]:
    """``kpi import EXPORT --into folder/client-<i>`` ``runs`` times, each into a new folder (with
    ``client_yml`` written first when given), measured by :func:`measure`. A failed import prints
    the end of its log and stops the benchmark (exit status 1): its figures would mean nothing."""
    results = []
    for i in range(runs):
        client = folder / f"client-{i}"
        shutil.rmtree(client, ignore_errors=True)
        if client_yml is not None:
            client.mkdir(parents=True)
            (client / "client.yml").write_text(client_yml)
        cmd = [PY, "-m", "kpi_helpers", "import", str(export.relative_to(ROOT)), "--into", str(client.relative_to(ROOT))]
        r = measure(cmd, log=logs / f"import-{i}.log")
        if r.get("rc", 0):
            print((logs / f"import-{i}.log").read_text()[-3000:])
            raise SystemExit(1)
        results.append(r)
        print(f"  import {i + 1}: {r['wall']:.2f} s, {r['peak_mb']:.0f} MB", flush=True)
    return results

def _busy_cpu_seconds() -> float | None:
    """CPU seconds spent (not idle) by the whole machine since boot, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def machine() -> dict[str, Any]:
    import duckdb
    import ibis
    import pandas
    import pyarrow

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "platform": platform.platform(), "cpu": cpu,
            "cores": os.cpu_count(), "memory": mem, "python": platform.python_version(), "duckdb": duckdb.__version__,
            "ibis": ibis.__version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__}


def full_range(folder: Path) -> tuple[str, str]:
    """First and last local date over every table (the "full history" period)."""
    import duckdb

    from common import settings

    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{settings(folder)['timezone']}'")
    cols = {"sessions": "started_at", "orders": "ordered_at", "carts": "created_at", "searches": "searched_at",
            "ad_spend": "date", "social_posts": "published_at"}
    parts = [f"SELECT min(CAST({c} AS DATE)) lo, max(CAST({c} AS DATE)) hi FROM read_parquet('{folder / (t + '.parquet')}')"
             for t, c in cols.items() if (folder / f"{t}.parquet").exists()]
    lo, hi = con.execute(f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)})").fetchone()
    return lo.isoformat(), hi.isoformat()


def _rows(folder: Path) -> int | None:
    try:
        import pyarrow.parquet as pq

        return pq.ParquetFile(folder / "sessions.parquet").metadata.num_rows
    except Exception:
        return None


def _star(r: dict) -> str:
    """A mark on figures measured while other processes used the CPU."""
    return "*" if (r.get("other_cores") or 0) > BUSY_CORES else ""


def fmt_s(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kpi-kit benchmarks (see benchmarks/README.md)")
    parser.add_argument("--sizes", default="1000000,10000000", help="numbers of sessions, comma-separated")
    parser.add_argument("--data-dir", default=str(HERE / "data"))
    parser.add_argument("--reuse-data", action="store_true",
                        help="keep an existing generated folder of the right size (generation is then not measured)")
    parser.add_argument("--impls", default=",".join(IMPLS), help="scorecard implementations to run")
    parser.add_argument("--skip-widgets", action="store_true")
    parser.add_argument("--top", type=int, default=12, help="slowest kit calls to print per scorecard")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    impls = [i for i in args.impls.split(",") if i]
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    t_start = time.perf_counter()
    info = machine()
    print("kpi-kit benchmark  " + "  ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    report: dict[str, Any] = {"machine": info, "generate": [], "validate": [], "scorecard": [], "widgets": [],
                              "disagreements": [], "profile": {}}
    md: list[str] = []

    # 1. generation and validation
    folders = {}
    for n in sizes:
        folder = data_dir / f"fashion-{_label(n)}"
        folders[n] = folder
        rel = os.path.relpath(folder, ROOT)
        if args.reuse_data and _rows(folder) == n:
            print(f"[generate {_label(n)}] reusing {rel}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
            cmd = [PY, "-m", "kpi_helpers.sample", rel, "--profile", "fashion", "--sessions", str(n), "--format", "parquet"]
            r = measure(cmd, log=work / f"generate-{n}.log")
            r.update(sessions=n, output=(work / f"generate-{n}.log").read_text().strip(),
                     mb=sum(f.stat().st_size for f in folder.iterdir()) / 1e6)
            report["generate"].append(r)
            print(f"[generate {_label(n)}] {r['wall']:.1f} s, peak {r['peak_mb']:.0f} MB, {r['mb']:.0f} MB on disk", flush=True)
        r = measure([PY, "-m", "kpi_helpers", "validate", rel], log=work / f"validate-{n}.log")
        r.update(sessions=n)
        report["validate"].append(r)
        print(f"[validate {_label(n)}] {r['wall']:.1f} s, peak {r['peak_mb']:.0f} MB", flush=True)

    # 2. scorecards
    for n in sizes:
        folder = folders[n]
        rel = os.path.relpath(folder, ROOT)
        first, last = full_range(folder)
        for period, extra in (("month", []), ("full", ["--start", first, "--end", last])):
            cards = {}
            for impl in impls:
                out = work / f"{impl}-{n}-{period}.json"
                cmd = [PY, "benchmarks/steps.py", impl, rel, *extra, "--out", str(out)]
                r = measure(cmd, log=work / f"{impl}-{n}-{period}.log")
                card = json.loads(out.read_text())
                cards[impl] = card
                r.update(sessions=n, period=period, impl=impl, seconds=card["seconds"], cpu_seconds=card.get("cpu_seconds"),
                         import_seconds=card.get("import_seconds"),
                         dates=f"{card['period']['start']}..{card['period']['end']}",
                         detail=card.get("query_seconds") or card.get("step_seconds")
                         or {"load_client": card.get("load_seconds"), "scorecard": card.get("scorecard_seconds")})
                report["scorecard"].append(r)
                if impl == "kit":
                    report["profile"][f"{_label(n)} {period}"] = card["calls"]
                print(f"[scorecard {_label(n)} {period} {impl}] {card['seconds']:.2f} s in process "
                      f"({r['wall']:.2f} s with start-up), peak {r['peak_mb']:.0f} MB", flush=True)
            if len(cards) > 1:
                bad = disagreements(cards, rounded={n for n in cards if n.startswith("kit")})
                for d in bad:
                    d.update(sessions=n, period=period)
                    print(f"  DISAGREEMENT {_label(n)} {period}: {d['item']}: "
                          + ", ".join(f"{k}={v!r}" for k, v in d["values"].items()), flush=True)
                if not bad:
                    print(f"  {_label(n)} {period}: {', '.join(cards)} agree on every KPI and breakdown", flush=True)
                report["disagreements"] += bad

    # 3. notebook re-renders
    if not args.skip_widgets:
        for client in ("maison-lune", "bureau-direct"):
            rel = f"data/sample/{client}"
            out = work / f"widgets-{client}.json"
            r = measure([PY, "benchmarks/steps.py", "widgets", rel, "--repeat", "5", "--out", str(out)],
                        log=work / f"widgets-{client}.log")
            w = json.loads(out.read_text())
            r.update(client=client, result=w)
            report["widgets"].append(r)
            for name, v in w["renders"].items():
                print(f"[render {client}] {name}: median {v['median']:.3f} s recomputed, {v.get('kept_median', float('nan')):.3f} s with kept results (first {v['first']:.3f} s)", flush=True)

    # ---------------------------------------------------------------------------------------------
    # Summary (markdown, also written to results/latest.md)
    md.append(f"Run of {info['date']}: {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}, "
              f"DuckDB {info['duckdb']}, Ibis {info['ibis']}, pandas {info['pandas']}, pyarrow {info['pyarrow']}.\n")
    if report["generate"] or report["validate"]:
        rows = []
        for r in report["generate"]:
            rows.append([f"generate {_label(r['sessions'])}", fmt_s(r["wall"]) + _star(r), f"{r['peak_mb']:.0f}",
                         f"{r['mb']:.0f} MB parquet"])
        for r in report["validate"]:
            rows.append([f"validate {_label(r['sessions'])}", fmt_s(r["wall"]) + _star(r), f"{r['peak_mb']:.0f}", ""])
        md.append("### Generation and validation\n\n" + table(["step", "wall s", "peak RSS MB", "note"], rows))
    if report["scorecard"]:
        rows = []
        by = {(r["sessions"], r["period"], r["impl"]): r for r in report["scorecard"]}
        for n in sizes:
            for period in ("month", "full"):
                k, s, t, p, ks = (by.get((n, period, i)) for i in IMPLS)
                dates = (k or s or p or t or ks)["dates"]
                row = [_label(n), f"{period} ({dates})",
                       fmt_s(k["detail"]["load_client"]) if k and isinstance(k.get("detail"), dict) else "–"]
                for r in (k, s, t, p, ks):
                    row += [f"{fmt_s(r['seconds'])}{_star(r)}", f"{r['peak_mb']:.0f}"] if r else ["–", "–"]
                row.append(f"{k['seconds'] / s['seconds']:.2f}" if k and s else "–")
                row.append(f"{k['seconds'] / t['seconds']:.2f}" if k and t else "–")
                row.append(f"{p['seconds'] / k['seconds']:.2f}" if k and p else "–")
                rows.append(row)
        md.append("### Scorecard (seconds in process: loading + computing, of which loading in the third column; "
                  "peak RSS of the process (for Spark, of the Python driver only, not of its JVM))\n\n"
                  + table(["sessions", "period", "kit load s", "kit s", "kit MB", "SQL s", "SQL MB", "tuned SQL s",
                           "tuned SQL MB", "pandas s", "pandas MB", "kit on Spark s", "Spark driver MB", "kit/SQL",
                           "kit/tuned SQL", "pandas/kit"], rows))
        n_bad = len(report["disagreements"])
        md.append(f"Disagreements between the implementations: {n_bad}"
                  + ("" if not n_bad else "\n\n" + "\n".join(
                      f"- {_label(d['sessions'])} {d['period']}: `{d['item']}` " + ", ".join(f"{k}={v!r}" for k, v in d["values"].items())
                      for d in report["disagreements"])))
    for key, calls in report["profile"].items():
        total = sum(c["seconds"] for c in calls)
        top = sorted(calls, key=lambda c: -c["seconds"])[: args.top]
        md.append(f"### Kit profile, {key}: slowest scorecard calls (sum of calls {total:.1f} s)\n\n"
                  + table(["call", "s", "share"], [[c["call"], f"{c['seconds']:.2f}", f"{c['seconds'] / total:.0%}"] for c in top]))
    if report["widgets"]:
        rows = []
        for r in report["widgets"]:
            for name, v in r["result"]["renders"].items():
                kept = f"{v['kept_median']:.3f}" if "kept_median" in v else "–"
                rows.append([r["client"], f"`{name}`", f"{v['median']:.3f}{_star(r)}", kept, f"{v['first']:.3f}"])
        md.append("### Notebook re-renders (display patched to a no-op; median of 5 after a first render; "
                  "recomputed: the kept query results cleared before each render; kept: the same view again)\n\n"
                  + table(["client", "view", "recomputed median s", "kept median s", "first s"], rows))

    # targets
    checks = []
    by = {(r["sessions"], r["period"], r["impl"]): r for r in report["scorecard"]}
    for n in sizes:
        for period in ("month", "full"):
            k, _, t, p, _ = (by.get((n, period, i)) for i in IMPLS)
            if not k:
                continue
            checks.append((f"{_label(n)} {period}: kit peak RSS < {TARGETS['peak_mb']:.0f} MB", f"{k['peak_mb']:.0f}",
                           k["peak_mb"] < TARGETS["peak_mb"]))
            if n == 10_000_000 and t:
                v = k["seconds"] / t["seconds"]
                checks.append((f"10M {period}: kit/tuned SQL <= {TARGETS['kit_vs_tuned_10m']}", f"{v:.2f}",
                               v <= TARGETS["kit_vs_tuned_10m"]))
            if p:
                v = p["seconds"] / k["seconds"]
                checks.append((f"{_label(n)} {period}: pandas/kit >= {TARGETS['pandas_vs_kit']}", f"{v:.2f}",
                               v >= TARGETS["pandas_vs_kit"]))
            if n == 100_000_000:
                goal = TARGETS[f"{period}_100m_s"]
                checks.append((f"100M {period}: kit < {goal:.0f} s", fmt_s(k["seconds"]), k["seconds"] < goal))
                if period == "month":
                    load = k["detail"]["load_client"]
                    checks.append((f"100M unchanged client: loads in < {TARGETS['load_100m_s']:.0f} s", fmt_s(load),
                                   load < TARGETS["load_100m_s"]))
    for r in report["validate"]:
        checks.append((f"validate {_label(r['sessions'])}: peak RSS < {TARGETS['peak_mb']:.0f} MB", f"{r['peak_mb']:.0f}",
                       r["peak_mb"] < TARGETS["peak_mb"]))
    for r in report["widgets"]:
        worst = max(v["median"] for v in r["result"]["renders"].values())
        checks.append((f"re-render {r['client']}: < {TARGETS['render_s']} s", f"{worst:.3f}", worst < TARGETS["render_s"]))
    checks.append(("implementations agree", str(len(report["disagreements"])), not report["disagreements"]))
    md.append("### Targets\n\n" + table(["target", "measured", "met"], [[c, v, "yes" if ok else "**no**"] for c, v, ok in checks]))
    report["targets"] = [{"target": c, "measured": v, "met": ok} for c, v, ok in checks]
    report["total_seconds"] = time.perf_counter() - t_start
    steps = report["generate"] + report["validate"] + report["scorecard"] + report["widgets"]
    busy = [r for r in steps if (r.get("other_cores") or 0) > BUSY_CORES]
    worst = max((r.get("other_cores") or 0) for r in steps) if steps else 0
    md.append("Figures marked * were measured while other processes used more than "
              f"{BUSY_CORES} cores (see other_cores in the JSON).")
    md.append(f"Total benchmark time: {report['total_seconds']:.0f} s. CPU used by other processes during the steps: "
              f"up to {worst:.2f} cores"
              + (f"; {len(busy)} step(s) above {BUSY_CORES} cores (" + ", ".join(
                  f"{r.get('impl') or ''} {_label(r['sessions']) if 'sessions' in r else r.get('client', '')} {r.get('period', '')}".strip()
                  for r in busy) + "): their times are inflated, run again on a quiet machine." if busy
                 else " (quiet machine)."))

    text = "\n\n".join(md) + "\n"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (results_dir / f"run-{stamp}.json").write_text(json.dumps(report, indent=1, default=str))
    (results_dir / "latest.md").write_text(text)
    print("\n" + text)
    print(f"results: {os.path.relpath(results_dir / f'run-{stamp}.json', ROOT)} and benchmarks/results/latest.md")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(CACHE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
