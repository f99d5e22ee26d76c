"""Traffic and conversion KPIs on the tiny shop of tests/kpi_frames.py (period: March 2024).

Every expected value is worked out by hand in a comment; see kpi_frames.py for the rows.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import kpi_frames as kf
from kpi_helpers import KpiInputError, client_from_frames, load_client
from kpi_helpers import traffic
from kpi_helpers.paths import SAMPLE_DIR

MARCH = kf.MARCH


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


# --- headline values ----------------------------------------------------------------------------

def test_sessions_counts_the_visits_of_the_period(shop):
    # s2..s8 start in March; s1 is February
    assert kf.value(traffic.sessions(shop, **MARCH)) == 7


def test_visitors_counts_distinct_visitor_ids_of_the_period(shop):
    # s2 s3 -> v1, s4 -> v2, s5 s8 -> v3, s6 -> v4, s7 -> v5
    assert kf.value(traffic.visitors(shop, **MARCH)) == 5


def test_orders_leave_out_cancelled_and_refunded_orders(shop):
    # March: o1 o2 o3 o5 valid; o4 refunded and o6 cancelled left out -> 4 (not 6)
    assert kf.value(traffic.orders(shop, **MARCH)) == 4


def test_buyers_counts_distinct_customers_who_ordered(shop):
    # o1 c1, o2 c2, o3 c3, o5 c3 -> c1 c2 c3 (c4's only order is cancelled)
    assert kf.value(traffic.buyers(shop, **MARCH)) == 3


def test_revenue_sums_valid_orders_only(shop):
    # 60 + 30 + 90 + 20 = 200 (o4's 10 and o6's 100 are left out)
    assert kf.value(traffic.revenue(shop, **MARCH)) == 200


def test_conversion_rate_is_visitors_who_ordered_among_visitors(shop):
    # visitors v1..v5; o1 (s3) -> v1, o2 (s4) -> v2, o3 (s8) -> v3, o5 -> orders.visitor_id v3;
    # v4's order is cancelled -> converted v1 v2 v3 -> 3/5
    df = traffic.conversion_rate(shop, **MARCH)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (3, 5)
    assert kf.value(df) == pytest.approx(3 / 5)


def test_a_buyer_is_matched_to_visitors_through_orders_visitor_id_before_the_session():
    # visitors v1 v2 v3; o1 has no session but orders.visitor_id v1 -> v1 converted;
    # o2 was placed in s3 (visitor v3) but says visitor v2 -> v2 converted, not v3 -> 2/3
    client = client_from_frames({
        "sessions": pd.DataFrame({"session_id": ["s1", "s2", "s3"], "visitor_id": ["v1", "v2", "v3"],
                                  "started_at": "2024-03-01 10:00:00"}),
        "orders": pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "revenue": 1.0,
                                "ordered_at": "2024-03-02 10:00:00", "session_id": [None, "s3"],
                                "visitor_id": ["v1", "v2"]}),
    })
    df = traffic.conversion_rate(client, **MARCH)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (2, 3)
    # and the session rate looks at sessions only: s3 had an order -> 1/3
    assert kf.value(traffic.session_conversion_rate(client, **MARCH)) == pytest.approx(1 / 3)


def test_session_conversion_rate_is_sessions_with_an_order_among_sessions(shop):
    # sessions s2..s8; valid orders placed in s3 (o1), s4 (o2), s8 (o3); s6's order is cancelled -> 3/7
    assert kf.value(traffic.session_conversion_rate(shop, **MARCH)) == pytest.approx(3 / 7)


def test_average_order_value_is_revenue_per_order(shop):
    # 200 / 4 = 50
    assert kf.value(traffic.average_order_value(shop, **MARCH)) == pytest.approx(50.0)


def test_orders_per_session_divides_orders_by_sessions(shop):
    # 4 orders / 7 sessions
    assert kf.value(traffic.orders_per_session(shop, **MARCH)) == pytest.approx(4 / 7)


def test_cancelled_and_refunded_statuses_are_recognized_whatever_their_case_and_spaces():
    # "Cancelled", " REFUNDED " and "canceled" are left out; "paid" and no status stay -> 2 orders, 30
    client = client_from_frames({"orders": pd.DataFrame({
        "order_id": ["1", "2", "3", "4", "5"], "customer_id": ["a", "b", "c", "d", "e"],
        "ordered_at": "2024-03-04 10:00:00", "revenue": [10.0, 20.0, 100.0, 100.0, 100.0],
        "status": ["paid", None, "Cancelled", " REFUNDED ", "canceled"]})})
    assert kf.value(traffic.orders(client, **MARCH)) == 2
    assert kf.value(traffic.revenue(client, **MARCH)) == 30


def test_a_dict_of_frames_is_accepted_directly():
    # same rows as the shop, passed without building a client first: 7 sessions in March
    assert kf.value(traffic.sessions(kf.shop_frames(), **MARCH)) == 7


# --- segments ---------------------------------------------------------------------------------

def test_a_channel_filter_restricts_sessions_and_orders_through_their_session(shop):
    # paid_search: s3 (v1) s4 (v2) s7 (v5); orders placed there o1 (60) o2 (30)
    kw = dict(MARCH, channel="paid_search")
    assert kf.value(traffic.sessions(shop, **kw)) == 3
    assert kf.value(traffic.visitors(shop, **kw)) == 3
    assert kf.value(traffic.orders(shop, **kw)) == 2
    assert kf.value(traffic.revenue(shop, **kw)) == 90
    assert kf.value(traffic.conversion_rate(shop, **kw)) == pytest.approx(2 / 3)  # v1 v2 of v1 v2 v5
    assert kf.value(traffic.average_order_value(shop, **kw)) == pytest.approx(45.0)  # 90 / 2


def test_a_device_filter_restricts_sessions_and_orders_through_their_session(shop):
    # mobile: s3 (v1) s4 (v2) s6 (v4); valid orders there: o1 o2 -> converted v1 v2 of 3
    kw = dict(MARCH, device="mobile")
    assert kf.value(traffic.sessions(shop, **kw)) == 3
    assert kf.value(traffic.conversion_rate(shop, **kw)) == pytest.approx(2 / 3)


def test_a_list_of_channels_keeps_the_sessions_of_any_of_them(shop):
    # paid_search s3 s4 s7 + direct s5 s8 -> 5
    assert kf.value(traffic.sessions(shop, **MARCH, channel=["paid_search", "direct"])) == 5


def test_a_channel_without_sessions_gives_zero_counts_and_null_rates(shop):
    kw = dict(MARCH, channel="affiliate")
    assert kf.value(traffic.sessions(shop, **kw)) == 0
    assert kf.value(traffic.orders(shop, **kw)) == 0
    assert kf.value(traffic.revenue(shop, **kw)) == 0
    # 0 visitors, 0 orders: rates are null, never 0
    assert math.isnan(kf.value(traffic.conversion_rate(shop, **kw)))
    assert math.isnan(kf.value(traffic.session_conversion_rate(shop, **kw)))
    assert math.isnan(kf.value(traffic.average_order_value(shop, **kw)))
    assert math.isnan(kf.value(traffic.orders_per_session(shop, **kw)))


# --- breakdowns -------------------------------------------------------------------------------

def test_sessions_by_channel_count_each_channel(shop):
    # organic s2; paid s3 s4 s7; direct s5 s8; email s6 -> 1 + 3 + 2 + 1 = 7
    got = kf.by_key(traffic.sessions(shop, **MARCH, by="channel"), "channel")
    assert got == {"direct": 2, "email": 1, "organic_search": 1, "paid_search": 3}


def test_conversion_rate_by_channel_is_the_rate_with_that_channel_filter(shop):
    # direct: v3 bought in s8 -> 1/1; email: v4's order cancelled -> 0/1; organic: v1 did not buy in s2 -> 0/1;
    # paid_search: v1 v2 of v1 v2 v5 -> 2/3
    got = kf.by_key(traffic.conversion_rate(shop, **MARCH, by="channel"), "channel")
    assert got == pytest.approx({"direct": 1.0, "email": 0.0, "organic_search": 0.0, "paid_search": 2 / 3})


def test_conversion_rate_by_device_is_the_rate_with_that_device_filter(shop):
    # desktop: v1 (s2) v3 (s5 s8), v3 bought in s8 -> 1/2; mobile: v1 v2 v4, v1 v2 bought -> 2/3; tablet: v5 -> 0/1
    got = kf.by_key(traffic.conversion_rate(shop, **MARCH, by="device"), "device")
    assert got == pytest.approx({"desktop": 1 / 2, "mobile": 2 / 3, "tablet": 0.0})


def test_average_order_value_by_channel_puts_orders_without_a_session_under_unknown(shop):
    # paid_search o1 60 + o2 30 -> 45; direct o3 90; o5 has no session -> unknown 20;
    # organic_search and email have sessions but no valid order -> null, not 0
    df = traffic.average_order_value(shop, **MARCH, by="channel")
    got = kf.by_key(df, "channel")
    assert set(got) == {"direct", "email", "organic_search", "paid_search", "unknown"}
    assert got["paid_search"] == pytest.approx(45.0)
    assert got["direct"] == pytest.approx(90.0)
    assert got["unknown"] == pytest.approx(20.0)
    assert math.isnan(got["organic_search"]) and math.isnan(got["email"])


def test_average_order_value_by_device_puts_orders_without_a_session_under_unknown(shop):
    # mobile o1 o2 -> 45; desktop o3 -> 90; unknown o5 -> 20; tablet: no order -> null
    got = kf.by_key(traffic.average_order_value(shop, **MARCH, by="device"), "device")
    assert {k: v for k, v in got.items() if k != "tablet"} == pytest.approx({"mobile": 45.0, "desktop": 90.0, "unknown": 20.0})
    assert math.isnan(got["tablet"])


def test_orders_by_channel_add_up_to_all_orders(shop):
    # paid_search 2 + direct 1 + unknown 1 = 4
    got = kf.by_key(traffic.orders(shop, **MARCH, by="channel"), "channel")
    assert got["paid_search"] == 2 and got["direct"] == 1 and got["unknown"] == 1
    assert sum(got.values()) == 4


# --- time series ------------------------------------------------------------------------------

def test_a_daily_series_has_a_zero_row_for_a_day_without_sessions(shop):
    # 03-01 s2; 03-02 s3 s4; 03-03 s5; 03-04 nothing; 03-05 s6 s7
    df = traffic.sessions(shop, start="2024-03-01", end="2024-03-05", freq="D")
    assert kf.series(df) == {"2024-03-01": 1, "2024-03-02": 2, "2024-03-03": 1, "2024-03-04": 0, "2024-03-05": 2}


def test_a_daily_rate_is_null_on_a_day_without_visitors(shop):
    # 03-01 v1 no order -> 0; 03-02 v1 v2 both order -> 1; 03-03 v3 -> 0; 03-04 no visitor -> null;
    # 03-05 v4 (cancelled) v5 -> 0
    got = kf.series(traffic.conversion_rate(shop, start="2024-03-01", end="2024-03-05", freq="D"))
    assert math.isnan(got.pop("2024-03-04"))
    assert got == {"2024-03-01": 0.0, "2024-03-02": 1.0, "2024-03-03": 0.0, "2024-03-05": 0.0}


def test_a_weekly_series_buckets_by_iso_week_starting_on_monday(shop):
    # week of Mon 02-26: s2 s3 s4 s5 (March 1-3); week of 03-04: s6 s7 s8 (s8 is Sunday 03-10); then nothing
    got = kf.series(traffic.sessions(shop, **MARCH, freq="W"))
    assert got == {"2024-02-26": 4, "2024-03-04": 3, "2024-03-11": 0, "2024-03-18": 0, "2024-03-25": 0}


def test_a_monthly_series_buckets_by_calendar_month(shop):
    # orders: February o0; March o1 o2 o3 o5; April o7
    got = kf.series(traffic.orders(shop, start="2024-02-01", end="2024-04-30", freq="M"))
    assert got == {"2024-02-01": 1, "2024-03-01": 4, "2024-04-01": 1}


def test_a_series_with_a_breakdown_has_every_group_on_every_day(shop):
    # 03-02..03-04: paid_search s3 s4 on 03-02, direct s5 on 03-03, nothing on 03-04
    # -> 2 channels x 3 days, zeros filled in
    df = traffic.sessions(shop, start="2024-03-02", end="2024-03-04", by="channel", freq="D")
    assert len(df) == 2 * 3
    assert kf.series(df[df["channel"] == "paid_search"]) == {"2024-03-02": 2, "2024-03-03": 0, "2024-03-04": 0}
    assert kf.series(df[df["channel"] == "direct"]) == {"2024-03-02": 0, "2024-03-03": 1, "2024-03-04": 0}


# --- comparisons ------------------------------------------------------------------------------

def test_previous_period_comparison_gives_absolute_and_relative_change(shop):
    # previous period of March (31 days): 2024-01-30..2024-02-29 -> s1 only; 7 - 1 = 6, 6 / 1 = 6.0
    df = traffic.sessions(shop, **MARCH, compare="previous_period")
    row = df.iloc[0]
    assert (row["value"], row["comparison_value"], row["change"], row["relative_change"]) == (7, 1, 6, 6.0)
    assert df.attrs["comparison_period"] == {"start": "2024-01-30", "end": "2024-02-29"}


def test_previous_period_comparison_of_a_rate(shop):
    # February: v1 bought (o0 in s1) -> 1/1; March 3/5 -> change -0.4, relative -0.4 / 1.0 = -0.4
    row = traffic.conversion_rate(shop, **MARCH, compare="previous_period").iloc[0]
    assert row["comparison_value"] == pytest.approx(1.0)
    assert row["change"] == pytest.approx(-0.4)
    assert row["relative_change"] == pytest.approx(-0.4)


def test_previous_year_comparison_with_nothing_a_year_before_has_a_null_relative_change(shop):
    # March 2023: no session -> comparison 0, change 7, relative change null (not infinite, not 0)
    df = traffic.sessions(shop, **MARCH, compare="previous_year")
    row = df.iloc[0]
    assert (row["comparison_value"], row["change"]) == (0, 7)
    assert math.isnan(row["relative_change"])
    assert df.attrs["comparison_period"] == {"start": "2023-03-01", "end": "2023-03-31"}


def test_a_rate_compared_with_an_empty_year_has_null_change(shop):
    # March 2023: no visitor -> comparison rate null -> change and relative change null
    row = traffic.conversion_rate(shop, **MARCH, compare="previous_year").iloc[0]
    assert math.isnan(row["comparison_value"]) and math.isnan(row["change"]) and math.isnan(row["relative_change"])


def test_a_comparison_by_channel_compares_each_channel(shop):
    # previous period: organic_search s1 only. organic 1 vs 1 -> change 0, relative 0;
    # paid_search 3 vs 0 -> change 3, relative null
    df = traffic.sessions(shop, **MARCH, by="channel", compare="previous_period").set_index("channel")
    assert (df.loc["organic_search", "change"], df.loc["organic_search", "relative_change"]) == (0, 0)
    assert df.loc["paid_search", "change"] == 3
    assert math.isnan(df.loc["paid_search", "relative_change"])


# --- empty periods, missing tables ------------------------------------------------------------

def test_an_empty_period_gives_zero_counts_and_null_rates(shop):
    kw = dict(start="2024-06-01", end="2024-06-30")
    for fn in (traffic.sessions, traffic.visitors, traffic.orders, traffic.buyers, traffic.revenue):
        assert kf.value(fn(shop, **kw)) == 0, fn.__name__
    for fn in (traffic.conversion_rate, traffic.session_conversion_rate, traffic.average_order_value,
               traffic.orders_per_session):
        assert math.isnan(kf.value(fn(shop, **kw))), fn.__name__


def test_kpis_needing_a_missing_table_are_null_with_the_reason():
    only_orders = client_from_frames({"orders": kf.orders()})
    for fn in (traffic.sessions, traffic.visitors, traffic.conversion_rate, traffic.session_conversion_rate,
               traffic.orders_per_session):
        df = fn(only_orders, **MARCH)
        assert math.isnan(kf.value(df)), fn.__name__
        assert df.attrs["unavailable"] == "sessions table not provided"
    # what needs orders only still works: 4 valid March orders
    assert kf.value(traffic.orders(only_orders, **MARCH)) == 4
    df = traffic.orders(client_from_frames({"sessions": kf.sessions()}), **MARCH)
    assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "orders table not provided"


def test_a_segment_filter_without_sessions_is_unavailable_not_an_error():
    df = traffic.orders(client_from_frames({"orders": kf.orders()}), **MARCH, channel="email")
    assert math.isnan(kf.value(df))
    assert "sessions" in df.attrs["unavailable"]


def test_start_after_end_is_a_clear_error(shop):
    with pytest.raises(KpiInputError, match="after"):
        traffic.sessions(shop, start="2024-03-31", end="2024-03-01")


# --- identifiers, time zones ------------------------------------------------------------------

def test_ids_with_leading_zeros_are_different_people():
    # "007" and "7" are two customers and two visitors
    client = client_from_frames({
        "sessions": pd.DataFrame({"session_id": ["1", "01"], "visitor_id": ["007", "7"],
                                  "started_at": ["2024-03-01 10:00:00", "2024-03-01 11:00:00"]}),
        "orders": pd.DataFrame({"order_id": ["1", "01"], "customer_id": ["007", "7"], "revenue": [10.0, 20.0],
                                "ordered_at": ["2024-03-01 10:10:00", "2024-03-01 11:10:00"],
                                "session_id": ["1", "01"]}),
    })
    assert kf.value(traffic.visitors(client, **MARCH)) == 2
    assert kf.value(traffic.buyers(client, **MARCH)) == 2
    assert kf.value(traffic.orders(client, **MARCH)) == 2
    assert kf.value(traffic.conversion_rate(client, **MARCH)) == 1.0  # both visitors bought in their session


def test_ids_with_leading_zeros_read_from_a_csv_stay_apart(tmp_path):
    # a spreadsheet would turn 007 into 7: the loader must not -> two buyers
    (tmp_path / "orders.csv").write_text("order_id,customer_id,ordered_at,revenue\n"
                                         "001,007,2024-03-04 10:00:00,10\n"
                                         "1,7,2024-03-05 10:00:00,20\n", encoding="utf-8")
    client = load_client(tmp_path)
    assert kf.value(traffic.buyers(client, **MARCH)) == 2
    assert kf.value(traffic.orders(client, **MARCH)) == 2  # order ids 001 and 1


@pytest.fixture(scope="module")
def midnight():
    # o1 23:30+02:00 is March 31 in Paris; o2 22:30Z is 00:30 on April 1 in Paris
    return client_from_frames({"orders": pd.DataFrame({
        "order_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "revenue": [10.0, 20.0],
        "ordered_at": ["2024-03-31T23:30:00+02:00", "2024-03-31T22:30:00Z"]})})


def test_an_order_at_2330_local_time_belongs_to_that_day(midnight):
    assert kf.value(traffic.orders(midnight, start="2024-03-31", end="2024-03-31")) == 1
    assert kf.value(traffic.revenue(midnight, **MARCH)) == 10


def test_an_order_at_2230_utc_belongs_to_the_next_day_in_paris(midnight):
    assert kf.value(traffic.orders(midnight, start="2024-04-01", end="2024-04-01")) == 1
    got = kf.series(traffic.orders(midnight, start="2024-03-31", end="2024-04-01", freq="D"))
    assert got == {"2024-03-31": 1, "2024-04-01": 1}


def test_the_client_timezone_decides_the_day():
    # 2024-03-01T03:00Z is February 29, 22:00 in New York
    client = client_from_frames({"orders": pd.DataFrame({
        "order_id": ["o1"], "customer_id": ["c1"], "revenue": [10.0], "ordered_at": ["2024-03-01T03:00:00Z"]})},
        timezone="America/New_York")
    assert kf.value(traffic.orders(client, start="2024-02-29", end="2024-02-29")) == 1
    assert kf.value(traffic.orders(client, **MARCH)) == 0


def test_sessions_are_counted_on_their_local_day_around_daylight_saving_changes():
    # March 31 (clocks go forward at 02:00): 00:30+01:00 and 23:30+02:00 are both March 31;
    # October 27 (clocks go back at 03:00): 00:30+02:00 and 23:30+01:00 are both October 27;
    # naive times are read in Paris time: 23:30 on the 30th / the 26th stays on that day
    starts = ["2024-03-30 23:30:00", "2024-03-31T00:30:00+01:00", "2024-03-31T23:30:00+02:00",
              "2024-10-26 23:30:00", "2024-10-27T00:30:00+02:00", "2024-10-27T23:30:00+01:00"]
    client = client_from_frames({"sessions": pd.DataFrame({
        "session_id": [f"s{i}" for i in range(6)], "visitor_id": [f"v{i}" for i in range(6)], "started_at": starts})})
    spring = kf.series(traffic.sessions(client, start="2024-03-30", end="2024-04-01", freq="D"))
    autumn = kf.series(traffic.sessions(client, start="2024-10-26", end="2024-10-28", freq="D"))
    assert spring == {"2024-03-30": 1, "2024-03-31": 2, "2024-04-01": 0}
    assert autumn == {"2024-10-26": 1, "2024-10-27": 2, "2024-10-28": 0}


@pytest.mark.parametrize("filters", [{}, {"channel": "paid_search"}, {"device": ["mobile", "tablet"]}])
def test_visitor_counts_from_the_one_query_summary_equal_one_query_per_breakdown(monkeypatch, filters):
    # visitors and conversion_rate in total and by channel/device come from one bit-mask query;
    # with MAX_MASK_GROUPS = 0 each is counted by its own distinct query: the same numbers
    client = load_client(SAMPLE_DIR / "maison-lune")
    period = dict(start="2025-09-01", end="2025-11-30", **filters)
    calls = [(kpi, by) for kpi in (traffic.visitors, traffic.conversion_rate) for by in (None, "channel", "device")]
    summary = [kpi(client, by=by, **period) for kpi, by in calls]
    monkeypatch.setattr(traffic, "MAX_MASK_GROUPS", 0)
    fresh = load_client(SAMPLE_DIR / "maison-lune")  # nothing kept from the first computations
    separate = [kpi(fresh, by=by, **period) for kpi, by in calls]
    for a, b in zip(summary, separate):
        pd.testing.assert_frame_equal(a, b)
    assert summary[4]["denominator"].sum() >= summary[3]["denominator"].iloc[0]  # a visitor may use 2 channels


def test_visitors_whose_ids_differ_only_by_a_trailing_hash_sign_stay_apart():
    # the DuckDB fast path groups visitors by two hashes: of the id and of the id followed by "#"
    ids = ["a", "a#", "a##", "#", "##", "é", "e\u0301", "A"]
    client = client_from_frames({"sessions": pd.DataFrame({
        "session_id": [f"s{i}" for i in range(len(ids))] + ["s-again"], "visitor_id": ids + ["a#"],
        "started_at": "2024-03-05 10:00:00", "channel": ["email"] * len(ids) + ["direct"]})})
    assert kf.value(traffic.visitors(client, **MARCH)) == len(ids)
    by = traffic.visitors(client, by="channel", **MARCH).set_index("channel")["numerator"]
    assert by["email"] == len(ids) and by["direct"] == 1


@pytest.mark.parametrize("filters", [{}, {"channel": ("paid_search",)}, {"device": ("mobile", "tablet")}])
def test_the_channels_and_devices_the_visitor_counts_find_are_kept_and_equal_those_a_query_lists(filters):
    from kpi_helpers.core import Scope, group_values, resolve_period
    from kpi_helpers.results import results_of

    period = resolve_period("2025-09-01", "2025-11-30")
    client = load_client(SAMPLE_DIR / "maison-lune")
    traffic.conversion_rate(client, start="2025-09-01", end="2025-11-30", **{k: list(v) for k, v in filters.items()})
    kept = results_of(client.con)
    misses = kept.misses
    scope = Scope(client, period, filters.get("channel"), filters.get("device"))
    found = {k: group_values(scope, k) for k in ("channel", "device")}
    assert kept.misses == misses  # kept by the visitor counts: no query
    fresh = load_client(SAMPLE_DIR / "maison-lune")
    listed = {k: group_values(Scope(fresh, period, filters.get("channel"), filters.get("device")), k)
              for k in ("channel", "device")}
    assert found == listed and found["channel"]
