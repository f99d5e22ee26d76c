"""Two interchangeable worker pools: threads (the default) and processes.

Either way each notebook runs in its own kernel process; the pool only decides where the
papermill client that drives a kernel lives. Both return :class:`concurrent.futures.Future`
objects whose ``started_at`` (``time.perf_counter()``) is set when a worker takes the job, so
the batch can tell a job that runs past its deadline from one still waiting for a worker. A
job can be abandoned on its own (its worker is replaced, or left to finish while the others go
on), and the whole pool can be: threads are daemons (a stuck one cannot keep the batch alive)
and worker processes are terminated, killing the kernels they started (``benchmarks/REPORTS.md``
compares the two).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

from .execute import kill_active_kernels

__all__ = ["ThreadPool", "ProcessPool", "make_pool", "default_workers", "EXECUTORS"]

EXECUTORS = ("threads", "processes")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class ThreadPool:
    def __init__(self, workers: int):
        self._queue: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        for _ in range(workers):
            self._add_worker()

    def _add_worker(self) -> None:
        th = threading.Thread(target=self._loop, name=f"kpi-report-{len(self._threads)}", daemon=True)
        self._threads.append(th)
        th.start()

    def abandon(self, fut: Future) -> None:
        """Leave ``fut``'s thread to itself (a daemon) and start another worker in its place."""
        self._add_worker()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fut, fn, args = item
            if not fut.set_running_or_notify_cancel():
                continue
            fut.started_at = time.perf_counter()
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001: handed to the caller through the future
                fut.set_exception(exc)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        fut: Future = Future()
        self._queue.put((fut, fn, args))
        return fut

    def shutdown(self, *, abandon: bool = False) -> None:
        if abandon:
            kill_active_kernels()
        for _ in self._threads:
            self._queue.put(None)
        if not abandon:
            for th in self._threads:
                th.join()


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us

    def on_term(signum, frame):  # terminate(): take our kernels down with us
        kill_active_kernels()
        os._exit(1)

    signal.signal(signal.SIGTERM, on_term)


class ProcessPool:
    """A pool of worker processes fed one job per free worker (so ``started_at`` is when a worker
    took the job, not when it was queued)."""

    def __init__(self, workers: int):
        self._pool = mp.get_context("spawn").Pool(workers, initializer=_worker_init)
        self._free = threading.Semaphore(workers)
        self._queue: queue.Queue = queue.Queue()
        self._closed = False
        threading.Thread(target=self._feed, name="kpi-report-feed", daemon=True).start()

    def _feed(self) -> None:
        while True:
            self._free.acquire()
            item = self._queue.get()
            if item is None:
                return
            fut, fn, args = item
            fut.set_running_or_notify_cancel()
            fut.started_at = time.perf_counter()

            def done(result, fut=fut):
                self._free.release()
                fut.set_result(result)

            def failed(exc, fut=fut):
                self._free.release()
                fut.set_exception(exc)

            self._pool.apply_async(fn, args, callback=done, error_callback=failed)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        fut: Future = Future()
        self._queue.put((fut, fn, args))
        return fut

    def abandon(self, fut: Future) -> None:
        """A job whose worker does not return: its slot stays taken; the other workers go on."""

    def shutdown(self, *, abandon: bool = False) -> None:
        self._queue.put(None)
        self._free.release()
        if abandon:
            self._pool.terminate()
        else:
            self._pool.close()
        self._pool.join()


def make_pool(executor: str, workers: int) -> ThreadPool | ProcessPool:
    if executor == "processes":
        return ProcessPool(workers)
    return ThreadPool(workers)
