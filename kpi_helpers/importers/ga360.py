"""GA360 (Universal Analytics) BigQuery export -> client folder: sessions, orders, carts.

Source: ``ga360_gstore_sessions_20170801/`` (Google Merchandise Store, all 2,556 sessions of
``ga_sessions_20170801``, Google's public "Google Analytics sample"). The importer reads the
flattened copies, which carry everything needed: ``sessions.csv`` (one row per session),
``hits.csv.gz`` (one row per hit) and ``hit_products.csv.gz`` (products attached to hits). The
nested parquet is not read.

Input shape: GA360 session rows keyed by (``fullVisitorId``, ``visitId``); hits keyed by
(``fullVisitorId``, ``visitId``, ``hitNumber``) with ``time_ms`` since session start.

Output tables and mapping
-------------------------
sessions (one row per GA session, 2,556)
    * ``session_id`` = ``"<fullVisitorId>-<visitId>"`` (the GA session key).
    * ``visitor_id`` = ``fullVisitorId`` read as a string: 261 ids start with ``0`` and keep it.
    * ``started_at`` = ``visitStartTime`` (Unix seconds), UTC, written with ``+00:00``.
    * ``channel`` from GA's ``channelGrouping`` (see :data:`CHANNELS`); an unknown grouping raises
      :class:`SourceDataError` instead of being guessed. ``Social`` in GA's default grouping means
      unpaid social referrals, hence ``organic_social``.
    * ``device`` = ``device.deviceCategory`` (desktop/mobile/tablet); ``platform`` = ``web``.
    * ``landing_page`` = ``page.pagePath`` of the lowest-numbered PAGE hit (the flattened
      ``landingPagePath``); ``landing_page_title`` = that hit's ``page.pageTitle``. Paths are kept
      as GA recorded them (lower-cased, ``+`` for spaces, query string included if any).
    * ``pageviews`` = ``totals.pageviews``; ``bounced`` = ``totals.bounces == 1`` (GA's own bounce
      flag, so the kit does not fall back on ``pageviews == 1``).
    * ``source``/``medium``/``campaign`` = ``trafficSource.*`` raw, including GA's literals
      ``(direct)``, ``(none)``, ``(not set)``. Caveat: in this obfuscated sample they often
      contradict ``channelGrouping`` (e.g. 1,336 "Organic Search" sessions have
      ``(direct)``/``(none)``). ``channel`` is always written, so the kit never re-derives it from
      them.

orders (one row per distinct ``transactionId``, 43)
    * Built from hits whose ``transaction.transactionRevenue`` is set (the hits that record the
      transaction). GA also repeats the id on a following hit without revenue; those are ignored.
    * ``order_id`` = ``transactionId``. Two sessions record the same id twice with different
      revenues (ORD201708012571, ORD201708012585; that is why GA's ``totals.transactions`` sums
      to 45). The contract needs unique ids, so each id becomes ONE order whose revenue, tax,
      shipping and items are the SUM of its recording hits, which keeps total revenue equal to
      GA's hit-level revenue (8,902.00 USD). Consequence: 43 orders, where GA reports 45
      transactions.
    * ``revenue`` = ``transactionRevenue / 1e6`` (USD, tax and shipping included, as GA defines
      it). Note: the session-level ``totals.transactionRevenue`` sums to 8,304.94 and
      ``totals.totalTransactionRevenue`` to 8,890.00 in this obfuscated sample; the hit-level value
      is used because it is the transaction's own figure.
    * ``tax``/``shipping`` = ``transactionTax``/``transactionShipping`` / 1e6; 9 transactions have
      no tax value and keep it missing (not 0).
    * ``ordered_at`` = ``visitStartTime + time_ms`` of the first recording hit (UTC, ms).
    * ``customer_id`` = ``visitor_id`` = ``fullVisitorId``: GA has no customer id (``userId`` is
      empty), so a "customer" here is a browser cookie. ``session_id`` = the session of the hit.
    * ``items`` = sum of ``productQuantity`` of the products attached to the recording hits.

carts (one row per session with at least one add-to-cart hit, 176)
    * GA has no cart object. A cart is "created" by the first hit with
      ``eCommerceAction.action_type == 3`` (add to cart) of a session: ``cart_id`` = that
      ``session_id`` (one cart per session), ``created_at`` = that hit's time.
    * ``order_id`` = the session's ``transactionId`` when the same session recorded a transaction
      (each session holds at most one distinct id here), else empty. 34 carts are converted.
      Caveat: 9 of the 43 orders come from sessions without an add-to-cart hit (the cart was
      filled in an earlier visit, before this day); they have no cart row.
    * ``value`` is not written: the add-to-cart hits lack a quantity on 89 of 494 hits and
      removals (action 4) would have to be netted, so no faithful cart value exists.

Not written: ``searches`` (only 4 hits carry ``page.searchKeyword``: site search was evidently not
tracked, so a search table would report a false near-zero search rate), ``ad_spend``,
``social_posts``.

client.yml: timezone ``America/Los_Angeles`` (GA's ``date`` is the Pacific day: all sessions
start between 2017-08-01 07:00 and 2017-08-02 07:00 UTC), currency ``USD``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._common import (SourceDataError, prepare_out_dir, read_source_csv, require_files, write_client_yml,
                      write_provenance, write_table)

__all__ = ["import_ga360", "CHANNELS"]

FILES = ("sessions.csv", "hits.csv.gz", "hit_products.csv.gz")

#: GA360 default channel grouping -> contract channel.
CHANNELS = {
    "Organic Search": "organic_search",
    "Paid Search": "paid_search",
    "Direct": "direct",
    "Referral": "referral",
    "Social": "organic_social",
    "Display": "display",
    "Affiliates": "affiliate",
    "Email": "email",
    "(Other)": "other",
}

KEY = ["fullVisitorId", "visitId"]
ID_DTYPES = {"fullVisitorId": "str", "visitId": "str", "transaction_transactionId": "str"}

DATASET = dict(
    dataset="Google Analytics 360 sample, Google Merchandise Store, all sessions of 2017-08-01",
    publisher=("Google, BigQuery public dataset `bigquery-public-data.google_analytics_sample` "
               "(tables `ga_sessions_YYYYMMDD`, Aug 2016 – Aug 2017)."),
    license=("The source repository is MIT-licensed (\"Copyright 2023 Google LLC\") and does not "
             "give a separate data license. The data is Google's public sample dataset, published "
             "for analysis under the Google Cloud public-datasets terms."),
    origin=("GitHub `malloydata/malloy-samples`, commit "
            "`bff195e8c4e615c88312490be08bf26d71992115`, file `data/ga_sample.parquet`."),
)

NOTES = [
    "One day only (2017-08-01, Pacific time); revenue in USD.",
    "channel from GA's channelGrouping; raw source/medium/campaign kept but often inconsistent "
    "with it in this obfuscated sample.",
    "customer_id = fullVisitorId (a cookie): GA has no customer id.",
    "One order per distinct transactionId (43); two ids recorded twice in their session are "
    "summed, so GA's 45 'transactions' become 43 orders with the same total revenue.",
    "One cart per session with an add-to-cart hit; order_id set when that session has a "
    "transaction. Cart value not written.",
    "No searches table: site search was not tracked (4 keyword hits).",
]


def _session_id(df: pd.DataFrame) -> pd.Series:
    return df["fullVisitorId"] + "-" + df["visitId"]


def import_ga360(src_dir: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Convert the GA360 sample folder ``src_dir`` into a client folder ``out_dir``.

    Returns rows written per table, e.g. ``{"sessions": 2556, "orders": 43, "carts": 176}``.
    See the module docstring for every mapping rule.
    """
    sessions_path, hits_path, products_path = require_files("ga360", src_dir, FILES)
    s = read_source_csv(sessions_path, [
        "fullVisitorId", "visitId", "visitStartTime", "channelGrouping", "totals_pageviews",
        "totals_bounces", "trafficSource_source", "trafficSource_medium",
        "trafficSource_campaign", "device_deviceCategory", "landingPagePath",
    ], dtype=ID_DTYPES)
    h = read_source_csv(hits_path, [
        "fullVisitorId", "visitId", "hitNumber", "time_ms", "type", "page_pagePath",
        "page_pageTitle", "eCommerceAction_action_type", "transaction_transactionId",
        "transaction_transactionRevenue", "transaction_transactionTax",
        "transaction_transactionShipping",
    ], dtype=ID_DTYPES)
    p = read_source_csv(products_path, ["fullVisitorId", "visitId", "hitNumber",
                                        "productQuantity"], dtype=ID_DTYPES)

    s["session_id"] = _session_id(s)
    h["session_id"] = _session_id(h)
    p["session_id"] = _session_id(p)
    if s["session_id"].duplicated().any():
        dup = s.loc[s["session_id"].duplicated(), "session_id"].head(3).tolist()
        raise SourceDataError(f"{sessions_path}: duplicated fullVisitorId-visitId, e.g. {dup}")
    unknown = sorted(set(s["channelGrouping"].dropna()) - set(CHANNELS))
    if unknown:
        raise SourceDataError(
            f"{sessions_path}: column channelGrouping has value(s) {unknown} with no channel "
            f"mapping; known: {sorted(CHANNELS)}")
    start = pd.to_datetime(s["visitStartTime"], unit="s", utc=True)
    s_start = start.set_axis(s["session_id"])

    # sessions ---------------------------------------------------------------------------
    pages = h[h["type"] == "PAGE"].sort_values(["session_id", "hitNumber"])
    first_page = pages.drop_duplicates("session_id").set_index("session_id")
    sessions = pd.DataFrame({
        "session_id": s["session_id"],
        "visitor_id": s["fullVisitorId"],
        "started_at": start,
        "channel": s["channelGrouping"].map(CHANNELS).fillna("unknown"),
        "device": s["device_deviceCategory"],
        "landing_page": s["landingPagePath"],
        "pageviews": s["totals_pageviews"].astype("Int64"),
        "platform": "web",
        "landing_page_title": s["session_id"].map(first_page["page_pageTitle"]),
        "bounced": s["totals_bounces"].eq(1),
        "source": s["trafficSource_source"],
        "medium": s["trafficSource_medium"],
        "campaign": s["trafficSource_campaign"],
    })

    # orders -------------------------------------------------------------------------------
    tx = h[h["transaction_transactionRevenue"].notna()].sort_values(["session_id", "hitNumber"])
    if tx["transaction_transactionId"].isna().any():
        raise SourceDataError(f"{hits_path}: a hit has transactionRevenue but no transactionId")
    items = (p.merge(tx[["session_id", "hitNumber", "transaction_transactionId"]],
                     on=["session_id", "hitNumber"])
             .groupby("transaction_transactionId")["productQuantity"].sum(min_count=1))
    tx = tx.assign(at=tx["session_id"].map(s_start)
                   + pd.to_timedelta(tx["time_ms"], unit="ms"))
    g = tx.groupby("transaction_transactionId", sort=True)
    orders = pd.DataFrame({
        "customer_id": g["fullVisitorId"].first(),
        "ordered_at": g["at"].min(),
        "revenue": g["transaction_transactionRevenue"].sum() / 1e6,
        "session_id": g["session_id"].first(),
        "visitor_id": g["fullVisitorId"].first(),
        "shipping": g["transaction_transactionShipping"].sum(min_count=1) / 1e6,
        "tax": g["transaction_transactionTax"].sum(min_count=1) / 1e6,
    })
    if (g["session_id"].nunique() > 1).any():
        raise SourceDataError(f"{hits_path}: a transactionId appears in several sessions")
    orders["items"] = orders.index.map(items).astype("Int64")
    orders = orders.rename_axis("order_id").reset_index().sort_values("ordered_at")

    # carts --------------------------------------------------------------------------------
    adds = h[h["eCommerceAction_action_type"] == 3].sort_values(["session_id", "hitNumber"])
    first_add = adds.drop_duplicates("session_id")
    session_order = tx.groupby("session_id")["transaction_transactionId"].agg(
        lambda ids: ids.unique()[0] if ids.nunique() == 1 else None)
    if session_order.isna().any():
        raise SourceDataError(f"{hits_path}: a session records several transaction ids")
    carts = pd.DataFrame({
        "cart_id": first_add["session_id"],
        "created_at": first_add["session_id"].map(s_start)
        + pd.to_timedelta(first_add["time_ms"], unit="ms"),
        "visitor_id": first_add["fullVisitorId"],
        "session_id": first_add["session_id"],
        "order_id": first_add["session_id"].map(session_order),
    }).sort_values("created_at")

    out = prepare_out_dir(out_dir)
    rows = {
        "sessions": write_table(sessions.sort_values("started_at"), out, "sessions"),
        "orders": write_table(orders, out, "orders"),
        "carts": write_table(carts, out, "carts"),
    }
    write_client_yml(out, name="Google Merchandise Store (GA360 sample, 2017-08-01)",
                     timezone="America/Los_Angeles", currency="USD")
    write_provenance(out, folder=Path(src_dir).name, importer="kpi_helpers.importers.ga360",
                     notes=NOTES, rows=rows, **DATASET)
    return rows
