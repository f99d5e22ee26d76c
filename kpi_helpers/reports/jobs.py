"""The batch's jobs that run in this process (in the worker pool): resolving a client and its scorecard.

Both run under a deadline (:mod:`kpi_helpers.deadline`): hashing stops between chunks of a file,
and the DuckDB queries of loading and of the scorecard are interrupted, when the batch's timeout
has passed; the client then fails with a message that says so, and the worker is free for the
other clients. Module-level functions with picklable arguments and results, the same in a thread
and in a worker process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from .. import deadline
from ..errors import KpiInputError
from .config import LAST_MONTH, ClientSpec
from .output import read_json

__all__ = ["REPORT_FORMAT", "MANIFEST", "kit_fingerprint", "data_fingerprint", "resolve_client", "scorecard_job",
           "parameters", "period_name", "complete"]

REPORT_FORMAT = 1  # bump when the report's layout changes: every report is rebuilt
MANIFEST = "manifest.json"


# ----------------------------------------------------------------------------------------------
# Fingerprints (the incremental key)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            deadline.check()
    return h.hexdigest()


def kit_fingerprint() -> str:
    """The kit's version and a hash of its code and data files (a fix in a KPI redoes the reports)."""
    from .. import __version__

    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"{__version__}|{REPORT_FORMAT}".encode())
    for p in sorted(pkg.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".yml", ".yaml", ".json", ".css", ".html") and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(pkg)).encode())
            h.update(_sha256_file(p).encode())
    return f"{__version__}+{h.hexdigest()[:16]}"


def data_fingerprint(folder: Path) -> str:
    """A hash of the client folder's files (names and contents; hidden files ignored)."""
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith("."):
            h.update(p.name.encode() + b"\0" + _sha256_file(p).encode() + b"\0")
    return h.hexdigest()


def period_name(start: dt.date, end: dt.date) -> str:
    month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if start.day == 1 and end == month_end:
        return f"{start:%Y-%m}"
    return f"{start.isoformat()}_{end.isoformat()}"


def parameters(spec: ClientSpec, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The notebooks' parameters (the names of their ``parameters`` cell)."""
    return {"client_dir": str(spec.folder), "start": start.isoformat(), "end": end.isoformat(), "compare": spec.compare,
            "channel": None, "device": None, "language": spec.language, "margin_rate": spec.margin_rate}


def _key(spec: ClientSpec, start: dt.date, end: dt.date, kit: str, data: str, notebooks: dict[str, str],
         pdf: bool) -> str:
    payload = {"kit": kit, "data": data, "notebooks": notebooks, "parameters": parameters(spec, start, end),
               "name": spec.name, "pdf": pdf}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def complete(folder: Path, manifest: dict) -> bool:
    return all((folder / f).is_file() for f in (manifest.get("html"), manifest.get("pdf")) if f)


# ----------------------------------------------------------------------------------------------
# Jobs


def resolve_client(spec: ClientSpec, output: str, kit: str, force: bool, pdf: bool, timeout: float | None = None
                   ) -> dict[str, Any]:
    """Hash the client's data and notebooks, find its period, and say whether it must run (all
    within ``timeout`` seconds)."""
    t0 = time.perf_counter()
    try:
        with deadline.within(timeout, "reading the client's data"):
            return _resolve(spec, output, kit, force, pdf, t0)
    except deadline.DeadlineExceeded as exc:
        return {"status": "failed", "error": {"message": f"{exc} (the batch's timeout); the client was left out"},
                "seconds": time.perf_counter() - t0}


def _resolve(spec: ClientSpec, output: str, kit: str, force: bool, pdf: bool, t0: float) -> dict[str, Any]:
    out = Path(output) / spec.id
    if not spec.folder.is_dir():
        return {"status": "failed", "error": {"message": f"client folder not found: {spec.folder}"},
                "seconds": time.perf_counter() - t0}
    try:
        data = data_fingerprint(spec.folder)
        notebooks = {p.name: _sha256_file(p) for p in spec.notebooks}
    except OSError as exc:
        return {"status": "failed", "error": {"message": f"cannot read {exc.filename}: {exc.strerror}"},
                "seconds": time.perf_counter() - t0}
    base = {"data_hash": data, "notebook_hashes": notebooks}
    if not force and spec.period == LAST_MONTH and out.is_dir():
        # unchanged data: the last full month is the one found last time; no need to load the client
        for d in sorted(out.iterdir(), reverse=True):
            m = read_json(d / MANIFEST) if d.is_dir() and not d.name.startswith(".") else None
            if m and m.get("status") == "ok" and m.get("data_hash") == data and complete(d, m):
                start, end = dt.date.fromisoformat(m["start"]), dt.date.fromisoformat(m["end"])
                if m.get("key") == _key(spec, start, end, kit, data, notebooks, pdf):
                    return {**base, "status": "skip", "start": m["start"], "end": m["end"], "period": d.name,
                            "key": m["key"], "seconds": time.perf_counter() - t0}
    from ..loading import load_client
    from ..scorecard import default_period

    try:
        client = load_client(spec.folder)
        if spec.period == LAST_MONTH:
            p = default_period(client)
            start, end = p.start, p.end
        else:
            start, end = spec.period  # type: ignore[misc]
        currency = client.settings.currency
    except KpiInputError as exc:
        return {**base, "status": "failed", "error": {"message": exc.render()}, "seconds": time.perf_counter() - t0}
    except deadline.DeadlineExceeded:
        raise
    except Exception as exc:  # noqa: BLE001: any failure to read a client is that client's failure
        return {**base, "status": "failed", "error": {"message": f"{type(exc).__name__}: {exc}"},
                "seconds": time.perf_counter() - t0}
    key = _key(spec, start, end, kit, data, notebooks, pdf)
    period = period_name(start, end)
    m = read_json(out / period / MANIFEST)
    status = "skip" if (not force and m and m.get("key") == key and m.get("status") == "ok"
                        and complete(out / period, m)) else "run"
    return {**base, "status": status, "start": start.isoformat(), "end": end.isoformat(), "period": period,
            "key": key, "currency": currency, "seconds": time.perf_counter() - t0}


def scorecard_job(folder: str, start: str, end: str, margin_rate: float | None, timeout: float | None = None
                  ) -> dict[str, Any]:
    """The client's scorecard for the period (headline KPIs of the index), within ``timeout`` seconds."""
    from ..loading import load_client
    from ..scorecard import scorecard

    t0 = time.perf_counter()
    with deadline.within(timeout, "the scorecard"):
        client = load_client(folder)
        card = scorecard(client, start=start, end=end, margin_rate=margin_rate)
    return {"card": card, "currency": client.settings.currency, "seconds": round(time.perf_counter() - t0, 3)}
