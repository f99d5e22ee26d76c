"""Kaggle "KAG conversion data" (Facebook ads) -> client folder: ad_spend on ONE given date.

Source: ``facebook_ads_kag_conversion/KAG_conversion_data.csv``: ad-level results of three
Facebook ad campaigns of an anonymised company, 1,143 ads, with NO dates at all.

Input shape: one row per ad: ``ad_id``, ``xyz_campaign_id`` (company campaign: 916, 936, 1178),
``fb_campaign_id`` (Facebook campaign / ad set, 691 values, each inside one xyz campaign), ``age``,
``gender``, ``interest``, ``Impressions``, ``Clicks``, ``Spent``, ``Total_Conversion``,
``Approved_Conversion``.

Output table and mapping
------------------------
ad_spend (one row per ``fb_campaign_id``, 691)
    * ``date`` = the REQUIRED ``date`` argument (``YYYY-MM-DD``; CLI ``--date``). The source has
      no dates, so every row is written on that one day: only totals over a period containing that
      day are meaningful; any daily or monthly trend is an artefact.
    * ``channel`` = ``paid_social`` (Facebook ads).
    * ``campaign`` = ``"<xyz_campaign_id>/<fb_campaign_id>"`` as text, e.g. ``916/103916``: the
      company campaign, then the Facebook campaign (ad set) inside it.
    * The contract's grain is day x channel x campaign, so the ads of the same ``fb_campaign_id``
      are summed: ``spend`` = sum of ``Spent``, ``clicks`` = sum of ``Clicks``,
      ``impressions`` = sum of ``Impressions``. Ad-level detail (``ad_id``, age, gender,
      interest) is lost. ``Spent`` values are summed as published (they carry float noise such as
      ``1.429999948``); the total stays 58,705.23.
    * ``currency`` is not written per row: the source does not state it. client.yml says
      ``currency`` (default ``USD``, an ASSUMPTION; pass ``currency=`` to change it).
    * ``Total_Conversion``/``Approved_Conversion`` have no contract column (conversions come from
      ``orders``) and are not written; cost per acquisition from this data must be computed
      outside the kit (Spent / Approved_Conversion = 54.41).

client.yml: timezone ``UTC`` (dates only), currency as above.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ._common import (SourceDataError, prepare_out_dir, read_source_csv, require_files, write_client_yml,
                      write_provenance, write_table)

__all__ = ["import_facebook_ads"]

FILES = ("KAG_conversion_data.csv",)
COLUMNS = ["xyz_campaign_id", "fb_campaign_id", "Impressions", "Clicks", "Spent"]

DATASET = dict(
    dataset="\"KAG conversion data\": Facebook ad campaigns of an anonymised company",
    publisher=("Kaggle dataset \"Sales Conversion Optimization\" (file "
               "`KAG_conversion_data.csv`), uploaded from an anonymous organisation's social-media "
               "ad campaign."),
    license=("Neither source repository states a license. The Kaggle page's license could not "
             "be checked offline, so verify it before redistributing."),
    origin=("GitHub `rakeshsarma/Little-Guy`, commit `3ec02893fcdffb86eac6aa78084b839ebb71a35d`, "
            "file `KAG_conversion_data.csv` (the copier's added Date column removed)."),
)


def import_facebook_ads(src_dir: Path | str, out_dir: Path | str, *, date: str | dt.date,
                        currency: str = "USD") -> dict[str, int]:
    """Convert the KAG Facebook ads folder ``src_dir`` into a client folder ``out_dir``.

    ``date`` (``YYYY-MM-DD`` or a ``datetime.date``) is required: the source has no dates and
    every row is written on that day. ``currency`` goes to client.yml (the source does not state
    it). Returns rows written per table: ``{"ad_spend": 691}``.
    """
    try:
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
    except ValueError:
        raise SourceDataError(f"facebook_ads: date {date!r} is not a YYYY-MM-DD date") from None
    (path,) = require_files("facebook_ads", src_dir, FILES)
    df = read_source_csv(path, COLUMNS, dtype={"xyz_campaign_id": "str",
                                               "fb_campaign_id": "str"})
    for col in ("Impressions", "Clicks", "Spent"):
        bad = df[col].isna() | (df[col] < 0)
        if bad.any():
            raise SourceDataError(f"{path}: column {col} is empty or negative on row "
                                  f"{int(bad.idxmax()) + 2}; expected a number >= 0")
    if (df.groupby("fb_campaign_id")["xyz_campaign_id"].nunique() > 1).any():
        raise SourceDataError(f"{path}: an fb_campaign_id belongs to several xyz_campaign_id")
    df["campaign"] = df["xyz_campaign_id"] + "/" + df["fb_campaign_id"]
    g = df.groupby("campaign", sort=False)
    spend = pd.DataFrame({
        "spend": g["Spent"].sum(),
        "clicks": g["Clicks"].sum().astype("Int64"),
        "impressions": g["Impressions"].sum().astype("Int64"),
    }).reset_index()
    spend.insert(0, "date", day.isoformat())
    spend.insert(1, "channel", "paid_social")

    out = prepare_out_dir(out_dir)
    rows = {"ad_spend": write_table(spend, out, "ad_spend")}
    write_client_yml(out, name="Anonymised company Facebook ads (Kaggle KAG conversion data)",
                     timezone="UTC", currency=currency)
    notes = [
        f"The source has NO dates: every row is written on {day.isoformat()} (the date given to "
        "the importer). Only totals over a period containing that day are meaningful.",
        "One row per Facebook campaign (fb_campaign_id): ads summed; campaign = "
        "'xyz_campaign_id/fb_campaign_id'; channel = paid_social.",
        f"Currency not stated by the source; client.yml says {currency} (assumption).",
        "Conversions (Total_Conversion, Approved_Conversion) have no contract column and are "
        "not written.",
    ]
    write_provenance(out, folder=Path(src_dir).name,
                     importer="kpi_helpers.importers.facebook_ads", notes=notes, rows=rows,
                     **DATASET)
    return rows
