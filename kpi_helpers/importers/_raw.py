"""The tools' raw exports as downloaded (``kpi import PATH --into DIR``): reading them, once for every format.

Reading covers the encoding (UTF-8 with or without BOM, UTF-16 with its byte-order mark, cp1252, or an
Excel workbook), the separator, the title lines above the header, headers in English or French
(case, typographic apostrophes and no-break spaces do not matter), numbers written for people
(``3 407,39``, ``1,020.50``, ``3,92 %``, ``1 194,90 €``, ``--`` for none) and dates in the
tool's own formats. A value that does not read is a :class:`~kpi_helpers.errors.KpiInputError`
naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import MAX_EXAMPLES, KpiInputError, Problem
from ..loading import sniff_encoding  # the loader's own encoding sniffing, UTF-16 included

__all__ = [
    "Col",
    "Export",
    "Parsed",
    "ImportContext",
    "HEAD_BYTES",
    "norm_label",
    "peek_rows",
    "find_header",
    "header_first",
    "read_export",
    "fail",
    "currency_of",
    "ids",
    "spend_by_day",
    "read_text",
    "split_line",
    "number_text",
    "parse_numbers",
]



@dataclass(frozen=True)
class Col:
    """A column of an export: its header as the tool writes it in English and in French."""

    en: tuple[str, ...]
    fr: tuple[str, ...] = ()


def norm_label(text: object) -> str:
    """A header or label compared loosely: Unicode NFKC (no-break spaces become spaces), ’ -> ',
    case-folded, runs of whitespace collapsed, byte-order mark removed."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").replace("’", "'").replace("‘", "'")
    return " ".join(text.split()).casefold()


HEAD_BYTES = 1 << 16
_ZIP = b"PK\x03\x04"


@dataclass(frozen=True)
class _Peek:
    kind: str  # "csv", "xlsx", "empty" or "unreadable"
    encoding: str | None
    separator: str | None
    rows: tuple[tuple[str, ...], ...]


def _cell(value: object) -> str:
    """An Excel cell as the text a CSV export would hold (dates ISO, whole floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path, limit: int | None) -> list[tuple[str, ...]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = []
        for row in wb.worksheets[0].iter_rows(values_only=True):
            rows.append(tuple(_cell(v) for v in row))
            if limit is not None and len(rows) >= limit:
                break
        while rows and not any(rows[-1]):
            rows.pop()
        return rows
    finally:
        wb.close()


def _split(text: str, separator: str, limit: int) -> list[list[str]]:
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _consistency(rows: list[list[str]]) -> tuple[int, int]:
    """How well a separator splits the first rows: (rows sharing the most common number of fields
    above 1, that number). Title lines have one field whatever the separator; a decimal comma in a
    ';' file adds fields to some rows only."""
    counts = Counter(len(r) for r in rows if len(r) > 1)
    return max(((n, width) for width, n in counts.items()), default=(0, 0))


@lru_cache(maxsize=32)
def _peek(path: str, size: int, mtime: int) -> _Peek:
    if size == 0:
        return _Peek("empty", None, None, ())
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if head.startswith(_ZIP):
        try:
            return _Peek("xlsx", None, None, tuple(_xlsx_rows(Path(path), 40)))
        except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
            return _Peek("unreadable", None, None, ())
    encoding = sniff_encoding(head, HEAD_BYTES)
    text = head.decode(encoding, errors="replace")
    if len(head) == HEAD_BYTES and "\n" in text:
        text = text[: text.rfind("\n") + 1]
    if "\x00" in text:
        return _Peek("unreadable", encoding, None, ())
    best = max((",", ";", "\t"), key=lambda sep: (_consistency(_split(text, sep, 40)), sep == ","))
    rows = tuple(tuple(r) for r in _split(text, best, 40) if r)
    return _Peek("csv", encoding, best, rows)


def _peek_of(path: Path) -> _Peek:
    st = path.stat()
    return _peek(str(path), st.st_size, st.st_mtime_ns)


def peek_rows(path: Path | str) -> tuple[tuple[str, ...], ...]:
    """The first rows of a CSV (any encoding or separator) or Excel export, as cells of text;
    empty for an empty or unreadable file. Cached per file (path, size, modification time)."""
    try:
        return _peek_of(Path(path)).rows
    except OSError:
        return ()


def find_header(rows: Sequence[Sequence[str]], spec: dict[str, Col], required: Sequence[str],
                *, within: int = 12) -> int | None:
    """Index of the first row (among the first ``within``) holding every ``required`` column of
    ``spec`` in one language, or None."""
    for i, row in enumerate(rows[:within]):
        cells = {norm_label(c) for c in row}
        for lang in ("en", "fr"):
            if all({norm_label(a) for a in (getattr(spec[k], lang) or spec[k].en)} & cells for k in required):
                return i
    return None


def header_first(path: Path | str, spec: dict[str, Col], required: Sequence[str]) -> bool:
    """Whether the file's first row is a header with every ``required`` column of ``spec`` (the
    exports without title lines: a shop's orders, Business Suite posts)."""
    return find_header(peek_rows(path), spec, required, within=1) == 0


def fail(path: Path | str, message: str, *, line: int | None = None, column: str | None = None,
         value: object = None, expected: str | None = None) -> None:
    """Raise a KpiInputError naming the file (and the line, column and value when known)."""
    examples = ((f"line {line}", value),) if line is not None else ()
    raise KpiInputError(Problem(message, file=str(path), column=column, examples=examples, expected=expected))


@dataclass
class Export:
    """The data rows of one export, one text column per recognised header (file order kept).

    ``columns`` maps a spec key to the header as written; ``title`` holds the lines above the
    header (report name, date range); ``language`` is ``"fr"`` when more French than English
    headers were recognised. :meth:`line` gives the file line (or sheet row) of a data row.
    """

    path: Path
    kind: str
    encoding: str | None
    separator: str | None
    header_index: int
    columns: dict[str, str]
    language: str
    title: list[str]
    data: pd.DataFrame
    positions: np.ndarray | None = None  # data row -> row of the file's data, once rows were left out

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def where(self) -> str:
        return "row" if self.kind == "xlsx" else "line"

    def keep(self, mask: pd.Series) -> "Export":
        """The same export without the rows where ``mask`` is false (lines still named right)."""
        where = np.flatnonzero(np.asarray(mask, dtype=bool))
        positions = where if self.positions is None else self.positions[where]
        return replace(self, data=self.data.iloc[where].reset_index(drop=True), positions=positions)

    def line(self, i: int) -> int:
        """File line where data row ``i`` (0-based) starts (sheet row for a workbook)."""
        if self.positions is not None:
            i = int(self.positions[i])
        if self.kind == "xlsx":
            return self.header_index + 2 + i
        return _record_lines(self.path, self.encoding, self.separator, self.header_index + 1 + i)

    def bad(self, key: str, mask: pd.Series, message: str, expected: str) -> None:
        """Raise naming the first rows where ``mask`` holds (a KpiInputError), if any."""
        where = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(where) == 0:
            return
        values = self.data[key]
        examples = tuple((f"{self.where} {self.line(int(i))}", values.iloc[int(i)]) for i in where[:MAX_EXAMPLES])
        raise KpiInputError(Problem(f"{len(where):,} value(s) {message}", file=self.label, column=self.columns[key],
                                    examples=examples, count=len(where), expected=expected))

    def text(self, key: str) -> pd.Series:
        """The column's cells, stripped (empty string when blank; all empty when absent)."""
        if key not in self.data:
            return pd.Series([""] * len(self.data), index=self.data.index, dtype="object")
        return self.data[key].str.strip()

    def numbers(self, key: str, *, decimal: str, min: float | None = None, required: bool = False,
                none: float = np.nan) -> pd.Series:
        """The column as floats. Spaces (also no-break), currency signs and codes, ``%`` and
        thousands separators are dropped; with ``decimal=","`` a comma is the decimal point (a
        value with only a dot keeps it as one); ``--`` and blanks are ``none``. A value that does
        not read, a blank in a ``required`` column or a value below ``min`` stops the import."""
        raw = self.text(key)
        clean = number_text(raw, decimal=decimal, codes=True)
        blank = (raw == "") | (raw == "--")
        try:  # Arrow's cast reads a million values in milliseconds; pandas finds the bad ones if any
            out = pc.cast(pa.array(clean.where(~blank, None)), pa.float64()).to_pandas().set_axis(raw.index)
        except pa.ArrowInvalid:
            out = pd.to_numeric(clean.where(~blank, None).astype("object"), errors="coerce").astype(float)
        sample = "3 407,39" if decimal == "," else "3,407.39"
        self.bad(key, ~blank & out.isna(), "cannot be read as a number", f"a number such as {sample}")
        if required:
            self.bad(key, blank, "are empty", "a number on every row")
        if min is not None:
            self.bad(key, out < min, f"are below {min:g}", f"numbers >= {min:g}")
        return out.fillna(none) if not np.isnan(none) else out

    def datetimes(self, key: str, formats: Sequence[str], *, timezone: str | None = None,
                  expected: str) -> pd.Series:
        """The column as tz-aware timestamps: the first of ``formats`` that reads each value;
        values without an offset are wall-clock times in ``timezone`` (in the autumn hour that
        occurs twice, the first one; in the spring gap, one hour later)."""
        raw = pa.array(self.text(key))
        aware = any("%z" in f for f in formats)
        parsed = [pc.strptime(raw, format=f, unit="s", error_is_null=True) for f in formats]
        out = pd.Series(pc.coalesce(*parsed).to_pandas(), index=self.data.index)
        self.bad(key, out.isna(), "cannot be read as a date and time", expected)
        if not aware:
            out = out.dt.tz_localize(timezone, ambiguous=np.ones(len(out), bool), nonexistent="shift_forward")
        return out


def _records(path: Path, encoding: str | None, separator: str | None):
    """(first line, fields) of each CSV record of the file, blank lines left out; stops quietly at a
    quote that never closes (the reader's own error is then the message)."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator or ",")
        start = 1
        try:
            for row in reader:
                if row:
                    yield start, row
                start = reader.line_num + 1
        except csv.Error:
            yield start, []


def _record_lines(path: Path, encoding: str | None, separator: str | None, record: int) -> int:
    """The line on which CSV record ``record`` (0-based, blank lines not counted) starts."""
    line = 1
    for n, (line, _) in enumerate(_records(path, encoding, separator)):
        if n == record:
            break
    return line


def _first_ragged(path: Path, encoding: str | None, separator: str | None, header_index: int,
                  width: int) -> tuple[int, int] | None:
    """(line, fields) of the first data record whose number of fields is not ``width``."""
    for n, (line, row) in enumerate(_records(path, encoding, separator)):
        if n > header_index and len(row) != width:
            return line, len(row)
    return None


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}__{seen[name]}")
    return out


def read_export(path: Path | str, spec: dict[str, Col], *, required: Sequence[str], what: str) -> Export:
    """Read export ``path`` (CSV in any encoding and separator, or Excel): find the header (below
    any title lines) with every ``required`` column of ``spec``, and keep the columns of ``spec``
    that are present, as text. ``what`` names the format in messages. An empty file, a missing
    header, a header without data rows or a line whose fields do not match the header (a
    truncated download) stops the import with the file and the line."""
    path = Path(path)
    if not path.is_file():
        fail(path, "file not found", expected=f"{what} to import")
    peek = _peek_of(path)
    if peek.kind == "empty":
        fail(path, "file is empty (0 bytes)", expected=f"{what} with its header and rows")
    if peek.kind == "unreadable":
        fail(path, "cannot be read as a CSV file or an Excel workbook", expected=what)
    index = find_header(peek.rows, spec, required)
    if index is None:
        names = ", ".join(spec[k].en[0] for k in required)
        fail(path, "no header row with the expected columns near the top of the file", line=1,
             value=", ".join(peek.rows[0][:6]) if peek.rows else "", expected=f"{what}: a header with {names}")
    header = list(peek.rows[index])
    by_label = {norm_label(h): h for h in header}
    columns, votes = {}, {"en": 0, "fr": 0}
    for key, col in spec.items():
        for lang in ("en", "fr"):
            hit = next((by_label[norm_label(a)] for a in getattr(col, lang) if norm_label(a) in by_label), None)
            if hit is not None:
                columns.setdefault(key, hit)
                if {norm_label(a) for a in col.en} != {norm_label(a) for a in col.fr}:
                    votes[lang] += 1
    language = "fr" if votes["fr"] > votes["en"] else "en"
    title = [" ".join(c for c in row if c) for row in peek.rows[:index]]
    if peek.kind == "xlsx":
        rows = _xlsx_rows(path, None)[index + 1:]
        width = len(header)
        frame = pd.DataFrame([list(r[:width]) + [""] * (width - len(r)) for r in rows], columns=_unique(header),
                             dtype="object")
        data = pd.DataFrame({k: frame[_unique(header)[header.index(h)]].astype("string[pyarrow]")
                             for k, h in columns.items()}) if rows else pd.DataFrame(columns=list(columns))
    else:
        data = _read_csv(path, peek, index, header, columns)
    if len(data) == 0:
        fail(path, "has a header but no data rows", line=index + 1, value=", ".join(header[:6]),
             expected=f"{what} with at least one row (was the download cut short?)")
    return Export(path, peek.kind, peek.encoding, peek.separator, index, columns, language, title,
                  data.reset_index(drop=True))


def _read_csv(path: Path, peek: _Peek, index: int, header: list[str], columns: dict[str, str]) -> pd.DataFrame:
    names = _unique(header)
    wanted = {k: names[header.index(h)] for k, h in columns.items()}
    keep = list(dict.fromkeys([*wanted.values(), names[-1]]))  # the last column too: a cut line shows there
    encoding = "utf-8" if peek.encoding == "utf-8-sig" else peek.encoding
    try:  # streamed block by block: only the kept columns of the whole file are held at once
        table = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding, skip_rows=index + 1, column_names=names,
                                           block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=peek.separator, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in keep}, include_columns=keep,
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        ).read_all()
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        ragged = _first_ragged(path, peek.encoding, peek.separator, index, len(header))
        if ragged is not None:
            line, n = ragged
            fail(path, f"line has {n} field(s) where the header has {len(header)}", line=line,
                 value=f"{n} fields", expected=f"{len(header)} fields separated by {peek.separator!r} on every "
                                               "line (a cut line is a truncated download: export it again)")
        fail(path, f"cannot be read as CSV ({str(exc).splitlines()[0]})", expected="a complete CSV export")
    return pd.DataFrame({k: table.column(n).to_pandas(types_mapper=pd.ArrowDtype) for k, n in wanted.items()})


@dataclass(frozen=True)
class ImportContext:
    """What an export importer needs from the client folder it writes to."""

    timezone: str
    #: identifiers -> keyed hashes (one key per client folder); see ``client_folder.Pseudonymiser``
    pseudonymise: Callable[[pd.Series], pd.Series]


@dataclass
class Parsed:
    """One export read into a contract table, with what the provenance records about it."""

    format: str  # importer module: "shopify", "google_ads"...
    title: str  # "Shopify orders export"
    source: str  # default source name (replace-by-source key), e.g. "shopify"
    table: str  # contract table written
    frame: pd.DataFrame  # contract columns only
    rows_read: int  # data rows in the file
    language: str
    period: tuple[dt.date, dt.date] | None = None  # the range the export states (title line), if any
    currency: str | None = None
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> rows of the file not written
    notes: list[str] = field(default_factory=list)  # every mapping choice, for the provenance


def spend_by_day(frame: pd.DataFrame, channel: Callable[[str], str], *, by: Sequence[str] = ()) -> pd.DataFrame:
    """ad_spend rows from an ad report's rows (``date``, ``campaign``, ``spend``, ``clicks``,
    ``impressions`` and the keys ``by``): rows of the same day, campaign and keys (device or
    placement segments) added up; clicks and impressions stay unknown only where every row is;
    ``channel(first key of by, or "")`` names the channel of each group."""
    keys = ["date", "campaign", *by]
    g = frame.groupby(keys, sort=True)
    s = g.agg(spend=("spend", "sum"), clicks=("clicks", lambda v: v.sum(min_count=1)),
              impressions=("impressions", lambda v: v.sum(min_count=1))).reset_index()
    kinds = s[by[0]] if by else pd.Series("", index=s.index)
    return pd.DataFrame({
        "date": s["date"].map(dt.date.isoformat),
        "channel": kinds.map({k: channel(k) for k in kinds.unique()}),
        "campaign": s["campaign"],
        "spend": s["spend"].round(2),
        "clicks": pd.array(s["clicks"].round(), dtype="Int64"),
        "impressions": pd.array(s["impressions"].round(), dtype="Int64"),
    })


def currency_of(path: Path, values: pd.Series, *, what: str) -> str | None:
    """The one currency code of a column (None when the column is empty); several is an error."""
    codes = sorted({str(v).upper() for v in pd.unique(values[values != ""])})
    if len(codes) > 1:
        fail(path, f"{what} mixes currencies ({', '.join(codes)})", expected="one currency per client folder")
    return codes[0] if codes else None


def ids(values: pd.Series, prefix: str, fallback: pd.Series) -> pd.Series:
    """``prefix:value`` identifiers to hash, ``fallback`` (already prefixed) where a value is blank."""
    return (prefix + ":" + values).where(values != "", fallback)



def read_text(path: Path | str, *, what: str) -> tuple[str, str]:
    """(text, encoding) of a whole text export (UTF-8 with or without BOM, UTF-16 with its
    byte-order mark, else cp1252), BOM removed; an empty or missing file stops the import."""
    path = Path(path)
    if not path.is_file():
        fail(path, "file not found", expected=f"{what} to import")
    raw = path.read_bytes()
    if not raw.strip():
        fail(path, "file is empty", expected=f"{what} with its header and rows")
    encoding = sniff_encoding(raw[:HEAD_BYTES], HEAD_BYTES)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        fail(path, f"cannot be decoded as {encoding} ({exc.reason} at byte {exc.start})",
             expected=f"{what} as the tool writes it (UTF-8 or UTF-16)")
    return text.lstrip("\ufeff"), encoding


def split_line(line: str, separator: str) -> list[str]:
    """The fields of one CSV line (quotes as CSV writes them)."""
    return next(csv.reader([line], delimiter=separator), [])


def number_text(raw: pd.Series, *, decimal: str, codes: bool = False) -> pd.Series:
    """Numbers written for people as text a cast reads: U+2212 minus as ``-``; spaces (also
    no-break), ``%`` and currency signs dropped (and three-capital currency codes with ``codes``);
    with ``decimal=","`` a comma is the decimal point (a value with only a dot keeps it as one),
    otherwise commas are thousands separators."""
    pattern = "[\\s\u00a0\u202f%€$£]" + ("|\\b[A-Z]{3}\\b" if codes else "")
    clean = raw.str.replace("\u2212", "-", regex=False).str.replace(pattern, "", regex=True)
    if decimal == ",":
        return clean.where(~clean.str.contains(",", regex=False),
                           clean.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return clean.str.replace(",", "", regex=False)


def parse_numbers(path: Path | str, values: pd.Series, lines: Sequence[int | str], *, column: str, decimal: str,
                  integer: bool = False) -> pd.Series:
    """A column of numbers written for people (see :meth:`Export.numbers`) as floats, NaN where
    blank or ``--``; a value that does not read or is negative stops the import naming the file,
    the line (``lines``: each value's file line, or a label such as ``"visit 3"``) and the column."""
    raw = values.astype("object").fillna("").astype(str).str.strip()
    clean = number_text(raw, decimal=decimal)
    blank = (raw == "") | (raw == "--")
    out = pd.to_numeric(clean.where(~blank, None), errors="coerce").astype(float)
    sample = "1 234" if integer else ("3 407,39" if decimal == "," else "3,407.39")
    for mask, message, expected in (
            (~blank & out.isna(), "cannot be read as a number", f"a number such as {sample}"),
            (out < 0, "is negative", "a count or an amount >= 0"),
            (integer & (out.round() != out) & out.notna() if integer else pd.Series(False, index=out.index),
             "is not a whole number", "a whole number (a count)")):
        where = np.flatnonzero(mask.to_numpy())
        if len(where):
            raise KpiInputError(Problem(f"{len(where):,} value(s) {message}", file=str(path), column=column,
                                        examples=tuple((lines[int(j)] if isinstance(lines[int(j)], str) else f"line {lines[int(j)]}",
                                                                raw.iloc[int(j)])
                                                       for j in where[:MAX_EXAMPLES]),
                                        count=len(where), expected=expected))
    return out
