"""Internal site search: searches, search rate, zero-result rate and queries, search to purchase.

Shop, March 2024:
    searched in  query               results   (session channel; order in the session?)
    s2           "Chaussure"         12        organic_search; no
    s3           "  Écharpe  LAINE " 0         paid_search; yes (o1)
    s5           "echarpe laine"     0         direct; no
    s5           "sac"               unknown   direct; no
    s7           "parapluie"         0         paid_search; no
    s8           "chaussure"         3         direct; yes (o3)
Sessions without a search: s4 (paid_search), s6 (email).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import kpi_frames as kf
from kpi_helpers import client_from_frames
from kpi_helpers import search as se

MARCH = kf.MARCH


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


def test_searches_counts_the_searches_of_the_period(shop):
    assert kf.value(se.searches(shop, **MARCH)) == 6


def test_search_rate_is_sessions_with_a_search_among_sessions(shop):
    # s2 s3 s5 s7 s8 of s2..s8 -> 5/7
    assert kf.value(se.search_rate(shop, **MARCH)) == pytest.approx(5 / 7)


def test_zero_result_rate_ignores_searches_with_an_unknown_result_count(shop):
    # known: 12, 0, 0, 0, 3 ("sac" is unknown, not zero) -> 3/5, not 3/6 and not 4/6
    df = se.zero_result_rate(shop, **MARCH)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (3, 5)


def test_search_to_purchase_rate_is_searching_sessions_with_an_order(shop):
    # searched: s2 s3 s5 s7 s8; with a valid order: s3 (o1), s8 (o3) -> 2/5
    assert kf.value(se.search_to_purchase_rate(shop, **MARCH)) == pytest.approx(2 / 5)


def test_top_zero_result_queries_groups_spellings_in_normal_form(shop):
    # "  Écharpe  LAINE " and "echarpe laine" -> "echarpe laine" 2 (2 spellings); "parapluie" 1
    df = se.top_zero_result_queries(shop, **MARCH)
    assert df["query"].tolist() == ["echarpe laine", "parapluie"]
    assert df["searches"].tolist() == [2, 1]
    assert df["variants"].tolist() == [2, 1]


def test_zero_result_queries_are_shown_as_most_often_typed_and_keyed_by_their_normal_form(shop):
    # a tie between "  Écharpe  LAINE " and "echarpe laine" goes to the spelling with accents,
    # its spaces collapsed; the key stays the normal form
    df = se.top_zero_result_queries(shop, **MARCH)
    assert df["spelling"].tolist() == ["Écharpe LAINE", "parapluie"]
    assert df["query"].tolist() == ["echarpe laine", "parapluie"]


def test_the_most_frequent_spelling_wins_whatever_its_accents():
    raw = pd.DataFrame({"query": ["robe de mariee", "robe de mariée", "Robe de mariée", "robe  de mariée"],
                        "n": [5, 3, 1, 2]})
    raw["norm"] = raw["query"].map(se.normalize_query)
    assert se.most_frequent_spelling(raw) == {"robe de mariee": "robe de mariée"}  # 3 + 2 typed so, against 5


# --- segments and breakdowns -------------------------------------------------------------------

def test_a_channel_filter_keeps_the_searches_made_in_that_channel(shop):
    # direct: s5 "echarpe laine" 0, s5 "sac" unknown, s8 "chaussure" 3 -> 3 searches, zero rate 1/2
    kw = dict(MARCH, channel="direct")
    assert kf.value(se.searches(shop, **kw)) == 3
    assert kf.value(se.zero_result_rate(shop, **kw)) == pytest.approx(1 / 2)
    assert kf.value(se.search_rate(shop, **kw)) == 1.0  # s5 s8 both searched
    assert se.top_zero_result_queries(shop, **kw)["query"].tolist() == ["echarpe laine"]


def test_search_rate_by_channel(shop):
    # organic s2 -> 1/1; paid s3 s7 of s3 s4 s7 -> 2/3; direct s5 s8 -> 2/2; email s6 -> 0/1
    got = kf.by_key(se.search_rate(shop, **MARCH, by="channel"), "channel")
    assert got == pytest.approx({"organic_search": 1.0, "paid_search": 2 / 3, "direct": 1.0, "email": 0.0})


def test_searches_by_channel_add_up_to_all_searches(shop):
    # organic s2 -> 1; paid s3 s7 -> 2; direct s5 s5 s8 -> 3; email 0 -> total 6
    got = kf.by_key(se.searches(shop, **MARCH, by="channel"), "channel")
    assert {k: v for k, v in got.items() if v} == {"organic_search": 1, "paid_search": 2, "direct": 3}


def test_zero_result_rate_by_device(shop):
    # desktop: s2 12, s5 0, s5 unknown, s8 3 -> 1/3; mobile: s3 0 -> 1/1; tablet: s7 0 -> 1/1
    got = kf.by_key(se.zero_result_rate(shop, **MARCH, by="device"), "device")
    assert got == pytest.approx({"desktop": 1 / 3, "mobile": 1.0, "tablet": 1.0})


def test_search_to_purchase_rate_by_channel(shop):
    # paid: s3 (ordered) s7 -> 1/2; direct: s5, s8 (ordered) -> 1/2; organic: s2 -> 0/1; email: no search -> null
    got = kf.by_key(se.search_to_purchase_rate(shop, **MARCH, by="channel"), "channel")
    assert {k: got[k] for k in ("paid_search", "direct", "organic_search")} == pytest.approx(
        {"paid_search": 0.5, "direct": 0.5, "organic_search": 0.0})
    assert math.isnan(got["email"])


def test_a_daily_series_of_searches_has_zero_days(shop):
    # 03-01 1, 03-02 1, 03-03 2, 03-04 0
    got = kf.series(se.searches(shop, start="2024-03-01", end="2024-03-04", freq="D"))
    assert got == {"2024-03-01": 1, "2024-03-02": 1, "2024-03-03": 2, "2024-03-04": 0}


# --- empty, unknown, missing -------------------------------------------------------------------

def test_an_empty_period_has_no_search_and_null_rates(shop):
    kw = dict(start="2024-06-01", end="2024-06-30")
    assert kf.value(se.searches(shop, **kw)) == 0
    for fn in (se.search_rate, se.zero_result_rate, se.search_to_purchase_rate):
        assert math.isnan(kf.value(fn(shop, **kw))), fn.__name__
    assert se.top_zero_result_queries(shop, **kw).empty


def _searches(results_count) -> pd.DataFrame:
    n = len(results_count)
    return pd.DataFrame({"searched_at": "2024-03-04 10:00:00", "session_id": [f"s{i}" for i in range(n)],
                         "query": [f"q{i}" for i in range(n)], "results_count": results_count})


def test_a_missing_results_count_is_unknown_not_zero():
    # 0, unknown, unknown -> 1 zero among 1 known = 1.0 (not 1/3); only q0 is a zero-result query
    client = client_from_frames({"searches": _searches([0, None, None])})
    df = se.zero_result_rate(client, **MARCH)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (1, 1)
    assert se.top_zero_result_queries(client, **MARCH)["query"].tolist() == ["q0"]


def test_a_zero_result_rate_with_only_unknown_counts_is_null():
    df = se.zero_result_rate(client_from_frames({"searches": _searches([None, None])}), **MARCH)
    assert math.isnan(kf.value(df))


def test_without_a_results_count_column_the_zero_result_kpis_are_unavailable():
    client = client_from_frames({"searches": _searches([1, 2]).drop(columns="results_count")})
    df = se.zero_result_rate(client, **MARCH)
    assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "searches.results_count column not provided"
    assert se.top_zero_result_queries(client).attrs["unavailable"] == "searches.results_count column not provided"
    assert kf.value(se.searches(client, **MARCH)) == 2  # counting searches still works


def test_without_sessions_the_search_rate_is_unavailable():
    df = se.search_rate(client_from_frames({"searches": _searches([0])}), **MARCH)
    assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "sessions table not provided"


# --- normal form and the top list ------------------------------------------------------------

def test_queries_are_normalized_by_accents_case_width_and_spaces():
    # all five are "echarpe": accent, upper case, surrounding spaces, a combining accent, full-width letters;
    # "Straße" and "STRASSE" case-fold to "strasse"
    queries = ["Écharpe", "ECHARPE", "  écharpe ", "e\u0301charpe", "Ｅｃｈａｒｐｅ", "Straße", "STRASSE"]
    client = client_from_frames({"searches": pd.DataFrame({
        "searched_at": "2024-03-04 10:00:00", "session_id": "s1", "query": queries, "results_count": 0})})
    df = se.top_zero_result_queries(client)
    assert list(zip(df["query"], df["searches"])) == [("echarpe", 5), ("strasse", 2)]
    assert se.normalize_query("  Écharpe \t LAINE ") == "echarpe laine"


def test_the_top_list_keeps_the_20_most_frequent_queries_ties_by_query():
    # "zz" searched 3 times, then 21 queries once each: "zz" first, then q00..q18 (alphabetical), q19 q20 cut
    queries = ["zz", "zz", "zz"] + [f"q{i:02d}" for i in range(21)]
    client = client_from_frames({"searches": pd.DataFrame({
        "searched_at": "2024-03-04 10:00:00", "session_id": "s1", "query": queries, "results_count": 0})})
    df = se.top_zero_result_queries(client)
    assert len(df) == 20
    assert df["query"].tolist() == ["zz"] + [f"q{i:02d}" for i in range(19)]
