"""Typing and checking one table: every contract column typed, every value that does not fit
reported with its row, then the typed relation (a table for CSV and Excel, a view over Parquet).
"""

from __future__ import annotations

import difflib
import re

import duckdb

from ..channels import channel_case_sql
from ..contract import LOCAL_DATE, TABLES, Column, TableSpec
from ..errors import Problem
from ._text import lit, plural, q
from .reading import SourceFile, normalize_header

__all__ = ["build_table", "reference_warnings", "future_warnings", "DUCK_TYPE", "MIN_DATE", "MAX_DATE"]

MIN_DATE, MAX_DATE = "1900-01-01", "2200-01-01"  # the dates a table may hold (pandas counts in ns up to 2262)
MAX_EXAMPLES = 5
FRENCH_DATE_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"]
TRUE_WORDS = ("true", "t", "1", "yes", "y", "oui", "vrai", "1.0")
FALSE_WORDS = ("false", "f", "0", "no", "n", "non", "faux", "0.0")


_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def _kind(duck_type: str) -> str:
    t = duck_type.upper()
    if t in ("VARCHAR", "STRING", "TEXT") or t.startswith("VARCHAR"):
        return "text"
    if t in _INT_TYPES:
        return "int"
    if t in _FLOAT_TYPES or t.startswith("DECIMAL"):
        return "float"
    if t == "BOOLEAN":
        return "bool"
    if t == "DATE":
        return "date"
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return "timestamptz"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return "other"


def _number_sql(src: str, french: bool) -> str:
    """Text to DOUBLE: spaces, no-break spaces and currency signs dropped; decimal comma when French."""
    s = f"regexp_replace(trim({src}), '[\\s\u00a0\u202f€$£]', '', 'g')"
    if french:
        s = f"CASE WHEN {s} LIKE '%,%' THEN replace(replace({s}, '.', ''), ',', '.') ELSE {s} END"
    return f"(CASE WHEN isfinite(TRY_CAST({s} AS DOUBLE)) THEN TRY_CAST({s} AS DOUBLE) END)"


def _typed_sql(col: Column, src: str, kind: str, french: bool) -> tuple[str, str | None, str]:
    """(typed expression, condition that flags an unparseable value or None, expected text)."""
    blank = f"({src} IS NULL OR trim(CAST({src} AS VARCHAR)) = '')"
    t = col.type
    if t == "id":
        if kind == "text":
            return f"NULLIF(trim({src}), '')", None, "an identifier"
        if kind == "float":
            return (f"CASE WHEN {src} = trunc({src}) THEN CAST(CAST({src} AS HUGEINT) AS VARCHAR) "
                    f"ELSE CAST({src} AS VARCHAR) END"), None, "an identifier"
        return f"CAST({src} AS VARCHAR)", None, "an identifier"
    if t == "str":
        expr = f"NULLIF(trim(CAST({src} AS VARCHAR)), '')" if col.default else f"CAST({src} AS VARCHAR)"
        if col.default:
            expr = f"coalesce({expr}, {lit(col.default)})"
        return expr, None, "text"
    if t == "timestamp":
        expected = "an ISO 8601 timestamp such as 2024-03-01 14:30:00 or 2024-03-01T14:30:00+01:00"
        if kind == "text":
            expr = f"TRY_CAST(trim({src}) AS TIMESTAMPTZ)"
            if french:
                fmts = ", ".join(lit(f) for f in FRENCH_DATE_FORMATS)
                expr = f"coalesce({expr}, CAST(TRY_STRPTIME(trim({src}), [{fmts}]) AS TIMESTAMPTZ))"
                expected += " (or DD/MM/YYYY HH:MM in a French export)"
            return expr, f"NOT {blank} AND ({expr}) IS NULL", expected
        if kind in ("timestamp", "date"):
            return f"CAST({src} AS TIMESTAMPTZ)", None, expected
        if kind == "timestamptz":
            return src, None, expected
        return "CAST(NULL AS TIMESTAMPTZ)", f"{src} IS NOT NULL", expected
    if t == "date":
        expected = "an ISO 8601 date such as 2024-03-01"
        if kind == "text":
            expr = (f"coalesce(TRY_CAST(trim({src}) AS DATE), "
                    f"CAST(TRY_CAST(trim({src}) AS TIMESTAMPTZ) AS DATE))")
            if french:
                fmts = ", ".join(lit(f) for f in FRENCH_DATE_FORMATS)
                expr = f"coalesce({expr}, CAST(TRY_STRPTIME(trim({src}), [{fmts}]) AS DATE))"
                expected += " (or DD/MM/YYYY in a French export)"
            return expr, f"NOT {blank} AND ({expr}) IS NULL", expected
        if kind in ("timestamp", "timestamptz", "date"):
            return f"CAST({src} AS DATE)", None, expected
        return "CAST(NULL AS DATE)", f"{src} IS NOT NULL", expected
    if t == "float":
        expected = "a number" + (f" >= {col.min:g}" if col.min is not None else "")
        if kind == "text":
            expr = _number_sql(src, french)
            hint = " (decimal comma allowed)" if french else " with a decimal point (a decimal comma needs a ';'-separated French export)"
            return expr, f"NOT {blank} AND {expr} IS NULL", expected + hint
        if kind in ("int", "float"):
            return f"CAST({src} AS DOUBLE)", None, expected
        return "CAST(NULL AS DOUBLE)", f"{src} IS NOT NULL", expected
    if t == "int":
        expected = "a whole number" + (f" >= {col.min:g}" if col.min is not None else "")
        if kind == "int":
            return f"CAST({src} AS BIGINT)", None, expected
        if kind in ("text", "float"):
            num = _number_sql(src, french) if kind == "text" else f"CAST({src} AS DOUBLE)"
            expr = f"(CASE WHEN {num} = round({num}) AND abs({num}) < 9e18 THEN CAST({num} AS BIGINT) END)"
            return expr, f"NOT {blank} AND {expr} IS NULL", expected
        return "CAST(NULL AS BIGINT)", f"{src} IS NOT NULL", expected
    if t == "bool":
        expected = "true/false (also 1/0, yes/no, oui/non, vrai/faux)"
        if kind == "bool":
            return src, None, expected
        if kind in ("int", "float"):
            expr = f"(CASE WHEN {src} = 1 THEN true WHEN {src} = 0 THEN false END)"
        elif kind == "text":
            t_words = ", ".join(lit(w) for w in TRUE_WORDS)
            f_words = ", ".join(lit(w) for w in FALSE_WORDS)
            expr = (f"(CASE WHEN lower(trim({src})) IN ({t_words}) THEN true "
                    f"WHEN lower(trim({src})) IN ({f_words}) THEN false END)")
        else:
            return "CAST(NULL AS BOOLEAN)", f"{src} IS NOT NULL", expected
        return expr, f"NOT {blank} AND {expr} IS NULL", expected
    raise ValueError(f"unknown contract type {t!r}")


_CONTRACT_COLUMNS = frozenset(c.name for t in TABLES.values() for c in t.columns)

DUCK_TYPE = {"id": "VARCHAR", "str": "VARCHAR", "timestamp": "TIMESTAMPTZ", "date": "DATE",
              "float": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN"}



#: Rules between two columns of a row: (column, other column, condition of a bad row on their typed
#: expressions ``{a}`` and ``{b}``, message, expected).
ROW_RULES = {
    "traffic": (
        ("end_date", "date", "({a}) < ({b})", "before the row's date", "an end_date on or after date (the period's last day)"),
        ("engaged_sessions", "sessions", "({a}) > ({b})", "above the row's sessions",
         "engaged_sessions <= sessions (engaged sessions are some of the sessions)"),
    ),
    "search_terms": (
        ("end_date", "date", "({a}) < ({b})", "before the row's date", "an end_date on or after date (the period's last day)"),
    ),
}


#: Aggregated tables: the columns that make a row's segment; two rows with the same would be counted twice.
SEGMENT_KEYS = {"traffic": ("date", "end_date", "channel", "device", "landing_page"),
                "search_terms": ("date", "end_date", "no_results", "query")}


def _repeated_segments(duck: duckdb.DuckDBPyConnection, table: str, typed: dict[str, str], rel: str, prefix: str,
                       src: SourceFile) -> list[Problem]:
    keys = SEGMENT_KEYS[table]
    exprs = ", ".join(typed[k] for k in keys)
    found = duck.execute(f"SELECT min(__row), count(*) FROM {rel} GROUP BY {exprs} HAVING count(*) > 1 "
                         f"ORDER BY 1 LIMIT {MAX_EXAMPLES}").fetchall()
    if not found:
        return []
    return [Problem(f"{plural(len(found), 'segment')} on several rows (the same report imported twice?)",
                    file=src.label, column=", ".join(keys), count=len(found),
                    examples=tuple((f"{prefix} {first} and {n - 1} more row{'s' if n > 2 else ''} with the same "
                                    f"{', '.join(keys)}",) for first, n in found),
                    expected="one row per period and segment (their numbers would be counted twice)")]


def build_table(duck: duckdb.DuckDBPyConnection, spec: TableSpec, src: SourceFile, rel: str, prefix: str,
                 *, materialize: bool) -> tuple[frozenset[str], list[Problem]]:
    """Create the typed relation ``spec.name`` from raw relation ``rel``; returns (provided columns, problems)."""
    described = duck.execute(f"DESCRIBE {rel}").fetchall()
    raw_types = {row[0]: row[1] for row in described if row[0] != "__row"}
    by_norm: dict[str, str] = {}
    problems: list[Problem] = []
    for raw_name in raw_types:
        norm = normalize_header(raw_name)
        base = re.sub(r"__\d+$", "", norm)
        if norm in by_norm or (base != norm and base in by_norm):
            norm = base
            problems.append(Problem(f"column {norm!r} appears twice", file=src.label, column=norm))
        by_norm[norm] = raw_name
    missing = [c for c in spec.required if c not in by_norm]
    if missing and by_norm and not set(by_norm) & _CONTRACT_COLUMNS:
        # no header row: the names are a line of data, never quoted (it may be personal data)
        return frozenset(), [Problem(f"the first line has {plural(len(by_norm), 'field')}, none of them a column name "
                                     "of the data contract: is the header row missing?", file=src.label,
                                     expected=f"a header row with the columns {', '.join(spec.required)}")]
    for name in missing:
        close = difflib.get_close_matches(name, by_norm, n=1, cutoff=0.6)
        hint = f" (found {close[0]!r}: a typo?)" if close else ""
        problems.append(Problem(f"required column is missing{hint}", file=src.label, column=name,
                                expected=f"columns {', '.join(spec.required)} (found: {', '.join(by_norm) or 'none'})"))
    if problems:
        return frozenset(), problems
    n_rows = duck.execute(f"SELECT count(*) FROM {rel}").fetchall()[0][0]
    if n_rows == 0:
        return frozenset(), [Problem("has a header but no rows", file=src.label,
                                     expected=f"at least one {spec.doc.split(' per ')[-1]} row, or no file at all")]

    selects: list[str] = []
    checks: list[tuple[str, str, str, str, str]] = []  # (column, condition, value sql, message, expected)
    provided = []
    # Text ids (and defaulted text) of a view are trimmed on every scan; when the validation pass
    # finds no value to trim or blank, the view exposes the column as it is (the same values).
    # The check of such a column runs in two steps: a quick one (is the first or last character
    # outside printable ASCII, or the value empty? DuckDB's trim only removes spaces, ASCII or
    # Unicode), and, only when some value is flagged, the exact one with trim(). Until a column
    # is flagged, "empty in a required column" is just "null" (no value is blank or trimmable).
    # column -> (index in selects, the untouched expression, exact condition needing the cleaning, quick superset)
    dirty: dict[str, tuple[int, str, str, str]] = {}
    quick: dict[int, tuple[str, str]] = {}  # index in checks -> (its condition while the column is clean, column)
    typed: dict[str, str] = {}  # column -> its typed expression
    for col in spec.columns:
        if col.name in by_norm:
            provided.append(col.name)
            src_sql = q(by_norm[col.name])
            expr, bad, expected = _typed_sql(col, src_sql, _kind(raw_types[by_norm[col.name]]), src.french)
            candidate = (not materialize and _kind(raw_types[by_norm[col.name]]) == "text"
                         and (col.type == "id" or (col.type == "str" and col.default)))
            if candidate:
                dirty[col.name] = (
                    len(selects), src_sql if col.type == "id" else f"coalesce({src_sql}, {lit(col.default)})",
                    f"{src_sql} <> trim({src_sql}) OR {src_sql} = ''",
                    f"ascii({src_sql}) NOT BETWEEN 33 AND 126 OR ascii({src_sql}[-1]) NOT BETWEEN 33 AND 126")
            if bad is not None:
                checks.append((col.name, bad, src_sql, "cannot be read", expected))
            if col.type in ("timestamp", "date"):  # infinity, year 0001 or 10000: no calendar to count in
                checks.append((col.name, f"({expr}) IS NOT NULL AND NOT (isfinite({expr}) AND ({expr}) >= DATE "
                                         f"'{MIN_DATE}' AND ({expr}) < DATE '{MAX_DATE}')", src_sql,
                               f"outside the years {MIN_DATE[:4]} to {int(MAX_DATE[:4]) - 1}",
                               f"a date from {MIN_DATE} to {int(MAX_DATE[:4]) - 1}-12-31"))
            if col.required:
                cond = f"({expr}) IS NULL" + (f" AND NOT ({bad})" if bad else "")
                if candidate and bad is None and col.type == "id":
                    quick[len(checks)] = (f"{src_sql} IS NULL", col.name)
                checks.append((col.name, cond, src_sql, "empty in a required column", expected))
            if col.min is not None:
                checks.append((col.name, f"({expr}) < {col.min}", src_sql, f"below {col.min:g}",
                               f"values >= {col.min:g}"))
        elif col.default is not None:
            expr = lit(col.default)
        else:
            expr = f"CAST(NULL AS {DUCK_TYPE[col.type]})"
        selects.append(f"{expr} AS {q(col.name)}")
        typed[col.name] = expr
    for column, other, cond, message, expected in ROW_RULES.get(spec.name, ()):
        if column in by_norm and other in by_norm:
            checks.append((column, cond.format(a=typed[column], b=typed[other]), q(by_norm[column]), message, expected))
    if spec.name == "sessions" and "channel" not in by_norm and ("source" in by_norm or "medium" in by_norm):
        src_sql = q(by_norm["source"]) if "source" in by_norm else "NULL"
        med_sql = q(by_norm["medium"]) if "medium" in by_norm else "NULL"
        camp_sql = q(by_norm["campaign"]) if "campaign" in by_norm else "NULL"
        idx = [i for i, s in enumerate(selects) if s.endswith(' AS "channel"')][0]
        selects[idx] = f"{channel_case_sql(src_sql, med_sql, camp_sql)} AS \"channel\""
        provided.append("channel")
    extras = [n for n in by_norm if n not in spec.names and not n.startswith("__") and n != LOCAL_DATE]
    selects += [f"{q(by_norm[n])} AS {q(n)}" for n in extras]
    # the local date of the time column: the connection's TimeZone is the client's
    selects.append(f"CAST({typed[spec.time_column]} AS DATE) AS {q(LOCAL_DATE)}")

    clean: set[str] = set()  # text columns with nothing to trim and no empty string
    # ids counted and counted distinct in the same scan (as they are for a candidate column, valid
    # if it turns out clean); not for a big table: a distinct count holds every id in memory, when
    # grouping them (what _duplicate_problems does then) spills to disk under the memory limit
    unique: dict[str, str] = {}  # column -> key sql
    for col in spec.columns:
        if col.unique and col.name in by_norm and n_rows <= distinct_rows_in_memory(duck):
            src_sql = q(by_norm[col.name])
            unique[col.name] = src_sql if col.name in dirty else \
                _typed_sql(col, src_sql, _kind(raw_types[by_norm[col.name]]), src.french)[0]
    id_counts: dict[str, tuple[int, int]] = {}
    if checks or dirty:
        conds = [quick[i][0] if i in quick else c[1] for i, c in enumerate(checks)] + [d[3] for d in dirty.values()]
        aggs = [f"count_if({c})" for c in conds] + [f"count({k}), count(DISTINCT {k})" for k in unique.values()]
        counts = list(duck.execute(f"SELECT {', '.join(aggs)} FROM {rel}").fetchall()[0])
        for i, name in enumerate(unique):
            id_counts[name] = tuple(counts[len(conds) + 2 * i: len(conds) + 2 * i + 2])
        dirty_counts = dict(zip(dirty, counts[len(checks):len(conds)]))
        flagged = [name for name, n in dirty_counts.items() if n]
        if flagged:  # the exact conditions for the flagged columns
            redo = [i for i in quick if quick[i][1] in flagged]
            exact = [checks[i][1] for i in redo] + [dirty[name][2] for name in flagged]
            again = duck.execute(f"SELECT {', '.join(f'count_if({c})' for c in exact)} FROM {rel}").fetchall()[0]
            for i, n in zip(redo, again):
                counts[i] = n
            dirty_counts.update(zip(flagged, again[len(redo):]))
        for name, (index, untouched, _, _) in dirty.items():
            if dirty_counts[name] == 0:
                selects[index] = f"{untouched} AS {q(name)}"
                clean.add(name)
        counts = counts[:len(checks)]
        for (column, cond, value_sql, message, expected), count in zip(checks, counts):
            if count:
                rows = duck.execute(
                    f"SELECT __row, {value_sql} FROM {rel} WHERE {cond} ORDER BY __row LIMIT {MAX_EXAMPLES}"
                ).fetchall()
                problems.append(Problem(f"{plural(int(count), 'value')}: {message}", file=src.label, column=column, count=int(count),
                                        examples=tuple((f"{prefix} {r}", v) for r, v in rows), expected=expected))
    for col in spec.columns:
        if col.unique and col.name in by_norm:
            valid = col.name in id_counts and (col.name not in dirty or col.name in clean)
            problems += _duplicate_problems(duck, col, rel, prefix, src, by_norm[col.name], raw_types[by_norm[col.name]],
                                            clean=col.name in clean, counts=id_counts[col.name] if valid else None,
                                            rows=n_rows)
    if spec.name in SEGMENT_KEYS and not problems:
        problems += _repeated_segments(duck, spec.name, typed, rel, prefix, src)
    if problems:
        return frozenset(), problems

    kind = "TABLE" if materialize else "VIEW"
    duck.execute(f"CREATE OR REPLACE {kind} {q(spec.name)} AS SELECT {', '.join(selects)} FROM {rel}")
    if materialize:
        duck.execute(f"DROP TABLE IF EXISTS {rel}")
    return frozenset(provided), problems


def rows_in_memory(duck: duckdb.DuckDBPyConnection, bytes_per_row: int) -> int:
    """How many rows of about ``bytes_per_row`` bytes fit within the connection's memory limit."""
    limit = duck.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    number, unit = str(limit).split() if " " in str(limit) else (str(limit)[:-3], str(limit)[-3:])
    factor = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "KB": 10**3, "MB": 10**6, "GB": 10**9,
              "TB": 10**12}.get(unit.strip(), 10**9)
    return int(float(number) * factor) // bytes_per_row


def distinct_rows_in_memory(duck: duckdb.DuckDBPyConnection) -> int:
    """Rows of ids a distinct count may hold in memory: about 64 bytes each within the connection's
    memory limit (1 GB: 16M rows); beyond, ids are counted in parts."""
    return rows_in_memory(duck, 64)


def _duplicate_problems(duck: duckdb.DuckDBPyConnection, col: Column, rel: str, prefix: str, src: SourceFile,
                        raw_name: str, raw_type: str, *, clean: bool = False,
                        counts: tuple[int, int] | None = None, rows: int | None = None) -> list[Problem]:
    """Ids that appear more than once, with the rows of the first one (``clean``: the text
    column has no value to trim, so it is compared as it is; ``counts``: the number of ids and of
    distinct ids, when the caller already has them)."""
    key = q(raw_name) if clean else _typed_sql(col, q(raw_name), _kind(raw_type), src.french)[0]
    # with the counts of one cheap pass (twice as fast on 10M ids as grouping), the rows of the
    # duplicates are only looked for when there are some. Without them (a table too big for one
    # distinct count in memory), the ids are counted in parts by their hash, each part's distinct
    # ids within the memory limit: no id is in two parts, so an id repeats only within its part
    repeated = f"SELECT count(*) FROM (SELECT {key} AS k FROM {rel} WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1)"
    total = None
    if counts is not None:
        if counts[0] == counts[1]:
            return []
    else:
        parts = max(1, -(-(rows or 0) // max(1, distinct_rows_in_memory(duck))))
        for i in range(parts):
            n, distinct = duck.execute(f"SELECT count(k), count(DISTINCT k) FROM (SELECT {key} AS k FROM {rel}) "
                                       f"WHERE hash(k) % {parts} = {i}").fetchall()[0]
            if n != distinct:
                break
        else:
            return []
    dup = duck.execute(
        f"SELECT k, count(*) AS n, min(__row) AS first FROM (SELECT {key} AS k, __row FROM {rel}) "
        f"WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1 ORDER BY first LIMIT {MAX_EXAMPLES}"
    ).fetchall()
    if not dup:
        return []
    if total is None:
        total = duck.execute(repeated).fetchall()[0][0]
    rows = duck.execute(f"SELECT __row FROM {rel} WHERE {key} = ? ORDER BY __row LIMIT {MAX_EXAMPLES}",
                        [dup[0][0]]).fetchall()
    where = ", ".join(f"{prefix} {r}" for (r,) in rows)
    # ids are never quoted (a customer or visitor id is personal data): their rows are
    return [Problem(f"{plural(int(total), 'duplicated id')} (the first is on {where})",
                    file=src.label, column=col.name, count=int(total),
                    examples=tuple((f"{prefix} {first} and {n - 1} more row{'s' if n > 2 else ''} with that id",)
                                   for _, n, first in dup), expected="each id once")]


def future_warnings(duck: duckdb.DuckDBPyConnection, tables: set[str], sources: dict[str, SourceFile]) -> list[Problem]:
    """Rows dated after tomorrow (local time): typos such as 2062 for 2026, kept but named."""
    out = []
    for name in sorted(tables):
        col = q(TABLES[name].time_column)
        n, latest = duck.execute(
            f"SELECT count(*), CAST(max({col}) AS DATE) FROM {q(name)} "
            f"WHERE CAST({col} AS DATE) > CAST(current_timestamp AS DATE) + 1").fetchall()[0]
        if n:
            out.append(Problem(f"{plural(int(n), 'row')} dated after today (the latest on {latest}): a typo? They are "
                               "kept, but the default period (the last full month) ends today at the latest",
                               file=sources[name].label, column=TABLES[name].time_column, count=int(n)))
    return out


def reference_warnings(duck: duckdb.DuckDBPyConnection, tables: set[str], sources: dict[str, SourceFile]) -> list[Problem]:
    """Rows pointing to ids that the other table does not hold (warnings, not errors).

    One query per target table: the distinct ids the other tables point to are looked up in the
    target in one scan of it (a semi-join with the small side hashed), and each table's rows are
    counted against the few ids that were not found; examples are only fetched for a table with
    such rows.
    """
    links = [("orders", "session_id", "sessions", "session_id"),
             ("carts", "order_id", "orders", "order_id"),
             ("carts", "session_id", "sessions", "session_id"),
             ("searches", "session_id", "sessions", "session_id")]
    out: dict[tuple[str, str], Problem] = {}
    for target, key in (("sessions", "session_id"), ("orders", "order_id")):
        found = [(t, c) for t, c, tg, _ in links if tg == target and t in tables and target in tables]
        if not found:
            continue
        refs = " UNION ALL ".join(f"SELECT {q(c)} AS k FROM {q(t)}" for t, c in found)
        counts = ", ".join(f"(SELECT count(*) FROM {q(t)} t SEMI JOIN missing m ON m.k = t.{q(c)})" for t, c in found)
        ns = duck.execute(
            f"WITH refs AS (SELECT DISTINCT k FROM ({refs}) WHERE k IS NOT NULL), "
            f"hit AS (SELECT {q(key)} AS k FROM {q(target)} SEMI JOIN refs ON refs.k = {q(target)}.{q(key)}), "
            f"missing AS (SELECT k FROM refs ANTI JOIN hit USING (k)) SELECT {counts}"
        ).fetchall()[0]
        for (table, column), n in zip(found, ns):
            if n:
                out[(table, column)] = Problem(
                    f"{plural(int(n), 'row')} point to a {key} that is not in {sources[target].label}",
                    file=sources[table].label, column=column, count=int(n))
    return [out[(t, c)] for t, c, _, _ in links if (t, c) in out]

