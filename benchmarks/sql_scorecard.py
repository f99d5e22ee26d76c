"""The scorecard's headline KPIs and breakdowns in hand-written DuckDB SQL (the benchmark's baseline).

A few queries with CTEs straight over ``read_parquet`` of a client folder written by
``python -m kpi_helpers.sample ... --format parquet``; the connection's ``TimeZone`` is the
client's, so ``CAST(ts AS DATE)`` is the local date. Definitions are those of
``shared/spec/kpis.md``: cancelled/refunded orders left out everywhere, a period is a range of
local dates (both ends included), the first session of a visitor is taken over all history, the
rank of a session orders the visitor's sessions by start time then id.

    python benchmarks/sql_scorecard.py CLIENT_DIR [--start D --end D] [--margin-rate R] [--tuned] [--out FILE]

prints (or writes) ``{"period", "kpis", "breakdowns", "seconds"}``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (scorecard_main, DAYS_BUCKETS, EXCLUDED, VISITS_BUCKETS, buckets, clean, last_full_month,  # noqa: E402
                    ratio, settings, top_queries)


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _columns(con, path: Path) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(path)})").fetchall()}


def sql_scorecard(client_dir: str | Path, *, start: Any = None, end: Any = None, margin_rate: float | None = None,
                  threads: int | None = None, tuned: bool = False) -> dict:
    """The scorecard as a dict (``period``, ``kpis``, ``breakdowns``, ``query_seconds``).

    ``tuned=False`` is the baseline: SQL as written straight from the definitions. ``tuned=True``
    applies two rewrites that give the same numbers (the benchmark reports it for information):
    periods as ranges of instants (``ts >= local midnight of start AND ts < local midnight of
    end + 1``, which lets DuckDB skip Parquet row groups by their min/max statistics instead of
    casting every row to a date), and visit ranks / first visits computed only for the visitors of
    the period's orders (a semi-join before the window function) instead of all sessions.
    """
    folder = Path(client_dir)
    cfg = settings(folder)
    margin = margin_rate if margin_rate is not None else cfg["margin_rate"]
    con = duckdb.connect()
    con.execute(f"SET TimeZone = {_lit(cfg['timezone'])}")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    src = {t: f"read_parquet({_lit(folder / (t + '.parquet'))})" for t in
           ("sessions", "orders", "carts", "searches", "ad_spend", "social_posts")}
    scols = _columns(con, folder / "sessions.parquet")

    # -- period: the last full month of the data unless given
    if start is None or end is None:
        first, last = con.execute(f"""
            SELECT min(lo), max(hi) FROM (
              SELECT min(CAST(started_at AS DATE)) lo, max(CAST(started_at AS DATE)) hi FROM {src['sessions']}
              UNION ALL SELECT min(CAST(ordered_at AS DATE)), max(CAST(ordered_at AS DATE)) FROM {src['orders']}
              UNION ALL SELECT min(CAST(created_at AS DATE)), max(CAST(created_at AS DATE)) FROM {src['carts']}
              UNION ALL SELECT min(CAST(searched_at AS DATE)), max(CAST(searched_at AS DATE)) FROM {src['searches']}
              UNION ALL SELECT min(date), max(date) FROM {src['ad_spend']}
              UNION ALL SELECT min(CAST(published_at AS DATE)), max(CAST(published_at AS DATE)) FROM {src['social_posts']})
        """).fetchone()
        if start is None and end is None:
            start, end = last_full_month(first, last)
        else:
            start, end = start or first, end or last
    start, end = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    P = f"BETWEEN DATE {_lit(start)} AND DATE {_lit(end)}"
    after = end + dt.timedelta(days=1)

    def in_period(ts: str) -> str:
        """The period filter of a timestamp column (a local-date range, or a range of instants)."""
        if tuned:
            return f"({ts} >= TIMESTAMPTZ {_lit(start)} AND {ts} < TIMESTAMPTZ {_lit(after)})"
        return f"CAST({ts} AS DATE) {P}"
    excluded = ", ".join(_lit(s) for s in EXCLUDED)

    # product page and bounce definitions
    conds = []
    if cfg["product_page_pattern"] and "landing_page" in scols:
        conds.append(f"coalesce(regexp_matches(landing_page, {_lit(cfg['product_page_pattern'])}), false)")
    if cfg["product_title_pattern"] and "landing_page_title" in scols:
        conds.append(f"coalesce(regexp_matches(landing_page_title, {_lit(cfg['product_title_pattern'])}), false)")
    is_product = " OR ".join(conds) or "false"
    bounced = "coalesce(bounced, pageviews = 1, false)" if "bounced" in scols else "coalesce(pageviews = 1, false)"

    # Shared CTEs: sessions (all history, with local date), valid orders with their session's attributes
    base = f"""
    s_all AS (
      SELECT session_id, visitor_id, started_at, CAST(started_at AS DATE) AS day,
             coalesce(channel, 'unknown') AS channel, coalesce(device, 'unknown') AS device,
             landing_page, {'landing_page_title' if 'landing_page_title' in scols else 'NULL'} AS landing_page_title,
             {bounced} AS bounced
      FROM {src['sessions']}),
    s AS (SELECT * FROM s_all WHERE {in_period('started_at')}),
    o_all AS (
      SELECT o.order_id, o.customer_id, o.ordered_at, CAST(o.ordered_at AS DATE) AS day, o.revenue, o.session_id,
             coalesce(o.visitor_id, ss.visitor_id) AS buyer_visitor, ss.visitor_id AS session_visitor,
             coalesce(ss.channel, 'unknown') AS channel, coalesce(ss.device, 'unknown') AS device
      FROM {src['orders']} o LEFT JOIN s_all ss ON ss.session_id = o.session_id
      WHERE lower(trim(coalesce(o.status, ''))) NOT IN ({excluded})),
    o AS (SELECT * FROM o_all WHERE {in_period('ordered_at')})
    """
    timings: dict[str, float] = {}

    def run(name: str, sql: str):
        t = time.perf_counter()
        out = con.execute(sql).fetchall()
        timings[name] = time.perf_counter() - t
        return out

    # 1. traffic, orders, customers (one row)
    (sessions, visitors, product_sessions, product_bounced, sessions_with_order, sessions_with_search,
     orders, buyers, revenue, converted, new_customers, repeat_buyers) = run("traffic_orders_customers", f"""
    WITH {base},
    first_order AS (SELECT customer_id, min(day) AS first_day FROM o_all GROUP BY customer_id),
    per_buyer AS (SELECT customer_id, count(*) AS n FROM o GROUP BY customer_id),
    searched AS (SELECT DISTINCT session_id FROM {src['searches']}),
    ordered AS (SELECT DISTINCT session_id FROM o_all WHERE session_id IS NOT NULL)
    SELECT
      (SELECT count(*) FROM s),
      (SELECT count(DISTINCT visitor_id) FROM s),
      (SELECT count(*) FROM s WHERE {is_product}),
      (SELECT count(*) FROM s WHERE ({is_product}) AND bounced),
      (SELECT count(*) FROM s SEMI JOIN ordered USING (session_id)),
      (SELECT count(*) FROM s SEMI JOIN searched USING (session_id)),
      (SELECT count(*) FROM o),
      (SELECT count(DISTINCT customer_id) FROM o),
      (SELECT sum(revenue) FROM o),
      (SELECT count(*) FROM (SELECT DISTINCT visitor_id FROM s) v
         SEMI JOIN (SELECT DISTINCT buyer_visitor FROM o) b ON b.buyer_visitor = v.visitor_id),
      (SELECT count(*) FROM per_buyer JOIN first_order USING (customer_id) WHERE first_day >= DATE {_lit(start)}),
      (SELECT count(*) FROM per_buyer WHERE n >= 2)
    """)[0]

    if tuned:  # only the sessions of the visitors who ordered in the period
        buyer_sessions = """buyers AS (SELECT buyer_visitor AS v FROM o WHERE buyer_visitor IS NOT NULL
                   UNION SELECT session_visitor FROM o WHERE session_visitor IS NOT NULL),
        vs AS (SELECT session_id, visitor_id, started_at FROM s_all SEMI JOIN buyers ON buyers.v = s_all.visitor_id),"""
    else:
        buyer_sessions = "vs AS (SELECT session_id, visitor_id, started_at FROM s_all),"

    # 2. path to purchase: days since the visitor's first session, rank of the order's session
    path_rows = run("path_to_purchase", f"""
    WITH {base},
    {buyer_sessions}
    first_visit AS (SELECT visitor_id, min(started_at) AS first_at FROM vs GROUP BY visitor_id),
    ranked AS (SELECT session_id, row_number() OVER (PARTITION BY visitor_id ORDER BY started_at, session_id) AS rnk
               FROM vs),
    paths AS (
      SELECT o.order_id,
             CAST(floor((epoch_us(o.ordered_at) - epoch_us(f.first_at)) / 86400e6) AS BIGINT) AS days,
             coalesce(r.rnk, (SELECT count(*) FROM vs x WHERE x.visitor_id = o.buyer_visitor
                                                     AND x.started_at <= o.ordered_at)) AS visits
      FROM o LEFT JOIN first_visit f ON f.visitor_id = o.buyer_visitor
             LEFT JOIN ranked r ON r.session_id = o.session_id
      WHERE o.buyer_visitor IS NOT NULL)
    SELECT 'days' AS what, days AS value, count(*) FROM paths WHERE days IS NOT NULL GROUP BY days
    UNION ALL
    SELECT 'visits', visits, count(*) FROM paths WHERE visits >= 1 GROUP BY visits
    """)
    days = {int(v): int(n) for w, v, n in path_rows if w == "days"}
    visits = {int(v): int(n) for w, v, n in path_rows if w == "visits"}

    # 3. breakdowns by channel and by device (conversion, average order value, orders for the CPA)
    seg_rows = run("segments", f"""
    WITH {base},
    keys AS (SELECT 'channel' AS k, channel AS g, visitor_id AS v FROM s
             UNION ALL SELECT 'device', device, visitor_id FROM s),
    vis AS (SELECT DISTINCT k, g, v FROM keys),
    buy AS (SELECT DISTINCT k, g, v FROM (
              SELECT 'channel' AS k, channel AS g, buyer_visitor AS v FROM o
              UNION ALL SELECT 'device', device, buyer_visitor FROM o) WHERE v IS NOT NULL),
    conv AS (SELECT vis.k, vis.g, count(*) AS visitors, count(buy.v) AS converted
             FROM vis LEFT JOIN buy ON buy.k = vis.k AND buy.g = vis.g AND buy.v = vis.v GROUP BY ALL),
    ord AS (SELECT 'channel' AS k, channel AS g, count(*) AS orders, sum(revenue) AS revenue FROM o GROUP BY ALL
            UNION ALL SELECT 'device', device, count(*), sum(revenue) FROM o GROUP BY ALL)
    SELECT coalesce(conv.k, ord.k), coalesce(conv.g, ord.g), conv.visitors, conv.converted, ord.orders, ord.revenue
    FROM conv FULL JOIN ord ON conv.k = ord.k AND conv.g = ord.g
    """)

    # 4. carts, searches, ad spend, social posts (small tables)
    (carts, abandoned, searches, known_results, zero_results, ad_spend, posts, impressions, engagements,
     engaged_impressions) = run("carts_search_ads_social", f"""
    WITH c AS (SELECT * FROM {src['carts']} WHERE {in_period('created_at')}),
    q AS (SELECT * FROM {src['searches']} WHERE {in_period('searched_at')}),
    a AS (SELECT * FROM {src['ad_spend']} WHERE date {P}),
    p AS (SELECT * FROM {src['social_posts']} WHERE {in_period('published_at')})
    SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM c WHERE order_id IS NULL),
           (SELECT count(*) FROM q), (SELECT count(results_count) FROM q),
           (SELECT count(*) FROM q WHERE results_count = 0),
           (SELECT coalesce(sum(spend), 0) FROM a),
           (SELECT count(*) FROM p), (SELECT coalesce(sum(impressions), 0) FROM p),
           (SELECT sum(coalesce(likes, 0) + coalesce(comments, 0)) FROM p WHERE impressions IS NOT NULL),
           (SELECT sum(impressions) FROM p WHERE impressions IS NOT NULL)
    """)[0]
    spend_by_channel = run("ad_spend_by_channel", f"""
        SELECT channel, sum(spend) FROM {src['ad_spend']} WHERE date {P} GROUP BY channel""")
    zero_queries = run("zero_result_queries", f"""
        SELECT query, count(*) FROM {src['searches']} WHERE {in_period('searched_at')} AND results_count = 0
        GROUP BY query""")

    orders_f = float(orders)
    revenue_f = float(revenue or 0.0)
    ad_spend_f = float(ad_spend or 0.0)
    aov = ratio(revenue_f, orders_f)

    def median(counts: dict[int, int]) -> float | None:
        total = sum(counts.values())
        if not total:
            return None
        values = sorted(counts)

        def nth(i: int) -> int:  # i-th smallest (0-based)
            acc = 0
            for v in values:
                acc += counts[v]
                if i < acc:
                    return v
            raise IndexError(i)

        if total % 2:
            return float(nth(total // 2))
        return (nth(total // 2 - 1) + nth(total // 2)) / 2

    kpis = {
        "sessions": sessions, "visitors": visitors, "orders": orders, "buyers": buyers, "revenue": revenue_f,
        "conversion_rate": ratio(converted, visitors), "session_conversion_rate": ratio(sessions_with_order, sessions),
        "average_order_value": aov,
        "median_days_to_purchase": median(days), "median_visits_to_purchase": median(visits),
        "product_page_bounce_rate": ratio(product_bounced, product_sessions),
        "carts": carts, "abandoned_carts": abandoned, "cart_abandonment_rate": ratio(abandoned, carts),
        "ad_spend": ad_spend_f, "cost_per_acquisition": ratio(ad_spend_f, orders_f), "roas": ratio(revenue_f, ad_spend_f),
        "break_even_cpa": aov * margin if aov is not None and margin is not None else None,
        "roi": ratio(revenue_f * margin - ad_spend_f, ad_spend_f) if margin is not None else None,
        "new_customers": new_customers, "returning_customers": buyers - new_customers,
        "returning_customer_rate": ratio(buyers - new_customers, buyers),
        "repeat_purchase_rate": ratio(repeat_buyers, buyers),
        "searches": searches, "search_rate": ratio(sessions_with_search, sessions),
        "zero_result_rate": ratio(zero_results, known_results),
        "posts": posts, "impressions": impressions, "engagement_rate": ratio(engagements, engaged_impressions),
    }
    seg: dict[str, dict[str, tuple]] = {"channel": {}, "device": {}}
    for k, g, vis, conv, n, rev in seg_rows:
        seg[k][g] = (vis, conv, n, rev)
    spend = {ch: float(v) for ch, v in spend_by_channel}
    breakdowns = {}
    for k in ("channel", "device"):
        breakdowns[f"conversion_rate_by_{k}"] = {g: ratio(conv, vis) for g, (vis, conv, n, rev) in sorted(seg[k].items())
                                                 if vis is not None}
        breakdowns[f"average_order_value_by_{k}"] = {g: ratio(rev, n) for g, (vis, conv, n, rev) in sorted(seg[k].items())}
    breakdowns["days_to_purchase"] = buckets(days, DAYS_BUCKETS)
    breakdowns["visits_to_purchase"] = buckets(visits, VISITS_BUCKETS)
    breakdowns["cost_per_acquisition_by_channel"] = {
        ch: ratio(v, (seg["channel"].get(ch, (None, None, 0, None))[2] or 0)) for ch, v in sorted(spend.items()) if v > 0}
    breakdowns["top_zero_result_queries"] = top_queries(zero_queries)
    kpis = {k: clean(v) for k, v in kpis.items()}
    return {"period": {"start": start.isoformat(), "end": end.isoformat(), "timezone": cfg["timezone"]},
            "kpis": kpis, "breakdowns": breakdowns, "query_seconds": timings}


def main(argv: list[str] | None = None) -> int:
    return scorecard_main(sql_scorecard, __doc__, argv, tuned=True)


if __name__ == "__main__":
    raise SystemExit(main())
