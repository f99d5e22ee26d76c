"""Matomo Site Search reports (Behaviour > Site Search: keywords; keywords with no results) -> search_terms.

Written from ``shared/spec/exports.md`` and Matomo's Actions API (``plugins/Actions/API.php``):
``Actions.getSiteSearchKeywords`` returns every keyword searched (those with no results
included), ``Actions.getSiteSearchNoResultKeywords`` the same rows restricted to the keywords whose
searches found nothing; both with ``label`` (the keyword), ``nb_visits`` (shown as "Searches" /
"Recherches"), ``nb_pages_per_search`` and ``exit_rate``. With the column names translated (the
interface's export), the keyword column says which report it is: ``Keyword`` / ``Mot-clé`` for
all keywords, ``Keyword with No Search Result`` / ``Mot-clé sans résultat de recherche`` for the
other (wordings of Matomo's ``Actions_ColumnSearchKeyword`` and ``Actions_ColumnNoResultKeyword``;
the French ones are *unverified*, close variants are accepted).

Input shape: CSV (UTF-16LE with a byte-order mark by default, comma-separated), TSV, or JSON (a
list of rows, or an object ``{date: [rows]}`` for several periods). An export of several periods
(``period=day&date=2025-03-01,2025-03-31``) adds a ``date`` column: ``2025-03-01`` (a day),
``2025-03`` (a month), ``2025-03-03,2025-03-09`` (a week or range). An export of one period has no
date: Matomo writes none, so the import stops and asks for the export with dates (the kit never
guesses a period).

Output table and mapping
------------------------
search_terms (one row per day or period x keyword)
    * ``query`` = ``label`` / ``Keyword``; ``searches`` = ``nb_visits`` / ``Searches``;
      ``date`` / ``end_date`` = the row's period.
    * ``no_results`` = true for the report of keywords with no results, false for the report of
      all keywords. The zero-result rate is then the searches of the first over the searches of the
      second, over the same days (``kpi_helpers/aggregated.py``); both reports are needed for it,
      the first alone gives the zero-result queries.
    * Raw API exports (``label`` header) do not say which report they are: they are read as the
      report of all keywords unless ``--source`` names the other one (a source name containing
      ``no_result`` or ``no-result``, such as ``matomo_search_no_results``).
    * The summary row ``Others`` / ``Autres`` (keywords beyond the report's row limit) is kept as
      a keyword named so, and said so in the provenance: its searches count in the totals.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd

from ..errors import KpiInputError, Problem
from ._raw import ImportContext, Parsed, fail, norm_label, parse_numbers, peek_rows, read_text, split_line

__all__ = ["NAME", "TITLE", "detect", "read", "parse_period"]

NAME = "matomo_search"
TITLE = "Matomo Site Search keywords report"
TABLE = "search_terms"

KEYWORD = ("label", "keyword", "mot-clé", "mot clé", "mot-clef", "mot clef", "site search keyword",
           "mot-clé de recherche")
NO_RESULT_KEYWORD = ("keyword with no search result", "keywords with no search result", "mot-clé sans résultat",
                     "mot-clé sans résultat de recherche", "mots-clés sans résultat", "no result keyword",
                     "search keywords with no results", "mots-clés de recherche sans résultats")
SEARCHES = ("nb_visits", "searches", "recherches")
MARKERS = ("nb_pages_per_search", "search results pages", "pages de résultats de recherche", "% search exits",
           "exit_rate", "% sorties de la recherche", "% de sorties de recherche")


def _role(header: list[str]) -> tuple[int | None, int | None, bool, int | None]:
    """(keyword column, searches column, whether it is the no-result report, date column)."""
    norm = [norm_label(h) for h in header]
    keyword = next((i for i, h in enumerate(norm) if h in KEYWORD), None)
    no_result = next((i for i, h in enumerate(norm) if h in NO_RESULT_KEYWORD), None)
    searches = next((i for i, h in enumerate(norm) if h in SEARCHES), None)
    date = next((i for i, h in enumerate(norm) if h == "date"), None)
    return (no_result if no_result is not None else keyword), searches, no_result is not None, date


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a Site Search keywords report: a keyword column, searches, and a column
    only those reports have (pages per search or search exits)."""
    rows = peek_rows(path)
    if rows:
        header = list(rows[0])
        kw, searches, _, _ = _role(header)
        if kw is not None and searches is not None and {norm_label(h) for h in header} & set(MARKERS):
            return True
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for enc in ("utf-8-sig", "utf-16"):
        text = head.decode(enc, errors="ignore").lstrip("\ufeff").lstrip()
        if text.startswith(("[", "{")) and '"label"' in text and '"nb_pages_per_search"' in text:
            return True
    return False


def parse_period(text: str) -> tuple[dt.date, dt.date] | None:
    """``2025-03-01`` (a day), ``2025-03`` (a month), ``2025-03-03,2025-03-09`` (a range), or None."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            d = dt.date.fromisoformat(text)
            return d, d
        if re.fullmatch(r"\d{4}-\d\d", text):
            start = dt.date.fromisoformat(text + "-01")
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            return start, end
        m = re.fullmatch(r"(\d{4}-\d\d-\d\d)\s*[,;]\s*(\d{4}-\d\d-\d\d)", text)
        if m:
            a, b = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
            return (a, b) if a <= b else None
    except ValueError:
        return None
    return None


def _rows_json(path: Path, text: str) -> tuple[list[str], list[list[str]], list[str]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(path, f"cannot be read as JSON ({exc.msg})", line=exc.lineno, expected="a complete JSON export")
    groups = doc.items() if isinstance(doc, dict) else [("", doc)]
    header = ["date", "label", "nb_visits"]
    rows, where = [], []
    for date, items in groups:
        if not isinstance(items, list):
            fail(path, "is not a list of report rows", line=1, expected="the report as Matomo writes it with format=JSON")
        for i, r in enumerate(items):
            rows.append([str(date), str(r.get("label", "")), str(r.get("nb_visits", ""))])
            where.append(f"row {i + 1}" + (f" of {date}" if date else ""))
    return header, rows, where


def read(path: Path | str, ctx: ImportContext, *, source: str | None = None) -> Parsed:
    """Read the report at ``path`` into search_terms (see the module docstring)."""
    path = Path(path)
    text, _ = read_text(path, what=TITLE)
    if text.lstrip().startswith(("[", "{")):
        header, rows, where = _rows_json(path, text)
    else:
        lines = text.splitlines()
        sep = max((",", "\t", ";"), key=lambda s: (lines[0].count(s), s == ","))
        header = split_line(lines[0], sep)
        rows, where = [], []
        for n, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            fields = split_line(line, sep)
            if len(fields) != len(header):
                fail(path, f"line has {len(fields)} field(s) where the header has {len(header)}", line=n,
                     value=f"{len(fields)} fields", expected=f"{len(header)} fields (a cut line is a truncated download)")
            rows.append(fields)
            where.append(n)
    kw, searches, no_result, date = _role(header)
    if kw is None or searches is None:
        fail(path, "no keyword and searches columns in the header", line=1, value=", ".join(header[:6]),
             expected="label (or Keyword) and nb_visits (or Searches)")
    if not rows:
        fail(path, "has a header but no keyword", line=1, expected=f"{TITLE} with at least one row")
    if date is None or all(not r[date].strip() for r in rows):
        fail(path, "the report does not say which days it covers (no date column)", line=1,
             value=", ".join(header[:6]), expected="the report exported for a range of days or months, which adds a "
                                                   "date column (period=day or month with date=START,END)")
    raw_label = norm_label(header[kw]) == "label"
    if raw_label and source and re.search(r"no[_-]?results?", source):
        no_result = True
    frame = pd.DataFrame(rows, columns=range(len(header)))
    periods = [parse_period(r[date]) for r in rows]
    bad = [i for i, p in enumerate(periods) if p is None]
    if bad:
        raise KpiInputError(Problem(f"{len(bad):,} value(s) cannot be read as a day, month or range", file=str(path),
                                    column=header[date], count=len(bad),
                                    examples=tuple((where[i] if isinstance(where[i], str) else f"line {where[i]}",
                                                    rows[i][date]) for i in bad[:5]),
                                    expected="2025-03-01, 2025-03 or 2025-03-03,2025-03-09"))
    counts = parse_numbers(path, frame[searches], where, column=header[searches], decimal=".", integer=True)
    query = frame[kw].str.strip()
    out = pd.DataFrame({
        "date": [p[0].isoformat() for p in periods],
        "query": query,
        "searches": pd.array(counts.fillna(0).round(), dtype="Int64"),
        "end_date": [p[1].isoformat() for p in periods],
        "no_results": no_result,
    })
    empty = out["query"] == ""
    out = out[~empty].reset_index(drop=True)
    others = out["query"].map(norm_label).isin({"others", "autres", "-1"})
    start = min(p[0] for p in periods)
    end = max(p[1] for p in periods)
    report = "keywords with no results" if no_result else "all keywords"
    notes = [f"report: {report} ({'told by --source' if raw_label and no_result else 'from the keyword column'}"
             f"{'; a raw API export is read as all keywords unless --source names the other report' if raw_label and not no_result else ''}).",
             "searches = nb_visits (Matomo's 'Searches')."]
    if others.any():
        notes.append("the summary row 'Others' (keywords beyond the report's row limit) kept as a keyword so named.")
    dropped = {"rows without a keyword": int(empty.sum())} if empty.any() else {}
    name = f"{NAME}_no_results" if no_result else f"{NAME}_keywords"
    return Parsed(NAME, TITLE, name, TABLE, out, rows_read=len(rows), language="en", period=(start, end),
                  dropped=dropped, notes=notes)
