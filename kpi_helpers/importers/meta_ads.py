"""Meta Ads Manager report (Reports > Export table data, CSV or Excel, with a Day breakdown) -> ad_spend.

Written from ``shared/spec/exports.md`` (the French headers ``Nom de la campagne, Jour, Début des
rapports, Fin des rapports, ..., Montant dépensé (EUR), Clics sur un lien, ...`` corroborated by
public parsers of real exports, and their English twins ``Campaign name, Day, Reporting starts,
Reporting ends, ..., Amount spent (EUR), Link clicks, ...``). The currency is only in the spend
column's header.

Output table and mapping
------------------------
ad_spend (one row per day x campaign)
    * ``date`` = ``Day`` / ``Jour``. Without a Day breakdown the report is accepted only when
      every row covers one day (``Reporting starts`` = ``Reporting ends``); otherwise it is
      refused: add the Day breakdown (Breakdown > By time > Day) and export again.
    * ``campaign`` = ``Campaign name``; rows of the same day and campaign (other breakdowns:
      placement, age...) are added up. A row without a campaign name (a summary row) is left out
      and counted in the provenance.
    * ``spend`` = ``Amount spent (XXX)``, ``currency`` = XXX from that header; ``clicks`` = ``Link
      clicks`` (blank stays unknown), ``impressions`` = ``Impressions``.
    * ``channel`` from the channel rules (``ad_platforms.meta_ads``: facebook / paid_social) ->
      ``paid_social``, the channel of the sessions Meta ads bring.
    * Results, reach, frequency, purchases, conversion value and ROAS have no contract column and
      are not written (the kit computes ROAS from orders).
    * The period is the first ``Reporting starts`` to the last ``Reporting ends`` (else the first
      to last day): a newer report over the same dates replaces this source's rows of those dates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..channels import ad_channel
from ._raw import Col, ImportContext, Parsed, fail, norm_label, peek_rows, read_export, spend_by_day

__all__ = ["NAME", "TITLE", "TABLE", "COLUMNS", "detect", "read"]

NAME = "meta_ads"
TITLE = "Meta Ads Manager report"
TABLE = "ad_spend"

COLUMNS = {
    "campaign": Col(("Campaign name",), ("Nom de la campagne",)),
    "day": Col(("Day",), ("Jour",)),
    "starts": Col(("Reporting starts",), ("Début des rapports",)),
    "ends": Col(("Reporting ends",), ("Fin des rapports",)),
    "impressions": Col(("Impressions",), ("Impressions",)),
    "clicks": Col(("Link clicks",), ("Clics sur un lien",)),
}
SPEND = re.compile(r"(amount spent|montant dépensé) \(([a-z]{3})\)")
CAMPAIGN = {norm_label(a) for a in COLUMNS["campaign"].en + COLUMNS["campaign"].fr}


def _spend_header(rows) -> tuple[str, str] | None:
    """(spend header as written, currency) of the first row that has a campaign and a spend column."""
    for row in rows[:6]:
        labels = [norm_label(c) for c in row]
        if CAMPAIGN & set(labels):
            for cell, label in zip(row, labels):
                m = SPEND.fullmatch(label)
                if m:
                    return cell, m.group(2).upper()
    return None


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a Meta Ads Manager report (campaign name and amount spent columns)."""
    return _spend_header(peek_rows(path)) is not None


def read(path: Path | str, ctx: ImportContext) -> Parsed:
    """Read the report at ``path`` into the ad_spend table (see the module docstring)."""
    found = _spend_header(peek_rows(path))
    if found is None:
        fail(path, "no Amount spent (currency) column", line=1, expected=f"{TITLE}: Campaign name, Day, "
                                                                         "Amount spent (EUR)...")
    label, currency = found
    spec = {**COLUMNS, "spend": Col((label,), (label,))}
    x = read_export(path, spec, required=("campaign", "spend"), what=TITLE)
    rows_read = len(x.data)
    summary = x.text("campaign") == ""
    x = x.keep(~summary)
    formats = ["%Y-%m-%d", "%d/%m/%Y" if x.language == "fr" else "%m/%d/%Y", "%Y-%m-%d %H:%M:%S"]
    expected = "a day such as 2025-03-31"
    if "day" in x.columns:
        day = x.datetimes("day", formats, timezone="UTC", expected=expected).dt.date
    elif "starts" in x.columns and "ends" in x.columns and (x.text("starts") == x.text("ends")).all():
        day = x.datetimes("starts", formats, timezone="UTC", expected=expected).dt.date
    else:
        fail(x.path, "the report has no Day breakdown (its rows cover several days)", line=x.header_index + 1,
             value=", ".join(x.columns.values()), expected="a report broken down by day (Breakdown > By time > "
                                                           "Day, then Export table data)")
    decimal = "," if x.language == "fr" else "."
    frame = pd.DataFrame({
        "date": day, "campaign": x.text("campaign").astype("object"),
        "spend": x.numbers("spend", decimal=decimal, min=0, none=0.0),
        "clicks": x.numbers("clicks", decimal=decimal, min=0),
        "impressions": x.numbers("impressions", decimal=decimal, min=0),
    })
    channel = ad_channel(NAME)
    out = spend_by_day(frame, lambda _: channel).assign(currency=currency)
    period = None
    if "starts" in x.columns and "ends" in x.columns:
        starts = x.datetimes("starts", formats, timezone="UTC", expected=expected).dt.date
        ends = x.datetimes("ends", formats, timezone="UTC", expected=expected).dt.date
        period = (min(starts), max(ends))
    notes = [
        f"channel = {channel} for every campaign (channel rules, ad_platforms.meta_ads).",
        f"currency {currency} from the header {label!r}; clicks = link clicks.",
        f"{int(summary.sum()):,} row(s) without a campaign name (summary) left out; "
        f"{len(frame) - len(out):,} breakdown row(s) added to their day and campaign.",
        (f"period {period[0]}..{period[1]} from Reporting starts / ends." if period else
         "period = the report's first to last day."),
    ]
    dropped = {"summary rows without a campaign name": int(summary.sum())} if summary.any() else {}
    return Parsed(NAME, TITLE, NAME, TABLE, out, rows_read=rows_read, language=x.language, period=period,
                  currency=currency, dropped=dropped, notes=notes)
