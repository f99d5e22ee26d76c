"""Execute one notebook with papermill: a fresh kernel and a deadline.

:func:`run_notebook` runs a :class:`NotebookJob` and returns a plain dict (picklable, JSON-ready)
describing what happened. It is the same in a thread and in a worker process:

- **Kernel**: a fresh ``ipykernel`` per notebook, launched with this Python (not whatever
  ``python3`` kernelspec comes first on the Jupyter path), talking over Unix sockets (IPC) in a
  private temporary folder, so kernels started in parallel never race for TCP ports. Its
  stdout/stderr go to ``<notebook>.kernel.log`` beside the executed notebook.
- **Cells**: every cell runs, as in JupyterLab, papermill and nbval; the report leaves out the
  explore and exercise cells when it renders (:mod:`.render`).
- **Deadline**: a monitor kills the kernel's process group when the notebook exceeds its timeout
  (kernel start included). nbclient notices the dead kernel within about a second, so a stalled
  notebook ends at the deadline instead of hanging the batch. Just before the kill the kernel is
  sent SIGUSR1, on which it writes every thread's stack to its log (``faulthandler``), and the
  failure names the cell that was running. A notebook past its deadline is a failure to find at
  its root, not to retry: the one such cause seen (a cell's reply left unread by papermill's
  client when an ``Output`` widget was shown headless) is gone with the Output widget
  (``benchmarks/SOAK.md``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["NotebookJob", "run_notebook", "kill_active_kernels", "strip_ansi", "ENGINE"]

ENGINE = "kpi-kit"
IOPUB_TIMEOUT = 30  # seconds to wait for a cell's outputs after its reply (papermill's 4 s fails under load)
# ipykernel_launcher, plus a stack dump of every thread on SIGUSR1 (sent just before a deadline kill,
# so that the kernel log says where a stalled kernel was)
_LAUNCHER = ("import sys, faulthandler, signal; faulthandler.register(signal.SIGUSR1, all_threads=True); "
             "sys.path[0] == '' and sys.path.pop(0); from ipykernel import kernelapp; kernelapp.launch_new_instance()")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute for one client."""

    client_id: str
    source: str  # the course notebook
    output: str  # the executed copy
    parameters: dict[str, Any]
    timeout: float  # seconds, kernel start included
    start_timeout: float = 60.0
    cwd: str | None = None


# ----------------------------------------------------------------------------------------------
# Watchdog: the kernel of each running attempt, and a timer that kills it at the deadline


@dataclass(eq=False)
class _Watch:
    """The kernel of one run, and a monitor that kills it at the deadline."""

    deadline_s: float
    pgid: int | None = None
    pid: int | None = None
    kernel_ready_at: float | None = None
    started_at: float = field(default_factory=time.perf_counter)
    fired: bool = False
    running_cell: int | None = None
    client: Any = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        threading.Thread(target=self._monitor, name="kpi-report-watch", daemon=True).start()
        with _ACTIVE_LOCK:
            _ACTIVE.add(self)

    def _monitor(self) -> None:
        if not self._stop.wait(self.deadline_s):
            self.fire()

    def stop(self) -> None:
        self._stop.set()
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self)

    def fire(self) -> None:
        with self._lock:
            if self.fired:
                return
            self.fired = True
            self.running_cell = _running_cell(self.client)
            if self.pid:
                try:  # where was it? (the kernel writes every thread's stack to its log)
                    os.kill(self.pid, signal.SIGUSR1)
                    time.sleep(0.5)
                except (ProcessLookupError, PermissionError):
                    pass
            self.kill()

    def kill(self) -> None:
        if self.pgid:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


_ACTIVE: set[_Watch] = set()
_ACTIVE_LOCK = threading.Lock()


def kill_active_kernels() -> int:
    """Kill the kernel of every notebook still running in this process (on interrupt or exit)."""
    with _ACTIVE_LOCK:
        watches = list(_ACTIVE)
    for w in watches:
        w.kill()
    return len(watches)


def _running_cell(client: Any) -> int | None:
    nb = getattr(client, "nb", None)
    if nb is None:
        return None
    for i, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "running":
            return i
    return None


# ----------------------------------------------------------------------------------------------
# The papermill engine


def _make_engine():
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_core.utils import run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class KitNotebookClient(PapermillNotebookClient):
        """papermill's client with an IPC kernel of this Python, watched by a :class:`_Watch`."""

        def __init__(self, nb_man, *, watch: _Watch, ipc_dir: str, **kw):
            super().__init__(nb_man, **kw)
            self._watch = watch
            self._ipc_dir = ipc_dir
            watch.client = self

        def create_kernel_manager(self):
            km = super().create_kernel_manager()
            km._kernel_spec = KernelSpec(  # this Python, whatever kernelspecs the Jupyter path holds
                argv=[sys.executable, "-c", _LAUNCHER, "-f", "{connection_file}"],
                display_name="Python 3 (kpi-kit)", language="python", name=km.kernel_name or "python3",
                metadata={"debugger": False})
            km.transport = "ipc"
            km.ip = os.path.join(self._ipc_dir, "k")
            km.connection_file = os.path.join(self._ipc_dir, "kernel.json")
            return km

        async def async_start_new_kernel(self, **kwargs):
            await super().async_start_new_kernel(**kwargs)
            prov = getattr(self.km, "provisioner", None)
            self._watch.pid = getattr(prov, "pid", None)
            self._watch.pgid = getattr(prov, "pgid", None) or self._watch.pid
            if self._watch.fired:  # the deadline passed while the kernel was starting
                self._watch.kill()

        start_new_kernel = run_sync(async_start_new_kernel)

        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            self._watch.kernel_ready_at = time.perf_counter()
            return kc

        start_new_kernel_client = run_sync(async_start_new_kernel_client)

    class KitEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, *, watch: _Watch, ipc_dir: str, log_file,
                                     kernel_cwd: str | None = None, start_timeout=60, execution_timeout=None, **kwargs):
            client = KitNotebookClient(
                nb_man, watch=watch, ipc_dir=ipc_dir, kernel_name=kernel_name, timeout=execution_timeout,
                startup_timeout=start_timeout, iopub_timeout=IOPUB_TIMEOUT, shutdown_kernel="immediate",
                log=logging.getLogger("papermill"), log_output=False)
            # the kernel's working folder is given to the kernel, not set with os.chdir as papermill's
            # ``cwd`` does: the process's folder is shared by every thread of a threads batch
            return client.execute(stdout=log_file, stderr=log_file, cwd=kernel_cwd)

    papermill_engines.register(ENGINE, KitEngine)


_ENGINE_LOCK = threading.Lock()
_ENGINE_READY = False


def _ensure_engine() -> None:
    global _ENGINE_READY
    with _ENGINE_LOCK:
        if not _ENGINE_READY:
            _make_engine()
            # papermill cannot parse the annotated parameters (``start: str | None = None``) and says
            # so for every run; the notebooks validate their parameters themselves (nb.setup)
            logging.getLogger("papermill").setLevel(logging.ERROR)
            _ENGINE_READY = True


# ----------------------------------------------------------------------------------------------
# One notebook


def _source_index(nb: nbformat.NotebookNode | None, executed_index: int) -> int:
    """Index of a cell in the course notebook, from its index in the executed copy (papermill
    inserts an ``injected-parameters`` cell after the ``parameters`` cell)."""
    if nb is not None:
        for i, cell in enumerate(nb.cells):
            if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
                return executed_index - 1 if executed_index > i else executed_index
    return executed_index


def _cell_source(nb: nbformat.NotebookNode | None, index: int | None) -> str | None:
    if nb is None or index is None or not 0 <= index < len(nb.cells):
        return None
    return nb.cells[index].source


def _kernel_log_tail(path: Path, lines: int = 20) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    text = "\n".join(line for line in text.splitlines()
                     if "Kernel is running over TCP" not in line).strip()
    return "\n".join(text.splitlines()[-lines:]) or None


def _cell_seconds(nb: nbformat.NotebookNode | None) -> float:
    if nb is None:
        return 0.0
    return float(sum(c.get("metadata", {}).get("papermill", {}).get("duration") or 0 for c in nb.cells))


def run_notebook(job: NotebookJob) -> dict[str, Any]:
    """Execute ``job`` once; return its status (ok | failed), timings and error.

    ``error["status"]`` says what failed: cell-error (an exception raised by a cell: the notebook's
    answer), timeout (the deadline: the kernel was killed), start-failed (no kernel to talk to),
    kernel-died, or error (anything else once the kernel was up, such as an IOPub timeout).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _ensure_engine()
    out = Path(job.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    log_path = out.with_suffix(".kernel.log")
    ipc_dir = tempfile.mkdtemp(prefix="kpi-k-")  # short: a Unix socket path holds at most 107 bytes
    watch = _Watch(job.timeout)
    t0 = time.perf_counter()
    error: dict[str, Any] = {}
    nb = None
    watch.start()
    try:
        with open(log_path, "a", encoding="utf-8") as log_file:
            nb = pm.execute_notebook(
                job.source, str(out), parameters=job.parameters, engine_name=ENGINE, kernel_name="python3",
                progress_bar=False, request_save_on_cell_execute=False, start_timeout=job.start_timeout,
                execution_timeout=job.timeout, kernel_cwd=job.cwd, watch=watch, ipc_dir=ipc_dir, log_file=log_file)
    except PapermillExecutionError as exc:
        nb = getattr(watch.client, "nb", None)
        if watch.fired:
            error["status"] = "timeout"
        else:
            index = _source_index(nb, exc.cell_index)
            error.update(status="cell-error", ename=exc.ename, evalue=strip_ansi(str(exc.evalue)),
                         cell_index=index, cell_source=exc.source,
                         traceback=strip_ansi("\n".join(exc.traceback))[-4000:])
    except BaseException as exc:  # noqa: BLE001: every failure of a run is recorded
        if isinstance(exc, KeyboardInterrupt):
            raise
        nb = getattr(watch.client, "nb", None)
        if watch.fired:
            status = "timeout"
        elif watch.kernel_ready_at is None:
            status = "start-failed"  # no kernel to talk to: start-up timeout, died at once
        else:
            status = "kernel-died" if type(exc).__name__ == "DeadKernelError" else "error"
        error.update(status=status, ename=type(exc).__name__, evalue=strip_ansi(str(exc))[:2000])
    finally:
        watch.stop()
        shutil.rmtree(ipc_dir, ignore_errors=True)
    result: dict[str, Any] = {
        "client": job.client_id, "notebook": Path(job.source).name, "status": "failed" if error else "ok",
        "seconds": round(time.perf_counter() - t0, 3),
        "kernel_start_seconds": (round(watch.kernel_ready_at - watch.started_at, 3) if watch.kernel_ready_at else None),
        "cells_seconds": round(_cell_seconds(nb), 3),
    }
    if not error:
        return result
    if error["status"] == "timeout":
        index = watch.running_cell
        src = None if index is None else _source_index(nb, index)
        stage = ("kernel start" if watch.kernel_ready_at is None else f"cell {src}" if index is not None
                 else "after the last cell")
        error.update(message=f"no result after {job.timeout:g} s (deadline, during {stage}); the kernel was killed",
                     cell_index=src, cell_source=_cell_source(nb, index), stage=stage)
    if nb is not None and error["status"] != "cell-error":  # papermill already wrote it for a cell error
        try:  # the partial notebook, for diagnosis
            nbformat.write(nb, out)
        except Exception:  # a diagnostic, not a result
            pass
    error["kernel_log"] = _kernel_log_tail(log_path)
    error["notebook"] = result["notebook"]
    result["error"] = {k: v for k, v in error.items() if v is not None}
    return result
