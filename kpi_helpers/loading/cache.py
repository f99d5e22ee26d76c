"""A client folder validated once: what validation found, kept against the files' size, time and hash.

Validating a folder reads every row (10M sessions: seconds; 100M: half a minute). When the folder
has not changed since, loading it again only needs what validation concluded: for each table, the
typed view over a Parquet file (the SQL of its view), or the typed rows of a CSV or Excel file
already written as Parquet; the columns it provided; the warnings; each table's first and last
local date and number of rows. That is an *entry* of this cache, one per client folder, in
``$KPI_CACHE_DIR`` (default ``$XDG_CACHE_HOME/kpi-kit``, else ``~/.cache/kpi-kit``), never in the
client folder (which may be read-only, shared or under version control). ``KPI_CACHE=off``
disables it.

An entry is used only when every source file (and ``client.yml``) has the same size, modification
time, inode and *quick hash* (SHA-256 of the size and the first and last MiB) as when it was
written, and the kit's loader is the same (:data:`FORMAT`). It is written aside and renamed into
place; while one process writes it (a lock), others load without it. At most :data:`MAX_ENTRIES`
entries are kept, the least recently used go first.

An entry in use is never removed: a client loaded from it holds a shared lock on the entry's
``.in-use`` file for as long as its connection lives (:func:`hold`), and replacing or evicting an
entry first takes that lock exclusively, without waiting; an entry in use is left in place (its
replacement is then not kept). Without this, a long-lived client (an analyst's notebook, a test
session) lost its tables when another process loaded enough other folders to evict its entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import weakref
from pathlib import Path
from typing import Any, Iterator

from ..errors import Problem

__all__ = ["FORMAT", "MAX_ENTRIES", "enabled", "cache_root", "entry_dir", "signature", "read_entry", "writing",
           "problems_to_json", "problems_from_json", "hold", "in_use"]

IN_USE = ".in-use"

FORMAT = 3  # bump when what validation concludes, or how it is written, changes
MAX_ENTRIES = 64
_CHUNK = 1 << 20


def enabled() -> bool:
    return os.environ.get("KPI_CACHE", "on").strip().lower() not in ("off", "0", "no", "false")


def cache_root() -> Path:
    root = os.environ.get("KPI_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kpi-kit"


def entry_dir(folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]
    return cache_root() / "clients" / key


def _quick_hash(path: Path, size: int) -> str:
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(_CHUNK))
        if size > 2 * _CHUNK:
            fh.seek(size - _CHUNK)
            h.update(fh.read(_CHUNK))
    return h.hexdigest()


def signature(paths: list[Path]) -> dict[str, list]:
    """{file name: [size, mtime_ns, inode, quick hash]} of ``paths`` (absent ones: None)."""
    out: dict[str, Any] = {}
    for path in sorted(paths):
        try:
            st = path.stat()
            out[path.name] = [st.st_size, st.st_mtime_ns, st.st_ino, _quick_hash(path, st.st_size)]
        except OSError:
            out[path.name] = None
    return out


def problems_to_json(problems: list[Problem]) -> list[dict]:
    return [dataclasses.asdict(p) for p in problems]


def problems_from_json(items: list[dict]) -> list[Problem]:
    return [Problem(**{**p, "examples": tuple(tuple(e) for e in p.get("examples") or ())}) for p in items]


def hold(entry: Path, owner: Any) -> bool:
    """Keep ``entry`` from being replaced or evicted while ``owner`` (a client's connection) lives:
    a shared lock on its ``.in-use`` file, released when ``owner`` is garbage-collected or the
    process ends. False when the entry is gone or is being checked for eviction at this instant."""
    try:
        fh = open(entry / IN_USE, "a")
    except OSError:
        return False
    try:  # never waits: the exclusive lock is only ever tried without waiting, for an instant
        fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:  # being checked for eviction right now: validate the folder again instead
        fh.close()
        return False
    weakref.finalize(owner, fh.close)
    return True


def in_use(entry: Path) -> bool:
    """Whether a client (of this process or another) holds ``entry`` (see :func:`hold`)."""
    try:
        fh = open(entry / IN_USE, "a")
    except OSError:
        return False
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        fh.close()
    return False


def read_entry(folder: Path, sig: dict, settings_key: str) -> tuple[Path, dict] | None:
    """(entry folder, manifest) when the folder's entry matches ``sig`` and ``settings_key``; the
    caller holds the entry (:func:`hold`) before reading its files."""
    if not enabled():
        return None
    entry = entry_dir(folder)
    try:
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (manifest.get("format") != FORMAT or manifest.get("signature") != sig
            or manifest.get("settings") != settings_key or manifest.get("folder") != str(folder.resolve())):
        return None
    try:
        os.utime(entry / "manifest.json")  # recently used
    except OSError:
        pass
    return entry, manifest


@contextlib.contextmanager
def writing(folder: Path) -> Iterator[Path | None]:
    """A fresh folder to write the entry of ``folder`` into (None when the cache is off or another
    process is writing it); renamed into place when the block ends without an exception."""
    if not enabled():
        yield None
        return
    entry = entry_dir(folder)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        lock = open(entry.parent / f".{entry.name}.lock", "w")
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield None
            return
        build = entry.parent / f".{entry.name}.{secrets.token_hex(4)}"
        build.mkdir()
        try:
            yield build
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        if entry.exists() and in_use(entry):  # a client reads it: it stays, this result is not kept
            shutil.rmtree(build, ignore_errors=True)
            return
        old = entry.parent / f".{entry.name}.old-{secrets.token_hex(4)}"
        if entry.exists():
            os.rename(entry, old)
        os.rename(build, entry)
        shutil.rmtree(old, ignore_errors=True)
        _evict(entry.parent)
    finally:
        lock.close()


def _evict(clients: Path) -> None:
    entries = [p for p in clients.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(entries) <= MAX_ENTRIES:
        return

    def used(p: Path) -> float:
        try:
            return (p / "manifest.json").stat().st_mtime
        except OSError:
            return 0.0

    idle = [p for p in sorted(entries, key=used) if not in_use(p)]
    for p in idle[: len(entries) - MAX_ENTRIES]:
        shutil.rmtree(p, ignore_errors=True)


def today_iso(timezone: str) -> str:
    import zoneinfo

    return dt.datetime.now(zoneinfo.ZoneInfo(timezone)).date().isoformat()
