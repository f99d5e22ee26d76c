"""The scorecard: every KPI id of shared/spec/kpis.md, its JSON shape, and the `kpis` command.

The shop of tests/kpi_frames.py, March 2024 (the last full month of its data, which ends on
April 3), margin_rate 0.4. Each expected value is worked out in the module of its theme
(test_traffic.py, test_acquisition.py, ...); the arithmetic is repeated here in short.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import kpi_frames as kf
from kpi_helpers import KpiInputError, client_from_frames
from kpi_helpers import scorecard as sc
from kpi_helpers.core import KPIS

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "spec" / "kpis.md"
BROKEN = ROOT / "tests" / "broken_clients" / "missing-required-column"

EXTRA_KPIS = ("orders_per_session", "engagement_rate_all_interactions", "engagement_rate_by_reach",
              "engagement_rate_by_views", "engagement_rate_impressions_or_views", "search_to_purchase_rate")

MARCH_KPIS = {
    "sessions": 7,                              # s2..s8
    "visitors": 5,                              # v1..v5
    "orders": 4,                                # o1 o2 o3 o5 (o4 refunded, o6 cancelled)
    "buyers": 3,                                # c1 c2 c3
    "revenue": 200.0,                           # 60 + 30 + 90 + 20
    "conversion_rate": 3 / 5,                   # v1 v2 v3 of v1..v5
    "session_conversion_rate": 3 / 7,           # s3 s4 s8 of 7
    "average_order_value": 50.0,                # 200 / 4
    "median_days_to_purchase": 8.0,             # days 0 7 9 11
    "median_visits_to_purchase": 2.0,           # visits 1 2 2 3
    "product_page_bounce_rate": 3 / 5,          # s2 s4 s7 of s2 s3 s4 s6 s7
    "carts": 6,                                 # k1..k6
    "abandoned_carts": 3,                       # k3 k4 k5
    "cart_abandonment_rate": 0.5,               # 3 / 6
    "ad_spend": 100.0,                          # 40 + 20 + 10 + 30
    "cost_per_acquisition": 25.0,               # 100 / 4
    "roas": 2.0,                                # 200 / 100
    "break_even_cpa": 20.0,                     # 50 * 0.4
    "roi": -0.2,                                # (200 * 0.4 - 100) / 100
    "new_customers": 2,                         # c2 c3
    "returning_customers": 1,                   # c1
    "returning_customer_rate": 1 / 3,
    "repeat_purchase_rate": 1 / 3,              # c3 (o3 o5)
    "searches": 6,
    "search_rate": 5 / 7,                       # s2 s3 s5 s7 s8
    "zero_result_rate": 3 / 5,                  # 3 zeros of 5 known counts
    "posts": 3,                                 # p1 p2 p3
    "impressions": 3000,                        # 1000 + 2000
    "engagement_rate": 1 / 30,                  # (40 + 60) / 3000, p3 without impressions left out
}
INTEGER_KPIS = {"sessions", "visitors", "orders", "buyers", "carts", "abandoned_carts", "new_customers",
                "returning_customers", "searches", "posts", "impressions"}

DAYS = {"0": 1, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 1, "8-14": 2, "15-30": 0, "31-60": 0,
        "61-120": 0, "121-364": 0, "365+": 0}
VISITS = {"1": 1, "2": 2, "3": 1, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9-14": 0, "15-25": 0, "26-50": 0,
          "51-100": 0, "101+": 0}


def spec_ids(section: str) -> list[str]:
    """The ids in the first column of the table of a section of kpis.md ("a, b" gives two ids)."""
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not found")
    text = SPEC.read_text(encoding="utf-8")
    body = next(part for part in text.split("\n## ") if part.startswith(section))
    ids = []
    for line in body.splitlines():
        if not line.startswith("|"):
            continue
        first = line.strip().strip("|").split("|")[0].strip()
        if first == "id" or set(first) <= set("-: "):
            continue
        ids += [part.strip().strip("`") for part in first.split(",")]
    return ids


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


@pytest.fixture(scope="module")
def card(shop):
    return sc.scorecard(shop)


# --- the ids ------------------------------------------------------------------------------------

def test_headline_ids_are_those_of_the_spec_in_its_order():
    assert sc.HEADLINE_KPIS == tuple(spec_ids("Headline KPIs"))


def test_breakdown_ids_are_those_of_the_spec_in_its_order():
    assert sc.BREAKDOWNS == tuple(spec_ids("Breakdowns"))


def test_every_headline_kpi_and_extra_kpi_is_registered():
    assert set(sc.HEADLINE_KPIS) | set(EXTRA_KPIS) <= set(KPIS)


def test_the_scorecard_holds_every_headline_and_breakdown_id(card):
    # (the two tests above tie HEADLINE_KPIS and BREAKDOWNS to the tables of kpis.md)
    assert list(card["kpis"]) == list(sc.HEADLINE_KPIS)
    assert list(card["breakdowns"]) == list(sc.BREAKDOWNS)


# --- shape and values -------------------------------------------------------------------------

def test_the_scorecard_has_exactly_the_spec_json_keys(card):
    assert set(card) == {"client", "period", "filters", "kpis", "unavailable", "breakdowns"}
    assert card["client"] == "la-boutique"
    assert card["filters"] == {"channel": None, "device": None}
    json.dumps(card, allow_nan=False)  # no NaN in the JSON: nulls


def test_the_default_period_is_the_last_full_month_in_the_data(card):
    # the data ends on 2024-04-03 (o7): April is not complete -> March
    assert card["period"] == {"start": "2024-03-01", "end": "2024-03-31", "timezone": "Europe/Paris"}


def test_the_scorecard_values_are_the_hand_computed_ones(card):
    assert card["unavailable"] == {}
    assert card["kpis"] == pytest.approx(MARCH_KPIS)
    for k in INTEGER_KPIS:
        assert type(card["kpis"][k]) is int, k


def test_the_scorecard_breakdowns_are_the_hand_computed_ones(card):
    b = card["breakdowns"]
    # direct v3 bought; email v4 (cancelled); organic v1 not in s2; paid v1 v2 of v1 v2 v5
    assert b["conversion_rate_by_channel"] == pytest.approx(
        {"direct": 1.0, "email": 0.0, "organic_search": 0.0, "paid_search": 2 / 3})
    # desktop v3 of v1 v3; mobile v1 v2 of v1 v2 v4; tablet v5 no
    assert b["conversion_rate_by_device"] == pytest.approx({"desktop": 0.5, "mobile": 2 / 3, "tablet": 0.0})
    # paid (60 + 30) / 2; direct 90; o5 without session -> unknown 20; no order -> null
    assert b["average_order_value_by_channel"] == {"direct": 90.0, "email": None, "organic_search": None,
                                                   "paid_search": 45.0, "unknown": 20.0}
    assert b["average_order_value_by_device"] == {"desktop": 90.0, "mobile": 45.0, "tablet": None, "unknown": 20.0}
    assert b["days_to_purchase"] == DAYS
    assert b["visits_to_purchase"] == VISITS
    # paid_search 60 / 2; email 10 and paid_social 30 with no order -> null
    assert b["cost_per_acquisition_by_channel"] == {"email": None, "paid_search": 30.0, "paid_social": None}
    assert b["top_zero_result_queries"] == [["echarpe laine", 2], ["parapluie", 1]]


def test_the_source_document_cpa_example_is_500_over_24():
    client = client_from_frames({
        "ad_spend": pd.DataFrame({"date": [f"2024-03-0{d}" for d in range(1, 6)], "channel": "paid_search",
                                  "spend": 100.0}),
        "orders": pd.DataFrame({"order_id": [f"o{i}" for i in range(24)], "customer_id": [f"c{i}" for i in range(24)],
                                "ordered_at": "2024-03-03 12:00:00", "revenue": 10.0}),
    })
    card = sc.scorecard(client, start="2024-03-01", end="2024-03-31")
    assert round(card["kpis"]["cost_per_acquisition"], 2) == 20.83  # 500 / 24


def test_a_device_filter_makes_ad_spend_kpis_and_social_kpis_unavailable(shop):
    card = sc.scorecard(shop, **kf.MARCH, device="mobile")
    assert card["filters"] == {"channel": None, "device": "mobile"}
    assert card["kpis"]["sessions"] == 3  # s3 s4 s6
    for k in ("ad_spend", "cost_per_acquisition", "roas", "roi"):
        assert card["kpis"][k] is None
        assert card["unavailable"][k] == "ad spend is not split by device"
    assert card["breakdowns"]["cost_per_acquisition_by_channel"] is None
    assert card["unavailable"]["cost_per_acquisition_by_channel"] == "ad spend is not split by device"
    for k in ("posts", "impressions", "engagement_rate"):
        assert card["kpis"][k] is None and card["unavailable"][k] == "not split by channel or device"


def test_missing_tables_give_null_kpis_with_their_reason_and_every_id_stays_present():
    card = sc.scorecard(client_from_frames({"orders": kf.orders()}), **kf.MARCH)
    assert list(card["kpis"]) == list(sc.HEADLINE_KPIS) and list(card["breakdowns"]) == list(sc.BREAKDOWNS)
    assert card["kpis"]["orders"] == 4 and card["kpis"]["revenue"] == 200.0
    for k in ("sessions", "visitors", "conversion_rate", "median_days_to_purchase", "product_page_bounce_rate"):
        assert card["kpis"][k] is None and card["unavailable"][k] == "sessions table not provided"
    assert card["unavailable"]["carts"] == "carts table not provided"
    assert card["unavailable"]["engagement_rate"] == "social_posts table not provided"
    assert card["unavailable"]["break_even_cpa"].startswith("margin_rate not set")
    assert card["breakdowns"]["conversion_rate_by_channel"] is None
    assert card["breakdowns"]["top_zero_result_queries"] is None
    # every reason belongs to a null
    for k in card["unavailable"]:
        assert card["kpis"].get(k, card["breakdowns"].get(k)) is None, k


def test_without_sessions_the_cpa_by_channel_breakdown_is_null_with_its_reason():
    # 100 spent, 4 orders, but no session to tell which channel an order came from
    card = sc.scorecard(client_from_frames({"orders": kf.orders(), "ad_spend": kf.ad_spend()}), **kf.MARCH)
    assert card["kpis"]["cost_per_acquisition"] == 25.0  # 100 / 4 needs no channel
    assert card["breakdowns"]["cost_per_acquisition_by_channel"] is None
    assert "sessions" in card["unavailable"]["cost_per_acquisition_by_channel"]


def test_an_empty_period_has_zero_counts_and_null_rates_that_are_not_unavailable(shop):
    card = sc.scorecard(shop, start="2024-06-01", end="2024-06-30")
    for k in ("sessions", "orders", "carts", "searches", "posts"):
        assert card["kpis"][k] == 0, k
    for k in ("conversion_rate", "average_order_value", "cart_abandonment_rate", "engagement_rate", "roas",
              "cost_per_acquisition", "median_days_to_purchase", "zero_result_rate"):
        assert card["kpis"][k] is None, k
    assert card["unavailable"] == {}
    assert card["breakdowns"]["top_zero_result_queries"] == []


# --- default period ---------------------------------------------------------------------------

def _sessions_at(*starts: str):
    return client_from_frames({"sessions": pd.DataFrame({
        "session_id": [f"s{i}" for i in range(len(starts))], "visitor_id": "v", "started_at": list(starts)})})


def test_data_ending_on_the_last_day_of_a_month_makes_that_month_the_default():
    period = sc.default_period(_sessions_at("2024-02-10 10:00:00", "2024-03-31 23:30:00"))
    assert (str(period.start), str(period.end)) == ("2024-03-01", "2024-03-31")


def test_the_default_period_uses_the_client_local_date():
    # 2024-03-31T00:30+01:00 is 2024-03-30 23:30 UTC: in Paris, March is complete
    period = sc.default_period(_sessions_at("2024-02-10 10:00:00", "2024-03-31T00:30:00+01:00"))
    assert (str(period.start), str(period.end)) == ("2024-03-01", "2024-03-31")


def test_less_than_a_full_month_of_data_uses_the_whole_range():
    period = sc.default_period(_sessions_at("2024-03-05 10:00:00", "2024-03-20 10:00:00"))
    assert (str(period.start), str(period.end)) == ("2024-03-05", "2024-03-20")


def test_a_bad_date_is_a_clear_error(shop):
    with pytest.raises(KpiInputError, match="invalid start"):
        sc.scorecard(shop, start="2024-02-30", end="2024-03-31")


# --- the command line -------------------------------------------------------------------------

def _as_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number float columns (ints with a None) as nullable integers, so the CSV says 12, not 12.0."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "f" and col not in ("revenue", "spend", "shipping_fee"):
            out[col] = out[col].astype("Int64")
    return out


def _run(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kpi_helpers", "kpis", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Every command of this module, run in parallel once: {name: (exit status, stdout, stderr)}."""
    shop_dir = tmp_path_factory.mktemp("la-boutique")
    for name, frame in kf.shop_frames().items():
        _as_csv(frame).to_csv(shop_dir / f"{name}.csv", index=False)
    (shop_dir / "client.yml").write_text(yaml.safe_dump({"name": "la-boutique", "margin_rate": 0.4}), encoding="utf-8")
    runs = {
        "json": _run(shop_dir, "--format", "json"),
        "table": _run(shop_dir, "--format", "table"),
        "missing folder": _run(shop_dir.parent / "no-such-client"),
        "bad start": _run(shop_dir, "--start", "2024-02-30"),
        "start after end": _run(shop_dir, "--start", "2024-03-31", "--end", "2024-03-01"),
        "broken folder": _run(BROKEN),
    }
    out = {}
    for name, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=120)
        out[name] = (proc.returncode, stdout, stderr)
    return out


def test_the_command_prints_the_scorecard_as_json(cli):
    status, stdout, stderr = cli["json"]
    assert status == 0, stderr
    card = json.loads(stdout)
    assert set(card) == {"client", "period", "filters", "kpis", "unavailable", "breakdowns"}
    assert card["client"] == "la-boutique"
    assert card["period"] == {"start": "2024-03-01", "end": "2024-03-31", "timezone": "Europe/Paris"}
    assert card["kpis"] == pytest.approx(MARCH_KPIS)
    assert card["unavailable"] == {}
    assert card["breakdowns"]["days_to_purchase"] == DAYS
    assert card["breakdowns"]["top_zero_result_queries"] == [["echarpe laine", 2], ["parapluie", 1]]


def test_the_command_prints_the_scorecard_as_a_table(cli):
    status, stdout, stderr = cli["table"]
    assert status == 0, stderr
    assert "la-boutique" in stdout and "2024-03-01 .. 2024-03-31" in stdout
    for kpi_id in (*sc.HEADLINE_KPIS, *sc.BREAKDOWNS):
        assert kpi_id in stdout, kpi_id


@pytest.mark.parametrize("case, words", [
    ("missing folder", "client folder not found"),
    ("bad start", "invalid start"),
    ("start after end", "is after end"),
    ("broken folder", "required column is missing"),
])
def test_bad_input_exits_with_status_2_and_one_paragraph_without_traceback(cli, case, words):
    status, stdout, stderr = cli[case]
    assert status == 2, (stdout, stderr)
    assert words in stderr
    assert "Traceback" not in stderr
    assert "\n\n" not in stderr.strip()  # one paragraph
    assert stdout == ""
