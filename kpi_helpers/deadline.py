"""A deadline for work done in this process: reading a client, hashing its files, its scorecard.

A kernel is a process the batch can kill at its deadline; work done in this process cannot be
killed, so it is bounded another way. :func:`within` opens a deadline for the current thread
(a context variable); code that loops checks it (:func:`check`, between chunks of a file being
hashed), and each DuckDB connection opened under it is handed to :func:`watch`, which interrupts
the connection's running query when the deadline passes. Either way the work ends with a
:class:`DeadlineExceeded` (not an OSError, as TimeoutError is: code that reports a file it cannot
read must not mistake a deadline for one).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from typing import Any, Iterator

__all__ = ["within", "check", "watch", "DeadlineExceeded"]


class DeadlineExceeded(RuntimeError):
    """The work went past its deadline."""


class _Deadline:
    def __init__(self, seconds: float, what: str):
        self.seconds, self.what = seconds, what
        self.at = time.monotonic() + seconds
        self.expired = False
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for con in connections:
            try:
                con.interrupt()
            except Exception:  # a closed connection has nothing to interrupt
                pass

    def watch(self, con: Any) -> None:
        with self._lock:
            self._connections.append(con)
            expired = self.expired
        if expired:
            con.interrupt()

    def error(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"{self.what} took longer than {self.seconds:g} s")

    def close(self) -> None:
        self._timer.cancel()


_CURRENT: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar("kpi_deadline", default=None)


@contextlib.contextmanager
def within(seconds: float | None, what: str) -> Iterator[None]:
    """Run the block under a deadline of ``seconds`` (None: no deadline); ``what`` names the work
    in the :class:`DeadlineExceeded` it raises (a DuckDB query interrupted by the deadline is
    turned into one)."""
    if seconds is None:
        yield
        return
    deadline = _Deadline(seconds, what)
    token = _CURRENT.set(deadline)
    try:
        yield
    except Exception as exc:
        if deadline.expired and not isinstance(exc, DeadlineExceeded):
            raise deadline.error() from exc
        raise
    finally:
        _CURRENT.reset(token)
        deadline.close()


def check() -> None:
    """Raise :class:`DeadlineExceeded` when the current deadline (if any) has passed."""
    deadline = _CURRENT.get()
    if deadline is not None and (deadline.expired or time.monotonic() > deadline.at):
        raise deadline.error()


def watch(con: Any) -> None:
    """Interrupt ``con`` (a DuckDB connection) when the current deadline (if any) passes."""
    deadline = _CURRENT.get()
    if deadline is not None:
        deadline.watch(con)
