"""The report folder: owned, locked, written atomically.

``kpi report`` writes only into a folder it created. The first batch writes a marker file
(:data:`MARKER`) at the folder's root; a later batch accepts the folder only when the marker is
there (or the folder is new or empty, or holds an earlier batch's ``run.json``). Any other
folder, a client folder that is a plain file or a symbolic link, or a folder that cannot be
written (read-only, full disk) is refused with exit status 2 before anything is written.

Every file is written beside its destination under a hidden temporary name and renamed into
place; a failed write leaves no temporary file behind. A client's run is built in a hidden
folder and swapped into place when complete (:func:`swap_into_place`).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import IO, Any

from ..errors import KpiInputError, Problem

__all__ = ["MARKER", "claim_output", "lock_output", "cannot_write", "write_text", "write_json", "read_json",
           "swap_into_place"]

MARKER = ".kpi-report"
LOCK = ".kpi-report.lock"


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed into place, removed on failure)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def cannot_write(folder: Path, exc: OSError) -> KpiInputError:
    """The error for a write into ``folder`` that failed (full disk, read-only, permissions)."""
    reason = {errno.ENOSPC: "the disk is full", errno.EROFS: "it is on a read-only file system",
              errno.EACCES: "permission denied", errno.EDQUOT: "the disk quota is exceeded"}.get(exc.errno, exc.strerror)
    return KpiInputError(Problem(f"cannot write into the report folder: {reason}", file=str(folder),
                                 expected="a folder this user can write to, on a disk with free space"))


def _earlier_batch(folder: Path) -> bool:
    """An earlier batch's output (from before the marker existed): its run.json names the kit."""
    run = read_json(folder / "run.json")
    return isinstance(run, dict) and str(run.get("kit", "")).startswith("0.") and isinstance(run.get("runs"), list)


def claim_output(folder: Path, client_ids: list[str]) -> None:
    """Make sure ``folder`` is a report folder the kit may write into, and mark it.

    Raises :class:`KpiInputError` (exit status 2) for a folder that is a file, a folder that holds
    anything else than earlier reports, a client folder that is not a plain folder, and a folder
    that cannot be written.
    """
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise KpiInputError(Problem("the report folder is a file or a symbolic link", file=str(folder),
                                    expected="a folder created by kpi report, or a new or empty folder"))
    if folder.is_dir() and not (folder / MARKER).is_file():
        entries = [p.name for p in folder.iterdir()]
        if entries and not _earlier_batch(folder):
            raise KpiInputError(Problem(
                f"the report folder already holds {len(entries)} entr{'ies' if len(entries) > 1 else 'y'} that "
                "kpi report did not write; refused, to leave them untouched", file=str(folder),
                expected=f"a folder created by kpi report (it holds a {MARKER} file), or a new or empty folder"))
    bad = []
    for cid in client_ids:
        p = folder / cid
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            bad.append(Problem("is a file or a symbolic link where the client's reports go; refused",
                               file=str(p), expected="a folder created by kpi report, or nothing"))
    if bad:
        raise KpiInputError(bad, header=f"cannot write the reports into {folder}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / MARKER, {"written_by": "kpi-kit", "what": "client reports (kpi report)"})
    except OSError as exc:
        raise cannot_write(folder, exc) from None


def lock_output(folder: Path) -> IO:
    """An exclusive lock on the report folder (one batch at a time); the open lock file."""
    try:
        fh = open(folder / LOCK, "w")
    except OSError as exc:
        raise cannot_write(folder, exc) from None
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise KpiInputError(Problem(f"another 'kpi report' is writing to {folder}; wait for it to finish")) from None
    return fh


def _renameat2_exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_into_place(build: Path, final: Path) -> None:
    """Make ``build`` the content of ``final`` atomically (``final`` never missing or half-written)."""
    if not final.exists():
        os.rename(build, final)
        return
    if _renameat2_exchange(build, final):
        shutil.rmtree(build, ignore_errors=True)  # now the previous report
        return
    old = final.with_name(f".old-{final.name}-{secrets.token_hex(4)}")
    os.rename(final, old)  # fallback (no renameat2): a short window without the folder
    os.rename(build, final)
    shutil.rmtree(old, ignore_errors=True)
