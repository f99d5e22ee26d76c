"""Ad spend, cost per acquisition, ROAS, ROI and the break-even CPA.

Shop, March 2024 (margin_rate 0.4): spend paid_search 40 + 20, email 10, paid_social 30 = 100
(the 999 of February 28 is outside); 4 valid orders, revenue 200: o1 60 and o2 30 in paid_search
sessions, o3 90 in a direct session, o5 20 without a session.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import kpi_frames as kf
from kpi_helpers import client_from_frames
from kpi_helpers import acquisition as acq

MARCH = kf.MARCH


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


def test_ad_spend_sums_the_spend_of_the_period(shop):
    # 40 + 20 + 10 + 30 = 100
    assert kf.value(acq.ad_spend(shop, **MARCH)) == 100


def test_cost_per_acquisition_is_spend_per_order(shop):
    # 100 / 4 = 25
    assert kf.value(acq.cost_per_acquisition(shop, **MARCH)) == pytest.approx(25.0)


def test_cost_per_acquisition_reproduces_the_source_document_example():
    # 5 days x 100 = 500 spent, 24 orders -> 500 / 24 = 20.83
    client = client_from_frames({
        "ad_spend": pd.DataFrame({"date": [f"2024-03-0{d}" for d in range(1, 6)], "channel": "paid_search",
                                  "spend": 100.0}),
        "orders": pd.DataFrame({"order_id": [f"o{i}" for i in range(24)], "customer_id": [f"c{i}" for i in range(24)],
                                "ordered_at": "2024-03-03 12:00:00", "revenue": 10.0}),
    })
    assert round(kf.value(acq.cost_per_acquisition(client, **MARCH)), 2) == 20.83


def test_roas_is_revenue_per_unit_of_spend(shop):
    # 200 / 100 = 2.0
    assert kf.value(acq.roas(shop, **MARCH)) == pytest.approx(2.0)


def test_break_even_cpa_is_average_order_value_times_margin(shop):
    # 200 / 4 = 50; 50 * 0.4 = 20
    assert kf.value(acq.break_even_cpa(shop, **MARCH)) == pytest.approx(20.0)


def test_roi_is_gross_margin_minus_spend_over_spend(shop):
    # (200 * 0.4 - 100) / 100 = -0.2
    assert kf.value(acq.roi(shop, **MARCH)) == pytest.approx(-0.2)


def test_a_margin_rate_argument_overrides_the_client_setting(shop):
    # margin 0.5: break-even 50 * 0.5 = 25; ROI (100 - 100) / 100 = 0
    assert kf.value(acq.break_even_cpa(shop, **MARCH, margin_rate=0.5)) == pytest.approx(25.0)
    assert kf.value(acq.roi(shop, **MARCH, margin_rate=0.5)) == pytest.approx(0.0)


def test_without_a_margin_rate_break_even_cpa_and_roi_are_null_with_the_reason():
    client = client_from_frames(kf.shop_frames())
    for fn in (acq.break_even_cpa, acq.roi):
        df = fn(client, **MARCH)
        assert math.isnan(kf.value(df)), fn.__name__
        assert "margin_rate" in df.attrs["unavailable"]


# --- segments and breakdowns -------------------------------------------------------------------

def test_ad_spend_by_channel(shop):
    # paid_search 60, email 10, paid_social 30; channels with sessions but no spend are 0
    got = kf.by_key(acq.ad_spend(shop, **MARCH, by="channel"), "channel")
    assert {k: got[k] for k in ("paid_search", "email", "paid_social")} == {"paid_search": 60, "email": 10, "paid_social": 30}
    assert got["direct"] == 0 and got["organic_search"] == 0
    assert sum(got.values()) == 100


def test_cost_per_acquisition_by_channel_divides_channel_spend_by_orders_placed_in_that_channel(shop):
    # paid_search: 60 / 2 (o1 o2) = 30; email 10 / 0 and paid_social 30 / 0 -> null, never 0
    got = kf.by_key(acq.cost_per_acquisition(shop, **MARCH, by="channel"), "channel")
    assert got["paid_search"] == pytest.approx(30.0)
    assert math.isnan(got["email"]) and math.isnan(got["paid_social"])


def test_roas_and_roi_by_channel(shop):
    # paid_search: revenue 60 + 30 = 90 / 60 = 1.5; ROI (90 * 0.4 - 60) / 60 = -0.4
    assert kf.by_key(acq.roas(shop, **MARCH, by="channel"), "channel")["paid_search"] == pytest.approx(1.5)
    assert kf.by_key(acq.roi(shop, **MARCH, by="channel"), "channel")["paid_search"] == pytest.approx(-0.4)


def test_a_channel_filter_applies_to_spend_and_to_orders(shop):
    # paid_search: spend 60, orders o1 o2 (revenue 90) -> CPA 30, ROAS 1.5
    kw = dict(MARCH, channel="paid_search")
    assert kf.value(acq.ad_spend(shop, **kw)) == 60
    assert kf.value(acq.cost_per_acquisition(shop, **kw)) == pytest.approx(30.0)
    assert kf.value(acq.roas(shop, **kw)) == pytest.approx(1.5)


def test_a_device_filter_makes_spend_based_kpis_unavailable(shop):
    for fn in (acq.ad_spend, acq.cost_per_acquisition, acq.roas, acq.roi):
        df = fn(shop, **MARCH, device="mobile")
        assert math.isnan(kf.value(df)), fn.__name__
        assert df.attrs["unavailable"] == "ad spend is not split by device"


def test_break_even_cpa_follows_a_device_filter_through_the_orders(shop):
    # mobile: o1 60 + o2 30 -> aov 45 -> 45 * 0.4 = 18
    assert kf.value(acq.break_even_cpa(shop, **MARCH, device="mobile")) == pytest.approx(18.0)


def test_a_daily_series_of_spend_has_zero_days(shop):
    # 03-01 40, 03-02 20, 03-03 nothing, 03-04 nothing, 03-05 10
    got = kf.series(acq.ad_spend(shop, start="2024-03-01", end="2024-03-05", freq="D"))
    assert got == {"2024-03-01": 40, "2024-03-02": 20, "2024-03-03": 0, "2024-03-04": 0, "2024-03-05": 10}


def test_ad_spend_compared_with_the_previous_period(shop):
    # previous period of March: 2024-01-30..2024-02-29 -> 999; change 100 - 999 = -899, relative -899 / 999
    row = acq.ad_spend(shop, **MARCH, compare="previous_period").iloc[0]
    assert row["comparison_value"] == 999
    assert row["change"] == -899
    assert row["relative_change"] == pytest.approx(-899 / 999)


# --- empty and zero denominators -------------------------------------------------------------

def test_an_empty_period_has_zero_spend_and_null_ratios(shop):
    kw = dict(start="2024-06-01", end="2024-06-30")
    assert kf.value(acq.ad_spend(shop, **kw)) == 0
    for fn in (acq.cost_per_acquisition, acq.roas, acq.roi, acq.break_even_cpa):
        assert math.isnan(kf.value(fn(shop, **kw))), fn.__name__


def test_orders_without_spend_give_a_zero_cpa_but_a_null_roas(shop):
    # 03-10..03-12: no spend; orders o3 (90) and o5 (20): CPA 0 / 2 = 0; ROAS 110 / 0 -> null; ROI null
    kw = dict(start="2024-03-10", end="2024-03-12")
    assert kf.value(acq.cost_per_acquisition(shop, **kw)) == 0
    assert math.isnan(kf.value(acq.roas(shop, **kw)))
    assert math.isnan(kf.value(acq.roi(shop, **kw)))


def test_without_the_ad_spend_table_spend_kpis_are_unavailable():
    client = client_from_frames({"orders": kf.orders(), "sessions": kf.sessions()}, margin_rate=0.4)
    for fn in (acq.ad_spend, acq.cost_per_acquisition, acq.roas, acq.roi):
        df = fn(client, **MARCH)
        assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "ad_spend table not provided", fn.__name__
    # the break-even CPA needs orders and a margin only: 50 * 0.4
    assert kf.value(acq.break_even_cpa(client, **MARCH)) == pytest.approx(20.0)


def test_spend_based_kpis_by_channel_without_sessions_are_unavailable_not_null_everywhere():
    # orders can only be given a channel through their session: without the sessions table no order
    # is "placed in sessions of that channel", so CPA and ROAS by channel cannot be computed
    # (like average_order_value by channel, which says so), while spend by channel still can
    client = client_from_frames({"orders": kf.orders(), "ad_spend": kf.ad_spend()}, margin_rate=0.4)
    for fn in (acq.cost_per_acquisition, acq.roas, acq.roi):
        df = fn(client, **MARCH, by="channel")
        assert "sessions" in df.attrs.get("unavailable", ""), (fn.__name__, df)
        assert df["value"].isna().all()
    assert kf.by_key(acq.ad_spend(client, **MARCH, by="channel"), "channel") == {
        "email": 10, "paid_search": 60, "paid_social": 30}


# --- acquisition_by_channel ------------------------------------------------------------------

def test_acquisition_by_channel_has_one_row_per_channel_with_spend(shop):
    # email 10 spent, no order: cpa null, roas 0 / 10 = 0; paid_search 60, 2 orders, 90: cpa 30, roas 1.5;
    # paid_social 30, no order: cpa null, roas 0; break-even 20 on every row; paid_search 30 > 20 -> not profitable
    df = acq.acquisition_by_channel(shop, **MARCH).set_index("channel")
    assert df.index.tolist() == ["email", "paid_search", "paid_social"]
    assert df["spend"].tolist() == [10, 60, 30]
    assert df["orders"].tolist() == [0, 2, 0]
    assert df["revenue"].tolist() == [0, 90, 0]
    assert df.loc["paid_search", "cpa"] == pytest.approx(30.0)
    assert df["cpa"].isna().tolist() == [True, False, True]
    assert df["roas"].tolist() == pytest.approx([0.0, 1.5, 0.0])
    assert df["break_even_cpa"].tolist() == pytest.approx([20.0, 20.0, 20.0])
    assert df["profitable"].tolist() == [None, False, None]


def test_acquisition_by_channel_without_ad_spend_is_unavailable():
    df = acq.acquisition_by_channel(client_from_frames({"orders": kf.orders()}), **MARCH)
    assert df.empty and df.attrs["unavailable"] == "ad_spend table not provided"
