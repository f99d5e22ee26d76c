"""Discovery and reading: the files of a client folder, and each read into a raw DuckDB relation.

CSV (with French spreadsheet conventions: ';', decimal comma, cp1252; UTF-16 from Excel's
"Unicode text"), CSV.gz, Parquet (a view, read in place) and Excel; every table file's text is
read as text (typing is :mod:`.checks`'s job) with a ``__row`` column naming its line or row.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import errno
import gzip
import io
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ..contract import EXTENSIONS, TABLE_NAMES, TABLES
from ..errors import KpiInputError, Problem
from ._text import lit, plural

__all__ = ["SourceFile", "Reader", "discover", "sniff_encoding", "normalize_header", "raw_export_problem",
           "IGNORED_SUFFIXES", "MAX_COLUMNS"]

IGNORED_SUFFIXES = (".md", ".txt", ".rst", ".pdf", ".html")
MAX_COLUMNS = 500  # columns a table file may have: a contract table has about 15
MAX_EXAMPLES = 5


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



def normalize_header(name: str) -> str:
    return str(name).replace("\ufeff", "").strip().lower()


def _head_bytes(path: Path, gz: bool, size: int = 1 << 18) -> bytes:
    opener = gzip.open if gz else open
    with opener(path, "rb") as fh:
        return fh.read(size)


def sniff_encoding(head: bytes, size: int = 1 << 18) -> str:
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
    encoding = sniff_encoding(head)
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
        key = normalize_header(name)
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
        return Problem(f"{plural(count, 'line')} without the header's {len(header)} fields", file=label,
                       examples=tuple(bad), count=count,
                       expected=f"{len(header)} fields separated by {separator!r} on every line")
    return Problem("cannot be read as CSV", file=label,
                   expected="a CSV file with a header row (',' or ';' separator, UTF-8 or cp1252)")


class Reader:
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
        columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
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
                f"FROM read_parquet({lit(str(src.path))}, file_row_number=true)"
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


def raw_export_problem(path: Path, label: str, folder: Path) -> Problem | None:
    """A raw export of a tool (Shopify orders, a Google Ads report, a GA4 download...) dropped into
    the folder: what it is and the ``kpi import`` command that converts it; None for other files."""
    from ..importers.exports import describe_raw_export  # the importers build on this module, not the reverse

    found = describe_raw_export(path, into=folder)
    return Problem(f"is {found[0]}, not a table of the data contract", file=label, expected=found[1]) if found else None


def discover(folder: Path) -> tuple[dict[str, SourceFile], list[Problem], list[Problem]]:
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
            raw = raw_export_problem(path, name, folder)
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

