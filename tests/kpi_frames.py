"""Tiny hand-checkable frames shared by the KPI tests.

One shop, "la boutique", in Europe/Paris. The period under test is March 2024; a few rows sit in
February (history: a returning customer, a first visit) and one order in April (so that March is
the last full month in the data, and cohorts have a month after March). Every expected value in
the tests is worked out by hand from these rows; the comments here list what each row is for.

Sessions in March: s2..s8 (7 sessions, visitors v1..v5).

    sid  visitor  local start        channel         device   landing page    pageviews
    s1   v1       2024-02-20 10:00   organic_search  desktop  /blog/a         3   (February)
    s2   v1       2024-03-01 10:00   organic_search  desktop  /p/shoe         1   bounce
    s3   v1       2024-03-02 11:00   paid_search     mobile   /p/shoe         4
    s4   v2       2024-03-02 12:00   paid_search     mobile   /produits/hat   1   bounce
    s5   v3       2024-03-03 09:00   direct          desktop  /               2
    s6   v4       2024-03-05 18:00   email           mobile   /product/bag    2
    s7   v5       2024-03-05 20:00   paid_search     tablet   /p/shoe         1   bounce
    s8   v3       2024-03-10 09:00   direct          desktop  /cart           5

Orders (valid ones in March: o1 o2 o3 o5, revenue 60 + 30 + 90 + 20 = 200):

    oid  customer  local time         revenue  session  visitor  status
    o0   c1        2024-02-20 10:30   40       s1                         (February: c1 returns in March)
    o1   c1        2024-03-02 11:30   60       s3
    o2   c2        2024-03-02 12:20   30       s4
    o3   c3        2024-03-10 09:40   90       s8
    o4   c3        2024-03-10 09:50   10       s8                refunded  (left out everywhere)
    o5   c3        2024-03-12 15:00   20       -        v3                (no session: channel unknown)
    o6   c4        2024-03-05 18:30   100      s6                cancelled (left out everywhere)
    o7   c2        2024-04-03 10:00   25       -                          (April)
"""

from __future__ import annotations

import pandas as pd

MARCH = dict(start="2024-03-01", end="2024-03-31")
MARGIN = 0.4


def sessions() -> pd.DataFrame:
    return pd.DataFrame({
        "session_id": ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"],
        "visitor_id": ["v1", "v1", "v1", "v2", "v3", "v4", "v5", "v3"],
        "started_at": ["2024-02-20 10:00:00", "2024-03-01 10:00:00", "2024-03-02 11:00:00", "2024-03-02 12:00:00",
                       "2024-03-03 09:00:00", "2024-03-05 18:00:00", "2024-03-05 20:00:00", "2024-03-10 09:00:00"],
        "channel": ["organic_search", "organic_search", "paid_search", "paid_search", "direct", "email",
                    "paid_search", "direct"],
        "device": ["desktop", "desktop", "mobile", "mobile", "desktop", "mobile", "tablet", "desktop"],
        "landing_page": ["/blog/a", "/p/shoe", "/p/shoe", "/produits/hat", "/", "/product/bag", "/p/shoe", "/cart"],
        "pageviews": [3, 1, 4, 1, 2, 2, 1, 5],
    })


def orders() -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": ["o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7"],
        "customer_id": ["c1", "c1", "c2", "c3", "c3", "c3", "c4", "c2"],
        "ordered_at": ["2024-02-20 10:30:00", "2024-03-02 11:30:00", "2024-03-02 12:20:00", "2024-03-10 09:40:00",
                       "2024-03-10 09:50:00", "2024-03-12 15:00:00", "2024-03-05 18:30:00", "2024-04-03 10:00:00"],
        "revenue": [40.0, 60.0, 30.0, 90.0, 10.0, 20.0, 100.0, 25.0],
        "session_id": ["s1", "s3", "s4", "s8", "s8", None, "s6", None],
        "visitor_id": [None, None, None, None, None, "v3", None, None],
        "status": [None, "paid", None, "shipped", "refunded", None, "cancelled", None],
    })


def carts() -> pd.DataFrame:
    """March: k1..k6 (6 carts, abandoned k3 k4 k5); k0 is February.

    shipping fee bands: free k1 (ordered); 0-5: k2 (ordered) k3; 5-10: k4; 10-15: k5; 15+: k6 (ordered)
    """
    return pd.DataFrame({
        "cart_id": ["k0", "k1", "k2", "k3", "k4", "k5", "k6"],
        "created_at": ["2024-02-20 10:20:00", "2024-03-02 11:10:00", "2024-03-02 12:10:00", "2024-03-03 09:30:00",
                       "2024-03-05 18:20:00", "2024-03-05 20:10:00", "2024-03-10 09:30:00"],
        "visitor_id": ["v1", "v1", "v2", "v3", "v4", "v5", "v3"],
        "session_id": ["s1", "s3", "s4", "s5", "s6", "s7", "s8"],
        "shipping_fee": [0.0, 0.0, 4.9, 4.9, 7.5, 12.0, 20.0],
        "order_id": ["o0", "o1", "o2", None, None, None, "o3"],
    })


def ad_spend() -> pd.DataFrame:
    """March: paid_search 40 + 20, email 10, paid_social 30 = 100; 999 on February 28 is outside."""
    return pd.DataFrame({
        "date": ["2024-02-28", "2024-03-01", "2024-03-02", "2024-03-05", "2024-03-20"],
        "channel": ["paid_search", "paid_search", "paid_search", "email", "paid_social"],
        "spend": [999.0, 40.0, 20.0, 10.0, 30.0],
    })


def searches() -> pd.DataFrame:
    """March: 6 searches in sessions s2 s3 s5 s5 s7 s8; results known for 5, zero for 3."""
    return pd.DataFrame({
        "searched_at": ["2024-03-01 10:05:00", "2024-03-02 11:05:00", "2024-03-03 09:10:00", "2024-03-03 09:12:00",
                        "2024-03-05 20:05:00", "2024-03-10 09:05:00"],
        "session_id": ["s2", "s3", "s5", "s5", "s7", "s8"],
        "query": ["Chaussure", "  Écharpe  LAINE ", "echarpe laine", "sac", "parapluie", "chaussure"],
        "results_count": [12, 0, 0, None, 0, 3],
    })


def social_posts() -> pd.DataFrame:
    """March: p1 p2 p3; p3 is an Instagram post without impressions (views only); p0 is February.

        post  platform   likes comments impressions reach views shares saves format
        p1    facebook   30    10       1000        600   -     5      0     image
        p2    instagram  50    10       2000        1400  3000  10     20    reel
        p3    instagram  40    0        -           1500  2000  0      10    reel
    """
    return pd.DataFrame({
        "post_id": ["p0", "p1", "p2", "p3"],
        "platform": ["facebook", "facebook", "instagram", "instagram"],
        "published_at": ["2024-02-25 12:00:00", "2024-03-01 12:00:00", "2024-03-05 12:00:00", "2024-03-20 12:00:00"],
        "likes": [10, 30, 50, 40],
        "comments": [0, 10, 10, 0],
        "impressions": [500, 1000, 2000, None],
        "reach": [400, 600, 1400, 1500],
        "views": [None, None, 3000, 2000],
        "shares": [0, 5, 10, 0],
        "saves": [0, 0, 20, 10],
        "format": ["image", "image", "reel", "reel"],
    })


def shop_frames() -> dict[str, pd.DataFrame]:
    """Every table of the shop."""
    return {"sessions": sessions(), "orders": orders(), "carts": carts(), "ad_spend": ad_spend(),
            "searches": searches(), "social_posts": social_posts()}


def shop_client(**settings):
    """The shop as a :class:`~kpi_helpers.loading.Client` (margin_rate 0.4 unless told otherwise)."""
    from kpi_helpers import client_from_frames

    settings.setdefault("margin_rate", MARGIN)
    return client_from_frames(shop_frames(), name="la-boutique", **settings)


def value(df: pd.DataFrame) -> float:
    """The single value of a KPI without breakdown."""
    assert len(df) == 1, df
    return float(df["value"].iloc[0])


def by_key(df: pd.DataFrame, key: str, column: str = "value") -> dict:
    """{group: column} of a breakdown."""
    return dict(zip(df[key], df[column].astype(float)))


def series(df: pd.DataFrame, column: str = "value") -> dict:
    """{'YYYY-MM-DD': column} of a time series."""
    return {pd.Timestamp(d).strftime("%Y-%m-%d"): float(v) for d, v in zip(df["period_start"], df[column])}
