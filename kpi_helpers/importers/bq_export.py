"""BigQuery export tables extracted to files: recognise them, read them as Ibis tables, check them.

Google Analytics writes its BigQuery export as one table per day (GA4: ``events_YYYYMMDD`` and,
while the day is still open, ``events_intraday_YYYYMMDD``; Universal Analytics / GA360:
``ga_sessions_YYYYMMDD``). A client hands them over extracted with ``bq extract`` (or the
console's "Export > to GCS"), in one of three formats, one or several files per table:

* Parquet: nested columns kept as they are (records as structs, repeated fields as lists);
* Avro: the same nesting; INT64 as ``long``; nullable fields as ``["null", type]`` unions;
* newline-delimited JSON: one event (or session) per line, INT64 written as JSON strings
  (``"event_timestamp":"1604188800000000"``), NULL fields left out of the line.

A file is recognised by its content, never by its name: Parquet by its ``PAR1`` magic, Avro by
``Obj\\x01``, JSON by a first line that is a JSON object; then by the names of its top-level
fields (:func:`top_fields`). The importers (:mod:`.ga4_export`, :mod:`.ga360_export`) read every
file of one export at once, through the loader's DuckDB connection, as Ibis tables
(:func:`read_files`): Parquet is scanned where it lies (only the columns the mapping uses are
read); JSON and Avro are read into the subset of the export's schema the mapping uses (the rest of
each line or record is skipped). From there on the mapping is Ibis expressions that do not know
where the table came from, so the same code also compiles for the export's own tables in BigQuery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zoneinfo
from collections.abc import Sequence
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt_
import pandas as pd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import KpiInputError, Problem
from .memory import release

__all__ = ["file_kind", "top_fields", "read_files", "field", "export_digest", "check_timezone",
           "duckdb_types", "fail_read", "TIMEZONE_CANDIDATES", "run", "hashed", "instants", "label_of", "NUMBER_TEXT",
           "conform", "pivot_params", "batches", "stage_files", "is_intraday"]

#: A parameter's string_value read as a number only when it is written as one.
NUMBER_TEXT = r"^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$"

_MAGIC = {b"PAR1": "parquet", b"Obj\x01": "avro"}
_JSON_LINES = 50  # lines looked at to recognise NDJSON (NULL fields are left out of a line)

#: Timezones tried when the folder's timezone does not fit ``event_date``, to name one that does.
TIMEZONE_CANDIDATES = ("UTC", "Europe/Paris", "Europe/London", "America/New_York", "America/Chicago",
                       "America/Denver", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney")


def file_kind(path: Path | str) -> str | None:
    """``"parquet"``, ``"avro"`` or ``"ndjson"`` by the file's first bytes; None for anything else."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:4] in _MAGIC:
        return _MAGIC[head[:4]]
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{") and b'"' in text[:8]:
        return "ndjson"
    return None


def top_fields(path: Path | str, kind: str | None = None) -> set[str]:
    """Names of the top-level fields of an extracted table (for JSON: of its first lines); empty
    for a file that does not read (a cut or corrupt file is then not recognised, never a crash)."""
    try:
        return _top_fields(path, kind or file_kind(path))
    except Exception:  # noqa: BLE001 - the readers raise many kinds on a corrupt file
        return set()


def _top_fields(path: Path | str, kind: str | None) -> set[str]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        return set(pq.read_schema(path).names)
    if kind == "avro":
        import fastavro

        with open(path, "rb") as fh:
            schema = fastavro.reader(fh).writer_schema
        return {f["name"] for f in schema.get("fields", [])}
    if kind == "ndjson":
        names: set[str] = set()
        with open(path, "rb") as fh:
            for i, line in enumerate(fh):
                if i >= _JSON_LINES:
                    break
                if line.strip():
                    try:
                        record = json.loads(line)
                    except ValueError:
                        break  # a cut line: read_files names it
                    if isinstance(record, dict):
                        names |= set(record)
        return names
    return set()


def duckdb_types(schema: pa.Schema) -> dict[str, str]:
    """The columns of an Arrow schema as DuckDB type names (``read_json(columns=...)``)."""

    def name(t: pa.DataType) -> str:
        if pa.types.is_struct(t):
            return "STRUCT(" + ", ".join(f'"{f.name}" {name(f.type)}' for f in t) + ")"
        if pa.types.is_list(t):
            return name(t.value_type) + "[]"
        return {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}[t]

    return {f.name: name(f.type) for f in schema}


def fail_read(paths: Sequence[Path], exc: Exception, what: str) -> KpiInputError:
    """A reader's error as the user's: the file(s) and what was expected, values in the message
    replaced by ``…`` (a line of an export may hold an id)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "…", message)[:200]
    named = next((p for p in paths if str(p) in str(exc) or p.name in str(exc)), None)
    files = str(named) if named else ", ".join(map(str, paths[:3])) + (" ..." if len(paths) > 3 else "")
    return KpiInputError(Problem(f"cannot be read ({message})", file=files, expected=what))


def _avro_table(paths: Sequence[Path], schema: pa.Schema) -> pa.Table:
    import fastavro

    def pick(value, t: pa.DataType):
        if value is None:
            return None
        if pa.types.is_struct(t):
            return {f.name: pick(value.get(f.name), f.type) for f in t} if isinstance(value, dict) else None
        if pa.types.is_list(t):
            return [pick(v, t.value_type) for v in value] if isinstance(value, list) else None
        return value

    batches = []
    for path in paths:
        rows: list[dict] = []
        with open(path, "rb") as fh:
            for record in fastavro.reader(fh):
                rows.append({f.name: pick(record.get(f.name), f.type) for f in schema})
                if len(rows) >= 50_000:
                    batches.append(_batch(rows, schema, path))
                    rows = []
        if rows:
            batches.append(_batch(rows, schema, path))
    with_file = schema.append(pa.field("filename", pa.string()))
    return pa.Table.from_batches(batches, schema=with_file) if batches else with_file.empty_table()


def _batch(rows: list[dict], schema: pa.Schema, path: Path) -> pa.RecordBatch:
    table = pa.Table.from_pylist(rows, schema=schema)
    table = table.append_column("filename", pa.array([str(path)] * len(rows), pa.string()))
    return table.to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], schema=table.schema)


def read_files(con, files: Sequence[Path], kinds: Sequence[str], *, schema: pa.Schema, what: str) -> list[ibis.Table]:
    """The files of one export as Ibis tables on ``con`` (a DuckDB backend), one per format, each
    with a ``filename`` column. Parquet keeps its own schema (only the columns used are scanned);
    JSON and Avro are read into ``schema`` (INT64 given as JSON strings become numbers; fields the
    schema lacks are skipped). A file that does not read raises KpiInputError naming it."""
    by_kind: dict[str, list[Path]] = {}
    for f, k in zip(files, kinds):
        by_kind.setdefault(k, []).append(f)
    tables = []
    for kind, paths in sorted(by_kind.items()):
        try:
            if kind == "parquet":
                t = con.read_parquet([str(p) for p in paths], union_by_name=True, filename=True)
            elif kind == "ndjson":
                t = con.read_json([str(p) for p in paths], columns=duckdb_types(schema), format="newline_delimited",
                                  filename=True, maximum_object_size=1 << 26)
            else:
                t = con.create_table(f"avro_{len(tables)}", ibis.memtable(_avro_table(paths, schema)), temp=True)
        except KpiInputError:
            raise
        except Exception as exc:  # the readers' own errors (DuckDB, fastavro, Arrow) name the problem
            raise fail_read(paths, exc, what) from None
        tables.append(t)
    return tables


def field(t: ibis.Table, dotted: str, dtype: str) -> ibis.Value:
    """Column or nested field ``a.b.c`` of ``t`` cast to ``dtype``; a typed NULL when the export
    does not have it (older exports lack ``collected_traffic_source``, JSON lines leave NULLs out)."""
    parts = dotted.split(".")
    if parts[0] not in t.columns:
        return ibis.null().cast(dtype)
    expr = t[parts[0]]
    for part in parts[1:]:
        typ = expr.type()
        if not typ.is_struct() or part not in typ.names:
            return ibis.null().cast(dtype)
        expr = expr[part]
    return expr if expr.type() == dt_.dtype(dtype) else expr.cast(dtype)


def is_intraday(t: ibis.Table) -> ibis.Value:
    """Whether a row comes from an intraday table: ``intraday`` in its file's name (not its folder's)."""
    if "filename" not in t.columns:
        return ibis.literal(False)
    return t.filename.re_extract(r"([^/\\]*)$", 1).lower().contains("intraday")


def export_digest(files: Sequence[Path]) -> tuple[str, int]:
    """(sha256 over the files' names and contents in name order, total bytes): one export's identity."""
    h = hashlib.sha256()
    size = 0
    for f in sorted(files, key=lambda p: p.name):
        with open(f, "rb") as fh:
            h.update(f.name.encode("utf-8") + b"\0" + hashlib.file_digest(fh, "sha256").digest())
        size += f.stat().st_size
    return h.hexdigest(), size


def _misfit(buckets: pd.DataFrame, tz: str) -> float:
    """Share of events whose local day in ``tz`` is not their stated day."""
    start = pd.to_datetime(buckets["bucket"] * 900, unit="s", utc=True).dt.tz_convert(zoneinfo.ZoneInfo(tz))
    local = start.dt.strftime("%Y%m%d")
    total = buckets["n"].sum()
    return float(buckets.loc[local != buckets["day"], "n"].sum() / total) if total else 0.0


def check_timezone(buckets: pd.DataFrame, tz: str, *, files: str, column: str, tolerance: float = 0.005) -> None:
    """Stop when the folder's timezone does not fit the export's own day column.

    ``buckets`` has one row per (``day`` as ``YYYYMMDD``, ``bucket`` = start of a 15-minute UTC
    slot in units of 900 s, ``n`` events). GA writes the day in the property's timezone, so nearly
    every event's local day must be its stated day (``tolerance``: late hits of apps may differ)."""
    if buckets.empty or _misfit(buckets, tz) <= tolerance:
        return
    fits = [c for c in TIMEZONE_CANDIDATES if c != tz and _misfit(buckets, c) <= tolerance]
    hint = f" (these files fit {fits[0]})" if fits else ""
    raise KpiInputError(Problem(
        f"{column} is the property's day, but {_misfit(buckets, tz):.1%} of the events fall on another day in the "
        f"client folder's timezone {tz}{hint}", file=files, column=column,
        expected="client.yml's timezone set to the Google Analytics property's timezone (Admin > Property "
                 "settings) before importing: write client.yml first with timezone: ..."))


def day_range(days: pd.Series) -> tuple[dt.date, dt.date]:
    """(first, last) of ``YYYYMMDD`` day strings."""
    parsed = pd.to_datetime(days, format="%Y%m%d")
    return parsed.min().date(), parsed.max().date()


def label_of(files: Sequence[Path]) -> str:
    """How messages name an export: its folder when all its files are in one, else its first file."""
    return str(files[0].parent) if len(files) > 1 and len({f.parent for f in files}) == 1 else str(files[0])


def run(files: Sequence[Path], timezone: str, *, schema: pa.Schema, what: str, compute, staged: bool = False):
    """``compute(con, raw_tables)`` (``compute(con, scratch)`` when ``staged``: it stages the files itself in ``scratch``
    with :func:`stage_files`) on a new loader connection over the export's files; a file or
    line the readers cannot read becomes a KpiInputError naming the export (the connection is
    closed either way)."""
    import shutil
    import tempfile

    from ..loading.client import _connect, _spill_dir  # the loader's connection: memory limit, spill folder

    scratch = Path(tempfile.mkdtemp(prefix="kpi-import-", dir=_spill_dir()))
    con = _connect(timezone)
    try:
        if staged:
            return compute(con, scratch)
        return compute(con, read_files(con, files, [file_kind(f) for f in files], schema=schema, what=what))
    except KpiInputError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0].lstrip("_") not in {"duckdb", "pyarrow", "fastavro"}:
            raise
        raise fail_read(list(files), exc, what) from None
    finally:
        con.disconnect()
        shutil.rmtree(scratch, ignore_errors=True)


def hashed(pseudonymise, prefix: str, values: pd.Series) -> pd.Series:
    """Keyed hashes of ``prefix:value`` (the folder's key; missing stays missing)."""
    out = pd.Series(None, index=values.index, dtype="object")
    known = values.notna()
    if known.any():
        out[known] = pseudonymise(prefix + ":" + values[known].astype(str)).to_numpy()
    return out


def instants(us: pd.Series) -> pd.Series:
    """Microseconds since 1970 (UTC) as tz-aware timestamps."""
    return pd.to_datetime(us.astype("int64"), unit="us", utc=True)


# -- the files' fast path: Arrow batches, event parameters pivoted once ------------------------------


def _conform_array(arr: pa.Array, typ: pa.DataType, column: str) -> pa.Array:
    if arr.type == typ:
        return arr
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), typ)
    if pa.types.is_struct(typ):
        if not pa.types.is_struct(arr.type):
            raise TypeError(f"{column} is {arr.type}, not a record")
        names = {arr.type.field(i).name for i in range(arr.type.num_fields)}
        children = [_conform_array(pc.struct_field(arr, [f.name]), f.type, f"{column}.{f.name}") if f.name in names
                    else pa.nulls(len(arr), f.type) for f in typ]
        return pa.StructArray.from_arrays(children, fields=list(typ), mask=arr.is_null())
    if pa.types.is_list(typ):
        if not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
            raise TypeError(f"{column} is {arr.type}, not a repeated field")
        values = _conform_array(arr.values, typ.value_type, column)
        offsets = pc.cast(arr.offsets, pa.int32())
        return pa.ListArray.from_arrays(offsets, values, type=typ, mask=arr.is_null())
    return pc.cast(arr, typ)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: missing columns and record fields as NULL, extra
    fields dropped, values cast (INT64 given as text become numbers); a value that does not cast
    raises ``TypeError``/``ArrowInvalid`` naming the column."""
    cols = []
    for f in schema:
        if f.name in table.column_names:
            arr = table.column(f.name).combine_chunks()
            try:
                cols.append(_conform_array(arr, f.type, f.name))
            except pa.ArrowInvalid as exc:
                raise TypeError(f"{f.name}: {str(exc).splitlines()[0]}") from None
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def _as_text(values: pa.StructArray) -> pa.Array:
    names = {values.type.field(i).name for i in range(values.type.num_fields)}
    parts = [pc.struct_field(values, ["string_value"])] if "string_value" in names else []
    if "int_value" in names:
        parts.append(pc.cast(pc.struct_field(values, ["int_value"]), pa.string()))
    return pc.coalesce(*parts) if parts else pa.nulls(len(values), pa.string())


def _as_number(values: pa.StructArray) -> pa.Array:
    names = {values.type.field(i).name for i in range(values.type.num_fields)}
    parts = [pc.cast(pc.struct_field(values, [n]), pa.float64()) for n in ("double_value", "float_value", "int_value")
             if n in names]
    if "string_value" in names:
        text = pc.struct_field(values, ["string_value"])
        numeric = pc.fill_null(pc.match_substring_regex(text, NUMBER_TEXT), False)
        parts.append(pc.cast(pc.if_else(numeric, text, pa.scalar(None, pa.string())), pa.float64()))
    return pc.coalesce(*parts) if parts else pa.nulls(len(values), pa.float64())


def pivot_params(params: pa.Array, *, text: Sequence[str], number: Sequence[str]) -> dict[str, pa.Array]:
    """A repeated key + value record pivoted to one column per key (the first value of the key in
    each row): ``text__<key>`` (string_value, else int_value as text) and ``number__<key>``
    (double_value, float_value, int_value, else a string_value written as a number). The same
    reading as the Ibis expressions of :mod:`.ga4_export`, vectorised over the whole batch."""
    n = len(params)
    flat = pc.list_flatten(params)
    parents = pc.list_parent_indices(params).to_numpy()
    keys = pc.dictionary_encode(pc.struct_field(flat, ["key"])).combine_chunks() if isinstance(
        flat, pa.ChunkedArray) else pc.dictionary_encode(pc.struct_field(flat, ["key"]))
    dictionary = keys.dictionary.to_pylist()
    codes = pc.fill_null(keys.indices, len(dictionary)).to_numpy(zero_copy_only=False)  # a missing key: no slot
    values = pc.struct_field(flat, ["value"])
    out: dict[str, pa.Array] = {}
    for prefix, keys_of, read, typ in (("text", text, _as_text, pa.string()), ("number", number, _as_number,
                                                                                 pa.float64())):
        present = [k for k in keys_of if k in dictionary]
        slot = np.full(len(dictionary) + 1, -1, np.int64)
        slot[[dictionary.index(k) for k in present]] = np.arange(len(present))
        slots = slot[codes] if len(codes) else np.zeros(0, np.int64)
        keep = np.flatnonzero(slots >= 0)  # the entries of these keys, in row order
        pos = np.full((len(present), n), -1, np.int64)
        back = keep[::-1]  # written last to first: the first occurrence of a key in a row wins
        pos[slots[back], parents[back]] = np.arange(len(keep))[::-1]
        converted = read(values.take(pa.array(keep))) if present else None  # each entry read once
        for key in keys_of:
            if key in present:
                where = pos[present.index(key)]
                out[f"{prefix}__{key}"] = converted.take(pa.array(where, mask=where < 0))
            else:
                out[f"{prefix}__{key}"] = pa.nulls(n, typ)
    return out


BATCH_ROWS = 100_000


def batches(path: Path, kind: str, schema: pa.Schema):
    """The rows of one extracted file as Arrow tables of at most BATCH_ROWS rows, with the columns
    of ``schema`` that the file has (Parquet reads only those)."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        present = [n for n in schema.names if n in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=present):
            yield pa.Table.from_batches([batch])
    elif kind == "avro":
        table = _avro_table([path], schema)
        yield table.drop_columns(["filename"])
    else:
        import duckdb

        con = duckdb.connect()
        try:
            rel = con.read_json(str(path), columns=duckdb_types(schema), format="newline_delimited",
                                maximum_object_size=1 << 26)
            reader = rel.to_arrow_reader(BATCH_ROWS) if hasattr(rel, "to_arrow_reader") else rel.record_batch(BATCH_ROWS)
            for batch in reader:
                yield pa.Table.from_batches([batch])
        finally:
            con.close()


def _staged(path: Path, schema: pa.Schema, prepare, what: str) -> list[pa.Table]:
    """One file's batches through ``prepare``, each with its ``filename``; a file that does not read
    raises KpiInputError naming it."""
    out = []
    try:
        for raw in batches(path, file_kind(path), schema):
            staged = prepare(raw, path)
            out.append(staged.append_column("filename", pa.array([path.name] * staged.num_rows, pa.string())))
    except KpiInputError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0].lstrip("_") not in {"duckdb", "pyarrow", "fastavro", "builtins"}:
            raise
        raise fail_read([path], exc, what) from None
    return out


#: Files prepared at once while staging (Arrow's readers and compute, and NumPy's takes, release the GIL).
STAGE_THREADS = 2


def stage_files(con, files: Sequence[Path], name: str, *, schema: pa.Schema, prepare, what: str,
                folder: Path) -> ibis.Table:
    """Every file's rows, through ``prepare(table, path) -> table`` (checks, pivots), conformed to one
    schema and written batch by batch to ``folder/<name>.parquet``, read back as an Ibis table on
    ``con``. Files are prepared :data:`STAGE_THREADS` at a time and written in the files' order:
    memory holds a few files' batches at a time, whatever the size of the export (daily tables;
    a larger file is read :data:`BATCH_ROWS` rows at a time)."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.parquet as pq

    target = folder / f"{name}.parquet"
    writer = None
    pool = ThreadPoolExecutor(max_workers=STAGE_THREADS, thread_name_prefix="kpi-stage")
    try:
        ahead = []  # futures of the next files, in order; at most STAGE_THREADS in flight
        pending = iter(files)
        for path in pending:
            ahead.append(pool.submit(_staged, path, schema, prepare, what))
            if len(ahead) >= STAGE_THREADS:
                break
        while ahead:
            done = ahead.pop(0).result()
            nxt = next(pending, None)
            if nxt is not None:
                ahead.append(pool.submit(_staged, nxt, schema, prepare, what))
            for staged in done:
                if writer is None:
                    writer = pq.ParquetWriter(target, staged.schema, compression="lz4")
                writer.write_table(staged)
            del done, staged
            release()  # freed batches back to the system, not kept by the pool
    finally:
        for f in ahead if "ahead" in locals() else []:
            f.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        if writer is not None:
            writer.close()
        release()  # the batches' buffers go back to the system
    return con.read_parquet(str(target))
