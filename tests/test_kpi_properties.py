"""Properties every KPI keeps, on small random shops (hypothesis).

Each example builds a DuckDB client, so the number of examples is kept small; the hand-computed
tests of each theme pin the exact values.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_helpers import client_from_frames
from kpi_helpers import carts as ca
from kpi_helpers import customers as cu
from kpi_helpers import product_pages as pp
from kpi_helpers import search as se
from kpi_helpers import traffic as tr

PERIOD = dict(start="2024-03-01", end="2024-03-31")
CHANNELS = ["organic_search", "paid_search", "email"]
DEVICES = ["desktop", "mobile"]
PEOPLE = ["7", "007", "a", "b"]  # "7" and "007" are different people
# a day before the period, days in it (one on the spring daylight-saving change), and one after
DAYS = ["2024-02-28", "2024-03-01", "2024-03-02", "2024-03-31", "2024-04-01"]
HOURS = ["00:30:00", "10:00:00", "23:30:00"]

FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEAVY = settings(FAST, max_examples=15)  # 8 KPIs per example

timestamps = st.builds(lambda d, h: f"{d} {h}", st.sampled_from(DAYS), st.sampled_from(HOURS))


@st.composite
def shops(draw) -> dict[str, pd.DataFrame]:
    """Sessions, orders (pointing to sessions or not), carts and searches; any table may be empty."""
    n = draw(st.integers(0, 8))
    sessions = pd.DataFrame({
        "session_id": [f"s{i}" for i in range(n)],
        "visitor_id": draw(st.lists(st.sampled_from(PEOPLE), min_size=n, max_size=n)),
        "started_at": draw(st.lists(timestamps, min_size=n, max_size=n)),
        "channel": draw(st.lists(st.sampled_from(CHANNELS), min_size=n, max_size=n)),
        "device": draw(st.lists(st.sampled_from(DEVICES), min_size=n, max_size=n)),
        "landing_page": draw(st.lists(st.sampled_from(["/p/1", "/produits/2", "/"]), min_size=n, max_size=n)),
        "pageviews": draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)),
    })
    session_ref = st.sampled_from([None, *sessions["session_id"]])
    m = draw(st.integers(0, 7))
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(m)],
        "customer_id": draw(st.lists(st.sampled_from(PEOPLE), min_size=m, max_size=m)),
        "ordered_at": draw(st.lists(timestamps, min_size=m, max_size=m)),
        "revenue": draw(st.lists(st.integers(0, 100).map(float), min_size=m, max_size=m)),
        "session_id": draw(st.lists(session_ref, min_size=m, max_size=m)),
        "status": draw(st.lists(st.sampled_from([None, "paid", "cancelled", "refunded"]), min_size=m, max_size=m)),
    })
    k = draw(st.integers(0, 6))
    carts = pd.DataFrame({
        "cart_id": [f"k{i}" for i in range(k)],
        "created_at": draw(st.lists(timestamps, min_size=k, max_size=k)),
        "visitor_id": draw(st.lists(st.sampled_from(PEOPLE), min_size=k, max_size=k)),
        "session_id": draw(st.lists(session_ref, min_size=k, max_size=k)),
        "order_id": draw(st.lists(st.sampled_from([None, "o0", "o1"]), min_size=k, max_size=k)),
    })
    q = draw(st.integers(0, 5)) if n else 0
    searches = pd.DataFrame({
        "searched_at": draw(st.lists(timestamps, min_size=q, max_size=q)),
        "session_id": draw(st.lists(st.sampled_from(list(sessions["session_id"]) or ["s0"]), min_size=q, max_size=q)),
        "query": ["q"] * q,
        "results_count": pd.array(draw(st.lists(st.sampled_from([None, 0, 3]), min_size=q, max_size=q)), dtype="Int64"),
    })
    return {"sessions": sessions, "orders": orders, "carts": carts, "searches": searches}


def total(df: pd.DataFrame) -> float:
    return float(df["value"].iloc[0])


RATES = (tr.conversion_rate, tr.session_conversion_rate, ca.cart_abandonment_rate, cu.returning_customer_rate,
         cu.repeat_purchase_rate, pp.product_page_bounce_rate, se.search_rate, se.zero_result_rate)


@HEAVY
@given(shops(), st.sampled_from([None, "channel", "device"]))
def test_rates_stay_between_zero_and_one_and_are_null_exactly_when_the_denominator_is_zero(frames, by):
    client = client_from_frames(frames)
    for fn in RATES:
        df = fn(client, **PERIOD, by=by)
        for num, den, value in zip(df["numerator"], df["denominator"], df["value"]):
            assert 0 <= num <= den, (fn.__name__, num, den)
            assert math.isnan(value) == (den == 0), (fn.__name__, num, den, value)
            assert math.isnan(value) or 0 <= value <= 1, (fn.__name__, value)


@FAST
@given(shops(), st.sampled_from(["channel", "device"]))
def test_breakdowns_by_channel_or_device_add_up_to_the_total(frames, by):
    client = client_from_frames({"sessions": frames["sessions"], "orders": frames["orders"]})
    for fn in (tr.sessions, tr.orders, tr.revenue):
        assert fn(client, **PERIOD, by=by)["value"].sum() == total(fn(client, **PERIOD)), fn.__name__


@FAST
@given(shops(), st.sampled_from([*CHANNELS, "affiliate"]), st.sampled_from([None, *DEVICES]))
def test_a_segment_filter_never_adds_sessions_visitors_orders_or_carts(frames, channel, device):
    client = client_from_frames({"sessions": frames["sessions"], "orders": frames["orders"], "carts": frames["carts"]})
    for fn in (tr.sessions, tr.visitors, tr.orders, ca.carts):
        assert total(fn(client, **PERIOD, channel=channel, device=device)) <= total(fn(client, **PERIOD)), fn.__name__


@FAST
@given(shops(), st.sampled_from([None, "channel"]), st.sampled_from([None, "D", "M"]))
def test_new_plus_returning_customers_equal_buyers(frames, by, freq):
    client = client_from_frames({"sessions": frames["sessions"], "orders": frames["orders"]})
    kw = dict(start="2024-03-01", end="2024-04-01", by=by, freq=freq)
    new, returning, buyers = (fn(client, **kw)["value"] for fn in (cu.new_customers, cu.returning_customers, tr.buyers))
    assert (new + returning).tolist() == buyers.tolist()


@FAST
@given(shops(), st.sampled_from([None, "channel", "device"]))
def test_abandoned_carts_never_exceed_carts(frames, by):
    client = client_from_frames({"sessions": frames["sessions"], "carts": frames["carts"]})
    carts = ca.carts(client, **PERIOD, by=by)["value"]
    abandoned = ca.abandoned_carts(client, **PERIOD, by=by)["value"]
    assert (abandoned <= carts).all()
    # and every cart of March is counted once (naive times are local: the date is the first 10 characters)
    in_march = sum(str(t).startswith("2024-03") for t in frames["carts"]["created_at"])
    assert carts.sum() == in_march


@FAST
@given(shops())
def test_conversion_numerator_never_exceeds_visitors_nor_orders(frames):
    client = client_from_frames({"sessions": frames["sessions"], "orders": frames["orders"]})
    conv = tr.conversion_rate(client, **PERIOD)
    num, den = conv["numerator"].iloc[0], conv["denominator"].iloc[0]
    assert num <= den == total(tr.visitors(client, **PERIOD))
    # every converted visitor placed at least one valid order of the period
    assert num <= total(tr.orders(client, **PERIOD))
