"""Google Ads campaign report (Campaigns > Download, segmented by Day) -> ad_spend.

Written from the Google Ads Help Center ("Download your statistics table": the CSV option is UTF-8
with a byte-order mark; "CSV Excel" is UTF-16LE with a byte-order mark, tab-separated), the
column names of the report in English and French (``shared/spec/exports.md``; the French labels
``Jour``, ``Campagne``, ``Code de la devise``, ``Coût``, ``Impr.``, ``Clics`` and the total row
``Total : compte`` corroborated by a public parser's fixtures of real French exports, whose
English twin shows ``Campaign report``, a quoted date-range line and ``Total: Account`` /
``Total: Campaigns`` rows).

Input shape: two title lines (the report's name; its date range in words, ``1 mars 2025 - 31 mars
2025`` or ``March 1, 2025 - March 31, 2025``), the header (``Jour, Campagne, État de la campagne,
Type de campagne, Code de la devise, Budget, Impr., Clics, CTR, CPC moy., Coût, Conversions,
...``), one row per day x campaign (x device or network when the table is segmented that way),
then total rows. Numbers are written for people: ``3 407,39`` and ``3,92 %`` in French,
``3,407.39`` in English, ``--`` for none; conversions can be fractional.

Output table and mapping
------------------------
ad_spend (one row per day x campaign)
    * ``date`` = ``Day`` / ``Jour`` (the account's timezone). A report without a Day column
      (whole-period totals, weeks or months) is refused: segment the table by day and download
      it again.
    * ``campaign`` = ``Campaign``; rows of the same day and campaign (device or network segments)
      are added up.
    * ``spend`` = ``Cost`` (``--`` counts as 0), ``clicks`` = ``Clicks``, ``impressions`` =
      ``Impr.`` (``--`` stays unknown, never 0); ``currency`` = ``Currency code`` (one per file;
      without the column, the client's currency from client.yml is assumed and said so).
    * ``channel`` from ``Campaign type`` through the ``ad_platforms`` section of the versioned
      channel rules (``kpi_helpers/channel_rules.yml``): Search -> paid_search, Shopping ->
      price_comparator, Performance Max -> paid_search, Display and Demand Gen -> display,
      Video -> display; a report without the column counts every campaign as Search.
    * Total rows (first cell starting with ``Total``) are left out and counted in the provenance;
      conversions, CTR, CPC and budgets have no contract column and are not written.
    * The date range of the title line is the period the report covers: importing a newer report
      over the same dates replaces this source's rows of those dates, campaigns without rows
      included.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ..channels import ad_channel
from ._raw import (Col, ImportContext, Parsed, currency_of, fail, find_header, norm_label, peek_rows, read_export,
                   spend_by_day)

__all__ = ["NAME", "TITLE", "TABLE", "COLUMNS", "detect", "read", "parse_date_range"]

NAME = "google_ads"
TITLE = "Google Ads campaign report"
TABLE = "ad_spend"

COLUMNS = {
    "day": Col(("Day",), ("Jour",)),
    "campaign": Col(("Campaign",), ("Campagne",)),
    "campaign_type": Col(("Campaign type",), ("Type de campagne",)),
    "currency": Col(("Currency code",), ("Code de la devise",)),
    "impressions": Col(("Impr.", "Impressions"), ("Impr.", "Impressions")),
    "clicks": Col(("Clicks",), ("Clics",)),
    "cost": Col(("Cost",), ("Coût",)),
}
DETECT = ("campaign", "cost")
PERIOD_COLUMNS = {"week": ("week", "semaine"), "month": ("month", "mois")}

MONTHS = {
    **{m: i + 1 for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"])},
    **{m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"])},
    "sept": 9,
    **{m: i + 1 for i, m in enumerate(["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                                       "septembre", "octobre", "novembre", "décembre"])},
    "janv": 1, "févr": 2, "fevr": 2, "avr": 4, "juil": 7, "déc": 12, "dec": 12,
}


def _word_date(text: str) -> dt.date | None:
    """``2025-03-01``, ``March 1, 2025``, ``Mar 1, 2025``, ``1 mars 2025`` or ``1 sept. 2026``."""
    text = norm_label(text).replace(".", " ").replace(",", " ")
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text.replace(" ", ""))
    if m:
        y, mo, d = map(int, m.groups())
    else:
        parts = text.split()
        if len(parts) != 3:
            return None
        if parts[0].isdigit():
            d, name, y = parts
        else:
            name, d, y = parts
        if name not in MONTHS or not d.isdigit() or not y.isdigit():
            return None
        y, mo, d = int(y), MONTHS[name], int(d)
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def parse_date_range(lines: list[str]) -> tuple[dt.date, dt.date] | None:
    """The ``start - end`` date range of a report's title lines, in English or French words."""
    for line in lines:
        parts = re.split(r"\s+[-–]\s+", line.strip().strip('"'))
        if len(parts) == 2:
            start, end = _word_date(parts[0]), _word_date(parts[1])
            if start and end and start <= end:
                return start, end
    return None


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a Google Ads campaign report (title lines, then Campaign and Cost)."""
    rows = peek_rows(path)
    return find_header(rows, COLUMNS, DETECT, within=6) is not None


def read(path: Path | str, ctx: ImportContext) -> Parsed:
    """Read the report at ``path`` into the ad_spend table (see the module docstring)."""
    x = read_export(path, COLUMNS, required=DETECT, what=TITLE)
    if "day" not in x.columns:
        header = {norm_label(h) for h in peek_rows(x.path)[x.header_index]}
        grain = next((g for g, names in PERIOD_COLUMNS.items() if header & set(names)), "the whole period")
        fail(x.path, f"the report has no Day column (one row per campaign for {grain})", line=x.header_index + 1,
             value=", ".join(x.columns.values()), expected="a report segmented by day (Segment > Time > Day, "
                                                           "then Download) so that spend falls on its days")
    first = x.text("day").str.lower()
    camp = x.text("campaign").str.lower()
    total = first.str.startswith("total") | camp.str.startswith("total")
    rows_read = len(x.data)
    x = x.keep(~total)
    decimal = "," if x.language == "fr" else "."
    day = x.datetimes("day", ["%Y-%m-%d", "%d/%m/%Y" if x.language == "fr" else "%m/%d/%Y", "%b %d, %Y"],
                      timezone="UTC", expected="a day such as 2025-03-31").dt.date
    campaign = x.text("campaign").astype("object")
    x.bad("campaign", campaign == "", "are empty", "the campaign name on every row")
    ctype = x.text("campaign_type").astype("object")
    frame = pd.DataFrame({
        "date": day, "campaign": campaign, "type": ctype,
        "spend": x.numbers("cost", decimal=decimal, min=0, none=0.0),
        "clicks": x.numbers("clicks", decimal=decimal, min=0),
        "impressions": x.numbers("impressions", decimal=decimal, min=0),
    })
    types = {t: ad_channel(NAME, t or None) for t in frame["type"].unique()}
    out = spend_by_day(frame, types.__getitem__, by=["type"])
    currency = currency_of(x.path, x.text("currency"), what="the currency column") if "currency" in x.columns else None
    if currency:
        out["currency"] = currency
    period = parse_date_range(x.title)
    by_type = frame.groupby("type")["campaign"].nunique()
    notes = [
        "channel from Campaign type through the channel rules (ad_platforms.google_ads): "
        + "; ".join(f"{t or '(no campaign type)'} -> {c} ({int(by_type[t])} campaign(s))" for t, c in types.items())
        + ".",
        f"{int(total.sum()):,} total row(s) left out; {len(frame) - len(out):,} segment row(s) (device, network) "
        "added to their day and campaign.",
        "spend = Cost ('--' counts as 0); clicks and impressions '--' stay unknown.",
        (f"period {period[0]}..{period[1]} from the report's date-range line." if period else
         "no date-range line found: the period is the report's first to last day."),
    ]
    if "campaign_type" not in x.columns:
        notes.append("no Campaign type column: every campaign counted as Search (paid_search).")
    if not currency:
        notes.append("no currency column: amounts are taken to be in the client's currency (client.yml).")
    dropped = {"total rows": int(total.sum())} if total.any() else {}
    return Parsed(NAME, TITLE, NAME, TABLE, out, rows_read=rows_read, language=x.language, period=period,
                  currency=currency, dropped=dropped, notes=notes)
