"""New and returning customers, repeat purchase and cohorts by month of first order.

Shop orders (valid ones; o4 refunded and o6 cancelled are left out everywhere):
    o0 c1 02-20 40 (s1 organic) | o1 c1 03-02 60 (s3 paid) | o2 c2 03-02 30 (s4 paid)
    o3 c3 03-10 90 (s8 direct)  | o5 c3 03-12 20 (no session) | o7 c2 04-03 25 (no session)
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import kpi_frames as kf
from kpi_helpers import client_from_frames
from kpi_helpers import customers as cu

MARCH = kf.MARCH


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


def test_new_customers_are_buyers_whose_first_order_ever_is_in_the_period(shop):
    # March buyers c1 c2 c3; c1 first ordered in February -> new: c2 c3
    assert kf.value(cu.new_customers(shop, **MARCH)) == 2


def test_returning_customers_are_buyers_with_an_order_before_the_period(shop):
    # c1 (o0 in February)
    assert kf.value(cu.returning_customers(shop, **MARCH)) == 1


def test_returning_customer_rate_is_returning_among_buyers(shop):
    # 1 / 3
    assert kf.value(cu.returning_customer_rate(shop, **MARCH)) == pytest.approx(1 / 3)


def test_repeat_purchase_rate_is_buyers_with_two_orders_in_the_period_among_buyers(shop):
    # c1: o1; c2: o2; c3: o3 o5 (o4 refunded does not count) -> 1 / 3
    assert kf.value(cu.repeat_purchase_rate(shop, **MARCH)) == pytest.approx(1 / 3)


def test_in_april_the_only_buyer_is_a_returning_one(shop):
    # April: o7 c2 (first order 03-02) -> new 0, returning 1, rate 1/1, repeat 0/1
    kw = dict(start="2024-04-01", end="2024-04-30")
    assert kf.value(cu.new_customers(shop, **kw)) == 0
    assert kf.value(cu.returning_customers(shop, **kw)) == 1
    assert kf.value(cu.returning_customer_rate(shop, **kw)) == 1.0
    assert kf.value(cu.repeat_purchase_rate(shop, **kw)) == 0.0


def test_new_customers_by_channel_follow_the_order_session(shop):
    # paid_search: c1 (returning) c2 (new); direct: c3 (new); unknown: c3 via o5 (new: first order 03-10)
    new = kf.by_key(cu.new_customers(shop, **MARCH, by="channel"), "channel")
    ret = kf.by_key(cu.returning_customers(shop, **MARCH, by="channel"), "channel")
    assert (new["paid_search"], ret["paid_search"]) == (1, 1)
    assert (new["direct"], ret["direct"]) == (1, 0)
    assert (new["unknown"], ret["unknown"]) == (1, 0)


def test_a_monthly_series_splits_new_and_returning_customers_by_month(shop):
    # February c1 new; March c2 c3 new, c1 returning; April c2 returning
    kw = dict(start="2024-02-01", end="2024-04-30", freq="M")
    assert kf.series(cu.new_customers(shop, **kw)) == {"2024-02-01": 1, "2024-03-01": 2, "2024-04-01": 0}
    assert kf.series(cu.returning_customers(shop, **kw)) == {"2024-02-01": 0, "2024-03-01": 1, "2024-04-01": 1}


def test_a_daily_series_counts_a_customer_new_only_on_the_day_of_the_first_order(shop):
    # 03-02: c1 returning, c2 new; 03-10: c3 new; 03-12: c3 again -> returning that day
    kw = dict(start="2024-03-02", end="2024-03-12", freq="D")
    new = kf.series(cu.new_customers(shop, **kw))
    ret = kf.series(cu.returning_customers(shop, **kw))
    assert {d: n for d, n in new.items() if n} == {"2024-03-02": 1, "2024-03-10": 1}
    assert {d: n for d, n in ret.items() if n} == {"2024-03-02": 1, "2024-03-12": 1}
    assert new["2024-03-05"] == 0 and ret["2024-03-05"] == 0  # a day without orders is a zero row
    assert math.isnan(kf.series(cu.returning_customer_rate(shop, **kw))["2024-03-05"])


def test_new_customers_compared_with_the_previous_period(shop):
    # February: c1 new -> March 2 vs 1: change 1, relative 1.0
    row = cu.new_customers(shop, **MARCH, compare="previous_period").iloc[0]
    assert (row["comparison_value"], row["change"], row["relative_change"]) == (1, 1, 1.0)


def test_an_empty_period_has_no_customer_and_null_rates(shop):
    kw = dict(start="2024-06-01", end="2024-06-30")
    assert kf.value(cu.new_customers(shop, **kw)) == 0
    assert kf.value(cu.returning_customers(shop, **kw)) == 0
    assert math.isnan(kf.value(cu.returning_customer_rate(shop, **kw)))
    assert math.isnan(kf.value(cu.repeat_purchase_rate(shop, **kw)))


def test_a_cancelled_first_order_does_not_make_a_customer_returning_and_007_is_not_7():
    # c9: cancelled in February, valid in March -> new; "7" ordered in February -> returning in March;
    # "007" first orders in March -> new (it is not "7")
    client = client_from_frames({"orders": pd.DataFrame({
        "order_id": ["z1", "z2", "z3", "z4", "z5"],
        "customer_id": ["c9", "c9", "7", "7", "007"],
        "ordered_at": ["2024-02-10 10:00:00", "2024-03-05 10:00:00", "2024-02-11 10:00:00", "2024-03-06 10:00:00",
                       "2024-03-07 10:00:00"],
        "revenue": [10.0, 10.0, 10.0, 10.0, 10.0],
        "status": ["cancelled", None, None, None, None],
    })})
    assert kf.value(cu.new_customers(client, **MARCH)) == 2  # c9, 007
    assert kf.value(cu.returning_customers(client, **MARCH)) == 1  # 7


def test_a_first_order_just_after_midnight_in_paris_is_new_in_that_month():
    # 2024-02-29T23:30Z is March 1, 00:30 in Paris: c1's first order is in March -> new in March,
    # and its cohort is March
    client = client_from_frames({"orders": pd.DataFrame({
        "order_id": ["a", "b"], "customer_id": ["c1", "c1"], "revenue": [10.0, 5.0],
        "ordered_at": ["2024-02-29T23:30:00Z", "2024-03-20 10:00:00"]})})
    assert kf.value(cu.new_customers(client, **MARCH)) == 1
    assert kf.value(cu.returning_customers(client, **MARCH)) == 0
    assert kf.value(cu.repeat_purchase_rate(client, **MARCH)) == 1.0  # both orders are in March
    assert cohort_rows(cu.cohort_retention(client)) == {("2024-03", 0): (1, 1, 15)}


def test_without_orders_customer_kpis_are_unavailable():
    client = client_from_frames({"sessions": kf.sessions()})
    for fn in (cu.new_customers, cu.returning_customers, cu.returning_customer_rate, cu.repeat_purchase_rate):
        df = fn(client, **MARCH)
        assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "orders table not provided", fn.__name__


# --- cohorts ------------------------------------------------------------------------------------

def cohort_rows(df: pd.DataFrame) -> dict:
    return {(pd.Timestamp(c).strftime("%Y-%m"), int(k)): (float(n), float(size), float(rev))
            for c, k, n, size, rev in zip(df["cohort"], df["months_since_first"], df["customers"], df["cohort_size"],
                                          df["revenue"])}


def test_cohort_retention_follows_each_first_order_month_up_to_the_last_month(shop):
    # February cohort = c1 (o0 40): March c1 back (o1 60), April nobody (a zero row)
    # March cohort = c2 c3 (30 + 90 + 20 = 140): April c2 back (o7 25); the data ends in April
    df = cu.cohort_retention(shop)
    assert cohort_rows(df) == {
        ("2024-02", 0): (1, 1, 40), ("2024-02", 1): (1, 1, 60), ("2024-02", 2): (0, 1, 0),
        ("2024-03", 0): (2, 2, 140), ("2024-03", 1): (1, 2, 25),
    }
    march = df[pd.to_datetime(df["cohort"]) == "2024-03-01"].set_index("months_since_first")
    assert march.loc[1, "customer_share"] == pytest.approx(1 / 2)
    assert march.loc[1, "revenue_share"] == pytest.approx(25 / 140)
    feb = df[pd.to_datetime(df["cohort"]) == "2024-02-01"].set_index("months_since_first")
    assert feb.loc[1, "revenue_share"] == pytest.approx(60 / 40)  # can exceed 1


def test_cohort_retention_keeps_the_cohorts_of_the_period(shop):
    df = cu.cohort_retention(shop, **MARCH)
    assert sorted(cohort_rows(df)) == [("2024-03", 0), ("2024-03", 1)]


def test_cohort_retention_with_a_channel_filter_selects_cohorts_by_the_first_order_channel(shop):
    # first orders: c1 o0 organic, c2 o2 paid_search, c3 o3 direct -> paid_search cohort = c2 alone:
    # March 30, April 25 (o7 has no session but c2 belongs to the cohort)
    df = cu.cohort_retention(shop, channel="paid_search")
    assert cohort_rows(df) == {("2024-03", 0): (1, 1, 30), ("2024-03", 1): (1, 1, 25)}


def test_cohort_retention_without_orders_is_unavailable():
    df = cu.cohort_retention(client_from_frames({"sessions": kf.sessions()}))
    assert df.empty and df.attrs["unavailable"] == "orders table not provided"
