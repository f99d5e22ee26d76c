"""Run aggregate queries once per client connection and keep their (small) results.

A scorecard or a notebook asks the same question more than once: ``visitors`` is also the
denominator of ``conversion_rate``, every breakdown by channel first lists the channels of the
period, the overview and the theme notebooks show the same headline KPIs, and an analyst's widget
goes back to a segment it showed a minute ago. :func:`run` executes an Ibis expression and keeps
its result, keyed by the expression itself (Ibis expressions compare structurally: the same
question built twice is the same key, and nothing has to be compiled to look it up).

When is a kept result still right? CSV and Excel tables were copied into DuckDB when the client was
loaded: they cannot change. Parquet files are read where they are, so their modification time and
size are checked before each lookup: rewriting one drops every kept result of that connection.
Only results of up to :data:`MAX_ROWS` rows are kept, at most :data:`MAX_ENTRIES` of them (the
least recently used go first); callers get a copy, never the kept frame.

The same object keeps small derived tables (:meth:`QueryResults.table`): the valid orders joined
to their sessions, for instance, are needed by every KPI that splits orders by channel or device
or looks for the buyer's visitor; orders are few and sessions many, so the join is made once per
connection into a temporary table instead of once per query.

Results derived from queries can be kept too, by what they depend on rather than by an expression
(:func:`remember`, :func:`offer`): the visitor counts of a period and segment, and the channels and
devices they found, are asked for again by each breakdown of that period (Explore's chart under its
table) without building a query. ``run(expr, summarise=...)`` keeps a summary of rows too many to
keep themselves.

Connections that :mod:`kpi_helpers.loading` did not register (an Ibis table built elsewhere) are
simply executed.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Iterable

import ibis
import pandas as pd

__all__ = ["QueryResults", "offer", "register", "remember", "results_of", "run", "temp_table_name", "MAX_ENTRIES", "MAX_ROWS"]

MAX_ENTRIES = 256
MAX_ROWS = 10_000
_NAMES = itertools.count()


def temp_table_name(kind: str) -> str:
    """A name for a temporary table, never given twice in this process (kept results refer to
    tables by name: a dropped table's name must not come back with other rows)."""
    return f"_kpi_{kind}_{next(_NAMES)}"


class QueryResults:
    """The kept results of one connection, and the files whose change invalidates them."""

    def __init__(self, backend: Any, files: Iterable[Path] = ()):
        self._backend = weakref.ref(backend)
        self._tables: dict[str, ibis.Table] = {}  # key -> a temporary table
        self.files = tuple(Path(f) for f in files)
        self._kept: OrderedDict[Any, pd.DataFrame] = OrderedDict()
        self._signature: tuple | None = self._files_signature()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _files_signature(self) -> tuple:
        out = []
        for path in self.files:
            try:
                st = path.stat()
            except OSError:
                out.append((str(path), None, None))
            else:
                out.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def _check_files(self) -> None:
        """Drop what was kept if a Parquet file changed since (call with the lock held)."""
        signature = self._files_signature() if self.files else ()
        if signature != self._signature:
            from .loading import release

            self._kept.clear()
            for table in self._tables.values():
                release(self._backend(), table)
            self._tables.clear()
            self._signature = signature

    def table(self, key: str, build: Callable[[], ibis.Table]) -> ibis.Table:
        """A temporary table holding ``build()``'s rows, created once (per state of the files):
        for a small derived table that many queries would otherwise recompute from big ones."""
        from .loading import temp_table

        with self._lock:
            self._check_files()
            if key not in self._tables:
                self._tables[key] = temp_table(self._backend(), build(), key)
            return self._tables[key]

    def get(self, expr: ibis.Table, summarise: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> pd.DataFrame:
        """``expr``'s rows (``summarise``: what it makes of them), kept (see :func:`run`)."""
        key = expr.op() if summarise is None else (expr.op(), summarise)
        kept = self._lookup(key)
        if kept is not None:
            return kept
        frame = expr.to_pandas()
        if summarise is not None:
            frame = summarise(frame)
        with self._lock:
            self.misses += 1
            if len(frame) <= MAX_ROWS:
                self._keep(key, frame)
        return frame

    def _lookup(self, key: Any) -> pd.DataFrame | None:
        """A copy of what is kept under ``key`` (counted as a hit), or None."""
        with self._lock:
            self._check_files()
            kept = self._kept.get(key)
            if kept is None:
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return kept.copy()

    def _keep(self, key: Any, frame: pd.DataFrame) -> None:
        """Keep a copy of ``frame`` under ``key``, the least recently used beyond MAX_ENTRIES dropped
        (the caller holds the lock)."""
        self._kept[key] = frame.copy()
        while len(self._kept) > MAX_ENTRIES:
            self._kept.popitem(last=False)

    def kept(self, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """``compute()``, kept under ``key``: a frame derived from queries on this connection, named
        by what it depends on (``("segment values", period, channel, device)``), so that asking again
        builds no expression at all. Dropped with the rest when a Parquet file changes."""
        kept = self._lookup(key)
        if kept is not None:
            return kept
        frame = compute()
        with self._lock:
            self._keep(key, frame)
        return frame

    def offer(self, key: tuple, frame: pd.DataFrame) -> None:
        """Keep ``frame`` under ``key`` unless something is kept there already: a result another
        computation found on its way (see :meth:`kept`)."""
        with self._lock:
            self._check_files()
            if key not in self._kept:
                self._keep(key, frame)


#: The attribute of a backend that holds its kept results. On the backend itself, not in a module-level
#: table: the results hold expressions, which hold the backend, so a table of them kept every client's
#: connection (and its memory, and its cache entry's lock) alive until the process ended; attached to
#: the backend they form a cycle the garbage collector frees with it. (Not keyed by the backend either:
#: Ibis backends compare equal when they point to the same database, and every in-memory DuckDB
#: connection is ":memory:".)
_ATTRIBUTE = "_kpi_kept_results"


def register(backend: Any, files: Iterable[Path] = ()) -> QueryResults:
    """Keep the results of queries run on ``backend`` (``files``: Parquet files read in place)."""
    results = QueryResults(backend, files)
    setattr(backend, _ATTRIBUTE, results)
    return results


def results_of(backend: Any) -> QueryResults | None:
    """The kept results of ``backend`` (None when it was not registered)."""
    return getattr(backend, _ATTRIBUTE, None)


def remember(backend: Any, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``compute()``, kept per registered connection under ``key`` (see :meth:`QueryResults.kept`)."""
    results = results_of(backend)
    return compute() if results is None else results.kept(key, compute)


def offer(backend: Any, key: tuple, frame: pd.DataFrame) -> None:
    """Keep ``frame`` under ``key`` for ``backend`` unless already kept (see :meth:`QueryResults.offer`)."""
    results = results_of(backend)
    if results is not None:
        results.offer(key, frame)


def run(expr: ibis.Table, *, summarise: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> pd.DataFrame:
    """``expr.to_pandas()``, run once per registered connection (see the module docstring).

    ``summarise``: a function of the rows whose result is returned and kept instead of the rows
    (rows too many to keep, summed up in a few); it is part of the key, so it must compare equal
    when it does the same thing (a frozen dataclass, a module-level function).
    """
    try:
        backend = ibis.get_backend(expr)
    except Exception:  # an expression without a backend (literals only): nothing to keep
        backend = None
    results = results_of(backend) if backend is not None else None
    if results is None:
        frame = expr.to_pandas()
        return frame if summarise is None else summarise(frame)
    return results.get(expr, summarise)
