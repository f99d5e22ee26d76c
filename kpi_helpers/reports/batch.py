"""The batch: every client of a configuration, its notebooks in parallel, its report put in place.

For each client: *resolve* (hash its data, find its period, skip it when nothing changed), then
one job per notebook and one for the scorecard (all in the worker pool), then *finalize* in the
main thread as soon as its jobs are done (report HTML, PDF, manifest) while other clients'
notebooks keep running. A client's run builds in ``<output>/<id>/.tmp-<period>-<random>/`` and
is swapped into ``<output>/<id>/<period>/`` only when everything succeeded (an atomic
``renameat2(RENAME_EXCHANGE)`` on Linux), so a failed run never replaces a good report; its
partial build is kept in ``.failed-<period>/`` for diagnosis. Nothing is shared between runs:
one kernel per notebook, one build folder per run, a client loaded afresh for each job.

Every job has a deadline (the batch's timeout): a kernel past it is killed (:mod:`.execute`), the
resolve and scorecard jobs stop themselves (:mod:`.jobs`). A job still running well past its
deadline is abandoned on its own; the other clients' jobs go on. The report folder is claimed
and written as :mod:`.output` says: a folder the kit did not create, or one it cannot write, is
refused before anything is written.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import secrets
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ..errors import KpiInputError, Problem
from .config import ClientSpec, ReportConfig
from .execute import NotebookJob, run_notebook
from .jobs import MANIFEST, kit_fingerprint, parameters, resolve_client, scorecard_job
from .output import cannot_write, claim_output, lock_output, read_json, swap_into_place, write_json, write_text
from .pool import default_workers, make_pool
from .render import IndexRow, build_index, build_report, href, period_label, split_themes

__all__ = ["run_batch", "BatchOptions"]

GRACE = 60.0  # seconds past its deadline before a job that did not stop is abandoned


@dataclass(frozen=True)
class BatchOptions:
    force: bool = False
    workers: int | None = None
    timeout: float | None = None
    only: tuple[str, ...] = ()
    executor: str = "threads"
    pdf: bool = True
    progress: bool = True


# ----------------------------------------------------------------------------------------------
# Progress


class Progress:
    """tqdm on a terminal, else one line per finished notebook on stderr."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.total = 0
        self.done = 0
        self.bar = None
        if enabled and sys.stderr.isatty():
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=0, unit="nb", file=sys.stderr, dynamic_ncols=True, leave=True)
            except ImportError:
                self.bar = None

    def add(self, n: int) -> None:
        self.total += n
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def step(self, text: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(text[:60], refresh=False)
            self.bar.update(1)
        else:
            print(f"[{self.done:>3}/{self.total}] {text}", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ----------------------------------------------------------------------------------------------
# The batch


@dataclass
class Run:
    spec: ClientSpec
    started: float = field(default_factory=time.perf_counter)
    status: str = "resolving"
    resolved: dict[str, Any] = field(default_factory=dict)
    build: Path | None = None
    results: dict[str, dict] = field(default_factory=dict)
    pending: int = 0
    card: dict | None = None
    card_error: str | None = None
    error: dict | None = None
    timings: dict[str, float] = field(default_factory=dict)
    html: str | None = None
    pdf: str | None = None
    finished: float | None = None

    def record(self) -> dict[str, Any]:
        r = self.resolved
        return {
            "client": self.spec.id, "name": self.spec.name, "folder": str(self.spec.folder),
            "period": r.get("period"), "start": r.get("start"), "end": r.get("end"), "status": self.status,
            "duration_seconds": round((self.finished or time.perf_counter()) - self.started, 3),
            "html": self.html, "pdf": self.pdf, "error": self.error, "key": r.get("key"),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "notebooks": [self.results[p.name] for p in self.spec.notebooks if p.name in self.results],
        }


class _Batch:
    def __init__(self, config: ReportConfig, options: BatchOptions):
        self.config = config
        self.opt = options
        self.output = config.output
        self.timeout = float(options.timeout or config.timeout)
        self.workers = int(options.workers or config.workers or default_workers())
        specs = config.clients
        if options.only:
            known = {c.id for c in specs} | {c.name for c in specs}
            unknown = [o for o in options.only if o not in known]
            if unknown:
                raise KpiInputError(Problem(f"--only {', '.join(unknown)}: no such client in {config.path}",
                                            expected="one of " + ", ".join(c.id for c in specs)))
            specs = tuple(c for c in specs if c.id in options.only or c.name in options.only)
        self.pdf = options.pdf and _pdf_available(options.progress)
        self.runs = [Run(s) for s in specs]
        self.kit = kit_fingerprint()
        self.progress = Progress(options.progress)
        self.renderer = None
        self.futures: dict[cf.Future, tuple[str, Run, str | None]] = {}

    # -- the report folder: claimed, locked, cleared of an interrupted batch's builds
    def _lock(self):
        claim_output(self.output, [r.spec.id for r in self.runs])
        fh = lock_output(self.output)
        try:  # from now on run.json says a batch is running: never an earlier batch's success
            write_json(self.output / "run.json", {"status": "running", "config": str(self.config.path),
                                                  "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")})
        except OSError as exc:
            fh.close()
            raise cannot_write(self.output, exc) from None
        for run in self.runs:  # builds left by an interrupted batch
            d = self.output / run.spec.id
            if d.is_dir():
                for p in d.iterdir():
                    if p.name.startswith((".tmp-", ".old-")):
                        shutil.rmtree(p, ignore_errors=True)
        return fh

    # -- scheduling
    def submit(self, kind: str, run: Run, name: str | None, fn, *args) -> None:
        fut = self.pool.submit(fn, *args)
        self.futures[fut] = (kind, run, name)

    def _overdue(self, fut: cf.Future) -> bool:
        """A job running well past its deadline (its own stop did not work): abandoned on its own."""
        started = getattr(fut, "started_at", None)
        return started is not None and time.perf_counter() - started > self.timeout + min(60.0, self.timeout) + GRACE

    def on_resolved(self, run: Run, res: dict) -> None:
        run.resolved = res
        run.timings["resolve"] = res.get("seconds", 0.0)
        if res["status"] == "failed":
            self.fail(run, res["error"])
            self.progress.add(len(run.spec.notebooks))
            for _ in run.spec.notebooks:
                self.progress.step(f"{run.spec.id}: failed ({res['error']['message'].splitlines()[0][:80]})")
            return
        if res["status"] == "skip":
            run.status = "skipped"
            run.finished = time.perf_counter()
            m = read_json(self.output / run.spec.id / res["period"] / MANIFEST) or {}
            run.html, run.pdf = self._rel(run, m.get("html")), self._rel(run, m.get("pdf"))
            self.progress.note(f"{run.spec.id} {res['period']}: unchanged, skipped (--force to redo)")
            return
        run.status = "running"
        start, end = dt.date.fromisoformat(res["start"]), dt.date.fromisoformat(res["end"])
        spec_dir = self.output / run.spec.id
        spec_dir.mkdir(parents=True, exist_ok=True)
        run.build = spec_dir / f".tmp-{res['period']}-{secrets.token_hex(4)}"
        (run.build / "notebooks").mkdir(parents=True)
        params = parameters(run.spec, start, end)
        run.pending = len(run.spec.notebooks) + 1
        self.progress.add(len(run.spec.notebooks))
        for nb in run.spec.notebooks:
            job = NotebookJob(run.spec.id, str(nb), str(run.build / "notebooks" / nb.name), params, self.timeout,
                              start_timeout=min(60.0, self.timeout), cwd=str(run.build / "notebooks"))
            self.submit("notebook", run, nb.name, run_notebook, job)
        self.submit("scorecard", run, None, scorecard_job, str(run.spec.folder), res["start"], res["end"],
                    run.spec.margin_rate, self.timeout)

    def on_notebook(self, run: Run, name: str, res: dict) -> None:
        run.results[name] = res
        run.pending -= 1
        self.progress.step(f"{run.spec.id} · {name}: {res['status']} ({res['seconds']:.1f} s)")

    def on_scorecard(self, run: Run, res: dict | None, error: str | None) -> None:
        run.pending -= 1
        if res is not None:
            run.card = res["card"]
            run.resolved["currency"] = res["currency"]
            run.timings["scorecard"] = res["seconds"]
        else:
            run.card_error = error

    def fail(self, run: Run, error: dict) -> None:
        run.status = "failed"
        run.error = error
        run.finished = time.perf_counter()
        if run.build is not None and run.build.exists():
            failed = run.build.parent / f".failed-{run.resolved.get('period', 'unknown')}"
            shutil.rmtree(failed, ignore_errors=True)
            try:
                os.rename(run.build, failed)
            except OSError:
                shutil.rmtree(run.build, ignore_errors=True)
            run.build = None

    def _rel(self, run: Run, name: str | None) -> str | None:
        if not name:
            return None
        return f"{run.spec.id}/{run.resolved['period']}/{name}"

    def finalize(self, run: Run) -> None:
        failed = [run.results[p.name] for p in run.spec.notebooks if run.results.get(p.name, {}).get("status") != "ok"]
        if failed:
            err = dict(failed[0].get("error") or {"message": "notebook failed"})
            err["message"] = _error_message(err)
            if len(failed) > 1:
                err["other_failed_notebooks"] = [f["notebook"] for f in failed[1:]]
            self.fail(run, err)
            return
        if run.card is None:
            self.fail(run, {"message": f"scorecard: {run.card_error or 'not computed'}"})
            return
        try:
            self._write_report(run)
        except Exception as exc:  # noqa: BLE001: a report that cannot be written fails this run only
            self.fail(run, {"message": f"report: {type(exc).__name__}: {exc}",
                            "traceback": traceback.format_exc(limit=6)[-3000:]})
            return
        run.status = "ok"
        run.finished = time.perf_counter()

    def _write_report(self, run: Run) -> None:
        from ..core import Period, comparison_period

        spec, res, build = run.spec, run.resolved, run.build
        assert build is not None
        t0 = time.perf_counter()
        start, end = dt.date.fromisoformat(res["start"]), dt.date.fromisoformat(res["end"])
        nbs = [(p, nbformat.read(build / "notebooks" / p.name, as_version=4)) for p in spec.notebooks]
        comparison = None
        if spec.compare:
            cp = comparison_period(Period(start, end), spec.compare)
            comparison = (cp.start, cp.end)
        generated = dt.datetime.now().astimezone()
        nbs, left_out = split_themes(nbs, run.card, spec.language)  # themes without data: one line of the cover
        page = build_report(client_name=spec.name, language=spec.language, start=start, end=end, compare=spec.compare,
                            comparison=comparison, notebooks=nbs, generated_at=generated, left_out=left_out)
        base = f"{spec.id}-{res['period']}"
        html_name, pdf_name = f"{base}.html", (f"{base}.pdf" if self.pdf else None)
        (build / html_name).write_text(page.html, encoding="utf-8")
        run.timings["html"] = time.perf_counter() - t0
        if pdf_name:
            t1 = time.perf_counter()
            if self.renderer is None:
                from .pdf import PdfRenderer

                self.renderer = PdfRenderer()
            footer = f"{spec.name[:80]} · {period_label(start, end, spec.language)}"
            self.renderer.render(build / html_name, build / pdf_name, footer=footer)
            run.timings["pdf"] = time.perf_counter() - t1
        write_json(build / "scorecard.json", run.card)
        manifest = {
            "status": "ok", "client": spec.id, "name": spec.name, "period": res["period"], "start": res["start"],
            "end": res["end"], "language": spec.language, "currency": res.get("currency") or "EUR",
            "generated_at": generated.isoformat(timespec="seconds"), "html": html_name, "pdf": pdf_name,
            "charts": page.charts, "themes": page.themes, "left_out": [title for title, _ in left_out],
            "notebooks": [p.name for p in spec.notebooks],
            "key": res["key"], "kit": self.kit, "data_hash": res["data_hash"],
            "notebook_hashes": res["notebook_hashes"], "parameters": parameters(spec, start, end),
        }
        write_json(build / MANIFEST, manifest)
        final = build.parent / res["period"]
        swap_into_place(build, final)
        run.build = None
        shutil.rmtree(build.parent / f".failed-{res['period']}", ignore_errors=True)
        run.html, run.pdf = self._rel(run, html_name), self._rel(run, pdf_name)

    # -- main loop
    def execute(self) -> dict[str, Any]:
        started_at = dt.datetime.now().astimezone()
        t0 = time.perf_counter()
        lock = self._lock()
        self.pool = make_pool(self.opt.executor, self.workers)
        abandon = False
        interrupted = False
        try:
            for run in self.runs:
                self.submit("resolve", run, None, resolve_client, run.spec, str(self.output), self.kit,
                            self.opt.force, self.pdf, self.timeout)
            while self.futures:
                done, _ = cf.wait(list(self.futures), timeout=1.0, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    self._handle(fut)
                for fut in [f for f in self.futures if self._overdue(f)]:
                    self._abandon(fut)
                    abandon = True
        except KeyboardInterrupt:
            abandon = interrupted = True
            raise
        finally:
            self.pool.shutdown(abandon=abandon)
            if self.renderer is not None:
                self.renderer.close()
            self.progress.close()
            for run in self.runs:
                if run.status in ("resolving", "running"):
                    self.fail(run, {"message": "interrupted" if interrupted else "not finished"})
            summary = self._summary(started_at, time.perf_counter() - t0, interrupted)
            try:
                write_json(self.output / "run.json", summary)
                self._write_index(summary)
            except OSError as exc:  # a full disk: run.json still says "running", never an earlier success
                raise cannot_write(self.output, exc) from None
            finally:
                lock.close()
        return summary

    def _handle(self, fut: cf.Future) -> None:
        kind, run, name = self.futures.pop(fut)
        exc = fut.exception()
        if kind == "resolve":
            if exc is not None:
                self.on_resolved(run, {"status": "failed", "error": {"message": f"{type(exc).__name__}: {exc}"}})
            else:
                self.on_resolved(run, fut.result())
            return
        if kind == "notebook":
            res = fut.result() if exc is None else {
                "client": run.spec.id, "notebook": name, "status": "failed", "seconds": 0.0,
                "error": {"notebook": name, "ename": type(exc).__name__, "evalue": str(exc)}}
            self.on_notebook(run, name, res)
        elif kind == "scorecard":
            self.on_scorecard(run, fut.result() if exc is None else None,
                              None if exc is None else (exc.render() if isinstance(exc, KpiInputError)
                                                        else f"{type(exc).__name__}: {exc}"))
        if run.pending == 0 and run.status == "running":
            self.finalize(run)
            if run.status == "ok":
                self.progress.note(f"{run.spec.id} {run.resolved['period']}: report ready ({run.html})")
            else:
                self.progress.note(f"{run.spec.id}: FAILED — {run.error['message'].splitlines()[0][:160]}")

    def _abandon(self, fut: cf.Future) -> None:
        """Give up a job that did not stop at its deadline; its client fails, the others go on."""
        kind, run, name = self.futures.pop(fut)
        message = f"still running {GRACE:g} s past the batch's timeout; abandoned"
        self.pool.abandon(fut)
        if kind == "notebook":
            self.on_notebook(run, name, {"client": run.spec.id, "notebook": name, "status": "failed", "seconds": 0.0,
                                         "error": {"notebook": name, "status": "stuck", "message": message}})
        elif kind == "scorecard":
            self.on_scorecard(run, None, message)
        else:
            self.on_resolved(run, {"status": "failed", "error": {"message": message}})
        if run.pending == 0 and run.status == "running":
            self.finalize(run)

    # -- outputs
    def _summary(self, started_at: dt.datetime, seconds: float, interrupted: bool) -> dict[str, Any]:
        runs = [r.record() for r in self.runs]
        nbs = [n for r in runs for n in r["notebooks"]]
        timeouts = [{"client": n["client"], "notebook": n["notebook"], "stage": n["error"].get("stage"),
                     "cell_index": n["error"].get("cell_index"), "seconds": n["seconds"]}
                    for n in nbs if n.get("error", {}).get("status") == "timeout"]
        failed = any(r["status"] == "failed" for r in runs)
        return {
            "status": "interrupted" if interrupted else ("failed" if failed else "ok"),
            "started_at": started_at.isoformat(timespec="seconds"), "duration_seconds": round(seconds, 3),
            "config": str(self.config.path), "output": str(self.output), "kit": self.kit, "workers": self.workers,
            "executor": self.opt.executor, "timeout_seconds": self.timeout, "force": self.opt.force, "pdf": self.pdf,
            "counts": {s: sum(r["status"] == s for r in runs) for s in ("ok", "skipped", "failed")},
            "totals": {
                "notebooks": len(nbs),
                "notebook_seconds": round(sum(n.get("seconds") or 0 for n in nbs), 3),
                "kernel_start_seconds": round(sum(n.get("kernel_start_seconds") or 0 for n in nbs), 3),
                "cells_seconds": round(sum(n.get("cells_seconds") or 0 for n in nbs), 3),
            },
            "timeouts": timeouts,
            "runs": runs,
        }

    def _write_index(self, summary: dict) -> None:
        this_batch = {r["client"]: r for r in summary["runs"]}
        order = [c.id for c in self.config.clients]
        on_disk = sorted(p.name for p in self.output.iterdir() if p.is_dir() and not p.name.startswith("."))
        rows: list[IndexRow] = []
        for cid in order + [c for c in on_disk if c not in order]:
            folder = self.output / cid
            current = this_batch.get(cid)
            periods = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                             key=lambda p: p.name, reverse=True) if folder.is_dir() else []
            seen_failed = False
            if current and current["status"] == "failed" and not current.get("period") and periods:
                current = {**current, "period": periods[0].name}  # a run that failed before its period was known
            for p in periods:
                m = read_json(p / MANIFEST)
                if not m:
                    continue
                card = read_json(p / "scorecard.json") or {}
                status = "ok"
                message = None
                if current and current.get("period") == p.name:
                    status = {"ok": "built", "skipped": "skipped"}.get(current["status"], current["status"])
                    if current["status"] == "failed":
                        message, seen_failed = current["error"]["message"], True
                rows.append(IndexRow(cid, m.get("name", cid), p.name, m.get("start"), m.get("end"), m.get("language", "fr"),
                                     m.get("currency", "EUR"), card.get("kpis") or {},
                                     href(cid, p.name, m["html"]) if m.get("html") else None,
                                     href(cid, p.name, m["pdf"]) if m.get("pdf") else None, status, message,
                                     m.get("generated_at")))
            if current and current["status"] == "failed" and not seen_failed:
                rows.append(IndexRow(cid, current["name"], current.get("period") or "–", current.get("start"),
                                     current.get("end"), status="failed", message=current["error"]["message"]))
        page = build_index(rows, language=self.config.language, generated_at=dt.datetime.now().astimezone(), run=summary)
        write_text(self.output / "index.html", page)


def _pdf_available(say: bool) -> bool:
    """Whether the PDFs can be made; if not, one line says how to get them (the HTML reports are made)."""
    from .pdf import find_chromium

    missing = []
    if find_chromium() is None:
        missing.append("Debian's Chromium (sudo apt-get install chromium, or set KPI_CHROMIUM to a Chromium binary)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright; no 'playwright install': the system Chromium is used)")
    if missing and say:
        print(f"note: HTML reports only; for the PDFs install {' and '.join(missing)}", file=sys.stderr)
    return not missing


def _error_message(err: dict) -> str:
    """One readable message for a notebook failure."""
    nb = err.get("notebook", "?")
    if err.get("status") == "timeout":
        return f"{nb}: {err.get('message')}"
    if err.get("ename"):
        where = f" in cell {err['cell_index']}" if err.get("cell_index") is not None else ""
        return f"{nb}{where}: {err['ename']}: {err.get('evalue', '')}".strip()
    return f"{nb}: {err.get('message') or err.get('status') or 'failed'}"


def run_batch(config: ReportConfig, options: BatchOptions = BatchOptions()) -> dict[str, Any]:
    """Run every client of ``config``; returns the summary written to ``<output>/run.json``."""
    return _Batch(config, options).execute()
