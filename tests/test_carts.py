"""Carts, abandoned carts, the abandonment rate and abandonment by shipping fee.

Shop, March 2024 (k0 is February):
    cart  session (channel, device)     shipping fee  order
    k1    s3 (paid_search, mobile)      0             o1
    k2    s4 (paid_search, mobile)      4.9           o2
    k3    s5 (direct, desktop)          4.9           -   abandoned
    k4    s6 (email, mobile)            7.5           -   abandoned
    k5    s7 (paid_search, tablet)      12            -   abandoned
    k6    s8 (direct, desktop)          20            o3
"""

from __future__ import annotations

import math

import pytest

import kpi_frames as kf
from kpi_helpers import client_from_frames
from kpi_helpers import carts as ca

MARCH = kf.MARCH


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


def test_carts_counts_carts_created_in_the_period(shop):
    # k1..k6 (k0 is February)
    assert kf.value(ca.carts(shop, **MARCH)) == 6


def test_abandoned_carts_are_carts_without_an_order(shop):
    # k3 k4 k5
    assert kf.value(ca.abandoned_carts(shop, **MARCH)) == 3


def test_cart_abandonment_rate_is_abandoned_among_carts(shop):
    # 3 / 6
    assert kf.value(ca.cart_abandonment_rate(shop, **MARCH)) == pytest.approx(0.5)


def test_cart_abandonment_rate_by_channel_goes_through_the_cart_session(shop):
    # paid_search k1 k2 k5 -> 1/3; direct k3 k6 -> 1/2; email k4 -> 1/1; organic_search: no cart -> null
    got = kf.by_key(ca.cart_abandonment_rate(shop, **MARCH, by="channel"), "channel")
    assert {k: got[k] for k in ("paid_search", "direct", "email")} == pytest.approx(
        {"paid_search": 1 / 3, "direct": 0.5, "email": 1.0})
    assert math.isnan(got["organic_search"])


def test_cart_abandonment_rate_by_device(shop):
    # mobile k1 k2 k4 -> 1/3; desktop k3 k6 -> 1/2; tablet k5 -> 1/1
    got = kf.by_key(ca.cart_abandonment_rate(shop, **MARCH, by="device"), "device")
    assert got == pytest.approx({"mobile": 1 / 3, "desktop": 0.5, "tablet": 1.0})


def test_a_channel_filter_keeps_the_carts_of_that_channel(shop):
    # direct: k3 (abandoned) k6
    kw = dict(MARCH, channel="direct")
    assert kf.value(ca.carts(shop, **kw)) == 2
    assert kf.value(ca.abandoned_carts(shop, **kw)) == 1


def test_a_channel_without_carts_has_a_null_abandonment_rate(shop):
    kw = dict(MARCH, channel="affiliate")
    assert kf.value(ca.carts(shop, **kw)) == 0
    assert math.isnan(kf.value(ca.cart_abandonment_rate(shop, **kw)))


def test_a_daily_series_of_carts_has_zero_days_and_null_rates(shop):
    # 03-02 k1 k2 (0 abandoned); 03-03 k3 (abandoned); 03-04 nothing
    kw = dict(start="2024-03-02", end="2024-03-04", freq="D")
    assert kf.series(ca.carts(shop, **kw)) == {"2024-03-02": 2, "2024-03-03": 1, "2024-03-04": 0}
    rates = kf.series(ca.cart_abandonment_rate(shop, **kw))
    assert rates["2024-03-02"] == 0 and rates["2024-03-03"] == 1 and math.isnan(rates["2024-03-04"])


def test_carts_compared_with_the_previous_period(shop):
    # previous period: k0 only -> 6 vs 1, change 5, relative 5.0
    row = ca.carts(shop, **MARCH, compare="previous_period").iloc[0]
    assert (row["comparison_value"], row["change"], row["relative_change"]) == (1, 5, 5.0)


def test_an_empty_period_has_no_cart_and_a_null_rate(shop):
    kw = dict(start="2024-06-01", end="2024-06-30")
    assert kf.value(ca.carts(shop, **kw)) == 0
    assert kf.value(ca.abandoned_carts(shop, **kw)) == 0
    assert math.isnan(kf.value(ca.cart_abandonment_rate(shop, **kw)))


def test_without_the_carts_table_cart_kpis_are_unavailable():
    client = client_from_frames({"sessions": kf.sessions()})
    for fn in (ca.carts, ca.abandoned_carts, ca.cart_abandonment_rate):
        df = fn(client, **MARCH)
        assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "carts table not provided", fn.__name__


# --- by shipping fee ---------------------------------------------------------------------------

def test_abandonment_by_shipping_fee_splits_carts_into_fee_bands(shop):
    # free: k1 ordered -> 0/1; 0-5: k2 ordered, k3 abandoned -> 1/2; 5-10: k4 -> 1/1; 10-15: k5 -> 1/1;
    # 15+: k6 ordered -> 0/1
    df = ca.abandonment_by_shipping_fee(shop, **MARCH)
    assert df["band"].tolist() == ["0 (free)", "0-5 EUR", "5-10 EUR", "10-15 EUR", "15+ EUR"]
    assert df["denominator"].tolist() == [1, 2, 1, 1, 1]
    assert df["numerator"].tolist() == [0, 1, 1, 1, 0]
    assert df["value"].tolist() == pytest.approx([0.0, 0.5, 1.0, 1.0, 0.0])


def test_an_empty_fee_band_has_a_null_rate(shop):
    # 03-02 only: k1 (free, ordered) and k2 (4.9, ordered); the other bands are empty -> null
    df = ca.abandonment_by_shipping_fee(shop, start="2024-03-02", end="2024-03-02")
    assert df["denominator"].tolist() == [1, 1, 0, 0, 0]
    assert df["value"].tolist()[:2] == [0.0, 0.0]
    assert df["value"].iloc[2:].isna().all()


def test_abandonment_by_shipping_fee_without_fees_is_unavailable():
    df = ca.abandonment_by_shipping_fee(client_from_frames({"carts": kf.carts().drop(columns="shipping_fee")}))
    assert df.empty and df.attrs["unavailable"] == "carts.shipping_fee column not provided"
