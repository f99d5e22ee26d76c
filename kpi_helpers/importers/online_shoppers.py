"""UCI Online Shoppers Purchasing Intention -> client folder: sessions only.

Source: ``online_shoppers_intention_uci/online_shoppers_intention.csv``: 12,330 sessions of an
e-commerce site over one year, aggregated from Google Analytics by Sakar et al. (2019). Each row
is one session; "each session belongs to a different user".

Input shape: one row per session: page counts and durations per page type
(``Administrative``, ``Informational``, ``ProductRelated`` and ``*_Duration``), page-level GA
averages (``BounceRates``, ``ExitRates``, ``PageValues``), ``SpecialDay``, ``Month`` (``Feb`` ..
``Dec``, ``June`` spelled out), coded ``OperatingSystems``/``Browser``/``Region``/``TrafficType``,
``VisitorType``, ``Weekend`` and ``Revenue`` (TRUE if the session ended in a purchase).

What can be written faithfully, and the rules used
--------------------------------------------------
sessions (one row per source row, 12,330)
    * ``session_id`` = 1-based row number, zero-padded to 5 digits (``00001``..``12330``): the
      source has no id. ``visitor_id`` = ``session_id``, since the dataset states that every
      session belongs to a different user (so ``visitors`` = ``sessions``; ``VisitorType``
      "Returning" refers to history outside the data and has no contract column).
    * ``started_at``: the source gives only the month, no year, day or time. Rule: the nominal
      year ``year`` (default 2017, a placeholder: the year is not published), the first day on or
      after the 15th of ``Month`` that is a Saturday when ``Weekend`` is TRUE, or a Monday-Friday
      when FALSE (so the 15th itself whenever it fits), at 12:00 UTC. So monthly and
      weekday/weekend splits are faithful; day, week and hour breakdowns are artefacts of the
      rule. Jan and Apr have no sessions.
    * ``pageviews`` = ``Administrative + Informational + ProductRelated`` (pages visited in the
      session, by type). 6 sessions count 0 pages, which the contract's ``pageviews >= 1`` cannot
      hold: they are left empty.
    * ``bounced`` is NOT written: ``BounceRates`` is the mean bounce rate of the pages visited
      (a page-level GA metric), not whether this session bounced. The kit falls back on
      ``pageviews == 1``.
    * ``channel``, ``device``, ``source``/``medium``: not written. ``TrafficType`` and
      ``OperatingSystems``/``Browser`` are integer codes whose meaning was never published;
      mapping them to channels or devices would be invention.

orders: NOT written. ``Revenue`` says a session ended in a purchase, but there is no amount,
order id, customer or time, and the contract's ``revenue`` is a required amount: writing orders
would mean inventing values. Consequence: the dataset's main KPI, session conversion rate
(1,908 / 12,330 = 15.47%), cannot be carried by the contract as it stands; it would need an
optional session-level flag such as ``converted`` (not in the contract, so not written).

client.yml: timezone ``UTC`` (unknown; UTC keeps the nominal noon timestamps as written),
currency ``EUR`` (the kit's default; no amount is written, so it is never used).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ._common import (SourceDataError, prepare_out_dir, read_source_csv, require_files, write_client_yml,
                      write_provenance, write_table)

__all__ = ["import_online_shoppers", "MONTHS"]

FILES = ("online_shoppers_intention.csv",)
COLUMNS = ["Administrative", "Informational", "ProductRelated", "Month", "Weekend", "Revenue"]

MONTHS = {name: i for i, names in enumerate(
    [("Jan",), ("Feb",), ("Mar",), ("Apr",), ("May",), ("Jun", "June"), ("Jul", "July"),
     ("Aug",), ("Sep", "Sept"), ("Oct",), ("Nov",), ("Dec",)], start=1) for name in names}

DATASET = dict(
    dataset="UCI Online Shoppers Purchasing Intention Dataset",
    publisher=("UCI Machine Learning Repository, \"Online Shoppers Purchasing Intention "
               "Dataset\". Sakar, C.O., Polat, S.O., Katircioglu, M. & Kastro, Y. (2019), "
               "*Neural Computing and Applications* 31."),
    license=("CC BY 4.0 on the UCI page. The source repository gives \"Source : UCI\" in its "
             "commit message and has no license file."),
    origin=("GitHub `remijul/dataset`, commit `2932bc420070530ea009719fad7dd688d3a3bb61`, file "
            "`online_shoppers_intention.csv`."),
)


def _nominal_day(year: int, month: int, weekend: bool) -> dt.datetime:
    """First Saturday (weekend) or Monday-Friday (not weekend) on or after the 15th, 12:00 UTC."""
    day = dt.date(year, month, 15)
    while not (day.weekday() == 5 if weekend else day.weekday() < 5):
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)


def import_online_shoppers(src_dir: Path | str, out_dir: Path | str, *,
                           year: int = 2017) -> dict[str, int]:
    """Convert the UCI Online Shoppers folder ``src_dir`` into a client folder ``out_dir``.

    ``year`` is the nominal year given to the month-only dates (the source has none). Returns rows
    written per table: ``{"sessions": 12330}``; no orders (see the module docstring).
    """
    (path,) = require_files("online_shoppers", src_dir, FILES)
    df = read_source_csv(path, COLUMNS)
    unknown = sorted(set(df["Month"]) - set(MONTHS))
    if unknown:
        raise SourceDataError(f"{path}: column Month has {unknown}; expected month abbreviations "
                              f"such as Feb, June, Dec")
    for col in ("Weekend", "Revenue"):
        if df[col].dtype != bool:
            raise SourceDataError(f"{path}: column {col} must be TRUE/FALSE")
    days = {(m, w): _nominal_day(year, MONTHS[m], w)
            for m, w in df[["Month", "Weekend"]].drop_duplicates().itertuples(index=False)}
    pages = (df["Administrative"] + df["Informational"] + df["ProductRelated"]).astype("Int64")
    ids = pd.Series([f"{i:05d}" for i in range(1, len(df) + 1)], dtype="str")
    sessions = pd.DataFrame({
        "session_id": ids,
        "visitor_id": ids,
        "started_at": pd.to_datetime(
            [days[(m, w)] for m, w in zip(df["Month"], df["Weekend"])], utc=True),
        "pageviews": pages.where(pages >= 1),
    })

    out = prepare_out_dir(out_dir)
    rows = {"sessions": write_table(sessions, out, "sessions")}
    write_client_yml(out, name="E-commerce site (UCI Online Shoppers Purchasing Intention)",
                     timezone="UTC", currency="EUR")
    notes = [
        f"Sessions only. started_at is NOMINAL: the source has only the month; rule = year {year}"
        " (placeholder), first Saturday (Weekend TRUE) or weekday (FALSE) on or after the 15th, "
        "12:00 UTC. Only monthly and weekend/weekday splits are real.",
        "visitor_id = session_id (the source states each session is a different user).",
        "pageviews = Administrative + Informational + ProductRelated pages (6 sessions with 0 "
        "pages left empty). No bounced (BounceRates is a page-level average).",
        "No channel/device: TrafficType, OperatingSystems and Browser are unpublished codes.",
        f"No orders: Revenue is a purchase flag without amount ({int(df['Revenue'].sum()):,} of "
        f"{len(df):,} sessions = {df['Revenue'].mean():.2%} converted); the contract has no "
        "column for it.",
    ]
    write_provenance(out, folder=Path(src_dir).name,
                     importer="kpi_helpers.importers.online_shoppers", notes=notes, rows=rows,
                     **DATASET)
    return rows
