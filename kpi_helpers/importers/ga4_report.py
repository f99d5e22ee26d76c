"""GA4 report or exploration downloaded from the interface (Share > Download file > CSV) -> traffic.

Written from ``shared/spec/exports.md`` (web analytics) and the GA4 interface's labels in English
and French. What most small shops have: aggregated numbers, no row per visit.

Input shape, as GA4 writes it (UTF-8, comma-separated):

* a ``#`` comment block: a line of dashes, the report's name (``Acquisition de trafic : Groupe de
  canaux principal de la session (groupe de canaux par défaut)`` / ``Traffic acquisition: Session
  primary channel group (Default channel group)``), ``Compte`` / ``Account``, ``Propriété`` /
  ``Property``, the segment (``Tous les utilisateurs`` / ``All Users``), ``Date de début :
  20250301`` / ``Start date: 20250301`` and ``Date de fin : 20250331`` / ``End date: 20250331``;
* sometimes a first block (a time series such as ``Énième jour,Utilisateurs actifs`` / ``Nth
  day,Active users``), then a blank line;
* the table: one or more dimensions, then metrics; a ``Total général`` / ``Grand total`` row, first
  or last. Explorations write the same, with the dimensions the analyst chose (``Date`` as
  ``YYYYMMDD``, device category, landing page...).

Output table and mapping
------------------------
traffic (one row per day or period x segment; see the data contract in ``data/sample/README.md``)
    * The table is the block whose header has ``Sessions``; other blocks (the time series) are
      left out and said so in the provenance.
    * ``date`` / ``end_date``: the row's ``Date`` (``20250301``) when the table has one (one row
      per day); else the report's start and end dates from the ``#`` block, so a row is the total
      of the whole period. Such a row is never prorated by the KPIs: a March report gives
      nothing for 10-20 March (``kpi_helpers/aggregated.py``).
    * ``channel``: ``Session primary channel group (Default channel group)`` / ``Groupe de canaux
      principal de la session (groupe de canaux par défaut)`` (and the other "default channel
      group" columns of GA4's session scope) through the ``channel_groups.ga4`` section of the
      channel rules (``kpi_helpers/channel_rules.yml``); or ``Session source / medium`` /
      ``Source/Support de la session`` through the session rules themselves.
    * ``device`` = ``Device category`` / ``Catégorie d'appareil`` lower-cased (desktop, mobile,
      tablet, smart tv); ``landing_page`` = ``Landing page`` (+ query string) / ``Page de
      destination``.
    * ``sessions`` = ``Sessions``; ``engaged_sessions`` = ``Engaged sessions`` / ``Sessions avec
      engagement``, else the engagement rate x sessions, rounded (the rate is engaged sessions /
      sessions); ``users`` = ``Total users`` / ``Utilisateurs totaux`` (else ``Active users`` /
      ``Utilisateurs actifs``); ``transactions`` = ``Transactions`` (else ``Ecommerce purchases``
      / ``Achats de commerce électronique``); ``key_events`` = ``Key events`` / ``Événements clés``
      (``Conversions`` before 2024): every conversion the property marks, never used as orders;
      ``revenue`` = ``Total revenue`` / ``Revenu total`` (else ``Purchase revenue`` / ``Revenus
      générés par les achats``), in the property's currency (the download does not name it: taken
      to be the client's).
    * Rows with the same keys (the table had a dimension the contract has not, such as country)
      are added up; ``users`` is then left empty (users do not add up).
    * The total row is left out, and checked: the rows' sessions must add up to it (else the
      import stops: a truncated or filtered download).
    * The source name says the report's shape (``ga4_report_channel``, ``ga4_report_device_daily``,
      ``ga4_report_total``...): importing a newer report of the same shape replaces the older
      one's rows of its period, and reports of other shapes stay beside it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..channels import channel_group_channel, derive_channel
from ._raw import ImportContext, Parsed, fail, norm_label, parse_numbers, peek_rows, read_text, split_line

__all__ = ["NAME", "TITLE", "TABLE", "COLUMNS", "detect", "read", "report_dates"]

NAME = "ga4_report"
TITLE = "Google Analytics 4 report download (CSV)"
TABLE = "traffic"

#: column key -> accepted headers (English and French, compared loosely: see norm_label)
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("Date",),
    "channel_group": (
        "Session primary channel group (Default channel group)", "Session default channel group",
        "Session primary channel group", "Default channel group", "Session Default Channel Group",
        "Groupe de canaux principal de la session (groupe de canaux par défaut)",
        "Groupe de canaux par défaut de la session", "Groupe de canaux principal de la session",
        "Groupe de canaux par défaut"),
    "source_medium": ("Session source / medium", "Source / medium", "Source/Support de la session",
                      "Source / support de la session", "Source/Support"),
    "device": ("Device category", "Catégorie d'appareil"),
    "landing_page": ("Landing page", "Landing page + query string", "Page de destination",
                     "Page de destination + chaîne de requête"),
    "sessions": ("Sessions",),
    "engaged_sessions": ("Engaged sessions", "Sessions avec engagement"),
    "engagement_rate": ("Engagement rate", "Taux d'engagement"),
    "users": ("Total users", "Utilisateurs totaux", "Users", "Utilisateurs"),
    "active_users": ("Active users", "Utilisateurs actifs"),
    "transactions": ("Transactions",),
    "purchases": ("Ecommerce purchases", "Achats de commerce électronique", "Achats e-commerce"),
    "key_events": ("Key events", "Événements clés", "Conversions"),
    "revenue": ("Total revenue", "Revenu total", "Revenus totaux"),
    "purchase_revenue": ("Purchase revenue", "Revenus générés par les achats", "Revenus des achats"),
}
FRENCH = {"Sessions avec engagement", "Taux d'engagement", "Utilisateurs totaux", "Utilisateurs actifs",
          "Événements clés", "Revenu total", "Catégorie d'appareil", "Page de destination"}
NTH_DAY = {"nth day", "énième jour", "nième jour", "nth week", "énième semaine", "nth month", "énième mois"}
TOTAL_LABELS = {"total général", "grand total", "total", "totaux"}
START = re.compile(r"(date de début|start date)\s*:\s*(\d{8})", re.I)
END = re.compile(r"(date de fin|end date)\s*:\s*(\d{8})", re.I)
DIMS = ("channel", "device", "landing_page")


def _lookup() -> dict[str, str]:
    return {norm_label(h): key for key, headers in COLUMNS.items() for h in headers}


def report_dates(comments: list[str]) -> tuple[dt.date | None, dt.date | None]:
    """The start and end dates of the ``#`` block (``Date de début : 20250301`` / ``Start date: ...``)."""
    text = "\n".join(comments)
    found = []
    for pattern in (START, END):
        m = pattern.search(text)
        try:
            found.append(dt.datetime.strptime(m.group(2), "%Y%m%d").date() if m else None)
        except ValueError:
            found.append(None)
    return found[0], found[1]


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a GA4 download: a ``#`` block naming its dates, then a table with Sessions."""
    rows = peek_rows(path)
    if not rows or not rows[0] or not rows[0][0].lstrip("\ufeff").startswith("#"):
        return False
    text = " ".join(" ".join(r) for r in rows).lower()
    if not (START.search(text) or re.search(r"date de début|start date", text)):
        return False
    return any(norm_label(c) == "sessions" for r in rows for c in r)


def _separator(header: str) -> str:
    return max((",", ";", "\t"), key=lambda s: (len(split_line(header, s)), s == ","))


def _blocks(lines: list[str]) -> tuple[list[str], list[list[tuple[int, str]]]]:
    """(comment lines, blocks of (line number, text)) of the file."""
    comments, blocks, current = [], [], []
    for n, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            comments.append(line.lstrip()[1:].strip())
            continue
        if not line.strip() or not line.strip(",;\t "):
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((n, line))
    if current:
        blocks.append(current)
    return comments, blocks


def read(path: Path | str, ctx: ImportContext) -> Parsed:
    """Read the GA4 download at ``path`` into the traffic table (see the module docstring)."""
    path = Path(path)
    text, _ = read_text(path, what=TITLE)
    comments, blocks = _blocks(text.splitlines())
    lookup = _lookup()
    table = None
    for block in blocks:  # the table with Sessions and the most columns; an Nth day series is not it
        sep = _separator(block[0][1])
        header = split_line(block[0][1], sep)
        series = norm_label(header[0]) in NTH_DAY
        if any(lookup.get(norm_label(h)) == "sessions" for h in header) and not series:
            if table is None or len(header) > len(table[2]):
                table = (block, sep, header)
    if table is None:
        fail(path, "no table with a Sessions column", line=1,
             expected="a GA4 report or exploration with the Sessions metric (add it to the table and download again)")
    block, sep, header = table
    header_line = block[0][0]
    columns: dict[str, int] = {}
    unknown_dims = []
    for i, h in enumerate(header):
        key = lookup.get(norm_label(h))
        if key is not None:
            columns.setdefault(key, i)
        elif i < next((j for j, x in enumerate(header) if lookup.get(norm_label(x)) == "sessions"), len(header)):
            unknown_dims.append(h)
    language = "fr" if any(norm_label(h) in {norm_label(f) for f in FRENCH} for h in header) else "en"
    records = []
    for n, line in block[1:]:
        fields = split_line(line, sep)
        if len(fields) != len(header):
            fail(path, f"line has {len(fields)} field(s) where the header has {len(header)}", line=n,
                 value=f"{len(fields)} fields", expected=f"{len(header)} fields separated by {sep!r} (a cut line is a "
                                                         "truncated download: download it again)")
        records.append((n, fields))
    if not records:
        fail(path, "the table has a header but no rows", line=header_line,
             expected="a report with at least one row (was the download cut short?)")
    first = [f[0].strip() for _, f in records]
    is_total = pd.Series([norm_label(v) in TOTAL_LABELS for v in first])
    lines = [n for n, _ in records]
    frame = pd.DataFrame([f for _, f in records], columns=range(len(header)))
    data = frame[~is_total.to_numpy()].reset_index(drop=True)
    data_lines = [n for n, t in zip(lines, is_total) if not t]
    totals = frame[is_total.to_numpy()]
    if data.empty:
        fail(path, "the table holds only its total row", line=lines[0],
             expected="a report with its rows (a dimension such as the channel group or the date)")
    decimal = "," if language == "fr" else "."  # French: 0,65 and 1 234,5 (a value with only a dot keeps it)

    def numbers(key: str, *, integer: bool = False) -> pd.Series | None:
        if key not in columns:
            return None
        return parse_numbers(path, data[columns[key]], data_lines, column=header[columns[key]], decimal=decimal,
                             integer=integer)

    start, end = report_dates(comments)
    notes: list[str] = []
    out = pd.DataFrame(index=data.index)
    if "date" in columns:
        raw = data[columns["date"]].str.strip()
        days = pd.to_datetime(raw, format="%Y%m%d", errors="coerce")
        bad = np.flatnonzero(days.isna().to_numpy())
        if len(bad):
            fail(path, f"{len(bad):,} value(s) cannot be read as a date", line=data_lines[int(bad[0])],
                 column=header[columns["date"]], value=raw.iloc[int(bad[0])], expected="a day written 20250301")
        out["date"] = days.dt.date.map(dt.date.isoformat)
        out["end_date"] = out["date"]
        start, end = start or days.min().date(), end or days.max().date()
        notes.append("one row per day (the table's Date column).")
    else:
        if start is None or end is None:
            fail(path, "no start and end dates in the # block above the table", line=1,
                 expected="the download as GA4 writes it, with '# Start date: 20250301' and '# End date: 20250331' "
                          "(or a Date column in the table)")
        if end < start:
            fail(path, f"the end date {end} is before the start date {start}", line=1, expected="start <= end")
        out["date"] = start.isoformat()
        out["end_date"] = end.isoformat()
        notes.append(f"each row is the total of {start} .. {end} (no Date column): never prorated to a shorter period.")
    if "channel_group" in columns:
        groups = data[columns["channel_group"]].str.strip()
        mapping = {g: channel_group_channel("ga4", g) for g in groups.unique()}
        out["channel"] = groups.map(mapping)
        notes.append("channel from GA4's channel group through the channel rules (channel_groups.ga4): "
                     + "; ".join(f"{g} -> {c}" for g, c in sorted(mapping.items())) + ".")
    elif "source_medium" in columns:
        pairs = data[columns["source_medium"]].str.strip()
        mapping = {}
        for p in pairs.unique():
            src, _, med = p.partition("/")
            mapping[p] = derive_channel(src.strip(), med.strip())
        out["channel"] = pairs.map(mapping)
        notes.append("channel from the session source / medium through the channel rules.")
    if "device" in columns:
        out["device"] = data[columns["device"]].str.strip().str.lower()
    if "landing_page" in columns:
        out["landing_page"] = data[columns["landing_page"]].str.strip()
    sessions = numbers("sessions", integer=True)
    blank = np.flatnonzero(sessions.isna().to_numpy())
    if len(blank):
        fail(path, "Sessions is empty", line=data_lines[int(blank[0])], column=header[columns["sessions"]],
             value="", expected="a number of sessions on every row")
    out["sessions"] = sessions
    engaged = numbers("engaged_sessions", integer=True)
    if engaged is None and "engagement_rate" in columns:
        rate = numbers("engagement_rate")
        rate = rate.where(rate <= 1, rate / 100)  # a rate written as a percent (64,8 %)
        engaged = (rate * sessions).round()
        notes.append("engaged sessions = engagement rate x sessions, rounded (the report has no Engaged sessions "
                     "column).")
    if engaged is not None:
        out["engaged_sessions"] = engaged
        over = np.flatnonzero((engaged > sessions).to_numpy())
        if len(over):
            fail(path, "engaged sessions above the sessions", line=data_lines[int(over[0])],
                 column=header[columns.get("engaged_sessions", columns.get("engagement_rate"))],
                 expected="engaged sessions <= sessions on every row")
    users = numbers("users", integer=True)
    if users is None:
        users = numbers("active_users", integer=True)
    if users is not None:
        out["users"] = users
    transactions = numbers("transactions", integer=True)
    if transactions is None:
        transactions = numbers("purchases", integer=True)
    if transactions is not None:
        out["transactions"] = transactions
    key_events = numbers("key_events")
    if key_events is not None:
        out["key_events"] = key_events
        notes.append("key events kept as key events: they count every conversion the property marks, not orders.")
    revenue = numbers("revenue")
    if revenue is None:
        revenue = numbers("purchase_revenue")
    if revenue is not None:
        out["revenue"] = revenue.round(2)
        notes.append("revenue in the property's currency (the download does not name it): taken to be the client's.")
    keys = ["date", "end_date", *[d for d in DIMS if d in out]]
    rows_read = len(frame)
    if out.duplicated(keys).any():
        metrics = [c for c in out.columns if c not in keys]
        summed = out.groupby(keys, sort=False, dropna=False)[[m for m in metrics if m != "users"]].sum(min_count=1)
        merged = int(len(out) - len(summed))
        out = summed.reset_index()
        notes.append(f"{merged:,} row(s) added to others with the same keys (the table is also split by "
                     f"{', '.join(unknown_dims) or 'a dimension the contract has not'}); users left empty "
                     "(users do not add up).")
    elif unknown_dims:
        notes.append(f"dimension(s) not kept: {', '.join(unknown_dims)}.")
    if len(totals):
        total_sessions = parse_numbers(path, totals[columns["sessions"]].reset_index(drop=True),
                                       [n for n, t in zip(lines, is_total) if t], column=header[columns["sessions"]],
                                       decimal=decimal, integer=True).iloc[0]
        if not np.isclose(out["sessions"].sum(), total_sessions):
            fail(path, f"the rows' sessions add up to {out['sessions'].sum():,.0f}, the total row says "
                       f"{total_sessions:,.0f}", line=[n for n, t in zip(lines, is_total) if t][0],
                 column=header[columns["sessions"]],
                 expected="a complete download (rows adding up to the total row): download the report again "
                          "without a row limit")
        notes.append(f"the total row left out; the rows add up to its {total_sessions:,.0f} sessions.")
    for col in ("sessions", "engaged_sessions", "users", "transactions"):
        if col in out:
            out[col] = pd.array(out[col].round(), dtype="Int64")
    dims = [d for d in DIMS if d in out]
    source = NAME + "".join(f"_{d}" for d in dims) + ("" if dims else "_total") + ("_daily" if "date" in columns else "")
    if len(blocks) > 1:
        notes.append(f"{len(blocks) - 1} other block(s) of the download (such as the Nth day series) left out.")
    title = next((c for c in comments if c and set(c) - set("-")), "")
    if title:
        notes.insert(0, f"report: {title}.")
    dropped = {"total row": int(is_total.sum())} if is_total.any() else {}
    return Parsed(NAME, TITLE, source, TABLE, out.reset_index(drop=True), rows_read=rows_read, language=language,
                  period=(start, end), dropped=dropped, notes=notes)
