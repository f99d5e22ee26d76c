"""The loaded client, and the entry points: :func:`load_client`, :func:`client_from_frames`, :func:`as_client`.

A :class:`Client` holds the client's tables as Ibis expressions on one backend, its settings, the
warnings found while loading and the source of each table. Loading validates with DuckDB
(:mod:`.reading`, :mod:`.checks`); the tables then live on DuckDB.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import ibis
import pandas as pd

from .. import deadline
from ..contract import LOCAL_DATE, TABLE_NAMES, TABLES
from ..errors import KpiInputError, Problem
from ..results import register as _keep_results
from ._text import lit, q
from . import cache
from .checks import DUCK_TYPE, build_table, future_warnings, reference_warnings
from .reading import Reader, SourceFile, discover, normalize_header, raw_export_problem
from .settings import Settings, check_settings, read_settings

__all__ = ["Client", "load_client", "client_from_frames", "as_client", "temp_table", "release"]


@dataclass
class Client:
    """A client's tables as Ibis expressions on one DuckDB connection, plus its settings.

    ``tables`` holds only the tables the client provided; ``provided`` lists, per table, the
    columns that were in the input (missing optional columns exist in the tables as nulls, or
    with their contract default, so that expressions compile the same for every client).
    """

    settings: Settings
    con: Any  # ibis DuckDB backend
    tables: dict[str, ibis.Table]
    provided: dict[str, frozenset[str]]
    sources: dict[str, SourceFile] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    path: Path | None = None
    #: per table, (first local date, last local date, rows), when the loader knows them (None: computed on demand)
    stats: dict[str, tuple[dt.date | None, dt.date | None, int]] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def fast_paths(self) -> bool:
        """Whether DuckDB-only formulations may be used (the client's tables are on DuckDB)."""
        return getattr(self.con, "name", None) == "duckdb"

    @property
    def timezone(self) -> str:
        return self.settings.timezone

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether ``table`` was provided (and, with ``column``, whether that column was)."""
        if table not in self.tables:
            return False
        return column is None or column in self.provided.get(table, frozenset())

    def table(self, name: str) -> ibis.Table:
        """The Ibis table ``name``; a :class:`KpiInputError` if the client did not provide it."""
        if name not in self.tables:
            raise KpiInputError(Problem(f"the {name} table is not provided", file=str(self.path or self.name)))
        return self.tables[name]

    def __getitem__(self, name: str) -> ibis.Table:
        return self.table(name)

    def summary(self) -> pd.DataFrame:
        """One row per table: file, format, rows, first and last local date."""
        if self.stats is None:
            self.stats = table_stats(self.tables)
        rows = []
        for name in self.tables:
            first, last, n = self.stats[name]
            src = self.sources.get(name)
            rows.append({
                "table": name,
                "file": src.label if src else name,
                "format": src.describe() if src else "",
                "rows": int(n),
                "first_date": first,
                "last_date": last,
            })
        return pd.DataFrame(rows, columns=["table", "file", "format", "rows", "first_date", "last_date"])

    def date_range(self, *, through: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
        """First and last local date over every table (None, None when all are empty); with
        ``through``, rows dated after it are left out (a typo dated 2062 does not move the period)."""
        if self.stats is None:
            self.stats = table_stats(self.tables)
        firsts, lasts = [], []
        for name, (first, last, _) in self.stats.items():
            if first is None:
                continue
            if through is not None and last > through:  # some rows after it: ask the table
                table = self.tables[name]
                day = table[LOCAL_DATE]
                end = table.end_date.fill_null(day) if "end_date" in table.columns else day
                table = table.filter(end <= through)
                end = table.end_date.fill_null(table[LOCAL_DATE]) if "end_date" in table.columns else table[LOCAL_DATE]
                first, last = (None if pd.isna(d) else pd.Timestamp(d).date()
                               for d in table.aggregate(first=table[LOCAL_DATE].min(), last=end.max()).to_pandas().iloc[0])
                if first is None:
                    continue
            firsts.append(first)
            lasts.append(last)
        return (min(firsts), max(lasts)) if firsts else (None, None)

    def rows(self, table: str) -> int:
        """The number of rows of ``table`` (0 when not provided)."""
        if table not in self.tables:
            return 0
        if self.stats is None:
            self.stats = table_stats(self.tables)
        return self.stats[table][2]

    def today(self) -> dt.date:
        """Today's date in the client's timezone."""
        return dt.datetime.now(zoneinfo.ZoneInfo(self.timezone)).date()

    def with_settings(self, **changes: Any) -> "Client":
        """The same tables with some settings replaced (None leaves a setting as it is)."""
        if "timezone" in changes and changes["timezone"] not in (None, self.timezone):
            raise ValueError("the timezone of a loaded client cannot be changed; reload it")
        return Client(self.settings.replace(**changes), self.con, self.tables, self.provided,
                      self.sources, self.warnings, self.path, self.stats)



def table_stats(tables: Mapping[str, ibis.Table]) -> dict[str, tuple[dt.date | None, dt.date | None, int]]:
    """Per table, its first and last local date (None for an empty table) and its number of rows."""
    out = {}
    for name, table in tables.items():
        day = table[LOCAL_DATE]
        # aggregated tables (traffic, search_terms): a row covers date .. end_date
        last = table.end_date.fill_null(day).max() if "end_date" in table.columns else day.max()
        row = table.aggregate(first=day.min(), last=last, n=table.count()).to_pandas().iloc[0]
        first, last = (None if pd.isna(d) else pd.Timestamp(d).date() for d in (row["first"], row["last"]))
        out[name] = (first, last, int(row["n"]))
    return out


def temp_table(backend: Any, expr: ibis.Table | list[ibis.Table], kind: str = "t") -> ibis.Table:
    """``expr``'s rows (or the rows of a list of expressions of one schema, in turn) kept on
    ``backend`` until :func:`release`: a temporary table on DuckDB (whose connection Ibis' ``cache``
    does not serve with DuckDB 2.0; a list is inserted part by part, each within the memory limit),
    Ibis' ``cache`` elsewhere (a persisted DataFrame on Spark, a session table on BigQuery)."""
    exprs = expr if isinstance(expr, list) else [expr]
    try:
        ibis.get_backend(exprs[0])
    except Exception:  # an expression that is only compiled (no backend to keep rows on)
        return ibis.union(*exprs) if len(exprs) > 1 else exprs[0]
    if getattr(backend, "name", None) == "duckdb":
        from ..results import temp_table_name

        name = temp_table_name(kind)
        backend.con.execute(f"CREATE TEMP TABLE {q(name)} AS {backend.compile(exprs[0])}")
        for more in exprs[1:]:
            backend.con.execute(f"INSERT INTO {q(name)} {backend.compile(more)}")
        return backend.table(name)
    return (ibis.union(*exprs) if len(exprs) > 1 else exprs[0]).cache()


def release(backend: Any, table: ibis.Table) -> None:
    """Drop what :func:`temp_table` kept."""
    try:
        ibis.get_backend(table)
    except Exception:  # only compiled: nothing was kept
        return
    if getattr(backend, "name", None) == "duckdb":
        backend.con.execute(f"DROP TABLE IF EXISTS {q(table.get_name())}")
    else:
        table.release()


#: DuckDB's memory for one client (``KPI_MEMORY_LIMIT``, e.g. ``4GB``): beyond it, joins, sorts and
#: aggregations spill to a temporary folder, so 100M sessions are counted in a bounded memory
MEMORY_LIMIT = "1GB"


def _spill_dir() -> Path:
    """This process's folder for DuckDB's spilled data (removed at exit)."""
    global _SPILL
    if _SPILL is None:
        import atexit
        import shutil

        _SPILL = Path(tempfile.mkdtemp(prefix="kpi-spill-"))
        atexit.register(shutil.rmtree, _SPILL, True)
    return _SPILL


_SPILL: Path | None = None


def _connect(timezone: str):
    """A new in-process DuckDB for one client: its timezone, a memory limit, a folder to spill to."""
    backend = ibis.duckdb.connect()
    con = backend.con
    con.execute(f"SET TimeZone = {lit(timezone)}")
    con.execute(f"SET memory_limit = {lit(os.environ.get('KPI_MEMORY_LIMIT', MEMORY_LIMIT))}")
    con.execute(f"SET temp_directory = {lit(str(_spill_dir()))}")
    con.execute("SET enable_progress_bar = false")  # a long validation prints nothing on a terminal
    deadline.watch(con)  # a query past the current deadline (if any) is interrupted
    return backend


def load_client(path: str | Path, **settings: Any) -> Client:
    """Read a client folder into typed Ibis tables, validated on a new in-process DuckDB connection.

    Parameters
    ----------
    path
        The client folder (``sessions.csv``, ``orders.parquet``, ... and an optional ``client.yml``).
    **settings
        Values that replace those of ``client.yml`` (``margin_rate=0.4``, ``language="en"``,
        ``backend="pyspark"``...); None leaves a setting as it is. With ``backend="pyspark"`` the
        validated tables are handed to Spark (:mod:`.backends`) and the KPIs run there.

    Returns
    -------
    Client
        Tables (only those provided), settings, warnings (unknown files, orders pointing to unknown
        sessions) and the source of each table.

    Raises
    ------
    KpiInputError
        Listing every problem found: missing required columns, unparseable timestamps or numbers
        (with their rows and values), negative amounts, duplicated ids, empty or unreadable files,
        an empty folder or a folder that is not there.
    """
    from ..paths import resolve_client_dir

    folder = resolve_client_dir(path)
    cfg, errors, warnings = read_settings(folder) if folder.is_dir() else (Settings(name=folder.name), [], [])
    cfg = cfg.replace(**{k: v for k, v in settings.items() if k != "timezone"})
    if settings.get("timezone"):
        cfg = cfg.replace(timezone=settings["timezone"])
    if any(settings.get(k) is not None for k in ("margin_rate", "language", "backend")):
        cfg, more, _ = check_settings({k: v for k, v in cfg.__dict__.items()}, file="parameters", default_name=cfg.name)
        errors += more
    if cfg.warehouse and not errors:
        return _from_warehouse(cfg, folder, warnings)
    found, more_errors, more_warnings = discover(folder)
    errors, warnings = more_errors + errors, more_warnings + warnings
    sig = None
    if not errors:
        sig = cache.signature([src.path for src in found.values()] + [folder / "client.yml", folder / "client.yaml"])
        hit = cache.read_entry(folder, sig, cfg.timezone)
        client = _from_cache(cfg, folder, found, warnings, *hit) if hit is not None else None
        if client is not None:
            return _on_backend(client)
    backend = _connect(cfg.timezone)
    duck = backend.con
    provided: dict[str, frozenset[str]] = {}
    with tempfile.TemporaryDirectory(prefix="kpi-load-") as tmp:
        reader = Reader(duck, Path(tmp))
        for table, src in found.items():
            deadline.check()
            try:
                rel, prefix = getattr(reader, src.fmt.replace("csv.gz", "csv"))(src)
                cols, problems = build_table(duck, TABLES[table], src, rel, prefix, materialize=src.fmt != "parquet")
            except KpiInputError as exc:
                problems, cols = exc.problems, frozenset()
            if problems and src.fmt != "parquet":
                raw = raw_export_problem(src.path, src.label, folder)
                problems = [raw] if raw is not None else problems
            errors += problems
            if not problems:
                provided[table] = cols
    if errors:
        raise KpiInputError(errors, header=f"cannot use client folder {folder}: {len(errors)} problem"
                                           f"{'s' if len(errors) > 1 else ''}")
    references = reference_warnings(duck, set(provided), found)
    future = future_warnings(duck, set(provided), found)
    tables = {t: backend.table(t) for t in TABLE_NAMES if t in provided}
    stats = table_stats(tables)
    with cache.writing(folder) as entry:
        if entry is not None:
            _write_cache(entry, duck, folder, found, provided, sig, cfg.timezone, references, future, stats)
    _keep_results(backend, [src.path for src in found.values() if src.fmt == "parquet"])
    return _on_backend(Client(cfg, backend, tables, provided, found, warnings + references + future, folder, stats))


def _on_backend(client: Client) -> Client:
    """The client on the backend its settings name (DuckDB's own tables, or handed to Spark)."""
    if client.settings.backend == "pyspark":
        from .backends import on_pyspark

        return on_pyspark(client)
    return client


def _write_cache(entry: Path, duck: Any, folder: Path, found: dict[str, SourceFile], provided: dict[str, frozenset[str]],
                 sig: dict, timezone: str, references: list[Problem], future: list[Problem],
                 stats: dict[str, tuple]) -> None:
    """What validation concluded, for :func:`_from_cache`: the typed views over Parquet files (their
    SQL), the typed rows of the other files (as Parquet), provided columns, warnings, date bounds and rows."""
    views = dict(duck.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
    tables = {}
    for name, cols in provided.items():
        src = found[name]
        meta: dict[str, Any] = {"provided": sorted(cols), "encoding": src.encoding, "separator": src.separator,
                                "french": src.french}
        if src.fmt == "parquet":
            meta["views"] = [views[f"_raw_{name}"], views[name]]
        else:
            duck.execute(f"COPY {q(name)} TO {lit(str(entry / f'{name}.parquet'))} (FORMAT parquet)")
            meta["parquet"] = f"{name}.parquet"
        tables[name] = meta
    manifest = {"format": cache.FORMAT, "folder": str(folder.resolve()), "signature": sig, "settings": timezone,
                "tables": tables, "references": cache.problems_to_json(references),
                "future": {"date": cache.today_iso(timezone), "problems": cache.problems_to_json(future)},
                "stats": {n: [None if d is None else d.isoformat() for d in st[:2]] + [st[2]] for n, st in stats.items()}}
    (entry / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _from_cache(cfg: Settings, folder: Path, found: dict[str, SourceFile], warnings: list[Problem], entry: Path,
                manifest: dict) -> Client | None:
    """A client folder loaded from what its validation concluded (no row read); None when the entry
    went away meanwhile (the folder is then validated again)."""
    backend = _connect(cfg.timezone)
    if not cache.hold(entry, backend):  # the entry's files stay while this connection lives
        backend.disconnect()
        return None
    duck = backend.con
    provided = {}
    files = [src.path for src in found.values() if src.fmt == "parquet"]
    for name, meta in manifest["tables"].items():
        if "views" in meta:
            for sql in meta["views"]:
                duck.execute(sql)
        else:
            path = entry / meta["parquet"]
            duck.execute(f"CREATE VIEW {q(name)} AS SELECT * FROM read_parquet({lit(str(path))})")
            files.append(path)
        provided[name] = frozenset(meta["provided"])
        src = found[name]
        src.encoding, src.separator, src.french = meta["encoding"], meta["separator"], meta["french"]
    stats = {n: (*(None if d is None else dt.date.fromisoformat(d) for d in st[:2]), int(st[2]))
             for n, st in manifest["stats"].items()}
    tomorrow = dt.date.fromisoformat(cache.today_iso(cfg.timezone)) + dt.timedelta(days=1)
    if manifest["future"]["date"] == cache.today_iso(cfg.timezone):
        future = cache.problems_from_json(manifest["future"]["problems"])
    elif all(last is None or last <= tomorrow for _, last, _ in stats.values()):
        future = []
    else:  # rows after tomorrow, and another day: count them again
        future = future_warnings(duck, set(provided), found)
    tables = {t: backend.table(t) for t in TABLE_NAMES if t in provided}
    _keep_results(backend, files)
    warnings = warnings + cache.problems_from_json(manifest["references"]) + future
    return Client(cfg, backend, tables, provided, found, warnings, folder, stats)


def _from_warehouse(cfg: Settings, folder: Path, warnings: list[Problem]) -> Client:
    """A client whose tables are named in ``client.yml``'s ``warehouse``: typed and checked there."""
    from .warehouse import load_warehouse

    con, tables, provided, labels, errors = load_warehouse(cfg, folder)
    if errors:
        raise KpiInputError(errors, header=f"cannot use the tables of {folder / 'client.yml'}: {len(errors)} problem"
                                           f"{'s' if len(errors) > 1 else ''}")
    sources = {name: SourceFile(table=name, label=labels[name], fmt=cfg.backend) for name in tables}
    _keep_results(con)
    return Client(cfg, con, {t: tables[t] for t in TABLE_NAMES if t in tables}, provided, sources, warnings, folder)


def client_from_frames(frames: Mapping[str, Any], *, name: str = "client", timezone: str = "Europe/Paris",
                       **settings: Any) -> Client:
    """A :class:`Client` from pandas DataFrames (or Ibis tables), typed and checked like a folder.

    ``frames`` maps table names of the contract to data; naive datetimes are read in ``timezone``.
    Other keyword arguments are settings (``margin_rate``, ``product_page_pattern``...). Ibis
    tables of another backend than DuckDB (Spark, BigQuery) stay there: they are typed and checked
    there, as a warehouse's tables are (:mod:`.warehouse`), never pulled into pandas.
    """
    raw_settings = {"name": name, "timezone": timezone, **settings}
    cfg, errors, _ = check_settings(raw_settings, file="settings", default_name=name)
    unknown = [t for t in frames if t not in TABLES]
    errors += [Problem(f"unknown table {t!r}", expected=f"one of {', '.join(TABLE_NAMES)}") for t in unknown]
    given = {t: d for t, d in frames.items() if t in TABLES and d is not None}
    if any(isinstance(d, ibis.Table) and _backend_name(d) != "duckdb" for d in given.values()):
        return _from_ibis_tables(cfg, given, errors)
    backend = _connect(cfg.timezone)
    duck = backend.con
    provided: dict[str, frozenset[str]] = {}
    sources: dict[str, SourceFile] = {}
    with tempfile.TemporaryDirectory(prefix="kpi-load-") as tmp:
        reader = Reader(duck, Path(tmp))
        for table, data in frames.items():
            if table not in TABLES or data is None:
                continue
            if isinstance(data, ibis.Table):  # a DuckDB table (a memtable): local rows, read as a frame's
                data = data.to_pandas()
            if not isinstance(data, pd.DataFrame):
                data = pd.DataFrame(data)
            src = SourceFile(table=table, label=f"{table} (DataFrame)")
            sources[table] = src
            frame = data.reset_index(drop=True)
            rel, prefix = reader.frame(src, frame)
            if frame.empty:
                # An empty frame is a legitimate "no rows" table in code (unlike an empty export).
                cols = frozenset(c for c in map(normalize_header, frame.columns) if c in TABLES[table].names)
                selects = ", ".join([f"CAST(NULL AS {DUCK_TYPE[c.type]}) AS {q(c.name)}" for c in TABLES[table].columns]
                                    + [f"CAST(NULL AS DATE) AS {q(LOCAL_DATE)}"])
                duck.execute(f"CREATE OR REPLACE TABLE {q(table)} AS SELECT {selects} LIMIT 0")
                provided[table] = cols
                continue
            cols, problems = build_table(duck, TABLES[table], src, rel, prefix, materialize=True)
            errors += problems
            if not problems:
                provided[table] = cols
    if errors:
        raise KpiInputError(errors, header=f"cannot use these tables: {len(errors)} problem{'s' if len(errors) > 1 else ''}")
    warnings = reference_warnings(duck, set(provided), sources)
    tables = {t: backend.table(t) for t in TABLE_NAMES if t in provided}
    _keep_results(backend)
    return Client(cfg, backend, tables, provided, sources, warnings, None)


def _backend_name(table: ibis.Table) -> str | None:
    try:
        return ibis.get_backend(table).name
    except Exception:  # an unbound table
        return None


def _from_ibis_tables(cfg: Settings, tables: Mapping[str, Any], errors: list[Problem]) -> Client:
    """Ibis tables of one backend, typed and checked where they are."""
    from .warehouse import type_and_check

    if not all(isinstance(d, ibis.Table) for d in tables.values()):
        errors.append(Problem("Ibis tables and pandas frames mixed", expected="all tables of one kind"))
    else:
        backends = {id(ibis.get_backend(t)): ibis.get_backend(t) for t in tables.values()}
        if len(backends) > 1:
            errors.append(Problem(f"tables on {len(backends)} different connections", expected="one backend for all tables"))
    if errors:
        raise KpiInputError(errors, header=f"cannot use these tables: {len(errors)} problem{'s' if len(errors) > 1 else ''}")
    con = next(iter(backends.values()))
    labels = {name: f"{name} ({con.name} table)" for name in tables}
    typed_tables, provided, errors = type_and_check({n: (t, labels[n]) for n, t in tables.items()},
                                                    timezone=cfg.timezone, backend=con.name)
    sources = {n: SourceFile(table=n, label=labels[n], fmt=con.name) for n in typed_tables}
    if errors:
        raise KpiInputError(errors, header=f"cannot use these tables: {len(errors)} problem{'s' if len(errors) > 1 else ''}")
    _keep_results(con)
    return Client(cfg.replace(backend=con.name if con.name in ("duckdb", "pyspark", "bigquery") else None), con,
                  {t: typed_tables[t] for t in TABLE_NAMES if t in typed_tables}, provided, sources, [], None)


def as_client(data: Any, **settings: Any) -> Client:
    """Whatever a helper was given, as a :class:`Client`.

    Accepts a :class:`Client` (returned as is, or with settings replaced), a client folder path,
    or a mapping of table names to pandas DataFrames / Ibis tables.
    """
    if isinstance(data, Client):
        changes = {k: v for k, v in settings.items() if v is not None}
        return data.with_settings(**changes) if changes else data
    if isinstance(data, (str, Path)):
        return load_client(data, **settings)
    if isinstance(data, Mapping):
        return client_from_frames(data, **settings)
    raise TypeError(f"expected a Client, a client folder or a dict of tables, got {type(data).__name__}")
