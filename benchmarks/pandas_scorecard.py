"""The scorecard's headline KPIs and breakdowns in plain pandas (the benchmark's other baseline).

Written as an analyst would: read the Parquet files of a client folder with pandas (pyarrow engine,
only the columns needed), put timestamps in the client's timezone, then filter, ``groupby``,
``merge`` and ``isin``. Same definitions as ``shared/spec/kpis.md`` (cancelled/refunded orders left
out, local dates, first session of a visitor over all history, rank of a session by start time then
id).

    python benchmarks/pandas_scorecard.py CLIENT_DIR [--start D --end D] [--margin-rate R] [--out FILE]
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (scorecard_main, DAYS_BUCKETS, EXCLUDED, VISITS_BUCKETS, buckets, clean, last_full_month,  # noqa: E402
                    ratio, settings, top_queries)


def _local_day(ts: pd.Series, tz: str) -> pd.Series:
    """Local calendar day (naive midnight) of tz-aware timestamps."""
    return ts.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()


def pandas_scorecard(client_dir: str | Path, *, start: Any = None, end: Any = None,
                     margin_rate: float | None = None) -> dict:
    folder = Path(client_dir)
    cfg = settings(folder)
    tz = cfg["timezone"]
    margin = margin_rate if margin_rate is not None else cfg["margin_rate"]
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    def read(table: str, columns: list[str]) -> pd.DataFrame:
        path = folder / f"{table}.parquet"
        have = set(pq.read_schema(path).names)
        return pd.read_parquet(path, columns=[c for c in columns if c in have])

    sessions = read("sessions", ["session_id", "visitor_id", "started_at", "channel", "device", "landing_page",
                                 "landing_page_title", "pageviews", "bounced"])
    orders = read("orders", ["order_id", "customer_id", "ordered_at", "revenue", "session_id", "visitor_id", "status"])
    carts = read("carts", ["created_at", "order_id"])
    searches = read("searches", ["searched_at", "session_id", "query", "results_count"])
    ad = read("ad_spend", ["date", "channel", "spend"])
    posts = read("social_posts", ["published_at", "likes", "comments", "impressions"])
    lap("read_parquet")

    sessions["day"] = _local_day(sessions["started_at"], tz)
    orders["day"] = _local_day(orders["ordered_at"], tz)
    carts["day"] = _local_day(carts["created_at"], tz)
    searches["day"] = _local_day(searches["searched_at"], tz)
    ad["day"] = pd.to_datetime(ad["date"])
    posts["day"] = _local_day(posts["published_at"], tz)
    sessions["channel"] = sessions["channel"].fillna("unknown")
    sessions["device"] = sessions["device"].fillna("unknown")
    lap("local_dates")

    if start is None or end is None:
        days = [df["day"] for df in (sessions, orders, carts, searches, ad, posts)]
        first = min(d.min() for d in days).date()
        last = max(d.max() for d in days).date()
        if start is None and end is None:
            start, end = last_full_month(first, last)
        else:
            start, end = start or first, end or last
    start, end = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)

    def in_period(df: pd.DataFrame) -> pd.DataFrame:
        return df[(df["day"] >= lo) & (df["day"] <= hi)]

    # valid orders of all history with the attributes of their session
    status = orders["status"].str.strip().str.lower()
    o_all = orders[~status.isin(EXCLUDED)]
    o_all = o_all.merge(sessions[["session_id", "visitor_id", "channel", "device"]]
                        .rename(columns={"visitor_id": "session_visitor", "channel": "s_channel", "device": "s_device"}),
                        on="session_id", how="left")
    o_all["buyer_visitor"] = o_all["visitor_id"].fillna(o_all["session_visitor"])
    o_all["channel"] = o_all["s_channel"].fillna("unknown")
    o_all["device"] = o_all["s_device"].fillna("unknown")
    s = in_period(sessions)
    o = in_period(o_all)
    lap("orders_join_period")

    # traffic and conversion
    n_sessions = len(s)
    period_visitors = s["visitor_id"].drop_duplicates()
    n_visitors = len(period_visitors)
    n_orders = len(o)
    n_buyers = o["customer_id"].nunique()
    revenue = float(o["revenue"].sum())
    converted = int(period_visitors.isin(o["buyer_visitor"].dropna()).sum())
    with_order = int(s["session_id"].isin(o_all["session_id"].dropna()).sum())
    with_search = int(s["session_id"].isin(searches["session_id"]).sum())
    lap("traffic")

    # product pages
    # (the default pattern has a group: pandas warns that str.contains does not extract it)
    warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")
    is_product = pd.Series(False, index=s.index)
    if cfg["product_page_pattern"] and "landing_page" in s:
        is_product |= s["landing_page"].str.contains(cfg["product_page_pattern"], regex=True, na=False)
    if cfg["product_title_pattern"] and "landing_page_title" in s:
        is_product |= s["landing_page_title"].str.contains(cfg["product_title_pattern"], regex=True, na=False)
    one_page = (s["pageviews"] == 1).fillna(False).astype(bool)
    bounced = s["bounced"].fillna(one_page).astype(bool) if "bounced" in s else one_page
    product_sessions = int(is_product.sum())
    product_bounced = int((is_product & bounced).sum())
    lap("product_pages")

    # path to purchase: visit number of every session, first visit of every visitor
    ranked = sessions[["session_id", "visitor_id", "started_at"]].sort_values(["visitor_id", "started_at", "session_id"])
    ranked["visit_number"] = ranked.groupby("visitor_id", sort=False).cumcount() + 1
    first_visit = sessions.groupby("visitor_id")["started_at"].min().rename("first_at")
    p = o[o["buyer_visitor"].notna()]
    p = p.merge(first_visit, left_on="buyer_visitor", right_index=True, how="left")
    p = p.merge(ranked[["session_id", "visit_number"]], on="session_id", how="left")
    days = ((p["ordered_at"] - p["first_at"]) // pd.Timedelta(days=1)).dropna().astype("int64")
    visits = p["visit_number"]
    missing = p[visits.isna()]
    if len(missing):  # no (known) session: the visitor's sessions started at or before the order
        m = missing[["order_id", "buyer_visitor", "ordered_at"]].merge(
            sessions[["visitor_id", "started_at"]], left_on="buyer_visitor", right_on="visitor_id")
        before = m[m["started_at"] <= m["ordered_at"]].groupby("order_id").size()
        visits = visits.fillna(p["order_id"].map(before))
    visits = visits.dropna().astype("int64")
    visits = visits[visits >= 1]
    lap("path_to_purchase")

    # customers
    first_order = o_all.groupby("customer_id")["day"].min()
    per_buyer = o.groupby("customer_id").size()
    new_customers = int((first_order.reindex(per_buyer.index) >= lo).sum())
    repeat = int((per_buyer >= 2).sum())
    lap("customers")

    # carts, searches, ad spend, social
    c = in_period(carts)
    q = in_period(searches)
    a = in_period(ad)
    po = in_period(posts)
    known = q[q["results_count"].notna()]
    zero = q[q["results_count"] == 0]
    with_imp = po[po["impressions"].notna()]
    ad_spend = float(a["spend"].sum())
    lap("carts_search_ads_social")

    aov = ratio(revenue, n_orders)
    kpis = {
        "sessions": n_sessions, "visitors": n_visitors, "orders": n_orders, "buyers": n_buyers, "revenue": revenue,
        "conversion_rate": ratio(converted, n_visitors), "session_conversion_rate": ratio(with_order, n_sessions),
        "average_order_value": aov,
        "median_days_to_purchase": float(days.median()) if len(days) else None,
        "median_visits_to_purchase": float(visits.median()) if len(visits) else None,
        "product_page_bounce_rate": ratio(product_bounced, product_sessions),
        "carts": len(c), "abandoned_carts": int(c["order_id"].isna().sum()),
        "cart_abandonment_rate": ratio(int(c["order_id"].isna().sum()), len(c)),
        "ad_spend": ad_spend, "cost_per_acquisition": ratio(ad_spend, n_orders), "roas": ratio(revenue, ad_spend),
        "break_even_cpa": aov * margin if aov is not None and margin is not None else None,
        "roi": ratio(revenue * margin - ad_spend, ad_spend) if margin is not None else None,
        "new_customers": new_customers, "returning_customers": n_buyers - new_customers,
        "returning_customer_rate": ratio(n_buyers - new_customers, n_buyers),
        "repeat_purchase_rate": ratio(repeat, n_buyers),
        "searches": len(q), "search_rate": ratio(with_search, n_sessions),
        "zero_result_rate": ratio(len(known[known["results_count"] == 0]), len(known)),
        "posts": len(po), "impressions": int(po["impressions"].fillna(0).sum()),
        "engagement_rate": ratio(float(with_imp["likes"].fillna(0).sum() + with_imp["comments"].fillna(0).sum()),
                                 float(with_imp["impressions"].sum())),
    }

    # breakdowns
    breakdowns: dict[str, Any] = {}
    for key in ("channel", "device"):
        vis = s[[key, "visitor_id"]].drop_duplicates()
        buy = o[[key, "buyer_visitor"]].dropna().drop_duplicates().rename(columns={"buyer_visitor": "visitor_id"})
        conv = vis.merge(buy, on=[key, "visitor_id"], how="left", indicator=True)
        conv = conv.groupby(key).agg(visitors=("visitor_id", "size"),
                                     converted=("_merge", lambda m: int((m == "both").sum())))
        breakdowns[f"conversion_rate_by_{key}"] = {str(g): ratio(r.converted, r.visitors) for g, r in conv.sort_index().iterrows()}
        by = o.groupby(key).agg(orders=("order_id", "size"), revenue=("revenue", "sum"))
        groups = sorted(set(vis[key]) | set(by.index))
        breakdowns[f"average_order_value_by_{key}"] = {
            str(g): (ratio(by.at[g, "revenue"], by.at[g, "orders"]) if g in by.index else None) for g in groups}
    breakdowns["days_to_purchase"] = buckets(days.value_counts().to_dict(), DAYS_BUCKETS)
    breakdowns["visits_to_purchase"] = buckets(visits.value_counts().to_dict(), VISITS_BUCKETS)
    spend = a.groupby("channel")["spend"].sum()
    orders_by_channel = o.groupby("channel").size()
    breakdowns["cost_per_acquisition_by_channel"] = {
        str(ch): ratio(v, orders_by_channel.get(ch, 0)) for ch, v in spend.sort_index().items() if v > 0}
    breakdowns["top_zero_result_queries"] = top_queries(zero.groupby("query").size().items())
    lap("breakdowns")
    kpis = {k: clean(v) for k, v in kpis.items()}
    return {"period": {"start": start.isoformat(), "end": end.isoformat(), "timezone": tz},
            "kpis": kpis, "breakdowns": breakdowns, "step_seconds": timings}


def main(argv: list[str] | None = None) -> int:
    return scorecard_main(pandas_scorecard, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
