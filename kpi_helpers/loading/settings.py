"""Settings of a client (``client.yml``): read safely, checked, with the contract's defaults."""

from __future__ import annotations

import difflib
import functools
import re
import threading
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import duckdb

from ..contract import BACKENDS, DEFAULT_SETTINGS, TABLES
from ..errors import KpiInputError, Problem, brief
from ..safeyaml import load_yaml

__all__ = ["Settings", "check_settings", "read_settings", "known_timezones"]


@dataclass(frozen=True)
class Settings:
    """The settings of ``client.yml`` with the contract's defaults."""

    name: str
    timezone: str = "Europe/Paris"
    currency: str = "EUR"
    margin_rate: float | None = None
    product_page_pattern: str | None = None
    product_title_pattern: str | None = None
    language: str = "fr"
    backend: str = "duckdb"
    warehouse: dict | None = None

    def replace(self, **changes: Any) -> "Settings":
        values = {k: v for k, v in self.__dict__.items()}
        values.update({k: v for k, v in changes.items() if v is not None})
        return Settings(**values)


def check_settings(raw: Mapping[str, Any], *, file: str, default_name: str) -> tuple[Settings, list[Problem], list[Problem]]:
    """Validate the values of ``client.yml``; returns (settings, errors, warnings)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    values: dict[str, Any] = dict(DEFAULT_SETTINGS)
    for key, value in raw.items():
        if key not in DEFAULT_SETTINGS:
            close = difflib.get_close_matches(str(key), DEFAULT_SETTINGS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            warnings.append(Problem(f"unknown setting {brief(key)} ignored{hint}", file=file))
            continue
        if value is not None:
            values[key] = value
    if values["name"] is None:
        values["name"] = default_name
    values["name"] = str(values["name"])
    tz = values["timezone"]
    if str(tz) not in known_timezones():
        errors.append(Problem(f"unknown timezone {brief(tz)}", file=file, column="timezone",
                              expected="an IANA timezone name such as 'Europe/Paris'"))
        values["timezone"] = "Europe/Paris"
    cur = str(values["currency"])
    if not re.fullmatch(r"[A-Z]{3}", cur):
        errors.append(Problem(f"invalid currency {brief(cur)}", file=file, column="currency",
                              expected="an ISO 4217 code such as 'EUR'"))
    values["currency"] = cur
    mr = values["margin_rate"]
    if mr is not None:
        try:
            mr = float(str(mr).replace(",", "."))
        except ValueError:
            mr = None
        if mr is None or not 0 <= mr <= 1:
            errors.append(Problem(f"invalid margin_rate {brief(values['margin_rate'])}", file=file, column="margin_rate",
                                  expected="a fraction between 0 and 1, such as 0.35"))
            mr = None
        values["margin_rate"] = mr
    for key in ("product_page_pattern", "product_title_pattern"):
        pattern = values[key]
        if pattern is not None:
            problem = _regex_problem(str(pattern))
            if problem:
                errors.append(Problem(f"invalid regular expression {brief(pattern)}: {problem}", file=file, column=key))
                values[key] = None
            else:
                values[key] = str(pattern)
    lang = str(values["language"])
    if lang not in ("fr", "en"):
        errors.append(Problem(f"invalid language {brief(lang)}", file=file, column="language", expected="'fr' or 'en'"))
        lang = "fr"
    values["language"] = lang
    backend = str(values["backend"]).strip().lower()
    if backend not in BACKENDS:
        errors.append(Problem(f"invalid backend {brief(values['backend'])}", file=file, column="backend",
                              expected=" or ".join(BACKENDS)))
        backend = "duckdb"
    values["backend"] = backend
    warehouse = values["warehouse"]
    if warehouse is not None:
        tables = warehouse.get("tables") if isinstance(warehouse, dict) else None
        if not isinstance(tables, dict) or not tables or not all(isinstance(k, str) and k in TABLES and isinstance(v, str)
                                                                  and v.strip() for k, v in tables.items()):
            errors.append(Problem("invalid warehouse", file=file, column="warehouse",
                                  expected="a mapping with 'tables': {contract table: table name or Parquet path}, "
                                           f"tables among {', '.join(TABLES)}"))
            warehouse = None
        unknown = sorted(set(warehouse or {}) - {"tables", "project", "dataset", "database"})
        if unknown:
            errors.append(Problem(f"unknown warehouse keys {', '.join(map(brief, unknown))}", file=file, column="warehouse",
                                  expected="tables, project and dataset (BigQuery), database (DuckDB)"))
    elif backend == "bigquery":
        errors.append(Problem("backend bigquery needs the client's tables", file=file, column="warehouse",
                              expected="warehouse: {project: ..., dataset: ..., tables: {sessions: ..., ...}}"))
    values["warehouse"] = warehouse
    return Settings(**values), errors, warnings


_CHECKS = duckdb.connect()  # in memory, for the checks below only
_CHECKS_LOCK = threading.Lock()


def _query(sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a check query on the module's own in-memory connection, one thread at a time.

    Not DuckDB's default connection, which other code shares: the report runner reads clients from
    a pool of threads, and a connection busy in one thread refuses another's call ("connection is
    busy with another call") instead of waiting. Not a connection per thread either: a forked child
    (Spark's JVM is started by fork and exec) frees the other threads' locals, and with them their
    DuckDB connections, in a process whose DuckDB threads are gone (a segmentation fault)."""
    with _CHECKS_LOCK:
        return _CHECKS.execute(sql, params or []).fetchall()


@functools.cache
def known_timezones() -> frozenset[str]:
    """The IANA timezone names both Python and DuckDB know (Python also accepts file paths of its
    zoneinfo folder, such as ``posix/Europe/Paris``, ``right/UTC`` or ``localtime``, which DuckDB
    refuses)."""
    duck = {name for (name,) in _query("SELECT name FROM pg_timezone_names()")}
    return frozenset(duck & zoneinfo.available_timezones())


def _regex_problem(pattern: str) -> str | None:
    """None if DuckDB (RE2) accepts ``pattern``, else its complaint."""
    try:
        _query("SELECT regexp_matches('', ?)", [pattern])
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


def read_settings(folder: Path) -> tuple[Settings, list[Problem], list[Problem]]:
    path = folder / "client.yml"
    if not path.exists():
        alt = folder / "client.yaml"
        path = alt if alt.exists() else path
    if not path.exists():
        return Settings(name=folder.name), [], []
    try:
        raw = load_yaml(path, label=path.name) or {}
    except KpiInputError as exc:
        return Settings(name=folder.name), exc.problems, []
    if not isinstance(raw, dict):
        return Settings(name=folder.name), [Problem("must be a mapping of settings (key: value)", file=path.name)], []
    return check_settings(raw, file=path.name, default_name=folder.name)

