"""Tables already in a warehouse: typed and checked where they are, nothing downloaded.

A client folder whose ``client.yml`` names a backend and its tables::

    backend: bigquery                 # or pyspark (or duckdb, a database file)
    warehouse:
      project: my-gcp-project         # BigQuery only
      dataset: shop_analytics         # BigQuery only (duckdb: database: path/to/file.duckdb)
      tables:
        sessions: ga4_sessions        # a table of the dataset; on Spark a catalogue table or a
        orders: shop_orders           # Parquet path (s3a://bucket/orders/, /data/orders.parquet)

is not read from files: each table is an Ibis table on that backend. :func:`typed_table` maps it
to the contract (columns matched by name, case-insensitive; cast to the contract's types; defaults
for missing optional columns; the channel derived from source/medium by the channel rules when
absent; ``local_date`` from the backend's own timezone conversion) and :func:`check_table` runs the
loader's checks as one aggregate query per table (two when ids repeat), with the same messages
as for a file, counts instead of line numbers. Only aggregates come back.
"""


from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt

from ..channels import channel_expr
from ..contract import LOCAL_DATE, TABLES, TableSpec
from ..errors import KpiInputError, Problem
from ._text import plural
from .checks import MAX_DATE, MIN_DATE

__all__ = ["WAREHOUSE_BACKENDS", "local_date", "typed_table", "check_table", "type_and_check", "connect",
           "warehouse_tables", "load_warehouse"]

WAREHOUSE_BACKENDS = ("bigquery", "pyspark", "duckdb")


# ----------------------------------------------------------------------------------------------
# The local date, by each backend's own function (the one place a backend's name matters)


@ibis.udf.scalar.builtin(name="DATE")
def _bigquery_date(ts: dt.Timestamp(timezone="UTC"), tz: str) -> dt.date:  # type: ignore[empty-body]
    """BigQuery's ``DATE(timestamp, time_zone)``."""


@ibis.udf.scalar.builtin(name="from_utc_timestamp")
def _spark_from_utc(ts: dt.Timestamp(timezone="UTC"), tz: str) -> dt.timestamp:  # type: ignore[empty-body]
    """Spark's ``from_utc_timestamp``: the wall time of ``tz`` (in a UTC session)."""


@ibis.udf.scalar.builtin(name="timezone")
def _duckdb_timezone(tz: str, ts: dt.Timestamp(timezone="UTC")) -> dt.timestamp:  # type: ignore[empty-body]
    """DuckDB's ``timezone(tz, timestamptz)``: the wall time of ``tz``."""


def local_date(ts: ibis.Value, timezone: str, backend: str) -> ibis.Value:
    """The date of instant ``ts`` in ``timezone``, as ``backend`` computes it."""
    if ts.type().is_date():
        return ts
    if backend == "bigquery":
        return _bigquery_date(ts, timezone)
    if backend == "pyspark":
        return _spark_from_utc(ts, timezone).date()
    return _duckdb_timezone(timezone, ts).date()


# ----------------------------------------------------------------------------------------------
# Typing a warehouse table


def _fits(kind: str, dtype: dt.DataType) -> bool:
    if kind in ("id", "str"):
        return dtype.is_string() or (kind == "id" and dtype.is_integer())
    if kind == "timestamp":  # an instant (BigQuery TIMESTAMP, Spark TimestampType); not BigQuery's DATETIME
        return dtype.is_timestamp()
    if kind == "date":
        return dtype.is_date() or dtype.is_timestamp()
    if kind == "float":
        return dtype.is_numeric()
    if kind == "int":
        return dtype.is_integer()
    if kind == "bool":
        return dtype.is_boolean()
    return False


_EXPECTED = {"id": "text or an integer", "str": "text", "timestamp": "a TIMESTAMP (an instant)", "date": "a DATE",
             "float": "a number", "int": "an integer", "bool": "a boolean"}
_CAST = {"id": "string", "str": "string", "timestamp": "timestamp('UTC')", "date": "date", "float": "float64",
         "int": "int64", "bool": "boolean"}


def typed_table(t: ibis.Table, spec: TableSpec, *, label: str, timezone: str, backend: str
                ) -> tuple[ibis.Table | None, frozenset[str], list[Problem]]:
    """``t`` mapped to the contract's columns and types, with ``local_date``; (table, provided
    columns, problems). None when a required column is missing or a column has the wrong type."""
    by_norm = {name.strip().lower(): name for name in t.columns}
    problems: list[Problem] = []
    missing = [c for c in spec.required if c not in by_norm]
    for name in missing:
        problems.append(Problem("required column is missing", file=label, column=name,
                                expected=f"columns {', '.join(spec.required)} (found: {', '.join(by_norm) or 'none'})"))
    for col in spec.columns:
        if col.name in by_norm and not _fits(col.type, t[by_norm[col.name]].type()):
            problems.append(Problem(f"is {t[by_norm[col.name]].type()}", file=label, column=col.name,
                                    expected=_EXPECTED[col.type]))
    if problems:
        return None, frozenset(), problems
    cols: dict[str, ibis.Value] = {}
    provided = []
    for col in spec.columns:
        if col.name in by_norm:
            provided.append(col.name)
            value = t[by_norm[col.name]].cast(_CAST[col.type])
            if col.type == "id" or (col.type == "str" and col.default):  # as the file loader: ids trimmed
                value = value.strip().nullif("")
            if col.default is not None:
                value = value.fill_null(col.default)
            cols[col.name] = value
        elif col.default is not None:
            cols[col.name] = ibis.literal(col.default, "string")
        else:
            cols[col.name] = ibis.null(_CAST[col.type])
    if spec.name == "sessions" and "channel" not in by_norm and ("source" in by_norm or "medium" in by_norm):
        cols["channel"] = channel_expr(*(t[by_norm[k]] if k in by_norm else None for k in ("source", "medium", "campaign")))
        provided.append("channel")
    typed = t.select(**cols)
    typed = typed.mutate(**{LOCAL_DATE: local_date(typed[spec.time_column], timezone, backend)})
    return typed, frozenset(provided), []


# ----------------------------------------------------------------------------------------------
# Checking it (aggregates only)


def check_table(typed: ibis.Table, spec: TableSpec, provided: frozenset[str], *, label: str) -> list[Problem]:
    """The loader's checks on a typed warehouse table, as aggregate queries: empty required
    values, values below their minimum, dates outside the years the kit counts in, repeated ids."""
    checks: list[tuple[str, ibis.Value, str, str]] = []  # (column, condition, message, expected)
    for col in spec.columns:
        if col.name not in provided:
            continue
        c = typed[col.name]
        if col.required:
            checks.append((col.name, c.isnull(), "empty in a required column",
                           {"id": "an identifier", "timestamp": "an ISO 8601 timestamp"}.get(col.type, _EXPECTED[col.type])))
        if col.min is not None:
            checks.append((col.name, c < col.min, f"below {col.min:g}", f"values >= {col.min:g}"))
        if col.type in ("timestamp", "date"):
            day = typed[LOCAL_DATE] if col.name == spec.time_column else c.cast("date")
            checks.append((col.name, (day < ibis.date(MIN_DATE)) | (day >= ibis.date(MAX_DATE)),
                           f"outside the years {MIN_DATE[:4]} to {int(MAX_DATE[:4]) - 1}",
                           f"a date from {MIN_DATE} to {int(MAX_DATE[:4]) - 1}-12-31"))
    unique = [c.name for c in spec.columns if c.unique and c.name in provided]
    metrics = {f"c{i}": cond.fill_null(False).cast("int64").sum() for i, (_, cond, _, _) in enumerate(checks)}
    metrics |= {f"n_{name}": typed[name].count() for name in unique}
    metrics |= {f"d_{name}": typed[name].nunique() for name in unique}
    metrics["rows"] = typed.count()
    row = typed.aggregate(**metrics).to_pandas().iloc[0]
    if int(row["rows"]) == 0:
        return [Problem("has no rows", file=label, expected=f"at least one {spec.doc.split(' per ')[-1]} row")]
    problems = []
    for i, (column, _, message, expected) in enumerate(checks):
        n = int(row[f"c{i}"] or 0)
        if n:
            problems.append(Problem(f"{plural(n, 'value')}: {message}", file=label, column=column, count=n,
                                    expected=expected))
    for name in unique:
        if int(row[f"n_{name}"]) != int(row[f"d_{name}"]):
            ids = typed.filter(typed[name].notnull())
            g = ids.group_by(name).aggregate(_n=ids.count())
            total = int(g.filter(g._n > 1).count().to_pandas())
            problems.append(Problem(f"{plural(total, 'duplicated id')}", file=label, column=name, count=total,
                                    expected="each id once"))
    return problems


# ----------------------------------------------------------------------------------------------
# Connecting and reading the tables of client.yml


def connect(backend: str, warehouse: dict[str, Any], *, folder: Path) -> Any:
    """The Ibis backend that holds the client's tables."""
    if backend == "bigquery":
        try:
            return ibis.bigquery.connect(project_id=warehouse.get("project"), dataset_id=warehouse.get("dataset"))
        except ImportError:
            raise KpiInputError(Problem("BigQuery needs Ibis' bigquery extra", file="client.yml", column="backend",
                                        expected="pip install 'ibis-framework[bigquery]' and Google credentials "
                                                 "(gcloud auth application-default login)")) from None
    if backend == "pyspark":
        from ..spark import connect as spark_connect

        return spark_connect()
    database = warehouse.get("database")
    path = (folder / str(database)) if database else None
    return ibis.duckdb.connect(str(path) if path else ":memory:", read_only=bool(path))


def warehouse_tables(con: Any, backend: str, warehouse: dict[str, Any]) -> tuple[dict[str, ibis.Table], list[Problem]]:
    """{contract table: Ibis table} from ``warehouse['tables']``, and the problems met."""
    tables, problems = {}, []
    for name, ref in (warehouse.get("tables") or {}).items():
        ref = str(ref)
        label = f"{backend}:{ref}"
        try:
            if backend in ("pyspark", "duckdb") and ("/" in ref or ref.endswith(".parquet")):
                tables[name] = con.read_parquet(ref)
            else:
                tables[name] = con.table(ref)
        except Exception as exc:  # noqa: BLE001: the backend's own words, for a table it cannot find
            problems.append(Problem(f"cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})",
                                    file=label, expected=f"a table or Parquet path holding the {name} table"))
    return tables, problems


def load_warehouse(cfg: Any, folder: Path) -> tuple[Any, dict[str, ibis.Table], dict[str, frozenset[str]],
                                                    dict[str, str], list[Problem]]:
    """(backend, typed tables, provided columns, labels, problems) of a client whose tables are in a warehouse."""
    warehouse = dict(cfg.warehouse or {})
    con = connect(cfg.backend, warehouse, folder=folder)
    raw, problems = warehouse_tables(con, cfg.backend, warehouse)
    labels = {name: f"{cfg.backend}:{warehouse['tables'][name]}" for name in raw}
    tables, provided, more = type_and_check({n: (t, labels[n]) for n, t in raw.items()}, timezone=cfg.timezone,
                                            backend=cfg.backend)
    return con, tables, provided, {n: labels[n] for n in tables}, problems + more


def type_and_check(raw: dict[str, tuple[ibis.Table, str]], *, timezone: str, backend: str
                   ) -> tuple[dict[str, ibis.Table], dict[str, frozenset[str]], list[Problem]]:
    """Each (table, label) typed to the contract (:func:`typed_table`) and checked (:func:`check_table`):
    (typed tables, provided columns, problems)."""
    tables, provided, problems = {}, {}, []
    for name, (t, label) in raw.items():
        typed, cols, more = typed_table(t, TABLES[name], label=label, timezone=timezone, backend=backend)
        if typed is not None:
            more = check_table(typed, TABLES[name], cols, label=label)
        problems += more
        if not more:
            tables[name], provided[name] = typed, cols
    return tables, provided, problems
