"""Days and visits to purchase (Matomo's 'days to conversion' and 'visits to conversion').

For each order of the period: days = floor((ordered_at - visitor's first session ever) / 24 h),
visits = rank of the order's session among the visitor's sessions.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import kpi_frames as kf
from kpi_helpers import client_from_frames
from kpi_helpers import path_to_purchase as ptp

MARCH = kf.MARCH


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


def counts(df: pd.DataFrame) -> dict[str, int]:
    """The non-empty buckets of a distribution."""
    return {str(b): int(n) for b, n in zip(df["bucket"], df["orders"]) if n}


# --- the shop, March 2024 -----------------------------------------------------------------------
# o1: v1, first session s1 02-20 10:00, ordered 03-02 11:30 -> 11 days 1.5 h -> 11; session s3 = v1's 3rd visit
# o2: v2, first session s4 03-02 12:00, ordered 12:20      -> 0;  s4 = v2's 1st visit
# o3: v3, first session s5 03-03 09:00, ordered 03-10 09:40 -> 7; s8 = v3's 2nd visit
# o5: no session, orders.visitor_id v3, ordered 03-12 15:00 -> 9 days 6 h -> 9;
#     v3's sessions started before it: s5 s8 -> 2 visits
# (o4 refunded and o6 cancelled are left out)

def test_median_days_to_purchase_is_the_median_over_the_orders(shop):
    # days 0 7 9 11 -> (7 + 9) / 2 = 8, over 4 orders
    df = ptp.median_days_to_purchase(shop, **MARCH)
    assert kf.value(df) == 8
    assert df["denominator"].iloc[0] == 4


def test_median_visits_to_purchase_is_the_median_rank_of_the_order_session(shop):
    # visits 1 2 2 3 -> 2
    df = ptp.median_visits_to_purchase(shop, **MARCH)
    assert kf.value(df) == 2
    assert df["denominator"].iloc[0] == 4


def test_days_to_purchase_counts_orders_per_bucket(shop):
    # 0 -> "0", 7 -> "7", 9 and 11 -> "8-14"; shares over the 4 orders
    df = ptp.days_to_purchase(shop, **MARCH)
    assert list(df["bucket"].astype(str)) == ["0", "1", "2", "3", "4", "5", "6", "7", "8-14", "15-30", "31-60",
                                             "61-120", "121-364", "365+"]
    assert counts(df) == {"0": 1, "7": 1, "8-14": 2}
    assert df.set_index(df["bucket"].astype(str)).loc["8-14", "share"] == pytest.approx(0.5)


def test_visits_to_purchase_counts_orders_per_bucket(shop):
    # 1 -> o2, 2 -> o3 o5, 3 -> o1
    df = ptp.visits_to_purchase(shop, **MARCH)
    assert list(df["bucket"].astype(str)) == ["1", "2", "3", "4", "5", "6", "7", "8", "9-14", "15-25", "26-50",
                                             "51-100", "101+"]
    assert counts(df) == {"1": 1, "2": 2, "3": 1}


def test_a_channel_filter_keeps_the_orders_placed_in_that_channel(shop):
    # paid_search: o1 (11 days, 3rd visit) and o2 (0 days, 1st visit) -> medians 5.5 days and 2 visits
    assert kf.value(ptp.median_days_to_purchase(shop, **MARCH, channel="paid_search")) == 5.5
    assert kf.value(ptp.median_visits_to_purchase(shop, **MARCH, channel="paid_search")) == 2
    assert counts(ptp.days_to_purchase(shop, **MARCH, channel="paid_search")) == {"0": 1, "8-14": 1}


def test_median_days_by_channel_puts_orders_without_a_session_under_unknown(shop):
    # paid_search o1 o2 -> 5.5; direct o3 -> 7; unknown o5 -> 9; organic and email: no order -> null
    got = kf.by_key(ptp.median_days_to_purchase(shop, **MARCH, by="channel"), "channel")
    assert {k: got[k] for k in ("paid_search", "direct", "unknown")} == {"paid_search": 5.5, "direct": 7, "unknown": 9}
    assert math.isnan(got["organic_search"]) and math.isnan(got["email"])


def test_an_empty_period_has_null_medians_and_empty_buckets(shop):
    kw = dict(start="2024-06-01", end="2024-06-30")
    df = ptp.median_days_to_purchase(shop, **kw)
    assert math.isnan(kf.value(df)) and df["denominator"].iloc[0] == 0
    assert math.isnan(kf.value(ptp.median_visits_to_purchase(shop, **kw)))
    dist = ptp.days_to_purchase(shop, **kw)
    assert dist["orders"].sum() == 0 and dist["share"].isna().all()


def test_orders_whose_visitor_has_no_session_are_left_out(shop):
    # April: o7 has neither a session nor a visitor_id -> no order to take a median over -> null, not 0
    df = ptp.median_days_to_purchase(shop, start="2024-04-01", end="2024-04-30")
    assert math.isnan(kf.value(df)) and df["denominator"].iloc[0] == 0


def test_without_the_sessions_table_the_medians_are_unavailable():
    df = ptp.median_days_to_purchase(client_from_frames({"orders": kf.orders()}), **MARCH)
    assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "sessions table not provided"
    dist = ptp.visits_to_purchase(client_from_frames({"orders": kf.orders()}), **MARCH)
    assert dist.attrs["unavailable"] == "sessions table not provided"


# --- daylight saving time (Europe/Paris) ------------------------------------------------------

@pytest.fixture(scope="module")
def dst():
    sessions = pd.DataFrame({
        "session_id": ["a1", "a2", "b1", "b2"],
        "visitor_id": ["v1", "v1", "v2", "v2"],
        # a1 12:00+01:00 = 11:00Z; a2 12:00+02:00 = 10:00Z (clocks went forward on March 31)
        # b1 12:30+02:00 = 10:30Z; b2 12:00+01:00 = 11:00Z (clocks went back on October 27)
        "started_at": ["2024-03-30 12:00:00", "2024-03-31 12:00:00", "2024-10-26 12:30:00", "2024-10-27 12:00:00"],
    })
    orders = pd.DataFrame({
        "order_id": ["x1", "x2", "x3", "x4"],
        "customer_id": ["c1", "c2", "c3", "c1"],
        "ordered_at": ["2024-03-31 12:00:00", "2024-10-27 12:00:00", "2024-03-31 12:00:00", "2024-03-31 11:00:00"],
        "revenue": [10.0, 10.0, 10.0, 10.0],
        "session_id": ["a2", "b2", None, None],
        # x3: a visitor without any session (left out); x4: no session, visitor v1
        "visitor_id": [None, None, "v9", "v1"],
    })
    return client_from_frames({"sessions": sessions, "orders": orders})


def test_a_day_that_lost_an_hour_is_not_counted_as_a_full_day(dst):
    # x1: 11:00Z on 03-30 -> 10:00Z on 03-31 = 23 h -> 0 days; x4: 22 h -> 0 days; x3 left out (no session)
    day = dict(start="2024-03-31", end="2024-03-31")
    df = ptp.median_days_to_purchase(dst, **day)
    assert kf.value(df) == 0 and df["denominator"].iloc[0] == 2
    assert counts(ptp.days_to_purchase(dst, **day)) == {"0": 2}


def test_a_day_that_gained_an_hour_counts_the_exact_duration(dst):
    # x2: 10:30Z on 10-26 -> 11:00Z on 10-27 = 24.5 h -> 1 day (wall clocks say 23.5 h)
    day = dict(start="2024-10-27", end="2024-10-27")
    assert kf.value(ptp.median_days_to_purchase(dst, **day)) == 1
    assert counts(ptp.days_to_purchase(dst, **day)) == {"1": 1}


def test_an_order_without_a_session_counts_the_visits_started_before_it(dst):
    # x1 in a2 = v1's 2nd visit; x4 (11:00, no session) comes after a1 only -> 1 visit; median (1 + 2) / 2
    day = dict(start="2024-03-31", end="2024-03-31")
    assert kf.value(ptp.median_visits_to_purchase(dst, **day)) == 1.5
    assert counts(ptp.visits_to_purchase(dst, **day)) == {"1": 1, "2": 1}


# --- bucket edges -----------------------------------------------------------------------------

def test_days_buckets_have_the_spec_edges():
    # first visit 2023-01-01 12:00 (winter time); orders at noon 7, 8, 14, 15, 364 and 365 days later
    # (all in winter time: the spring hour lost comes back in October, so durations are whole days)
    days = [7, 8, 14, 15, 364, 365]
    when = [(pd.Timestamp("2023-01-01 12:00") + pd.Timedelta(days=d)).strftime("%Y-%m-%d %H:%M:%S") for d in days]
    client = client_from_frames({
        "sessions": pd.DataFrame({"session_id": ["s"], "visitor_id": ["w"], "started_at": ["2023-01-01 12:00:00"]}),
        "orders": pd.DataFrame({"order_id": [f"o{d}" for d in days], "customer_id": "c", "ordered_at": when,
                                "revenue": 1.0, "visitor_id": "w"}),
    })
    got = counts(ptp.days_to_purchase(client))
    assert got == {"7": 1, "8-14": 2, "15-30": 1, "121-364": 1, "365+": 1}
    # median of 7 8 14 15 364 365 = (14 + 15) / 2
    assert kf.value(ptp.median_days_to_purchase(client)) == 14.5


def test_visits_buckets_have_the_spec_edges():
    # one visitor, 9 visits on 9 days; orders in the 8th and the 9th -> buckets "8" and "9-14"
    client = client_from_frames({
        "sessions": pd.DataFrame({"session_id": [f"s{i}" for i in range(1, 10)], "visitor_id": "w",
                                  "started_at": [f"2024-03-0{i} 10:00:00" for i in range(1, 10)]}),
        "orders": pd.DataFrame({"order_id": ["o8", "o9"], "customer_id": "c", "revenue": 1.0,
                                "ordered_at": ["2024-03-08 10:05:00", "2024-03-09 10:05:00"], "session_id": ["s8", "s9"]}),
    })
    assert counts(ptp.visits_to_purchase(client)) == {"8": 1, "9-14": 1}
    assert kf.value(ptp.median_visits_to_purchase(client)) == 8.5


def test_days_to_purchase_use_the_exact_duration_not_second_boundaries():
    from kpi_helpers import client_from_frames
    from kpi_helpers.path_to_purchase import days_to_purchase, median_days_to_purchase

    # 86,399.2 s between session and order: 0 days, although 86,400 second boundaries are crossed;
    # an order 0.5 s before its visitor's first session is left out (negative duration)
    client = client_from_frames({
        "sessions": pd.DataFrame({"session_id": ["s1", "s2"], "visitor_id": ["v1", "v2"],
                                  "started_at": ["2024-03-01T10:00:00.900Z", "2024-03-05T10:00:00.900Z"]}),
        "orders": pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "visitor_id": ["v1", "v2"],
                                "ordered_at": ["2024-03-02T10:00:00.100Z", "2024-03-05T10:00:00.400Z"],
                                "revenue": [10.0, 20.0]}),
    }, timezone="UTC")
    assert median_days_to_purchase(client)["value"].iloc[0] == 0.0
    dist = days_to_purchase(client)
    assert dist.set_index("bucket")["orders"].to_dict()["0"] == 1 and dist["orders"].sum() == 1


def test_the_rank_is_that_of_the_order_session_when_orders_visitor_id_names_another_visitor():
    # o1 was placed in s3, the 3rd session of visitor v3, but the order says visitor v2 (one session,
    # s4, on March 1): visits = rank of s3 among v3's sessions = 3 (not v2's 1 session before it);
    # days = from v2's first session (March 1 10:00) to the order (March 3 12:00) = 2
    client = client_from_frames({
        "sessions": pd.DataFrame({"session_id": ["s1", "s2", "s3", "s4"], "visitor_id": ["v3", "v3", "v3", "v2"],
                                  "started_at": ["2024-03-01 09:00:00", "2024-03-02 09:00:00",
                                                 "2024-03-03 09:00:00", "2024-03-01 10:00:00"]}),
        "orders": pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "revenue": 10.0,
                                "ordered_at": ["2024-03-03 12:00:00"], "session_id": ["s3"], "visitor_id": ["v2"]}),
    })
    assert kf.value(ptp.median_visits_to_purchase(client, **MARCH)) == 3
    assert kf.value(ptp.median_days_to_purchase(client, **MARCH)) == 2


def test_order_paths_under_a_small_memory_limit_give_the_same_numbers(monkeypatch):
    # under a tight DuckDB memory limit (48 MB) the order paths are one
    # query whose joins and aggregations spill to disk when they must: the same numbers as with room to spare
    from kpi_helpers import path_to_purchase as ptp
    from kpi_helpers.loading import load_client
    from kpi_helpers.paths import SAMPLE_DIR
    from kpi_helpers.scorecard import scorecard

    period = dict(start="2025-01-01", end="2026-10-31")
    client = load_client(SAMPLE_DIR / "maison-lune")
    whole = (scorecard(client, **period), ptp.days_to_purchase(client, **period), ptp.visits_to_purchase(client, **period))
    monkeypatch.setenv("KPI_MEMORY_LIMIT", "48MB")
    small = load_client(SAMPLE_DIR / "maison-lune")
    assert small.con.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "45.7 MiB"
    tight = (scorecard(small, **period), ptp.days_to_purchase(small, **period), ptp.visits_to_purchase(small, **period))
    assert tight[0] == whole[0]
    pd.testing.assert_frame_equal(tight[1], whole[1])
    pd.testing.assert_frame_equal(tight[2], whole[2])
