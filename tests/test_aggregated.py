"""KPIs from aggregated tables (traffic, search_terms): which rows answer which period, on tables of
a few rows whose expected values are checked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_helpers import client_from_frames, compute
from kpi_helpers.errors import KpiInputError
from kpi_helpers.notebook.display import _reason_text
from kpi_helpers.scorecard import scorecard


def traffic(rows: list[tuple]) -> pd.DataFrame:
    cols = ["date", "end_date", "channel", "device", "sessions", "engaged_sessions", "transactions"]
    return pd.DataFrame(rows, columns=cols)


MARCH_BY_CHANNEL = traffic([
    ("2025-03-01", "2025-03-31", "organic_search", None, 600, 420, 9),
    ("2025-03-01", "2025-03-31", "direct", None, 400, 200, 3),
])
DAYS_BY_DEVICE = traffic([
    ("2025-03-01", None, None, "desktop", 10, 6, 1),
    ("2025-03-01", None, None, "mobile", 20, 8, 0),
    ("2025-03-02", None, None, "desktop", 12, 9, 2),
    ("2025-03-02", None, None, "mobile", 18, 9, 1),
    ("2025-03-03", None, None, "desktop", 11, 5, 0),
    ("2025-03-03", None, None, "mobile", 25, 10, 1),
])


def value(df: pd.DataFrame) -> float:
    return float(df["value"].iloc[0])


def test_a_month_report_gives_its_month_and_nothing_shorter():
    c = client_from_frames({"traffic": MARCH_BY_CHANNEL})
    assert value(compute("sessions", c, start="2025-03-01", end="2025-03-31")) == 1000
    # 1 - (420 + 200) / 1000
    assert value(compute("ga4_bounce_rate", c, start="2025-03-01", end="2025-03-31")) == pytest.approx(0.38)
    assert value(compute("orders_per_session", c, start="2025-03-01", end="2025-03-31")) == pytest.approx(12 / 1000)
    part = compute("sessions", c, start="2025-03-01", end="2025-03-15")
    assert math.isnan(value(part))
    assert part.attrs["unavailable"].startswith("the traffic rows cover 2025-03-01 to 2025-03-31 as one total each")


def test_days_add_up_over_any_period_inside_them_and_by_device():
    c = client_from_frames({"traffic": DAYS_BY_DEVICE})
    assert value(compute("sessions", c, start="2025-03-02", end="2025-03-03")) == 12 + 18 + 11 + 25
    by = compute("sessions", c, start="2025-03-01", end="2025-03-03", by="device")
    assert dict(zip(by["device"], by["value"])) == {"desktop": 33, "mobile": 63}
    bounce = compute("ga4_bounce_rate", c, start="2025-03-01", end="2025-03-01", device="mobile")
    assert value(bounce) == pytest.approx(1 - 8 / 20)
    assert "not split by channel" in compute("sessions", c, start="2025-03-01", end="2025-03-03",
                                             channel="direct").attrs["unavailable"]


def test_a_weekly_series_needs_rows_inside_each_week():
    c = client_from_frames({"traffic": MARCH_BY_CHANNEL})
    weekly = compute("sessions", c, start="2025-03-01", end="2025-03-31", freq="W")
    assert weekly["value"].isna().all() and "day, week or month" in weekly.attrs["unavailable"]
    monthly = compute("sessions", c, start="2025-03-01", end="2025-03-31", freq="M")
    assert monthly["value"].tolist() == [1000]


def test_a_day_report_and_a_month_report_of_one_shape_are_never_added_together():
    month = traffic([("2025-03-01", "2025-03-31", None, None, 1000, 600, 5)])
    days = traffic([(f"2025-03-{d:02d}", None, None, None, 30, 20, 0) for d in range(1, 32)])
    c = client_from_frames({"traffic": pd.concat([month, days])})
    assert value(compute("sessions", c, start="2025-03-01", end="2025-03-31")) == 930  # the days first
    assert value(compute("sessions", c, start="2025-03-05", end="2025-03-06")) == 60


def test_two_reports_of_one_shape_that_overlap_give_null_rather_than_a_double_count():
    rows = traffic([("2025-03-01", "2025-03-31", None, None, 1000, 600, 5),
                    ("2025-03-03", "2025-03-09", None, None, 250, 150, 1)])
    c = client_from_frames({"traffic": rows})
    df = compute("sessions", c, start="2025-03-01", end="2025-03-31")
    assert math.isnan(value(df)) and "two reports of the same shape" in df.attrs["unavailable"]


def test_a_segment_on_two_rows_is_refused_by_the_loader():
    rows = pd.concat([MARCH_BY_CHANNEL, MARCH_BY_CHANNEL.iloc[:1]])
    with pytest.raises(KpiInputError, match="on several rows"):
        client_from_frames({"traffic": rows})


def test_the_scorecard_of_a_traffic_only_client_keeps_every_id_and_names_the_exports():
    c = client_from_frames({"traffic": MARCH_BY_CHANNEL})
    card = scorecard(c)
    assert card["period"] == {"start": "2025-03-01", "end": "2025-03-31", "timezone": "Europe/Paris"}
    assert card["kpis"]["sessions"] == 1000
    assert card["kpis"]["conversion_rate"] is None
    assert "Matomo's visits log" in card["unavailable"]["conversion_rate"]
    assert card["breakdowns"]["conversion_rate_by_channel"] is None


def test_the_unavailable_sentences_of_aggregated_data_read_in_french():
    c = client_from_frames({"traffic": MARCH_BY_CHANNEL})
    part = compute("sessions", c, start="2025-03-01", end="2025-03-15").attrs["unavailable"]
    assert _reason_text(part, "fr").startswith("les données agrégées couvrent du 2025-03-01 au 2025-03-31 d'un seul bloc")
    visits = compute("visitors", c, start="2025-03-01", end="2025-03-31").attrs["unavailable"]
    assert "journal des visites de Matomo" in _reason_text(visits, "fr")
    device = compute("sessions", c, start="2025-03-01", end="2025-03-31", by="device").attrs["unavailable"]
    assert "ventilées par appareil" in _reason_text(device, "fr")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=500), min_size=7, max_size=7),
       st.integers(min_value=1, max_value=7), st.integers(min_value=0, max_value=6))
def test_daily_sessions_over_a_period_are_the_sum_of_its_days(counts, first, length):
    days = traffic([(f"2025-03-{d + 1:02d}", None, None, None, n, n // 2, 0) for d, n in enumerate(counts)])
    c = client_from_frames({"traffic": days})
    last = min(first + length, 7)
    got = compute("sessions", c, start=f"2025-03-{first:02d}", end=f"2025-03-{last:02d}")
    assert value(got) == sum(counts[first - 1:last])
    beyond = compute("sessions", c, start=f"2025-03-{first:02d}", end="2025-03-08")
    assert math.isnan(value(beyond)) and "only" in beyond.attrs["unavailable"]
