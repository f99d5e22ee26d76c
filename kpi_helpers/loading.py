"""Read a client folder (or pandas frames) into typed Ibis tables on an in-process DuckDB.

The folder follows ``shared/spec/data-contract.md``; :mod:`kpi_helpers.contract` declares it as
code. Reading happens in DuckDB: CSV and Excel files are read as text and converted column by
column with the contract's types, so every value that does not parse is reported with its row;
Parquet files stay where they are and are read through a typed view (10M sessions validate in
seconds without being copied into memory).

Timestamps are stored as ``TIMESTAMPTZ`` and the connection's ``TimeZone`` is the client's, so
casting to a date, truncating to a week or extracting an hour all happen in the client's local
time, while durations (``delta``) stay exact across daylight-saving changes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import errno
import functools
import gzip
import io
import re
import shutil
import tempfile
import zlib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import duckdb
import ibis
import pandas as pd

from . import deadline
from .channels import channel_case_sql
from .contract import DEFAULT_SETTINGS, EXTENSIONS, LOCAL_DATE, TABLE_NAMES, TABLES, Column, TableSpec
from .errors import KpiInputError, Problem, brief
from .results import register as _keep_results
from .safeyaml import load_yaml

__all__ = [
    "Client",
    "Settings",
    "SourceFile",
    "load_client",
    "client_from_frames",
    "as_client",
    "temp_table",
    "release",
]

MIN_DATE, MAX_DATE = "1900-01-01", "2200-01-01"  # the dates a table may hold (pandas counts in ns up to 2262)
IGNORED_SUFFIXES = (".md", ".txt", ".rst", ".pdf", ".html")
MAX_EXAMPLES = 5
MAX_COLUMNS = 500  # columns a table file may have: a contract table has about 15
FRENCH_DATE_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"]
TRUE_WORDS = ("true", "t", "1", "yes", "y", "oui", "vrai", "1.0")
FALSE_WORDS = ("false", "f", "0", "no", "n", "non", "faux", "0.0")


# ----------------------------------------------------------------------------------------------
# Settings (client.yml)


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

    def replace(self, **changes: Any) -> "Settings":
        values = {k: v for k, v in self.__dict__.items()}
        values.update({k: v for k, v in changes.items() if v is not None})
        return Settings(**values)


def _check_settings(raw: Mapping[str, Any], *, file: str, default_name: str) -> tuple[Settings, list[Problem], list[Problem]]:
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
    return Settings(**values), errors, warnings


@functools.cache
def known_timezones() -> frozenset[str]:
    """The IANA timezone names both Python and DuckDB know (Python also accepts file paths of its
    zoneinfo folder, such as ``posix/Europe/Paris``, ``right/UTC`` or ``localtime``, which DuckDB
    refuses)."""
    duck = {name for (name,) in duckdb.sql("SELECT name FROM pg_timezone_names()").fetchall()}
    return frozenset(duck & zoneinfo.available_timezones())


def _regex_problem(pattern: str) -> str | None:
    """None if DuckDB (RE2) accepts ``pattern``, else its complaint."""
    try:
        duckdb.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


def _read_settings(folder: Path) -> tuple[Settings, list[Problem], list[Problem]]:
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
    return _check_settings(raw, file=path.name, default_name=folder.name)


# ----------------------------------------------------------------------------------------------
# The loaded client


@dataclass
class SourceFile:
    """Where a table came from and how it was read."""

    table: str
    label: str  # file name shown in messages
    path: Path | None = None
    fmt: str = "frame"  # csv, csv.gz, parquet, xlsx or frame
    encoding: str | None = None
    separator: str | None = None
    french: bool = False  # French spreadsheet conventions (decimal comma, DD/MM/YYYY)

    def describe(self) -> str:
        if self.fmt in ("csv", "csv.gz"):
            sep = {";": "';'", ",": "','", "\t": "tab"}.get(self.separator or ",", repr(self.separator))
            extra = ", French spreadsheet export (decimal comma)" if self.french else ""
            return f"{self.fmt}, {self.encoding}, {sep} separator{extra}"
        return self.fmt


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
        rows = []
        for name, table in self.tables.items():
            day = table[LOCAL_DATE]
            n, first, last = table.aggregate(n=table.count(), first=day.min(), last=day.max()).to_pandas().iloc[0]
            first, last = (None if pd.isna(d) else pd.Timestamp(d).date() for d in (first, last))
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
        firsts, lasts = [], []
        for name, table in self.tables.items():
            day = table[LOCAL_DATE]
            if through is not None:
                table = table.filter(day <= through)
            first, last = table.aggregate(first=day.min(), last=day.max()).execute().iloc[0]
            if first is not None and not pd.isna(first):
                firsts.append(pd.Timestamp(first).date())
                lasts.append(pd.Timestamp(last).date())
        return (min(firsts), max(lasts)) if firsts else (None, None)

    def today(self) -> dt.date:
        """Today's date in the client's timezone."""
        return dt.datetime.now(zoneinfo.ZoneInfo(self.timezone)).date()

    def with_settings(self, **changes: Any) -> "Client":
        """The same tables with some settings replaced (None leaves a setting as it is)."""
        if "timezone" in changes and changes["timezone"] not in (None, self.timezone):
            raise ValueError("the timezone of a loaded client cannot be changed; reload it")
        return Client(self.settings.replace(**changes), self.con, self.tables, self.provided,
                      self.sources, self.warnings, self.path)


# ----------------------------------------------------------------------------------------------
# SQL building blocks: one typed expression per contract column


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
            expr = f"coalesce({expr}, {_lit(col.default)})"
        return expr, None, "text"
    if t == "timestamp":
        expected = "an ISO 8601 timestamp such as 2024-03-01 14:30:00 or 2024-03-01T14:30:00+01:00"
        if kind == "text":
            expr = f"TRY_CAST(trim({src}) AS TIMESTAMPTZ)"
            if french:
                fmts = ", ".join(_lit(f) for f in FRENCH_DATE_FORMATS)
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
                fmts = ", ".join(_lit(f) for f in FRENCH_DATE_FORMATS)
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
            t_words = ", ".join(_lit(w) for w in TRUE_WORDS)
            f_words = ", ".join(_lit(w) for w in FALSE_WORDS)
            expr = (f"(CASE WHEN lower(trim({src})) IN ({t_words}) THEN true "
                    f"WHEN lower(trim({src})) IN ({f_words}) THEN false END)")
        else:
            return "CAST(NULL AS BOOLEAN)", f"{src} IS NOT NULL", expected
        return expr, f"NOT {blank} AND {expr} IS NULL", expected
    raise ValueError(f"unknown contract type {t!r}")


_CONTRACT_COLUMNS = frozenset(c.name for t in TABLES.values() for c in t.columns)

_DUCK_TYPE = {"id": "VARCHAR", "str": "VARCHAR", "timestamp": "TIMESTAMPTZ", "date": "DATE",
              "float": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN"}


# ----------------------------------------------------------------------------------------------
# Reading one source into a raw relation


def _normalize_header(name: str) -> str:
    return str(name).replace("\ufeff", "").strip().lower()


def _head_bytes(path: Path, gz: bool, size: int = 1 << 18) -> bytes:
    opener = gzip.open if gz else open
    with opener(path, "rb") as fh:
        return fh.read(size)


def _sniff_encoding(head: bytes, size: int = 1 << 18) -> str:
    """The encoding of a text file from its first ``size`` bytes ``head``: UTF-8 with BOM, UTF-16
    with its byte-order mark (Excel's "Unicode text", Google Ads' "CSV Excel", Matomo's CSV),
    UTF-8, else cp1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    cut = head.rfind(b"\n")
    sample = head if len(head) < size or cut < 0 else head[:cut]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _sniff_csv(path: Path, gz: bool) -> tuple[str, str]:
    """(encoding, separator) of a CSV file: UTF-8 (with or without BOM), UTF-16 or cp1252; ';' ',' or tab."""
    head = _head_bytes(path, gz)
    encoding = _sniff_encoding(head)
    text = head.decode(encoding, errors="replace")
    first = text.splitlines()[0] if text else ""
    counts = {sep: _count_outside_quotes(first, sep) for sep in (";", ",", "\t")}
    separator = max(counts, key=lambda s: (counts[s], s == ","))
    return encoding, separator


def _count_outside_quotes(line: str, sep: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            n += 1
    return n


def _csv_header(path: Path, gz: bool, encoding: str, separator: str) -> list[str]:
    """Column names of the header row, made unique (a repeated name gets a ``__2`` suffix so that
    the problem can be reported on the named column rather than as a read failure)."""
    opener = gzip.open if gz else open
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as fh:
        try:
            names = next(csv.reader(fh, delimiter=separator), [])
        except csv.Error as exc:  # a header field past the csv module's limit (131,072 characters)
            raise KpiInputError(Problem(f"the header line cannot be read ({exc})", file=path.name,
                                        expected="a header row of column names")) from None
    if len(names) > MAX_COLUMNS:
        raise KpiInputError(Problem(f"the header has {len(names):,} columns", file=path.name,
                                    expected=f"at most {MAX_COLUMNS} columns (a contract table has about 15)"))
    seen: dict[str, int] = {}
    out = []
    for name in names:
        key = _normalize_header(name)
        seen[key] = seen.get(key, 0) + 1
        out.append(name if seen[key] == 1 else f"{name}__{seen[key]}")
    return out


def _transcode_to_utf8(path: Path, gz: bool, encoding: str, tmpdir: Path) -> Path:
    out = tmpdir / (path.name.removesuffix(".gz") + ".utf8.csv")
    opener = gzip.open if gz else open
    with opener(path, "rb") as raw, open(out, "w", encoding="utf-8", newline="") as dst:
        reader = io.TextIOWrapper(raw, encoding=encoding, newline="")
        shutil.copyfileobj(reader, dst, 1 << 20)
    return out


def _csv_structure_problem(path: Path, gz: bool, encoding: str, separator: str, label: str) -> Problem:
    """Find the first lines whose number of fields differs from the header's (a clearer message
    than the CSV reader's)."""
    opener = gzip.open if gz else open
    bad: list[tuple[str, object]] = []
    count = 0
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator)
        header = next(reader, [])
        try:
            for row in reader:
                if len(row) != len(header) and row:
                    count += 1
                    if len(bad) < MAX_EXAMPLES:
                        bad.append((f"line {reader.line_num}: {len(row)} fields",))
        except csv.Error:  # a field longer than the csv module reads (131,072 characters)
            return Problem(f"line {reader.line_num + 1}: a field of more than {csv.field_size_limit():,} characters "
                           "(an unclosed quote?)", file=label,
                           expected=f"{len(header)} fields separated by {separator!r} on every line")
    if bad:
        return Problem(f"{_plural(count, 'line')} without the header's {len(header)} fields", file=label,
                       examples=tuple(bad), count=count,
                       expected=f"{len(header)} fields separated by {separator!r} on every line")
    return Problem("cannot be read as CSV", file=label,
                   expected="a CSV file with a header row (',' or ';' separator, UTF-8 or cp1252)")


class _Reader:
    """Registers sources as raw relations on a DuckDB connection and records their problems."""

    def __init__(self, duck: duckdb.DuckDBPyConnection, tmpdir: Path):
        self.duck = duck
        self.tmpdir = tmpdir

    def csv(self, src: SourceFile) -> tuple[str, str]:
        """Create ``_raw_<table>`` (all text) with a ``__row`` label column; returns (relation, row label prefix)."""
        try:
            return self._csv(src)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise KpiInputError(Problem(f"cannot be read as gzip ({exc})", file=src.label,
                                        expected="a complete gzip-compressed CSV file (.csv.gz)")) from None

    def _csv(self, src: SourceFile) -> tuple[str, str]:
        assert src.path is not None
        gz = src.fmt == "csv.gz"
        encoding, separator = _sniff_csv(src.path, gz)
        src.encoding, src.separator = encoding, separator
        # a ';' file, or Excel's "Unicode text" (UTF-16, tabs), is a spreadsheet's export: decimal comma allowed
        src.french = separator == ";" or (encoding == "utf-16" and separator == "\t")
        rel = f"_raw_{src.table}"
        path = src.path
        if encoding in ("cp1252", "utf-16"):  # DuckDB reads UTF-8 only
            path = _transcode_to_utf8(src.path, gz, encoding, self.tmpdir)
        header = _csv_header(src.path, gz, encoding, separator)
        columns = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
        for attempt in range(2):
            try:
                self.duck.execute(
                    f"CREATE OR REPLACE TABLE {rel} AS SELECT * FROM read_csv(?, delim=?, header=true, "
                    f"auto_detect=false, columns={columns}, quote='\"', escape='\"', strict_mode=true)",
                    [str(path), separator],
                )
                break
            except duckdb.Error as exc:
                if attempt == 0 and encoding not in ("cp1252", "utf-16") and "unicode" in str(exc).lower():
                    encoding = src.encoding = "cp1252"
                    path = _transcode_to_utf8(src.path, gz, encoding, self.tmpdir)
                    continue
                raise KpiInputError(_csv_structure_problem(src.path, gz, encoding, separator, src.label)) from None
        self.duck.execute(f"CREATE OR REPLACE TABLE {rel} AS SELECT rowid + 2 AS __row, * FROM {rel}")
        return rel, "line"

    def parquet(self, src: SourceFile) -> tuple[str, str]:
        rel = f"_raw_{src.table}"
        try:
            self.duck.execute(
                f"CREATE OR REPLACE VIEW {rel} AS SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) "
                f"FROM read_parquet({_lit(str(src.path))}, file_row_number=true)"
            )
            n_columns = len(self.duck.execute(f"SELECT * FROM {rel} LIMIT 0").description) - 1
        except duckdb.Error as exc:
            raise KpiInputError(Problem(f"cannot be read as Parquet ({str(exc).splitlines()[0]})", file=src.label)) from None
        if n_columns > MAX_COLUMNS:
            raise KpiInputError(Problem(f"has {n_columns:,} columns", file=src.label,
                                        expected=f"at most {MAX_COLUMNS} columns (a contract table has about 15)"))
        return rel, "row"

    def xlsx(self, src: SourceFile) -> tuple[str, str]:
        src.french = True
        try:
            import openpyxl

            book = openpyxl.load_workbook(src.path, read_only=True)
            n_columns = book.worksheets[0].max_column or 0
            book.close()
            if n_columns > MAX_COLUMNS:
                raise KpiInputError(Problem(f"its first sheet has {n_columns:,} columns", file=src.label,
                                            expected=f"at most {MAX_COLUMNS} columns (a contract table has about 15)"))
            frame = pd.read_excel(src.path, sheet_name=0, dtype=str, engine="openpyxl")
        except KpiInputError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a corrupt workbook
            raise KpiInputError(Problem(f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})",
                                        file=src.label)) from None
        frame = frame.astype(object).where(frame.notna(), None)
        frame.insert(0, "__row", range(2, len(frame) + 2))
        return self.frame(src, frame, prefix="row")

    def frame(self, src: SourceFile, frame: pd.DataFrame, prefix: str = "row index") -> tuple[str, str]:
        rel = f"_raw_{src.table}"
        if "__row" not in frame.columns:
            frame = frame.copy()
            frame.insert(0, "__row", range(len(frame)))
        frame.columns = [str(c) for c in frame.columns]
        self.duck.register(f"{rel}_df", frame)
        self.duck.execute(f"CREATE OR REPLACE TABLE {rel} AS SELECT * FROM {rel}_df")
        self.duck.unregister(f"{rel}_df")
        return rel, prefix


# ----------------------------------------------------------------------------------------------
# Typing and checking one table


def _build_table(duck: duckdb.DuckDBPyConnection, spec: TableSpec, src: SourceFile, rel: str, prefix: str,
                 *, materialize: bool) -> tuple[frozenset[str], list[Problem]]:
    """Create the typed relation ``spec.name`` from raw relation ``rel``; returns (provided columns, problems)."""
    described = duck.execute(f"DESCRIBE {rel}").fetchall()
    raw_types = {row[0]: row[1] for row in described if row[0] != "__row"}
    by_norm: dict[str, str] = {}
    problems: list[Problem] = []
    for raw_name in raw_types:
        norm = _normalize_header(raw_name)
        base = re.sub(r"__\d+$", "", norm)
        if norm in by_norm or (base != norm and base in by_norm):
            norm = base
            problems.append(Problem(f"column {norm!r} appears twice", file=src.label, column=norm))
        by_norm[norm] = raw_name
    missing = [c for c in spec.required if c not in by_norm]
    if missing and by_norm and not set(by_norm) & _CONTRACT_COLUMNS:
        # no header row: the names are a line of data, never quoted (it may be personal data)
        return frozenset(), [Problem(f"the first line has {_plural(len(by_norm), 'field')}, none of them a column name "
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
            src_sql = _q(by_norm[col.name])
            expr, bad, expected = _typed_sql(col, src_sql, _kind(raw_types[by_norm[col.name]]), src.french)
            candidate = (not materialize and _kind(raw_types[by_norm[col.name]]) == "text"
                         and (col.type == "id" or (col.type == "str" and col.default)))
            if candidate:
                dirty[col.name] = (
                    len(selects), src_sql if col.type == "id" else f"coalesce({src_sql}, {_lit(col.default)})",
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
            expr = _lit(col.default)
        else:
            expr = f"CAST(NULL AS {_DUCK_TYPE[col.type]})"
        selects.append(f"{expr} AS {_q(col.name)}")
        typed[col.name] = expr
    if spec.name == "sessions" and "channel" not in by_norm and ("source" in by_norm or "medium" in by_norm):
        src_sql = _q(by_norm["source"]) if "source" in by_norm else "NULL"
        med_sql = _q(by_norm["medium"]) if "medium" in by_norm else "NULL"
        camp_sql = _q(by_norm["campaign"]) if "campaign" in by_norm else "NULL"
        idx = [i for i, s in enumerate(selects) if s.endswith(' AS "channel"')][0]
        selects[idx] = f"{channel_case_sql(src_sql, med_sql, camp_sql)} AS \"channel\""
        provided.append("channel")
    extras = [n for n in by_norm if n not in spec.names and not n.startswith("__") and n != LOCAL_DATE]
    selects += [f"{_q(by_norm[n])} AS {_q(n)}" for n in extras]
    # the local date of the time column: the connection's TimeZone is the client's
    selects.append(f"CAST({typed[spec.time_column]} AS DATE) AS {_q(LOCAL_DATE)}")

    clean: set[str] = set()  # text columns with nothing to trim and no empty string
    # ids counted and counted distinct in the same scan (as they are for a candidate column, valid
    # if it turns out clean)
    unique: dict[str, str] = {}  # column -> key sql
    for col in spec.columns:
        if col.unique and col.name in by_norm:
            src_sql = _q(by_norm[col.name])
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
                selects[index] = f"{untouched} AS {_q(name)}"
                clean.add(name)
        counts = counts[:len(checks)]
        for (column, cond, value_sql, message, expected), count in zip(checks, counts):
            if count:
                rows = duck.execute(
                    f"SELECT __row, {value_sql} FROM {rel} WHERE {cond} ORDER BY __row LIMIT {MAX_EXAMPLES}"
                ).fetchall()
                problems.append(Problem(f"{_plural(int(count), 'value')}: {message}", file=src.label, column=column, count=int(count),
                                        examples=tuple((f"{prefix} {r}", v) for r, v in rows), expected=expected))
    for col in spec.columns:
        if col.unique and col.name in by_norm:
            valid = col.name in id_counts and (col.name not in dirty or col.name in clean)
            problems += _duplicate_problems(duck, col, rel, prefix, src, by_norm[col.name], raw_types[by_norm[col.name]],
                                            clean=col.name in clean, counts=id_counts[col.name] if valid else None)
    if problems:
        return frozenset(), problems

    kind = "TABLE" if materialize else "VIEW"
    duck.execute(f"CREATE OR REPLACE {kind} {_q(spec.name)} AS SELECT {', '.join(selects)} FROM {rel}")
    if materialize:
        duck.execute(f"DROP TABLE IF EXISTS {rel}")
    return frozenset(provided), problems


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _duplicate_problems(duck: duckdb.DuckDBPyConnection, col: Column, rel: str, prefix: str, src: SourceFile,
                        raw_name: str, raw_type: str, *, clean: bool = False,
                        counts: tuple[int, int] | None = None) -> list[Problem]:
    """Ids that appear more than once, with the rows of the first one (``clean``: the text
    column has no value to trim, so it is compared as it is; ``counts``: the number of ids and of
    distinct ids, when the caller already has them)."""
    key = _q(raw_name) if clean else _typed_sql(col, _q(raw_name), _kind(raw_type), src.french)[0]
    # one cheap pass first (twice as fast on 10M ids as grouping with row numbers); the rows of the
    # duplicates are only looked for when there are some
    n, distinct = counts or duck.execute(f"SELECT count({key}), count(DISTINCT {key}) FROM {rel}").fetchall()[0]
    if n == distinct:
        return []
    dup = duck.execute(
        f"SELECT k, count(*) AS n, min(__row) AS first FROM (SELECT {key} AS k, __row FROM {rel}) "
        f"WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1 ORDER BY first LIMIT {MAX_EXAMPLES}"
    ).fetchall()
    if not dup:
        return []
    total = duck.execute(
        f"SELECT count(*) FROM (SELECT {key} AS k FROM {rel} WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1)"
    ).fetchall()[0][0]
    rows = duck.execute(f"SELECT __row FROM {rel} WHERE {key} = ? ORDER BY __row LIMIT {MAX_EXAMPLES}",
                        [dup[0][0]]).fetchall()
    where = ", ".join(f"{prefix} {r}" for (r,) in rows)
    # ids are never quoted (a customer or visitor id is personal data): their rows are
    return [Problem(f"{_plural(int(total), 'duplicated id')} (the first is on {where})",
                    file=src.label, column=col.name, count=int(total),
                    examples=tuple((f"{prefix} {first} and {n - 1} more row{'s' if n > 2 else ''} with that id",)
                                   for _, n, first in dup), expected="each id once")]


def _future_warnings(duck: duckdb.DuckDBPyConnection, tables: set[str], sources: dict[str, SourceFile]) -> list[Problem]:
    """Rows dated after tomorrow (local time): typos such as 2062 for 2026, kept but named."""
    out = []
    for name in sorted(tables):
        col = _q(TABLES[name].time_column)
        n, latest = duck.execute(
            f"SELECT count(*), CAST(max({col}) AS DATE) FROM {_q(name)} "
            f"WHERE CAST({col} AS DATE) > CAST(current_timestamp AS DATE) + 1").fetchall()[0]
        if n:
            out.append(Problem(f"{_plural(int(n), 'row')} dated after today (the latest on {latest}): a typo? They are "
                               "kept, but the default period (the last full month) ends today at the latest",
                               file=sources[name].label, column=TABLES[name].time_column, count=int(n)))
    return out


def _reference_warnings(duck: duckdb.DuckDBPyConnection, tables: set[str], sources: dict[str, SourceFile]) -> list[Problem]:
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
        refs = " UNION ALL ".join(f"SELECT {_q(c)} AS k FROM {_q(t)}" for t, c in found)
        counts = ", ".join(f"(SELECT count(*) FROM {_q(t)} t SEMI JOIN missing m ON m.k = t.{_q(c)})" for t, c in found)
        ns = duck.execute(
            f"WITH refs AS (SELECT DISTINCT k FROM ({refs}) WHERE k IS NOT NULL), "
            f"hit AS (SELECT {_q(key)} AS k FROM {_q(target)} SEMI JOIN refs ON refs.k = {_q(target)}.{_q(key)}), "
            f"missing AS (SELECT k FROM refs ANTI JOIN hit USING (k)) SELECT {counts}"
        ).fetchall()[0]
        for (table, column), n in zip(found, ns):
            if n:
                out[(table, column)] = Problem(
                    f"{_plural(int(n), 'row')} point to a {key} that is not in {sources[target].label}",
                    file=sources[table].label, column=column, count=int(n))
    return [out[(t, c)] for t, c, _, _ in links if (t, c) in out]


# ----------------------------------------------------------------------------------------------
# Public entry points


def _symlink_problem(path: Path, root: Path) -> Problem | None:
    """Why a symbolic link in a client folder cannot be read, or None when it leads to a file of
    the folder. A link leading elsewhere is refused: the kit reads what the folder holds, and a
    message about the file it leads to would quote a line of some other file."""
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 raises RuntimeError on a loop
        return Problem("is a symbolic link that leads back to itself (a loop)", file=path.name,
                       expected="a file, or a link to a file of the client folder")
    except OSError as exc:
        what = "a loop" if exc.errno == errno.ELOOP else "nothing"
        return Problem(f"is a symbolic link that leads to {what}", file=path.name,
                       expected="a file, or a link to a file of the client folder")
    if not target.is_relative_to(root):
        return Problem("is a symbolic link that leads out of the client folder; refused", file=path.name,
                       expected="the file itself, or a link to a file of the client folder")
    return None


def _raw_export_problem(path: Path, label: str, folder: Path) -> Problem | None:
    """A raw export of a tool (Shopify orders, a Google Ads report, a GA4 download...) dropped into
    the folder: what it is and the ``kpi import`` command that converts it; None for other files."""
    from .importers.exports import describe_raw_export  # the importers build on this module, not the reverse

    found = describe_raw_export(path, into=folder)
    return Problem(f"is {found[0]}, not a table of the data contract", file=label, expected=found[1]) if found else None


def _discover(folder: Path) -> tuple[dict[str, SourceFile], list[Problem], list[Problem]]:
    label_dir = str(folder)
    if not folder.exists():
        raise KpiInputError(Problem("client folder not found", file=label_dir,
                                    expected="a folder holding sessions.csv, orders.csv, ... (see the data contract)"))
    if not folder.is_dir():
        raise KpiInputError(Problem("is a file, not a client folder", file=label_dir,
                                    expected="a folder holding one file per table"))
    found: dict[str, SourceFile] = {}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    raw_exports: list[Problem] = []
    expected_names = [f"{t}.{e}" for t in TABLE_NAMES for e in EXTENSIONS]
    root = folder.resolve()
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith((".", "~$")):
            continue
        if path.is_symlink():
            problem = _symlink_problem(path, root)
            if problem:
                errors.append(problem)
                continue
        if name in ("client.yml", "client.yaml") or path.is_dir():
            continue
        if name.lower().endswith(IGNORED_SUFFIXES):
            continue
        match = None
        for ext in EXTENSIONS:
            if name.endswith("." + ext) and name[: -len(ext) - 1] in TABLES:
                match = (name[: -len(ext) - 1], ext)
                break
        if match is None:
            raw = _raw_export_problem(path, name, folder)
            if raw is not None:
                raw_exports.append(raw)
                continue
            close = difflib.get_close_matches(name, expected_names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            warnings.append(Problem(f"unknown file name, ignored{hint}", file=name,
                                    expected=f"<table>.<ext> with a table among {', '.join(TABLE_NAMES)} "
                                             f"and ext among {', '.join(EXTENSIONS)}"))
            continue
        table, ext = match
        if table in found:
            errors.append(Problem(f"two files for the {table} table ({found[table].label} and {name})",
                                  file=name, expected="one file per table"))
            continue
        if path.stat().st_size == 0:
            errors.append(Problem("file is empty (0 bytes)", file=name, expected=f"the {table} table with a header row"))
            continue
        found[table] = SourceFile(table=table, label=name, path=path, fmt=ext)
    if found or errors:
        warnings += raw_exports
    else:
        errors += raw_exports
        errors.append(Problem("no table file found in the client folder", file=label_dir,
                              expected=f"at least one of {', '.join(t + '.csv' for t in TABLE_NAMES)} "
                                       f"(or .csv.gz, .parquet, .xlsx)"))
    return found, errors, warnings


def temp_table(backend: Any, expr: ibis.Table, kind: str = "t") -> ibis.Table:
    """``expr``'s rows kept on ``backend`` until :func:`release`: a temporary table on DuckDB (whose
    connection Ibis' ``cache`` does not serve with DuckDB 2.0), Ibis' ``cache`` elsewhere (a
    persisted DataFrame on Spark, a session table on BigQuery)."""
    if getattr(backend, "name", None) == "duckdb":
        from .results import temp_table_name

        name = temp_table_name(kind)
        backend.con.execute(f"CREATE TEMP TABLE {_q(name)} AS {backend.compile(expr)}")
        return backend.table(name)
    return expr.cache()


def release(backend: Any, table: ibis.Table) -> None:
    """Drop what :func:`temp_table` kept."""
    if getattr(backend, "name", None) == "duckdb":
        backend.con.execute(f"DROP TABLE IF EXISTS {_q(table.get_name())}")
    else:
        table.release()


def _connect(timezone: str):
    backend = ibis.duckdb.connect()
    backend.con.execute(f"SET TimeZone = {_lit(timezone)}")
    deadline.watch(backend.con)  # a query past the current deadline (if any) is interrupted
    return backend


def load_client(path: str | Path, **settings: Any) -> Client:
    """Read a client folder into typed Ibis tables on a new in-process DuckDB connection.

    Parameters
    ----------
    path
        The client folder (``sessions.csv``, ``orders.parquet``, ... and an optional ``client.yml``).
    **settings
        Values that replace those of ``client.yml`` (``margin_rate=0.4``, ``language="en"``...);
        None leaves a setting as it is.

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
    from .paths import resolve_client_dir

    folder = resolve_client_dir(path)
    found, errors, warnings = _discover(folder)
    cfg, cfg_errors, cfg_warnings = _read_settings(folder)
    errors += cfg_errors
    warnings += cfg_warnings
    cfg = cfg.replace(**{k: v for k, v in settings.items() if k != "timezone"})
    if settings.get("timezone"):
        cfg = cfg.replace(timezone=settings["timezone"])
    if settings.get("margin_rate") is not None or settings.get("language") is not None:
        cfg, more, _ = _check_settings({k: v for k, v in cfg.__dict__.items()}, file="parameters", default_name=cfg.name)
        errors += more
    backend = _connect(cfg.timezone)
    duck = backend.con
    provided: dict[str, frozenset[str]] = {}
    with tempfile.TemporaryDirectory(prefix="kpi-load-") as tmp:
        reader = _Reader(duck, Path(tmp))
        for table, src in found.items():
            deadline.check()
            try:
                rel, prefix = getattr(reader, src.fmt.replace("csv.gz", "csv"))(src)
                cols, problems = _build_table(duck, TABLES[table], src, rel, prefix, materialize=src.fmt != "parquet")
            except KpiInputError as exc:
                problems, cols = exc.problems, frozenset()
            if problems and src.fmt != "parquet":
                raw = _raw_export_problem(src.path, src.label, folder)
                problems = [raw] if raw is not None else problems
            errors += problems
            if not problems:
                provided[table] = cols
    if errors:
        raise KpiInputError(errors, header=f"cannot use client folder {folder}: {len(errors)} problem"
                                           f"{'s' if len(errors) > 1 else ''}")
    warnings += _reference_warnings(duck, set(provided), found) + _future_warnings(duck, set(provided), found)
    tables = {t: backend.table(t) for t in TABLE_NAMES if t in provided}
    _keep_results(backend, [src.path for src in found.values() if src.fmt == "parquet"])
    return Client(cfg, backend, tables, provided, found, warnings, folder)


def client_from_frames(frames: Mapping[str, Any], *, name: str = "client", timezone: str = "Europe/Paris",
                       **settings: Any) -> Client:
    """A :class:`Client` from pandas DataFrames (or Ibis tables), typed and checked like a folder.

    ``frames`` maps table names of the contract to data; naive datetimes are read in ``timezone``.
    Other keyword arguments are settings (``margin_rate``, ``product_page_pattern``...).
    """
    raw_settings = {"name": name, "timezone": timezone, **settings}
    cfg, errors, _ = _check_settings(raw_settings, file="settings", default_name=name)
    unknown = [t for t in frames if t not in TABLES]
    errors += [Problem(f"unknown table {t!r}", expected=f"one of {', '.join(TABLE_NAMES)}") for t in unknown]
    backend = _connect(cfg.timezone)
    duck = backend.con
    provided: dict[str, frozenset[str]] = {}
    sources: dict[str, SourceFile] = {}
    with tempfile.TemporaryDirectory(prefix="kpi-load-") as tmp:
        reader = _Reader(duck, Path(tmp))
        for table, data in frames.items():
            if table not in TABLES or data is None:
                continue
            if isinstance(data, ibis.Table):
                data = data.to_pandas()
            if not isinstance(data, pd.DataFrame):
                data = pd.DataFrame(data)
            src = SourceFile(table=table, label=f"{table} (DataFrame)")
            sources[table] = src
            frame = data.reset_index(drop=True)
            rel, prefix = reader.frame(src, frame)
            if frame.empty:
                # An empty frame is a legitimate "no rows" table in code (unlike an empty export).
                cols = frozenset(c for c in map(_normalize_header, frame.columns) if c in TABLES[table].names)
                selects = ", ".join([f"CAST(NULL AS {_DUCK_TYPE[c.type]}) AS {_q(c.name)}" for c in TABLES[table].columns]
                                    + [f"CAST(NULL AS DATE) AS {_q(LOCAL_DATE)}"])
                duck.execute(f"CREATE OR REPLACE TABLE {_q(table)} AS SELECT {selects} LIMIT 0")
                provided[table] = cols
                continue
            cols, problems = _build_table(duck, TABLES[table], src, rel, prefix, materialize=True)
            errors += problems
            if not problems:
                provided[table] = cols
    if errors:
        raise KpiInputError(errors, header=f"cannot use these tables: {len(errors)} problem{'s' if len(errors) > 1 else ''}")
    warnings = _reference_warnings(duck, set(provided), sources)
    tables = {t: backend.table(t) for t in TABLE_NAMES if t in provided}
    _keep_results(backend)
    return Client(cfg, backend, tables, provided, sources, warnings, None)


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
