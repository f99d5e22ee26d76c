"""GA4 BigQuery export (random event sample) -> client folder: sessions, orders, searches.

Source: ``ga4_gstore_events_sampled/`` (Google Merchandise Store, 24,219 events randomly sampled
from ``ga4_obfuscated_sample_ecommerce``, 2020-11-01 to 2021-01-31). The importer reads the
flattened ``events_flat.csv.gz`` (one row per event, ``event_params`` spread into ``param_*``
columns), which carries every field needed; the nested parquet is not read. Ids are read as text
(``user_pseudo_id`` such as ``71706603.2631255790`` would lose its trailing zero as a number).

The sample is of EVENTS, not sessions: 20,705 sessions are seen through about 1.17 events each,
and only 1,937 of them contain their ``session_start``. Consequences, read before using the
folder:

* every session-level quantity is partial: session counts are "sessions seen in the sample",
  ``started_at`` is often later than the real start, and session conversion, bounce and
  pages-per-session cannot be computed faithfully (so ``pageviews`` and ``bounced`` are NOT
  written: counting the sampled page_views would understate them);
* orders are a random ~1/n sample of all purchases, so counts and revenue are far below the
  store's, while per-order figures (AOV, items, days and visits to purchase) stay meaningful.

Output tables and mapping
-------------------------
sessions (one row per (``user_pseudo_id``, ``ga_session_id``) seen, 20,705)
    * ``session_id`` = ``"<user_pseudo_id>-<ga_session_id>"``; ``visitor_id`` = ``user_pseudo_id``.
    * ``started_at`` = time of the session's ``session_start`` event if sampled, else of its
      earliest sampled event (``event_timestamp`` in µs, UTC).
    * ``device`` = ``device.category`` (constant within every session); ``platform`` = ``web``
      (``platform`` is ``WEB`` on every event).
    * ``landing_page`` = URL path of ``page_location`` of the session's ``session_start`` event
      or of its page_view with ``entrances = 1`` (GA4 marks the landing page view that way);
      ``landing_page_title`` = that event's ``page_title``. Known for 3,838 sessions. It is NOT
      taken from the first sampled page_view, which is usually not the landing page; otherwise it
      stays empty.
    * ``source``/``medium``/``campaign`` = the ``source``/``medium``/``campaign`` event
      parameters of the session's first event (by time) that carries any of them, raw,
      including Google's obfuscation values ``<Other>`` and ``(data deleted)``; empty for
      sessions whose sampled events carry none (about 63%). The user-level first-touch
      ``traffic_source`` is not used (it describes the user's first visit, not this session).
    * ``channel`` = the kit's own channel rules (:func:`kpi_helpers.channels.derive_channel`,
      one definition of channels) applied to source/medium/campaign, but ``unknown`` when the
      session's ``medium`` is missing or obfuscated (``<Other>``, ``(data deleted)``; such a
      source or campaign is treated as missing too). It is written, rather than left for the
      loader to derive, because the rules make a session with neither source nor medium
      ``direct``: here that only means its traffic event was not sampled, so 13,000+ sessions
      would wrongly become direct traffic.

orders (one row per distinct ``transaction_id`` of ``purchase`` events, 569)
    * ``order_id`` = event parameter ``transaction_id`` (the full id; ``ecommerce.transaction_id``
      holds only its last 6 digits or ``(not set)``).
    * 49 purchase events have no transaction id and no value (``(not set)``, revenue 0): they are
      dropped, since an order with an invented id and value would be fiction.
    * 6 transaction ids are sent twice (GA4 duplicate purchase hits, same session and value):
      one order is kept, at the earliest event.
    * ``revenue`` = event parameter ``value`` (``currency`` is USD on every purchase). Caveat:
      GA4's ``value`` is the sum of item prices, EXCLUDING tax and shipping (it matches the items'
      revenue; tax is sent separately), so it is below the contract's "tax and shipping included"
      revenue. ``tax`` is therefore not written (the contract defines it as part of revenue) and
      shipping is unknown. ``ecommerce.purchase_revenue_in_usd`` is not used: it is rounded to whole
      dollars by Google's obfuscation.
    * ``customer_id`` = ``visitor_id`` = ``user_pseudo_id`` (``user_id`` is empty: no login);
      ``session_id`` as above; ``ordered_at`` = event time (UTC, µs);
      ``items`` = ``ecommerce.total_item_quantity``.

searches (one row per ``view_search_results`` event, 144)
    * ``searched_at`` = event time; ``session_id`` as above; ``query`` = ``search_term``, which
      Google replaced by ``<obfuscated>`` on every row (so no query-level analysis is possible).
    * ``results_count`` is not written: GA4 does not record it, and "unknown" must never become 0.

Not written: ``carts`` (add_to_cart events are sampled, so per-session carts and their
abandonment would be fiction), ``ad_spend``, ``social_posts``.

client.yml: timezone ``UTC`` (``event_date`` equals the UTC date of ``event_timestamp`` for all
24,219 events, so the export was made in UTC), currency ``USD``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from ..channels import derive_channel
from ._common import (SourceDataError, prepare_out_dir, read_source_csv, require_files, write_client_yml,
                      write_provenance, write_table)

__all__ = ["import_ga4"]

FILES = ("events_flat.csv.gz",)
COLUMNS = [
    "event_timestamp", "event_name", "user_pseudo_id", "param_ga_session_id",
    "param_page_location", "param_page_title", "param_entrances", "param_source",
    "param_medium", "param_campaign", "param_search_term", "param_transaction_id",
    "param_value", "param_currency", "device_category", "platform",
    "ecommerce_total_item_quantity",
]
#: Values Google's obfuscation puts in place of a real source/medium/campaign.
OBFUSCATED = frozenset({"<Other>", "(data deleted)"})
ID_DTYPES = {"user_pseudo_id": "str", "param_ga_session_id": "str",
             "param_transaction_id": "str"}

DATASET = dict(
    dataset=("GA4 obfuscated sample e-commerce, Google Merchandise Store, random event sample "
             "(Nov 2020 – Jan 2021)"),
    publisher=("Google, BigQuery public dataset "
               "`bigquery-public-data.ga4_obfuscated_sample_ecommerce.events_*`."),
    license=("The source repository is MIT-licensed (\"Copyright 2023 Google LLC\") and does not "
             "give a separate data license. The data is Google's public sample dataset, under the "
             "Google Cloud public-datasets terms."),
    origin=("GitHub `malloydata/malloy-samples`, commit "
            "`bff195e8c4e615c88312490be08bf26d71992115`, file "
            "`ga4/ga4_events_sampled.snappy.parquet` (flattened as `events_flat.csv.gz`)."),
)

NOTES = [
    "Random EVENT sample: sessions are seen through ~1.17 events each, so session counts, "
    "session conversion, bounce and cart abandonment are not meaningful; pageviews, bounced and "
    "carts are not written.",
    "started_at = session_start time if sampled (1,937 sessions), else earliest sampled event.",
    "landing_page only where the session_start or entrance page_view was sampled.",
    "channel = the kit's channel rules on the session's source/medium/campaign event params; "
    "'unknown' when the medium was not sampled or is obfuscated (<Other>, (data deleted)): "
    "most sessions.",
    "Orders: one per distinct transaction_id (duplicates dropped; 49 purchases without id or "
    "value dropped). revenue = GA4 `value`, which EXCLUDES tax and shipping. USD.",
    "customer_id = user_pseudo_id (cookie): GA4 user_id is empty.",
    "Searches: query is '<obfuscated>' everywhere; results_count unknown (not written).",
]


def _path(url: object) -> object:
    if not isinstance(url, str):
        return None
    return urlsplit(url).path or "/"


def _channels(source: pd.Series, medium: pd.Series, campaign: pd.Series) -> pd.Series:
    """Kit channel rules on known values; ``unknown`` when medium is missing or obfuscated."""
    known = [x.where(~x.isin(OBFUSCATED)) for x in (source, medium, campaign)]
    frame = pd.DataFrame(dict(zip(("source", "medium", "campaign"), known)))
    cache: dict[tuple, str] = {}
    out = []
    for src, med, camp in frame.itertuples(index=False):
        if pd.isna(med):
            out.append("unknown")
            continue
        key = (None if pd.isna(src) else src, med, None if pd.isna(camp) else camp)
        if key not in cache:
            cache[key] = derive_channel(*key)
        out.append(cache[key])
    return pd.Series(out, index=source.index, dtype="str")


def import_ga4(src_dir: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Convert the GA4 event-sample folder ``src_dir`` into a client folder ``out_dir``.

    Returns rows written per table, e.g. ``{"sessions": 20705, "orders": 569, "searches": 144}``.
    See the module docstring for every mapping rule and the consequences of event sampling.
    """
    (events_path,) = require_files("ga4", src_dir, FILES)
    e = read_source_csv(events_path, COLUMNS, dtype=ID_DTYPES)
    for col in ("user_pseudo_id", "param_ga_session_id"):
        if e[col].isna().any():
            raise SourceDataError(f"{events_path}: column {col} is empty on "
                                  f"{int(e[col].isna().sum())} event(s); expected on every event")
    e["at"] = pd.to_datetime(e["event_timestamp"], unit="us", utc=True)
    e["session_id"] = e["user_pseudo_id"] + "-" + e["param_ga_session_id"]
    e = e.sort_values(["at", "session_id"], kind="stable")

    # sessions ---------------------------------------------------------------------------
    g = e.groupby("session_id", sort=False)
    first = g.first()  # first non-null per column, events in time order
    start_evt = e[e["event_name"] == "session_start"].groupby("session_id")["at"].min()
    landing = e[(e["event_name"] == "session_start")
                | ((e["event_name"] == "page_view") & (e["param_entrances"] == 1))]
    landing = landing.drop_duplicates("session_id").set_index("session_id")
    traffic = e[e[["param_source", "param_medium", "param_campaign"]].notna().any(axis=1)]
    traffic = traffic.drop_duplicates("session_id").set_index("session_id").reindex(first.index)
    sessions = pd.DataFrame({
        "visitor_id": g["user_pseudo_id"].first(),
        "started_at": start_evt.reindex(first.index).fillna(g["at"].min()),
        "channel": _channels(traffic["param_source"], traffic["param_medium"],
                             traffic["param_campaign"]),
        "device": first["device_category"],
        "landing_page": landing["param_page_location"].map(_path).reindex(first.index),
        "platform": first["platform"].str.lower(),
        "landing_page_title": landing["param_page_title"].reindex(first.index),
        "source": traffic["param_source"],
        "medium": traffic["param_medium"],
        "campaign": traffic["param_campaign"],
    }).rename_axis("session_id").reset_index()

    # orders -------------------------------------------------------------------------------
    buys = e[(e["event_name"] == "purchase") & e["param_transaction_id"].notna()]
    bad_currency = buys.loc[buys["param_currency"] != "USD", "param_currency"]
    if len(bad_currency):
        raise SourceDataError(f"{events_path}: purchase currency {bad_currency.iloc[0]!r}; "
                              "expected USD on every purchase")
    if buys["param_value"].isna().any() or (buys["param_value"] < 0).any():
        raise SourceDataError(f"{events_path}: a purchase with a transaction_id has no or a "
                              "negative value")
    buys = buys.drop_duplicates("param_transaction_id", keep="first")
    orders = pd.DataFrame({
        "order_id": buys["param_transaction_id"],
        "customer_id": buys["user_pseudo_id"],
        "ordered_at": buys["at"],
        "revenue": buys["param_value"].astype(float),
        "session_id": buys["session_id"],
        "visitor_id": buys["user_pseudo_id"],
        "items": buys["ecommerce_total_item_quantity"].astype("Int64"),
    })

    # searches -----------------------------------------------------------------------------
    srch = e[e["event_name"] == "view_search_results"]
    searches = pd.DataFrame({
        "searched_at": srch["at"],
        "session_id": srch["session_id"],
        "query": srch["param_search_term"],
    })

    out = prepare_out_dir(out_dir)
    rows = {
        "sessions": write_table(sessions.sort_values(["started_at", "session_id"]), out,
                                "sessions"),
        "orders": write_table(orders, out, "orders"),
        "searches": write_table(searches, out, "searches"),
    }
    write_client_yml(out, name="Google Merchandise Store (GA4 event sample, Nov 2020 - Jan 2021)",
                     timezone="UTC", currency="USD")
    write_provenance(out, folder=Path(src_dir).name, importer="kpi_helpers.importers.ga4",
                     notes=NOTES, rows=rows, **DATASET)
    return rows
