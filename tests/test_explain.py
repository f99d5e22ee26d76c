"""What changed and why (kpi_helpers.explain): LMDI, contributions, mix and rate, tests, `kpi explain`.

The shop of tests/kpi_frames.py, March 2024 against its previous period (2024-01-30 .. 2024-02-29):

    previous: 1 session (s1, organic_search), 1 order o0 of 40 (in s1), visitor v1 who bought
    March:    7 sessions, 4 valid orders o1 60 (s3 paid_search), o2 30 (s4 paid_search),
              o3 90 (s8 direct), o5 20 (no session: unknown) = 200; visitors v1..v5, buyers v1 v2 v3

Revenue 40 -> 200 = 1 x 1 x 40 -> 7 x 4/7 x 50. L(200, 40) = 160 / ln 5 = 99.4137:
sessions 99.4137 ln 7 = 193.451, orders per session 99.4137 ln(4/7) = -55.633,
average order value 99.4137 ln 1.25 = 22.183; together 160.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpi_frames as kf
from kpi_helpers import KpiInputError, client_from_frames
from kpi_helpers import explain as ex
from realdata import requires_realdata  # the realdata_clients fixture comes from the plugin of conftest.py

ROOT = Path(__file__).resolve().parents[1]
MARCH = dict(start="2024-03-01", end="2024-03-31")
W = 160 / math.log(5)  # L(200, 40)


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


# --- the arithmetic ----------------------------------------------------------------------------

def test_the_logarithmic_mean_of_equal_numbers_is_that_number_and_otherwise_the_formula():
    assert ex.log_mean(3.0, 3.0) == 3.0
    assert ex.log_mean(2.0, 1.0) == pytest.approx(1 / math.log(2))
    assert ex.log_mean(1.0, 2.0) == ex.log_mean(2.0, 1.0)
    assert ex.log_mean(1.0 + 1e-12, 1.0) == pytest.approx(1.0)


def test_lmdi_on_small_numbers_by_hand():
    # 100 sessions x 2 % x 50 = 100 -> 120 sessions x 2.5 % x 40 = 120; L(120, 100) = 20 / ln 1.2
    effects = ex.lmdi({"sessions": 120, "per_session": 0.025, "basket": 40},
                      {"sessions": 100, "per_session": 0.02, "basket": 50})
    w = 20 / math.log(1.2)
    assert effects["sessions"] == pytest.approx(20.0, abs=1e-9)  # w ln 1.2
    assert effects["per_session"] == pytest.approx(w * math.log(1.25), abs=1e-9)  # +24.48
    assert effects["basket"] == pytest.approx(w * math.log(0.8), abs=1e-9)  # -24.48
    assert sum(effects.values()) == pytest.approx(20.0, abs=1e-9)


def test_lmdi_refuses_a_factor_of_zero_and_names_it():
    with pytest.raises(ValueError, match="per_session is 0.0 in the comparison period"):
        ex.lmdi({"sessions": 10, "per_session": 0.1}, {"sessions": 10, "per_session": 0.0})


def test_mix_and_rate_effects_by_hand():
    # A: 10/100 -> 15/150, B: 5/100 -> 2/50; shares .5 .5 -> .75 .25; ratio of sums .075 -> .085
    before = pd.DataFrame({"channel": ["A", "B"], "numerator": [10.0, 5.0], "denominator": [100.0, 100.0]})
    after = pd.DataFrame({"channel": ["A", "B"], "numerator": [15.0, 2.0], "denominator": [150.0, 50.0]})
    out = ex.mix_rate_effects(after, before, "channel").set_index("channel")
    assert out.loc["A", "mix_effect"] == pytest.approx(0.25 * 0.1)                # (.75 - .5)(.1 + .1)/2
    assert out.loc["B", "mix_effect"] == pytest.approx(-0.25 * 0.045)             # (.25 - .5)(.04 + .05)/2
    assert out.loc["A", "rate_effect"] == pytest.approx(0.0)
    assert out.loc["B", "rate_effect"] == pytest.approx(-0.01 * 0.375)            # (.04 - .05)(.25 + .5)/2
    assert (out["mix_effect"] + out["rate_effect"]).sum() == pytest.approx(0.01, abs=1e-12)


def test_a_group_present_in_one_period_only_contributes_only_through_the_mix():
    before = pd.DataFrame({"channel": ["A"], "numerator": [10.0], "denominator": [100.0]})
    after = pd.DataFrame({"channel": ["A", "B"], "numerator": [10.0, 10.0], "denominator": [100.0, 50.0]})
    out = ex.mix_rate_effects(after, before, "channel").set_index("channel")
    assert out.loc["B", "rate_effect"] == 0
    assert out.loc["B", "mix_effect"] == pytest.approx(50 / 150 * 0.2)
    with pytest.raises(ValueError, match="no denominator in the comparison period"):
        ex.mix_rate_effects(after, before.assign(denominator=0.0, numerator=0.0), "channel")


positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
factors = st.fixed_dictionaries({"sessions": positive, "orders_per_session": positive, "average_order_value": positive})


@settings(max_examples=300, deadline=None)
@given(factors, factors)
def test_lmdi_effects_add_up_to_the_change_and_swapping_the_periods_negates_them(now, before):
    effects = ex.lmdi(now, before)
    change = math.prod(now.values()) - math.prod(before.values())
    scale = max(1.0, abs(math.prod(now.values())), abs(math.prod(before.values())))
    assert sum(effects.values()) == pytest.approx(change, abs=1e-9 * scale)
    swapped = ex.lmdi(before, now)
    for name, effect in effects.items():
        assert swapped[name] == pytest.approx(-effect, rel=1e-9, abs=1e-12 * scale)


groups = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=5).map(
    lambda pairs: pd.DataFrame({"channel": [f"c{i}" for i in range(len(pairs))],
                                "numerator": [float(min(a, b)) for a, b in pairs],
                                "denominator": [float(b) for a, b in pairs]}))


@settings(max_examples=200, deadline=None)
@given(groups, groups)
def test_mix_and_rate_add_up_to_the_change_of_the_ratio_of_sums_and_swapping_negates_them(now, before):
    if now["denominator"].sum() == 0 or before["denominator"].sum() == 0:
        return
    out = ex.mix_rate_effects(now, before, "channel")
    change = now["numerator"].sum() / now["denominator"].sum() - before["numerator"].sum() / before["denominator"].sum()
    assert out["mix_effect"].sum() + out["rate_effect"].sum() == pytest.approx(change, abs=1e-12)
    back = ex.mix_rate_effects(before, now, "channel").set_index("channel").loc[out["channel"]]
    assert list(back["mix_effect"]) == pytest.approx(list(-out["mix_effect"]), abs=1e-12)
    assert list(back["rate_effect"]) == pytest.approx(list(-out["rate_effect"]), abs=1e-12)


# --- the figures of the shop -------------------------------------------------------------------

def test_the_revenue_decomposition_of_the_shop_by_hand(shop):
    df = ex.revenue_decomposition(shop, **MARCH).set_index("factor")
    assert df.attrs["revenue"] == 200 and df.attrs["comparison_revenue"] == 40 and df.attrs["change"] == 160
    assert list(df["value"]) == pytest.approx([7, 4 / 7, 50])
    assert list(df["comparison_value"]) == pytest.approx([1, 1, 40])
    assert df.loc["orders_per_session", ["numerator", "denominator"]].tolist() == [4, 7]
    assert df.loc["sessions", "effect"] == pytest.approx(W * math.log(7))          # 193.45
    assert df.loc["orders_per_session", "effect"] == pytest.approx(W * math.log(4 / 7))  # -55.63
    assert df.loc["average_order_value", "effect"] == pytest.approx(W * math.log(1.25))  # 22.18
    assert df["effect"].sum() == pytest.approx(160, abs=1e-9)
    assert "unavailable" not in df.attrs


def test_a_factor_of_zero_makes_the_decomposition_null_with_its_reason(shop):
    # the previous year (March 2023) has no session and no order
    df = ex.revenue_decomposition(shop, **MARCH, compare="previous_year")
    assert df["effect"].isna().all()
    assert df.attrs["unavailable"].startswith("no session in the comparison period")
    assert df.attrs["change"] == 200


def test_without_sessions_revenue_and_basket_are_known_but_not_decomposed():
    client = client_from_frames({"orders": kf.orders()})
    df = ex.revenue_decomposition(client, **MARCH)
    assert df["effect"].isna().all() and df.attrs["unavailable"] == "sessions table not provided"
    assert (df.attrs["revenue"], df.attrs["comparison_revenue"]) == (200, 40)
    assert df.set_index("factor").loc["average_order_value", ["value", "comparison_value"]].tolist() == [50, 40]
    card = ex.explain(client, **MARCH)
    assert card["revenue"]["change"] == 160 and card["revenue"]["effects"] is None
    assert card["summary"]["en"].split(". ")[1] == ("Without the sessions table, it cannot be split into sessions, "
                                                    "orders per session and average order value")


def test_without_orders_there_is_no_revenue_to_explain():
    client = client_from_frames({"sessions": kf.sessions()})
    df = ex.revenue_decomposition(client, **MARCH)
    assert math.isnan(df.attrs["revenue"]) and df.attrs["unavailable"] == "orders table not provided"


def test_contributions_by_channel_and_device_by_hand_with_orders_without_a_session_under_unknown(shop):
    df = ex.change_contributions(shop, by="channel", **MARCH).set_index("channel")
    assert df["revenue_change"].to_dict() == {"direct": 90.0, "email": 0.0, "organic_search": -40.0,
                                              "paid_search": 90.0, "unknown": 20.0}
    assert df["orders_change"].to_dict() == {"direct": 1.0, "email": 0.0, "organic_search": -1.0,
                                             "paid_search": 2.0, "unknown": 1.0}
    devices = ex.change_contributions(shop, by="device", **MARCH).set_index("device")
    assert devices["revenue_change"].sum() == 160 and devices.loc["unknown", "revenue_change"] == 20


def test_the_conversion_rate_mix_and_rate_effects_of_the_shop_by_hand(shop):
    # visitors by channel in March: organic v1 (0 bought there), paid v1 v2 v5 (v1 v2), direct v3 (v3),
    # email v4; o5 has no session: v3 is converted in the total but in no channel. Before: organic v1 1/1.
    df = ex.conversion_mix(shop, **MARCH)
    a = df.attrs
    assert (a["value"], a["comparison_value"]) == pytest.approx((0.6, 1.0))
    assert a["mix_effect"] == pytest.approx(1 / 12)   # -5/12 + 1/3 + 1/6 + 0
    assert a["rate_effect"] == pytest.approx(-7 / 12)  # organic: (0 - 1)(1/6 + 1)/2
    assert a["overlap_effect"] == pytest.approx(0.1)   # -0.4 - (3/6 - 1/1)
    assert a["mix_effect"] + a["rate_effect"] + a["overlap_effect"] == pytest.approx(a["change"], abs=1e-12)


def test_order_values_count_mean_and_sample_variance(shop):
    row = ex.order_values(shop, **MARCH).iloc[0]
    assert (row["orders"], row["mean"], row["variance"]) == pytest.approx((4, 50, 1000))  # 10² + 20² + 40² + 30² / 3
    one = ex.order_values(shop, start="2024-02-01", end="2024-02-29").iloc[0]
    assert one["orders"] == 1 and one["mean"] == 40 and math.isnan(one["variance"])


def test_the_tests_of_the_shop_are_too_few_to_judge_except_the_engagement_rate_on_3000_impressions(shop):
    df = ex.change_tests(shop, **MARCH).set_index("kpi")
    assert list(df.index) == list(ex.TESTED_KPIS)
    cr = df.loc["conversion_rate"]
    # 3/5 against 1/1: pooled 4/6, SE = sqrt(2/9 (1/5 + 1)), z = -0.4 / 0.5164
    assert cr["statistic"] == pytest.approx(-0.4 / math.sqrt(2 / 9 * 1.2))
    assert cr["p_value"] == pytest.approx(0.43858, abs=1e-5)
    assert (cr["low"], cr["high"]) == pytest.approx((0.2307, 0.8824), abs=1e-4)
    assert cr["verdict"] == "too_few" and cr["too_few"] and not cr["significant"]
    aov = df.loc["average_order_value"]
    assert aov["test"] == "welch_t" and math.isnan(aov["p_value"])
    assert aov["unavailable"] == "fewer than 2 values in one of the periods"
    assert df["too_few"].drop("engagement_rate").all()
    engagement = df.loc["engagement_rate"]  # 60 + 60 on 1000 + 2000 impressions against 10 on 500
    assert (engagement["denominator"], engagement["comparison_denominator"]) == (3000, 500)
    assert engagement["verdict"] == "noise" and not engagement["too_few"]


def test_a_rate_that_is_not_a_proportion_is_not_tested():
    posts = kf.social_posts().assign(likes=[10, 3000, 50, 40])  # 3000 + 10 likes on 1000 impressions
    client = client_from_frames({"social_posts": posts})
    df = ex.change_tests(client, kpis=["engagement_rate"], **MARCH).set_index("kpi")
    assert df.loc["engagement_rate", "test"] is None
    assert df.loc["engagement_rate", "unavailable"].startswith("not a proportion")


def test_every_helper_needs_a_comparison(shop):
    for fn in (ex.revenue_decomposition, ex.change_contributions, ex.conversion_mix, ex.change_tests):
        with pytest.raises(KpiInputError, match="needs a comparison period"):
            fn(shop, **MARCH, compare=None)


# --- contributions add up, on random shops ---------------------------------------------------

DAYS = ["2024-01-29", "2024-02-10", "2024-02-29", "2024-03-01", "2024-03-31", "2024-04-01"]
CHANNELS, DEVICES = ["email", "paid_search", "direct"], ["desktop", "mobile"]


@st.composite
def two_period_shops(draw) -> dict[str, pd.DataFrame]:
    n = draw(st.integers(0, 8))
    sessions = pd.DataFrame({
        "session_id": [f"s{i}" for i in range(n)],
        "visitor_id": draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)),
        "started_at": [f"{d} 12:00:00" for d in draw(st.lists(st.sampled_from(DAYS), min_size=n, max_size=n))],
        "channel": draw(st.lists(st.sampled_from(CHANNELS), min_size=n, max_size=n)),
        "device": draw(st.lists(st.sampled_from(DEVICES), min_size=n, max_size=n)),
    })
    m = draw(st.integers(0, 8))
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(m)],
        "customer_id": draw(st.lists(st.sampled_from(["x", "y"]), min_size=m, max_size=m)),
        "ordered_at": [f"{d} 13:00:00" for d in draw(st.lists(st.sampled_from(DAYS), min_size=m, max_size=m))],
        "revenue": draw(st.lists(st.integers(0, 300).map(float), min_size=m, max_size=m)),
        "session_id": draw(st.lists(st.sampled_from([None, *sessions["session_id"]]), min_size=m, max_size=m)),
        "status": draw(st.lists(st.sampled_from([None, "cancelled"]), min_size=m, max_size=m)),
    })
    return {"sessions": sessions, "orders": orders}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_period_shops())
def test_contributions_add_up_to_the_total_change_of_revenue_and_orders(frames):
    client = client_from_frames(frames)
    total = ex.revenue_decomposition(client, **MARCH)
    orders = total.set_index("factor").loc["orders_per_session"]
    for by in ("channel", "device"):
        df = ex.change_contributions(client, by=by, **MARCH)
        assert df["revenue_change"].sum() == pytest.approx(total.attrs["change"], abs=1e-9)
        assert df["orders_change"].sum() == pytest.approx(orders["numerator"] - orders["comparison_numerator"], abs=1e-9)
    effects = total["effect"]
    if effects.notna().all():
        assert effects.sum() == pytest.approx(total.attrs["change"], abs=1e-9)


# --- explain() and the command ---------------------------------------------------------------

def test_explain_has_the_documented_json_shape(shop):
    card = ex.explain(shop, **MARCH)
    assert list(card) == ["client", "period", "comparison", "filters", "revenue", "contributions", "conversion_rate",
                          "tests", "summary", "unavailable"]
    assert card["comparison"] == {"compare": "previous_period", "start": "2024-01-30", "end": "2024-02-29"}
    assert set(card["revenue"]["effects"]) == set(ex.FACTORS)
    assert sum(card["revenue"]["effects"].values()) == pytest.approx(card["revenue"]["change"], abs=1e-9)
    assert card["contributions"]["channel"]["unknown"] == {"revenue": 20.0, "orders": 1.0}
    assert set(card["conversion_rate"]) >= {"mix_effect", "rate_effect"}
    test = card["tests"]["conversion_rate"]
    assert set(test) >= {"value", "previous", "interval", "previous_interval", "p_value", "significant", "too_few"}
    assert test["too_few"] is True and test["significant"] is False
    assert card["tests"]["average_order_value"]["p_value"] is None
    assert card["unavailable"]["tests.average_order_value.p_value"] == "fewer than 2 values in one of the periods"
    assert card["summary"]["fr"].startswith("Le chiffre d'affaires progresse de 400,0\u00a0% (+160\u00a0€)")
    assert card["summary"]["en"].startswith("Revenue rises by 400.0% (+€160)")
    json.dumps(card, allow_nan=False)


def test_explain_without_dates_explains_the_last_full_month(shop):
    assert ex.explain(shop)["period"]["start"] == "2024-03-01"


def test_a_channel_or_device_not_in_the_data_is_a_clear_error(shop):
    with pytest.raises(KpiInputError, match="channel 'seo' is not in this client's sessions"):
        ex.explain(shop, **MARCH, channel="seo")
    with pytest.raises(KpiInputError, match="device 'watch'"):
        ex.explain(shop, **MARCH, device="watch")


def test_a_segment_filter_on_a_client_without_sessions_gives_nulls_with_their_reason():
    client = client_from_frames({"social_posts": kf.social_posts()})
    card = ex.explain(client, **MARCH, channel="email")
    assert card["tests"]["engagement_rate"] is None
    assert card["unavailable"]["tests.engagement_rate"] == "not split by channel or device"
    assert card["summary"]["en"] == "Not enough data to compare the two periods."


def test_a_segment_filter_explains_the_segment(shop):
    card = ex.explain(shop, **MARCH, channel="paid_search")
    assert card["filters"] == {"channel": "paid_search", "device": None}
    assert list(card["contributions"]["channel"]) == ["paid_search"]
    assert card["revenue"]["value"] == 90 and card["revenue"]["effects"] is None
    assert card["unavailable"]["revenue.effects"].startswith("no session in the comparison period")


def _run(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kpi_helpers", "explain", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Every command of this module, run in parallel once: {name: (exit status, stdout, stderr)}."""
    folder = tmp_path_factory.mktemp("la-boutique")
    for name, frame in kf.shop_frames().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "client.yml").write_text(yaml.safe_dump({"name": "la-boutique"}), encoding="utf-8")
    runs = {
        "json": _run(folder),
        "table": _run(folder, "--format", "table", "--compare", "previous_year"),
        "bad date": _run(folder, "--start", "2024-02-30", "--end", "2024-03-31"),
        "bad compare": _run(folder, "--compare", "last_week"),
        "unknown channel": _run(folder, "--channel", "seo"),
        "missing folder": _run(folder.parent / "no-such-client"),
    }
    out = {}
    for name, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=120)
        out[name] = (proc.returncode, stdout, stderr)
    return out


def test_the_command_prints_the_explanation_as_json(cli):
    status, stdout, stderr = cli["json"]
    assert status == 0, stderr
    card = json.loads(stdout)
    assert card["client"] == "la-boutique" and card["period"]["start"] == "2024-03-01"
    assert card["revenue"]["effects"]["sessions"] == pytest.approx(W * math.log(7))


def test_the_command_prints_a_table(cli):
    status, stdout, stderr = cli["table"]
    assert status == 0, stderr
    assert "compared with 2023-03-01 .. 2023-03-31 (previous_year)" in stdout
    assert "no session in the comparison period" in stdout and "summary (fr): " in stdout


@pytest.mark.parametrize("case, words", [
    ("bad date", "invalid start"),
    ("bad compare", "invalid choice: 'last_week'"),
    ("unknown channel", "channel 'seo' is not in this client's sessions"),
    ("missing folder", "client folder not found"),
])
def test_bad_input_exits_with_status_2_and_a_clear_message(cli, case, words):
    status, stdout, stderr = cli[case]
    assert status == 2, (stdout, stderr)
    assert words in stderr and "Traceback" not in stderr and stdout == ""


# --- in the notebooks: the scorecard's marks and the exercises ---------------------------------

@pytest.fixture(scope="module")
def ctx(shop):
    import datetime as dt

    from kpi_helpers.notebook import Context

    return Context(shop, dt.date(2024, 3, 1), dt.date(2024, 3, 31), "previous_period")


def test_the_scorecard_tables_mark_each_tested_change_with_its_verdict(ctx):
    from kpi_helpers.notebook import kpi_table

    tests = ex.change_tests(ctx.client, compare=ctx.compare, **ctx.kw)
    table = kpi_table(ctx, ["sessions", "conversion_rate", "engagement_rate"], tests=tests).set_index("Indicateur")
    assert table.loc["Visites", "Évolution"] == "+600,0\u00a0%"  # a count: no test, no mark
    assert table.loc["Taux de conversion (visiteurs)", "Évolution"].endswith(" (trop peu)")  # 5 and 1 visitors
    assert table.loc["Taux d'engagement", "Évolution"].endswith(" (bruit)")  # 3000 and 500 impressions
    assert "(" not in kpi_table(ctx, ["conversion_rate"]).iloc[0]["Évolution"]  # without tests, no mark


def test_the_overview_exercises_are_checked_against_the_decomposition_and_the_test(ctx):
    from kpi_helpers.exercises import EXERCISES

    basket = EXERCISES["overview-basket-effect"]
    assert basket.is_correct(22.2, ctx) and basket.is_correct("22,18", ctx)  # W ln 1.25
    assert not basket.is_correct(193.5, ctx)  # the sessions' effect
    p_value = EXERCISES["overview-conversion-p-value"]
    assert p_value.is_correct("0,44", ctx) and not p_value.is_correct(0.05, ctx)
    assert not basket.is_correct(22.2, ctx.replace(compare=None))  # nothing to explain without a comparison


# --- on the real public datasets -----------------------------------------------------------------

REALDATA_SOURCES = ("ga360", "ga4", "online_retail", "rees46", "online_shoppers", "facebook_posts", "facebook_ads")


@requires_realdata
@pytest.mark.parametrize("source", REALDATA_SOURCES)
def test_explain_on_every_real_data_client_adds_up_and_says_something(source, realdata_clients):
    card = ex.explain(realdata_clients[source])
    json.dumps(card, allow_nan=False)
    rev = card["revenue"]
    if rev and rev["effects"]:
        assert sum(rev["effects"].values()) == pytest.approx(rev["change"], rel=1e-9, abs=1e-6)
    for by, groups in card["contributions"].items():
        if groups and rev:
            assert sum(g["revenue"] for g in groups.values()) == pytest.approx(rev["change"], rel=1e-9, abs=1e-6)
    for test in filter(None, card["tests"].values()):
        assert test["verdict"] in ("significant", "noise", "too_few", "untested")
        assert test["p_value"] is None or 0 <= test["p_value"] <= 1
    for language in ("fr", "en"):
        assert card["summary"][language] and not re.search(r"-\d|\(–\)|nan", card["summary"][language])
