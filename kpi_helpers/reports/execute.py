"""Execute one notebook with papermill, reliably: a fresh kernel, a deadline, retries.

:func:`run_notebook` runs a :class:`NotebookJob` and returns a plain dict (picklable, JSON-ready)
describing what happened. It is the same in a thread and in a worker process:

- **Kernel**: a fresh ``ipykernel`` per notebook, launched with this Python (not whatever
  ``python3`` kernelspec comes first on the Jupyter path), talking over Unix sockets (IPC) in a
  private temporary folder, so kernels started in parallel never race for TCP ports. Its
  stdout/stderr go to ``<notebook>.kernel.log`` beside the executed notebook.
- **Cells**: code cells tagged ``explore`` (widgets) or ``exercise`` are not executed: they are left
  out of client reports anyway, and the widget cells were where kernels stalled (see below).
- **Deadline**: a monitor kills the kernel's process group when the notebook exceeds its timeout
  (kernel start included). nbclient notices the dead kernel within about a second, so a stalled
  notebook ends at the deadline instead of hanging the batch. Just before the kill the kernel is
  sent SIGUSR1, on which it writes every thread's stack to its log (``faulthandler``).
- **Lost wake-ups** (the cause of the ~600 s stalls): now and then a kernel finishes a cell (its
  outputs and its ``idle`` status arrive) but nbclient never reads its ``execute_reply``, and waits
  for it until the cell's timeout (600 s in ``notebook_tools``). The reply is there, unread, in
  the client's shell socket: the edge-triggered ``ZMQ_FD`` that wakes pyzmq's asyncio poller did
  not fire (pyzmq 27.3 / libzmq 4.3.5 / jupyter_client 8.10; it hit the widget cells, about 1 run
  in 30). Reading ``ZMQ_EVENTS`` on the client's loop re-arms the socket and delivers the reply at
  once, so the monitor does that after ``POKE_AFTER`` seconds without a message while a cell runs,
  and records each reply it finds waiting (``lost_wakeups``). If a kernel still sits idle
  ``STALL_GRACE`` seconds without a reply, the attempt is a stall: killed and retried.
- **Retries**: a kernel that fails to start (start-up timeout, address in use, dies before it is
  ready) is retried up to twice; a timeout, a stall or a kernel that dies mid-run is retried once;
  an exception raised by a cell is the notebook's answer and is not retried. Every attempt is
  recorded (``attempts``), with the cell that was running when a deadline or stall hit.
"""

from __future__ import annotations

import asyncio
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
START_RETRIES = 2  # extra attempts after a kernel start failure
RUN_RETRIES = 1  # extra attempts after a timeout or a kernel death mid-run
POKE_AFTER = 2.0  # seconds without a kernel message before the client's sockets are re-armed
STALL_GRACE = 20.0  # seconds a kernel may stay idle after a cell without that cell's execute_reply
SKIP_TAGS = frozenset({"explore", "exercise"})  # code cells not executed for a report
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
    """The kernel of one attempt, and a monitor that kills it at the deadline or on a lost reply."""

    deadline_s: float
    stall_grace_s: float = STALL_GRACE
    pgid: int | None = None
    pid: int | None = None
    kernel_ready_at: float | None = None
    idle_at: float | None = None  # the running cell's ``idle`` status came, its reply has not
    cell_started_at: float | None = None
    last_msg_at: float | None = None
    last_poke_at: float | None = None
    loop: Any = None  # the client's event loop
    lost_wakeups: list = field(default_factory=list)
    started_at: float = field(default_factory=time.perf_counter)
    fired: str | None = None  # "deadline" or "idle-without-reply"
    running_cell: int | None = None
    client: Any = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        threading.Thread(target=self._monitor, name="kpi-report-watch", daemon=True).start()
        with _ACTIVE_LOCK:
            _ACTIVE.add(self)

    def _monitor(self) -> None:
        while not self._stop.wait(0.25):
            now = time.perf_counter()
            if now - self.started_at >= self.deadline_s:
                self.fire("deadline")
                return
            idle = self.idle_at
            if idle is not None and now - idle >= self.stall_grace_s:
                self.fire("idle-without-reply")
                return
            started = self.cell_started_at
            if started is not None and self.loop is not None:
                quiet_since = max(started, self.last_msg_at or 0.0)
                if now - max(quiet_since, self.last_poke_at or 0.0) >= POKE_AFTER:
                    self.last_poke_at = now
                    try:
                        self.loop.call_soon_threadsafe(self.client._poke, now, now - quiet_since)
                    except RuntimeError:  # the loop is closed: the attempt is ending
                        pass

    def stop(self) -> None:
        self._stop.set()
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self)

    def fire(self, kind: str) -> None:
        with self._lock:
            if self.fired:
                return
            self.fired = kind
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
    """Kill the kernel of every attempt still running in this process (on interrupt or exit)."""
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
    from nbclient.exceptions import CellExecutionComplete
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
            self._watch.loop = asyncio.get_running_loop()
            self._watch.kernel_ready_at = time.perf_counter()
            return kc

        def _poke(self, scheduled_at: float, quiet_s: float) -> None:
            """On the client's loop: read ZMQ_EVENTS, which makes pyzmq handle a message left unread."""
            import zmq

            lag = time.perf_counter() - scheduled_at
            waiting = []
            for name in ("shell", "iopub"):
                sock = getattr(getattr(self.kc, f"{name}_channel", None), "socket", None)
                try:
                    if sock is not None and not sock.closed and sock.get(zmq.EVENTS) & zmq.POLLIN:
                        waiting.append(name)
                except zmq.ZMQError:
                    pass
            if waiting and lag < 0.5:  # a busy loop would explain a waiting message; an idle one does not
                # certain when the kernel had already said idle: nothing else was coming
                self._watch.lost_wakeups.append({"cell": _running_cell(self), "sockets": waiting,
                                                 "kernel_idle": self._watch.idle_at is not None,
                                                 "quiet_seconds": round(quiet_s, 1)})

        start_new_kernel_client = run_sync(async_start_new_kernel_client)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            w = self._watch
            w.idle_at, w.cell_started_at = None, time.perf_counter()
            try:
                return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            finally:
                w.idle_at = w.cell_started_at = None

        execute_cell = run_sync(async_execute_cell)

        async def async_wait_for_reply(self, msg_id, cell=None):
            w = self._watch
            if cell is None and w.cell_started_at is None:  # papermill's kernel_info after the last cell
                w.cell_started_at = time.perf_counter()
                try:
                    return await super().async_wait_for_reply(msg_id, cell)
                finally:
                    w.cell_started_at = None
            return await super().async_wait_for_reply(msg_id, cell)

        wait_for_reply = run_sync(async_wait_for_reply)

        def process_message(self, msg, cell, cell_index):
            self._watch.last_msg_at = time.perf_counter()
            try:
                return super().process_message(msg, cell, cell_index)
            except CellExecutionComplete:  # the cell's ``idle`` status: its reply should follow at once
                self._watch.idle_at = time.perf_counter()
                raise

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


def _report_notebook(source: str) -> tuple[nbformat.NotebookNode, list[int]]:
    """The course notebook without the cells a report does not run, and the kept cells' indexes."""
    nb = nbformat.read(source, as_version=4)
    kept = [i for i, c in enumerate(nb.cells)
            if not (c.cell_type == "code" and set(c.get("metadata", {}).get("tags", [])) & SKIP_TAGS)]
    nb.cells = [nb.cells[i] for i in kept]
    return nb, kept


def _source_index(nb: nbformat.NotebookNode | None, executed_index: int, kept: list[int]) -> int:
    """Index of a cell in the course notebook, from its index in the executed copy.

    papermill inserts an ``injected-parameters`` cell after the ``parameters`` cell, and the
    cells tagged ``explore``/``exercise`` were removed before execution.
    """
    index = executed_index
    if nb is not None:
        for i, cell in enumerate(nb.cells):
            if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
                index = executed_index - 1 if executed_index > i else executed_index
                break
    return kept[index] if 0 <= index < len(kept) else index


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


def _attempt(job: NotebookJob, number: int) -> dict[str, Any]:
    """One attempt: a dict with ``status`` ok | cell-error | timeout | start-failed | kernel-died | error
    (``error``: anything else once the kernel was up, such as an IOPub timeout)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out = Path(job.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    source, kept = _report_notebook(job.source)
    log_path = out.with_suffix(".kernel.log")
    ipc_dir = tempfile.mkdtemp(prefix="kpi-k-")  # short: a Unix socket path holds at most 107 bytes
    watch = _Watch(job.timeout)
    t0 = time.perf_counter()
    result: dict[str, Any] = {"attempt": number, "status": "ok"}
    nb = None
    watch.start()
    try:
        with open(log_path, "a", encoding="utf-8") as log_file:
            log_file.write(f"--- attempt {number}\n")
            log_file.flush()
            nb = pm.execute_notebook(
                source, str(out), parameters=job.parameters, engine_name=ENGINE, kernel_name="python3",
                progress_bar=False, request_save_on_cell_execute=False, start_timeout=job.start_timeout,
                execution_timeout=job.timeout, kernel_cwd=job.cwd, watch=watch, ipc_dir=ipc_dir, log_file=log_file)
    except PapermillExecutionError as exc:
        nb = getattr(watch.client, "nb", None)
        if watch.fired:
            result.update(status="timeout")
        else:
            index = _source_index(nb, exc.cell_index, kept)
            result.update(status="cell-error", ename=exc.ename, evalue=strip_ansi(str(exc.evalue)),
                          cell_index=index, cell_source=exc.source,
                          traceback=strip_ansi("\n".join(exc.traceback))[-4000:])
    except BaseException as exc:  # noqa: BLE001: every failure of an attempt is recorded, then judged
        if isinstance(exc, KeyboardInterrupt):
            raise
        nb = getattr(watch.client, "nb", None)
        ready = watch.kernel_ready_at is not None
        if watch.fired:
            status = "timeout"
        elif not ready:
            status = "start-failed"  # no kernel to talk to: start-up timeout, address in use, died at once
        else:
            status = "kernel-died" if type(exc).__name__ == "DeadKernelError" else "error"
        result.update(status=status, ename=type(exc).__name__, evalue=strip_ansi(str(exc))[:2000])
    finally:
        watch.stop()
        shutil.rmtree(ipc_dir, ignore_errors=True)
    seconds = time.perf_counter() - t0
    result["seconds"] = round(seconds, 3)
    result["kernel_start_seconds"] = (round(watch.kernel_ready_at - watch.started_at, 3)
                                      if watch.kernel_ready_at else None)
    result["cells_seconds"] = round(_cell_seconds(nb), 3)
    if watch.lost_wakeups:
        result["lost_wakeups"] = [{**w, "cell": None if w["cell"] is None else _source_index(nb, w["cell"], kept)}
                                  for w in watch.lost_wakeups]
    if result["status"] == "timeout":
        index = watch.running_cell
        src = None if index is None else _source_index(nb, index, kept)
        stage = ("kernel start" if watch.kernel_ready_at is None else f"cell {src}" if index is not None
                 else "after the last cell")
        if watch.fired == "idle-without-reply":
            message = (f"the kernel went idle after {stage} but its execute_reply never came "
                       f"(waited {watch.stall_grace_s:g} s); the kernel was killed")
        else:
            message = f"no result after {job.timeout:g} s (deadline, during {stage}); the kernel was killed"
        result.update(kind=watch.fired, message=message, cell_index=src, cell_source=_cell_source(nb, index),
                      stage=stage)
    if result["status"] != "ok":
        if nb is not None:  # the partial notebook of this attempt, for diagnosis
            try:
                nbformat.write(nb, out.with_name(f"{out.stem}.attempt{number}.ipynb"))
                if result["status"] != "cell-error":  # papermill already wrote it for a cell error
                    nbformat.write(nb, out)
            except Exception:  # a diagnostic, not a result
                pass
        result["kernel_log"] = _kernel_log_tail(log_path)
    return result


def run_notebook(job: NotebookJob) -> dict[str, Any]:
    """Execute ``job`` with its retries; return its status, timings, attempts and error."""
    _ensure_engine()
    attempts: list[dict[str, Any]] = []
    start_failures = run_failures = 0
    while True:
        res = _attempt(job, len(attempts) + 1)
        attempts.append(res)
        status = res["status"]
        if status == "start-failed" and start_failures < START_RETRIES:
            start_failures += 1
            time.sleep(0.5 * start_failures)
            continue
        if status in ("timeout", "kernel-died", "error") and run_failures < RUN_RETRIES:
            run_failures += 1
            continue
        break
    final = attempts[-1]
    out: dict[str, Any] = {
        "client": job.client_id, "notebook": Path(job.source).name, "status": "ok" if final["status"] == "ok" else "failed",
        "seconds": round(sum(a["seconds"] for a in attempts), 3),
        "kernel_start_seconds": final.get("kernel_start_seconds"), "cells_seconds": final.get("cells_seconds"),
        "attempts": attempts if len(attempts) > 1 or final["status"] != "ok" else [],
    }
    wakeups = [{"attempt": a["attempt"], **w} for a in attempts for w in a.get("lost_wakeups", [])]
    if wakeups:
        out["lost_wakeups"] = wakeups
    if final["status"] != "ok":
        out["error"] = {k: final.get(k) for k in ("status", "kind", "ename", "evalue", "message", "cell_index",
                                                   "cell_source", "stage", "traceback", "kernel_log") if final.get(k) is not None}
        out["error"]["notebook"] = out["notebook"]
    return out
