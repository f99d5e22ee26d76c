"""The synthetic client generator (the kpi_helpers.sample package) and the committed sample clients.

The committed clients are checked as a demanding analyst would: contract columns, unique ids,
consistent references, and every deliberate edge case documented in data/sample/README.md.
"""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_helpers import sample
from kpi_helpers.sample import PROFILE_KEYS, PROFILES, generate_client, main

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
TZ = "Europe/Paris"

#: The parameters each committed client was generated with (also written in data/sample/README.md).
COMMITTED = {
    "maison-lune": {"profile": "fashion", "sessions": 50_000, "seed": 47, "fmt": "csv.gz"},
    "bureau-direct": {"profile": "b2b_office", "sessions": 25_000, "seed": 12, "fmt": "parquet"},
    "atelier-brume": {"profile": "social_only", "seed": 3, "fmt": "xlsx"},
}
OUTAGES = {"maison-lune": "2025-06-12", "bureau-direct": "2025-11-05"}

# shared/spec/data-contract.md: required columns, then every column the contract names
REQUIRED = {
    "sessions": {"session_id", "visitor_id", "started_at"},
    "orders": {"order_id", "customer_id", "ordered_at", "revenue"},
    "carts": {"cart_id", "created_at", "visitor_id"},
    "ad_spend": {"date", "channel", "spend"},
    "social_posts": {"post_id", "platform", "published_at", "likes", "comments"},
    "searches": {"searched_at", "session_id", "query"},
}
CONTRACT = {
    "sessions": REQUIRED["sessions"] | {"channel", "device", "landing_page", "pageviews", "platform",
                                        "landing_page_title", "bounced", "source", "medium", "campaign",
                                        "customer_id"},
    "orders": REQUIRED["orders"] | {"session_id", "visitor_id", "shipping", "tax", "status", "items"},
    "carts": REQUIRED["carts"] | {"session_id", "value", "shipping_fee", "order_id"},
    "ad_spend": REQUIRED["ad_spend"] | {"campaign", "clicks", "impressions", "currency"},
    "social_posts": REQUIRED["social_posts"] | {"impressions", "reach", "views", "shares", "saves",
                                                "followers", "format"},
    "searches": REQUIRED["searches"] | {"results_count"},
}
IDS = {"sessions": "session_id", "orders": "order_id", "carts": "cart_id", "social_posts": "post_id"}
TIME = {"sessions": "started_at", "orders": "ordered_at", "carts": "created_at", "searches": "searched_at",
        "social_posts": "published_at"}
PAID = {"paid_search", "paid_social", "price_comparator", "display", "affiliate"}


def read_table(path: Path) -> pd.DataFrame:
    """A table file as the kit's contract reads it: ids stay text, empty cells are missing."""
    name = path.name
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if name.endswith(".xlsx"):
        return pd.read_excel(path, dtype=str)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def read_client(folder: Path) -> dict[str, pd.DataFrame]:
    """Every table of a client folder, by table name."""
    return {p.name.split(".")[0]: read_table(p) for p in sorted(folder.iterdir()) if p.name != "client.yml"}


def local(values: pd.Series) -> pd.Series:
    """Timestamps as naive local (Europe/Paris) wall-clock times, whatever their stored form."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(TZ).dt.tz_localize(None)
    text = values.astype(str)
    if text.str.contains(r"[+-]\d\d:\d\d$").all():
        return pd.to_datetime(text, utc=True).dt.tz_convert(TZ).dt.tz_localize(None)
    return pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S")


def num(values: pd.Series) -> pd.Series:
    """Numbers from a column read as text or as numbers."""
    return pd.to_numeric(values)


def channel_of(sessions: pd.DataFrame) -> pd.Series:
    """The session channel: the column when present, else from the raw medium/source."""
    if "channel" in sessions:
        return sessions["channel"]
    from kpi_helpers.channels import derive_channel

    return pd.Series([derive_channel(s, m, c) for s, m, c in
                      zip(sessions["source"], sessions["medium"], sessions["campaign"])], index=sessions.index)


@pytest.fixture(scope="module")
def clients() -> dict[str, dict[str, pd.DataFrame]]:
    return {name: read_client(SAMPLE_DIR / name) for name in COMMITTED}


def web_clients() -> list[str]:
    return ["maison-lune", "bureau-direct"]


# ----------------------------------------------------------------------------------------------
# Committed samples: reproducible, small, documented


@pytest.mark.parametrize("name", list(COMMITTED))
def test_committed_sample_is_reproducible_from_its_seed(name, tmp_path):
    generate_client(tmp_path / name, **COMMITTED[name])
    committed, fresh = SAMPLE_DIR / name, tmp_path / name
    assert sorted(p.name for p in committed.iterdir()) == sorted(p.name for p in fresh.iterdir())
    for path in sorted(committed.iterdir()):
        other = fresh / path.name
        if path.name.endswith(".csv.gz"):
            assert gzip.decompress(path.read_bytes()) == gzip.decompress(other.read_bytes()), path.name
        elif path.name.endswith(".parquet"):
            assert pq.read_table(path).equals(pq.read_table(other)), path.name
        elif path.name.endswith(".xlsx"):
            pd.testing.assert_frame_equal(pd.read_excel(path, dtype=str), pd.read_excel(other, dtype=str))
        else:
            assert path.read_bytes() == other.read_bytes(), path.name


def test_readme_records_the_generation_command_of_each_sample():
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    for name, params in COMMITTED.items():
        command = f"python -m kpi_helpers sample data/sample/{name} --profile {params['profile']}"
        if "sessions" in params:
            command += f" --sessions {params['sessions']}"
        command += f" --seed {params['seed']} --format {params['fmt']}"
        assert command in readme, command


@pytest.mark.parametrize("name", list(COMMITTED))
def test_each_committed_sample_is_under_5_mb(name):
    assert sum(p.stat().st_size for p in (SAMPLE_DIR / name).iterdir()) < 5_000_000


@pytest.mark.parametrize("name", list(COMMITTED))
def test_every_table_has_the_required_contract_columns_and_no_other(name, clients):
    for table, frame in clients[name].items():
        assert REQUIRED[table] <= set(frame.columns), table
        assert set(frame.columns) <= CONTRACT[table], table


@pytest.mark.parametrize("name", list(COMMITTED))
def test_ids_are_unique_in_every_table(name, clients):
    for table, column in IDS.items():
        if table in clients[name]:
            ids = clients[name][table][column]
            assert ids.notna().all() and ids.is_unique, table


def test_client_yml_gives_name_timezone_currency_margin_rate_and_language():
    for name, params in COMMITTED.items():
        settings_ = yaml.safe_load((SAMPLE_DIR / name / "client.yml").read_text(encoding="utf-8"))
        assert settings_["timezone"] == TZ and settings_["currency"] == "EUR" and settings_["language"] == "fr"
        assert 0 < settings_["margin_rate"] < 1
        assert settings_["name"] == PROFILES[params["profile"]]["client_name"]
    b2b = yaml.safe_load((SAMPLE_DIR / "bureau-direct" / "client.yml").read_text(encoding="utf-8"))
    assert b2b["margin_rate"] == 0.30 and re.search(b2b["product_page_pattern"], "/p/ramette-papier-a4-80g")


def test_bureau_direct_has_source_medium_campaign_and_bounced_but_no_channel(clients):
    b2b, fashion = clients["bureau-direct"]["sessions"], clients["maison-lune"]["sessions"]
    assert "channel" not in b2b and {"source", "medium", "campaign", "bounced"} <= set(b2b.columns)
    assert "channel" in fashion and "bounced" not in fashion
    assert not (b2b["bounced"] & (b2b["pageviews"] > 1)).any()
    assert set(channel_of(b2b)) == set(sample.CHANNELS)


def test_atelier_brume_has_only_instagram_and_facebook_posts(clients):
    assert set(clients["atelier-brume"]) == {"social_posts"}
    posts = clients["atelier-brume"]["social_posts"]
    assert 400 <= len(posts) <= 600
    assert set(posts["platform"]) == {"instagram", "facebook"}
    assert set(posts["format"]) <= {"image", "carousel", "reel", "video", "link"}


# ----------------------------------------------------------------------------------------------
# References and consistency


@pytest.mark.parametrize("name", web_clients())
def test_orders_reference_existing_sessions_except_the_sessionless_ones(name, clients):
    orders, sessions = clients[name]["orders"], clients[name]["sessions"]
    web = orders["session_id"].notna()
    assert orders.loc[web, "session_id"].isin(sessions["session_id"]).all()
    assert (~web).sum() >= 5  # phone or showroom orders
    assert orders.loc[~web, "visitor_id"].isna().all()
    joined = orders[web].merge(sessions, on="session_id", suffixes=("", "_s"))
    assert (joined["visitor_id"] == joined["visitor_id_s"]).all()
    delay = (local(joined["ordered_at"]) - local(joined["started_at"])).dt.total_seconds()
    assert delay.min() > 0 and delay.median() < 30 * 60


@pytest.mark.parametrize("name", web_clients())
def test_carts_and_orders_agree_on_value_shipping_and_vat(name, clients):
    carts, orders = clients[name]["carts"], clients[name]["orders"]
    converted = carts[carts["order_id"].notna()]
    assert converted["order_id"].is_unique and converted["order_id"].isin(orders["order_id"]).all()
    web_orders = orders[orders["session_id"].notna()]
    assert set(web_orders["order_id"]) == set(converted["order_id"])
    both = converted.merge(orders, on="order_id", suffixes=("_cart", ""))
    assert np.allclose(num(both["value"]) + num(both["shipping_fee"]), num(both["revenue"]))
    assert (num(both["shipping_fee"]) == num(both["shipping"])).all()
    assert (both["session_id_cart"] == both["session_id"]).all()
    revenue, tax = num(orders["revenue"]), num(orders["tax"])
    assert (abs(tax - revenue / 6) <= 0.011).all()  # French VAT 20 % included
    assert set(orders["status"]) == {"paid", "shipped", "cancelled", "refunded"}
    assert (num(orders["items"]) >= 1).all()


@pytest.mark.parametrize("name", web_clients())
def test_cancelled_and_refunded_orders_exist(name, clients):
    status = clients[name]["orders"]["status"].value_counts()
    assert status["cancelled"] >= 5 and status["refunded"] >= 5
    assert status["shipped"] > 0.85 * status.sum()


@pytest.mark.parametrize("name", web_clients())
def test_shipping_fee_raises_cart_abandonment(name, clients):
    carts = clients[name]["carts"]
    abandoned = carts["order_id"].isna().groupby(num(carts["shipping_fee"])).mean()
    assert abandoned.is_monotonic_increasing and abandoned.index[0] == 0


# ----------------------------------------------------------------------------------------------
# Deliberate edge cases


@pytest.mark.parametrize("name", web_clients())
def test_the_outage_day_has_no_sessions_orders_carts_or_searches(name, clients):
    day = pd.Timestamp(OUTAGES[name])
    for table in ("sessions", "orders", "carts", "searches"):
        days = local(clients[name][table][TIME[table]]).dt.normalize()
        assert not (days == day).any(), table
    sessions_days = local(clients[name]["sessions"]["started_at"]).dt.normalize()
    assert (sessions_days == day - pd.Timedelta(days=1)).any() and (sessions_days == day + pd.Timedelta(days=1)).any()


@pytest.mark.parametrize("name", web_clients())
def test_display_brings_sessions_but_no_orders(name, clients):
    sessions, orders = clients[name]["sessions"], clients[name]["orders"]
    display = sessions.loc[channel_of(sessions) == "display", "session_id"]
    assert len(display) > 500
    assert not orders["session_id"].isin(display).any()


def test_customer_ids_keep_their_leading_zeros(clients):
    customers = clients["maison-lune"]["orders"]["customer_id"]
    assert customers.str.fullmatch(r"\d{7}").all() and customers.str.startswith("000").mean() > 0.9
    assert clients["bureau-direct"]["sessions"]["session_id"].str.fullmatch(r"0\d{9}").all()


@pytest.mark.parametrize("name", web_clients())
def test_customers_come_back_and_some_use_two_devices(name, clients):
    orders, sessions = clients[name]["orders"], clients[name]["sessions"]
    good = orders[~orders["status"].isin(["cancelled", "refunded"])]
    repeat = (good["customer_id"].value_counts() > 1).mean()
    assert repeat > (0.4 if name == "bureau-direct" else 0.12)
    devices = orders.dropna(subset=["visitor_id"]).groupby("customer_id")["visitor_id"].nunique()
    assert (devices >= 2).sum() >= 10
    logged = sessions.dropna(subset=["customer_id"])
    assert len(logged) > 0 and logged["customer_id"].isin(orders["customer_id"]).all()
    assert (sessions["visitor_id"].value_counts() > 1).mean() > 0.2


def test_naive_timestamps_avoid_the_spring_forward_gap_and_use_the_repeated_autumn_hour(clients):
    fashion = clients["maison-lune"]
    for table in ("sessions", "orders", "carts", "searches"):
        text = fashion[table][TIME[table]]
        assert text.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
        assert not text.str.match(r"2025-03-30 02:|2026-03-29 02:").any(), table
    started = fashion["sessions"]["started_at"]
    for day in ("2025-03-30", "2025-10-26", "2026-03-29", "2026-10-25"):
        assert started.str.match(rf"{day} 0[1-3]:").sum() >= 2, day
    assert started.str.match(r"2025-10-26 02:|2026-10-25 02:").sum() >= 2  # ambiguous wall-clock hour
    ordered = fashion["orders"]["ordered_at"]
    assert ordered.str.match(r"2025-03-30 03:|2026-03-29 03:").any()


@pytest.mark.parametrize("name", web_clients())
def test_some_orders_fall_just_before_or_after_local_midnight_at_month_ends(name, clients):
    orders, sessions = clients[name]["orders"], clients[name]["sessions"]
    at = local(orders["ordered_at"])
    last_day = at.dt.is_month_end & (at.dt.hour == 23) & (at.dt.minute >= 40)
    first_day = (at.dt.day == 1) & (at.dt.hour == 0) & (at.dt.minute < 40)
    assert last_day.sum() >= 5 and first_day.sum() >= 10
    joined = orders.merge(sessions[["session_id", "started_at"]], on="session_id")
    crossing = local(joined["ordered_at"]).dt.normalize() > local(joined["started_at"]).dt.normalize()
    assert crossing.sum() >= 10


def test_timestamps_are_stored_naive_utc_or_with_offsets_depending_on_the_client(clients):
    assert isinstance(clients["bureau-direct"]["sessions"]["started_at"].dtype, pd.DatetimeTZDtype)
    published = clients["atelier-brume"]["social_posts"]["published_at"]
    assert published.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+]0[12]:00").all()
    instants = pd.to_datetime(published, utc=True)
    expected = instants.dt.tz_convert(TZ).map(lambda t: t.strftime("%z")).str.replace(r"(\d\d)$", r":\1", regex=True)
    assert (published.str[-6:] == expected).all()


@pytest.mark.parametrize("name", ["maison-lune", "atelier-brume"])
def test_instagram_posts_from_april_2025_have_views_but_no_impressions(name, clients):
    posts = clients[name]["social_posts"]
    ig = posts[posts["platform"] == "instagram"]
    after = local(ig["published_at"]) >= pd.Timestamp("2025-04-01")
    assert after.sum() > 100 and (~after).sum() > 20
    assert ig.loc[after, "impressions"].isna().all() and ig.loc[after, "views"].notna().all()
    assert ig.loc[~after, "impressions"].notna().all()
    facebook = posts[posts["platform"] == "facebook"]
    assert facebook["impressions"].notna().all()


@pytest.mark.parametrize("name", web_clients())
def test_zero_result_queries_exist_and_unknown_results_counts_are_null_not_zero(name, clients):
    searches = clients[name]["searches"]
    results = num(searches["results_count"])
    known = results.notna()
    assert 0.05 < (results[known] == 0).mean() < 0.25
    unknown = searches.loc[~known, "query"].str.strip().str.lower()
    assert len(unknown) > 20
    # the unknown counts hit queries that do have results: missing means unknown, not zero
    has_results = set(searches.loc[results > 0, "query"].str.strip().str.lower())
    assert unknown.isin(has_results).mean() > 0.5


def test_search_queries_have_case_space_accent_and_typo_variants(clients):
    fashion = set(clients["maison-lune"]["searches"]["query"])
    assert {"robe lin", "Robe  Lin ", "écharpe", "echarpe", "pantalon velour"} <= fashion
    b2b = set(clients["bureau-direct"]["searches"]["query"])
    assert {"cartouche hp 302", "agrafeuse electrique", "agrafeuse électrique"} <= b2b


# ----------------------------------------------------------------------------------------------
# Realism: patterns an analyst expects


def test_fashion_mobile_brings_most_sessions_but_converts_and_spends_less(clients):
    sessions, orders = clients["maison-lune"]["sessions"], clients["maison-lune"]["orders"]
    good = orders[~orders["status"].isin(["cancelled", "refunded"])]
    joined = sessions.merge(good[["session_id", "revenue"]], on="session_id", how="left")
    by = joined.groupby("device").agg(sessions=("session_id", "size"), orders=("revenue", "count"),
                                      aov=("revenue", lambda r: num(r).mean()))
    assert by.loc["mobile", "sessions"] > 2 * by.loc["desktop", "sessions"]
    cr = by["orders"] / by["sessions"]
    assert cr["mobile"] < cr["desktop"] and by.loc["mobile", "aov"] < by.loc["desktop", "aov"]
    assert 60 < num(good["revenue"]).mean() < 90
    evening = local(sessions["started_at"]).dt.hour.between(19, 23)
    assert evening[sessions["device"] == "mobile"].mean() > evening[sessions["device"] == "desktop"].mean()


def test_b2b_traffic_is_desktop_weekday_office_hours_with_an_august_dip(clients):
    sessions, orders = clients["bureau-direct"]["sessions"], clients["bureau-direct"]["orders"]
    at = local(sessions["started_at"])
    assert (sessions["device"] == "desktop").mean() > 0.6
    assert (at.dt.day_of_week >= 5).mean() < 0.1
    assert at[sessions["device"] == "desktop"].dt.hour.between(8, 18).mean() > 0.85
    per_day = at.dt.normalize().value_counts()
    assert per_day[per_day.index.month == 8].mean() < 0.75 * per_day[per_day.index.month == 3].mean()
    good = orders[~orders["status"].isin(["cancelled", "refunded"])]
    assert 200 < num(good["revenue"]).mean() < 300


@pytest.mark.parametrize("name", web_clients())
def test_ad_spend_covers_the_paid_channels_and_their_session_campaigns(name, clients):
    spend, sessions = clients[name]["ad_spend"], clients[name]["sessions"]
    assert set(spend["channel"]) == PAID and set(spend["currency"]) == {"EUR"}
    assert (num(spend["spend"]) >= 0).all()
    paid = sessions[channel_of(sessions).isin(PAID)]
    assert set(paid["campaign"]) == set(spend["campaign"])
    assert num(spend["clicks"]).sum() > len(paid)  # cookie consent: not every click is a session


# ----------------------------------------------------------------------------------------------
# The generator itself


def _generate(folder: Path, **kwargs) -> dict[str, pd.DataFrame]:
    generate_client(folder, **kwargs)
    return read_client(folder)


def test_small_generation_is_deterministic_for_a_seed_and_differs_for_another_seed(tmp_path):
    a = _generate(tmp_path / "a", profile="fashion", sessions=2000, seed=11, fmt="parquet")
    b = _generate(tmp_path / "b", profile="fashion", sessions=2000, seed=11, fmt="parquet")
    c = _generate(tmp_path / "c", profile="fashion", sessions=2000, seed=12, fmt="parquet")
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert len(a["sessions"]) == len(c["sessions"]) == 2000
    assert not a["sessions"]["started_at"].equals(c["sessions"]["started_at"])


def test_chunk_boundaries_keep_ids_unique_and_do_not_change_the_content(tmp_path):
    whole = _generate(tmp_path / "whole", profile="b2b_office", sessions=3000, seed=5, fmt="parquet")
    generate_client(tmp_path / "chunks", profile="b2b_office", sessions=3000, seed=5, fmt="parquet",
                    chunk_sessions=97)
    assert pq.ParquetFile(tmp_path / "chunks" / "sessions.parquet").num_row_groups > 10
    chunked = read_client(tmp_path / "chunks")
    for table, column in IDS.items():
        if table in chunked:
            assert chunked[table][column].is_unique, table
    for table in whole:
        pd.testing.assert_frame_equal(whole[table], chunked[table])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=st.sampled_from(["fashion", "b2b_office"]), seed=st.integers(0, 10**6),
       sessions=st.integers(1, 1500), fmt=st.sampled_from(["csv", "parquet"]))
def test_any_generation_keeps_references_and_contract_types(profile, seed, sessions, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        t = _generate(Path(tmp) / "c", profile=profile, sessions=sessions, seed=seed, fmt=fmt,
                      start="2025-03-01", end="2025-04-30")
    s, o, c, q = t["sessions"], t["orders"], t["carts"], t["searches"]
    assert len(s) == sessions and s["session_id"].is_unique and o["order_id"].is_unique
    assert (num(s["pageviews"]) >= 1).all()
    assert o["session_id"].dropna().isin(s["session_id"]).all()
    assert c["session_id"].isin(s["session_id"]).all() and q["session_id"].isin(s["session_id"]).all()
    assert c["order_id"].dropna().isin(o["order_id"]).all()
    assert (num(q["results_count"]).dropna() >= 0).all()
    assert (num(o["revenue"]) >= num(o["shipping"])).all()
    days = local(s["started_at"]).dt.normalize()
    assert days.min() >= pd.Timestamp("2025-03-01") and days.max() <= pd.Timestamp("2025-04-30")
    ordered = local(o["ordered_at"]).dt.normalize()
    assert ordered.empty or ordered.max() <= pd.Timestamp("2025-04-30")


def test_every_format_writes_one_file_per_table(tmp_path):
    for fmt in sample.FORMATS:
        counts = generate_client(tmp_path / fmt, profile="fashion", sessions=300, seed=1, fmt=fmt,
                                 start="2025-01-01", end="2025-01-31")
        names = sorted(p.name for p in (tmp_path / fmt).iterdir())
        assert names == sorted(["client.yml"] + [f"{t}.{fmt}" for t in counts]), fmt
        assert counts["sessions"] == 300


def test_xlsx_refuses_a_table_longer_than_an_excel_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(sample.writers, "_XLSX_MAX_ROWS", 100)
    with pytest.raises(ValueError, match="do not fit in an Excel sheet"):
        generate_client(tmp_path / "x", profile="fashion", sessions=500, fmt="xlsx",
                        start="2025-01-01", end="2025-01-31")


@pytest.mark.parametrize("kwargs, message", [
    ({"profile": "grocery"}, "unknown profile"),
    ({"fmt": "json"}, "unknown format"),
    ({"profile": "social_only", "sessions": 10}, "no sessions table"),
    ({"start": "2025-02-01", "end": "2025-01-01"}, "before start"),
    ({"sessions": 0}, "at least 1"),
])
def test_generate_client_rejects_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_client(tmp_path / "x", **kwargs)


def test_main_writes_a_folder_and_prints_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "new"), "--profile", "social_only", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "social_posts" in out
    assert (tmp_path / "new" / "social_posts.csv").is_file()


def test_main_refuses_a_folder_that_is_not_empty_with_exit_status_2(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("keep me")
    assert main([str(tmp_path / "full"), "--profile", "social_only"]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["notes.txt"]


def test_every_profile_parameter_is_documented():
    for name, profile in PROFILES.items():
        assert set(profile) <= set(PROFILE_KEYS), name
