"""REES46 multi-category store events -> client folder: sessions, orders, carts.

Source: ``rees46_multicategory_events_2019-10-01_sample/events_2019-10-01_0000-0250UTC.csv.gz``:
17,434 raw behaviour events (17,055 ``view``, 165 ``cart``, 214 ``purchase``) of a large
multi-category online store, 2019-10-01 00:00 to 02:50 UTC, 5,066 sessions.

Input shape: one row per event: ``event_time`` (``YYYY-MM-DD HH:MM:SS UTC``), ``event_type``,
``product_id``, ``category_id``, ``category_code``, ``brand``, ``price`` (USD), ``user_id``,
``user_session``. One ``purchase`` event = one product bought (no quantity column).

Output tables and mapping
-------------------------
sessions (one row per ``user_session``, 5,066)
    * ``session_id`` = ``user_session`` (a UUID); ``started_at`` = its earliest ``event_time``
      (UTC, written ``+00:00``).
    * ``visitor_id`` = ``user_id`` (REES46's permanent user id) of the session's first event. One
      session (``2759bd71-...``) has view events of two user ids; it takes the first one.
    * No channel, device, landing page, pageviews or bounce: the source has none of them (a
      ``view`` is a product view, not a page view, and sessions with only cart/purchase events
      would get 0). Channel and device KPIs are therefore ``unknown``/null.

orders (one row per session with at least one ``purchase`` event, 200)
    * REES46 has no order id: all purchases of a session form ONE order, ``order_id`` =
      ``user_session`` (so ``order_id`` = ``session_id``).
    * ``revenue`` = sum of ``price`` of the session's purchase events (USD; one unit per event;
      tax and shipping unknown, assumed included in the price as shown to the buyer).
    * ``items`` = number of purchase events. ``ordered_at`` = first purchase event of the session.
    * ``customer_id`` = ``visitor_id`` = the purchasing ``user_id``.

carts (one row per session with at least one ``cart`` event, 118)
    * ``cart_id`` = ``user_session`` (one cart per session); ``created_at`` = first ``cart``
      event; ``visitor_id``/``session_id`` as above.
    * ``value`` = sum of ``price`` of the session's ``cart`` events (each event adds one unit; the
      October 2019 data logs no removals, so this is the value of what was added).
    * ``order_id`` = ``user_session`` when the SAME session has a purchase, else empty (65 carts).
      Caveat: purchases are often logged without a preceding cart event (135 of the 200
      purchasing sessions have none) and the cart may belong to a session cut by the window, so
      the abandonment rate is "carts with no purchase in their session / carts", as the dataset
      README recommends; one converted cart's first cart event even follows the purchase.

Window caveat: sessions that began before 00:00 or continued after 02:50 UTC are cut at the edges.

client.yml: timezone ``UTC``, currency ``USD`` (prices are stated in USD).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._common import (SourceDataError, prepare_out_dir, read_source_csv, require_files, write_client_yml,
                      write_provenance, write_table)

__all__ = ["import_rees46"]

FILES = ("events_2019-10-01_0000-0250UTC.csv.gz",)
COLUMNS = ["event_time", "event_type", "price", "user_id", "user_session"]

DATASET = dict(
    dataset=("REES46 \"eCommerce behavior data from multi category store\", first 2h50m of "
             "2019-10-01"),
    publisher=("REES46 Marketing Platform, published on Kaggle by Michael Kechinov as "
               "\"eCommerce behavior data from multi category store\" (files `2019-Oct.csv`, "
               "`2019-Nov.csv`, ...)."),
    license=("The source repository states none. The Kaggle page credits REES46 and asks users "
             "to cite it. Its license text could not be checked offline, so verify it before "
             "redistributing."),
    origin=("GitHub `ibrhmspl/Team11_Customer_Segmentation`, commit "
            "`b2d3e846e15a9e5f91d5e04793ffee218715b22e`, file `2019-Oct.csv` (truncated copy; "
            "complete lines kept)."),
)

NOTES = [
    "2h50m window (2019-10-01 00:00-02:50 UTC); sessions are cut at the edges. USD.",
    "One order per session with purchase events: order_id = user_session, revenue = sum of "
    "purchased prices (one unit per event), customer_id = user_id.",
    "One cart per session with cart events: cart_id = user_session, value = sum of carted "
    "prices; order_id set when the same session purchased. 135 of 200 purchasing sessions have "
    "no cart event.",
    "No channel, device, landing page or pageviews in the source.",
]


def import_rees46(src_dir: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Convert the REES46 sample folder ``src_dir`` into a client folder ``out_dir``.

    Returns rows written per table, e.g. ``{"sessions": 5066, "orders": 200, "carts": 118}``.
    See the module docstring for every mapping rule.
    """
    (events_path,) = require_files("rees46", src_dir, FILES)
    e = read_source_csv(events_path, COLUMNS, dtype={"user_id": "str", "user_session": "str"})
    if e["user_session"].isna().any():
        raise SourceDataError(f"{events_path}: column user_session is empty on "
                              f"{int(e['user_session'].isna().sum())} event(s)")
    unknown = sorted(set(e["event_type"]) - {"view", "cart", "purchase", "remove_from_cart"})
    if unknown:
        raise SourceDataError(f"{events_path}: column event_type has {unknown}; expected "
                              "view, cart, purchase or remove_from_cart")
    if (e["event_type"] == "remove_from_cart").any():
        raise SourceDataError(f"{events_path}: remove_from_cart events are not supported (cart "
                              "value would need netting)")
    e["at"] = pd.to_datetime(e["event_time"], format="%Y-%m-%d %H:%M:%S UTC", utc=True)
    e = e.sort_values("at", kind="stable")

    g = e.groupby("user_session", sort=False)
    sessions = pd.DataFrame({
        "visitor_id": g["user_id"].first(),
        "started_at": g["at"].min(),
    }).rename_axis("session_id").reset_index()

    buys = e[e["event_type"] == "purchase"].groupby("user_session", sort=False)
    if (buys["user_id"].nunique() > 1).any():
        raise SourceDataError(f"{events_path}: a session has purchases by several user_id")
    orders = pd.DataFrame({
        "customer_id": buys["user_id"].first(),
        "ordered_at": buys["at"].min(),
        "revenue": buys["price"].sum().round(2),
        "visitor_id": buys["user_id"].first(),
        "items": buys.size().astype("Int64"),
    }).rename_axis("order_id").reset_index()
    orders.insert(4, "session_id", orders["order_id"])

    adds = e[e["event_type"] == "cart"].groupby("user_session", sort=False)
    carts = pd.DataFrame({
        "created_at": adds["at"].min(),
        "visitor_id": adds["user_id"].first(),
        "value": adds["price"].sum().round(2),
    }).rename_axis("cart_id").reset_index()
    carts.insert(3, "session_id", carts["cart_id"])
    carts["order_id"] = carts["cart_id"].where(carts["cart_id"].isin(orders["order_id"]))

    out = prepare_out_dir(out_dir)
    rows = {
        "sessions": write_table(sessions.sort_values(["started_at", "session_id"]), out,
                                "sessions"),
        "orders": write_table(orders.sort_values(["ordered_at", "order_id"]), out, "orders"),
        "carts": write_table(carts.sort_values(["created_at", "cart_id"]), out, "carts"),
    }
    write_client_yml(out, name="Multi-category store (REES46 events, 2019-10-01 00:00-02:50 UTC)",
                     timezone="UTC", currency="USD")
    write_provenance(out, folder=Path(src_dir).name, importer="kpi_helpers.importers.rees46",
                     notes=NOTES, rows=rows, **DATASET)
    return rows
