"""Importers: each real dataset becomes a client folder that follows the data contract.

Every importer runs once per session (``realdata_clients``); the expected numbers are recomputed
here with pandas directly from the source files, independently of the importers' code. Tests
that need the datasets are skipped with a clear reason when ../shared/realdata is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from realdata import (FACEBOOK_ADS_DATE, REALDATA_DIR, realdata_clients,  # noqa: F401
                      realdata_imports, requires_realdata)

from kpi_helpers.contract import TABLES
from kpi_helpers.importers import (DATASET_FOLDERS, IMPORTERS, SourceDataError,
                                   import_facebook_posts, main)

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")

#: Tables each importer writes.
EXPECTED_TABLES = {
    "ga360": {"sessions", "orders", "carts"},
    "ga4": {"sessions", "orders", "searches"},
    "online_retail": {"orders"},
    "rees46": {"sessions", "orders", "carts"},
    "online_shoppers": {"sessions"},
    "facebook_posts": {"social_posts"},
    "facebook_ads": {"ad_spend"},
}
EXPECTED_SETTINGS = {
    "ga360": ("America/Los_Angeles", "USD"),
    "ga4": ("UTC", "USD"),
    "online_retail": ("Europe/London", "GBP"),
    "rees46": ("UTC", "USD"),
    "online_shoppers": ("UTC", "EUR"),
    "facebook_posts": ("UTC", "EUR"),
    "facebook_ads": ("UTC", "USD"),
}
#: Required cells allowed to be empty: the brief says missing likes stay missing (1 post).
ALLOWED_EMPTY_REQUIRED: set[tuple[str, str, str]] = set()


# ---------------------------------------------------------------------------------------------
# helpers

def src(source: str, name: str) -> Path:
    return REALDATA_DIR / DATASET_FOLDERS[source] / name


def table_files(folder: Path) -> dict[str, Path]:
    return {p.name.split(".")[0]: p for p in folder.iterdir()
            if p.name.endswith((".csv", ".parquet"))}


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """A written table as pandas: CSV cells as text (empty = missing), parquet as typed."""
    path = table_files(folder)[name]
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def timestamps(series: pd.Series) -> pd.Series:
    """UTC datetimes of a written timestamp column (CSV text with offset, or parquet tz-aware)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC")
    return pd.to_datetime(series, format="ISO8601", utc=True)


def assert_follows_contract(source: str, name: str, df: pd.DataFrame, is_csv: bool) -> None:
    spec = TABLES[name]
    assert set(spec.required) <= set(df.columns), f"{source}/{name}: required column missing"
    assert set(df.columns) <= set(spec.names), f"{source}/{name}: column not in the contract"
    assert len(df) > 0
    for col in df.columns:
        c = spec.column(col)
        values = df[col].dropna()
        where = f"{source}/{name}.{col}"
        if c.required and (source, name, col) not in ALLOWED_EMPTY_REQUIRED:
            assert df[col].notna().all(), f"{where}: empty required cells"
        if c.unique:
            assert df[col].is_unique, f"{where}: duplicated ids"
        if c.type in ("id", "str"):
            assert pd.api.types.is_string_dtype(df[col]), where
            assert (values.str.len() > 0).all(), where
            assert not values.str.fullmatch(r"\d+\.0").any(), f"{where}: float-formatted ids"
        elif c.type == "timestamp":
            if is_csv:
                assert values.str.match(ISO_WITH_OFFSET).all(), f"{where}: not ISO 8601 + offset"
            else:
                assert isinstance(df[col].dtype, pd.DatetimeTZDtype), where
            assert timestamps(values).notna().all(), where
        elif c.type == "date":
            assert values.str.fullmatch(r"\d{4}-\d\d-\d\d").all(), where
        elif c.type in ("int", "float"):
            numbers = pd.to_numeric(values)
            if c.type == "int":
                assert (numbers == numbers.round()).all(), f"{where}: not whole numbers"
            if c.min is not None:
                assert (numbers >= c.min).all(), f"{where}: below {c.min}"
        elif c.type == "bool":
            if is_csv:
                assert set(values) <= {"True", "False"}, where
            else:
                assert df[col].dtype == bool, where


# ---------------------------------------------------------------------------------------------
# every importer

@requires_realdata
@pytest.mark.parametrize("source", sorted(IMPORTERS))
class TestEveryImporter:
    def test_writes_exactly_its_tables_with_contract_columns_and_types(self, source,
                                                                     realdata_imports):
        folder, rows = realdata_imports[source]
        files = table_files(folder)
        assert set(files) == EXPECTED_TABLES[source]
        assert set(rows) == EXPECTED_TABLES[source]
        for name, path in files.items():
            df = read_table(folder, name)
            assert len(df) == rows[name], f"{source}/{name}: returned row count differs"
            assert_follows_contract(source, name, df, is_csv=path.suffix == ".csv")

    def test_writes_client_yml_and_a_provenance_naming_publisher_and_license(self, source,
                                                                             realdata_clients):
        folder = realdata_clients[source]
        settings = dict(line.split(": ", 1) for line in
                        (folder / "client.yml").read_text(encoding="utf-8").splitlines())
        timezone, currency = EXPECTED_SETTINGS[source]
        assert settings["timezone"] == f'"{timezone}"'
        assert settings["currency"] == f'"{currency}"'
        assert settings["language"] == '"en"' and settings["name"]
        provenance = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
        readme = src(source, "README.md").read_text(encoding="utf-8")
        for label in ("**Original publisher.**", "**License as stated.**"):
            assert label in provenance
            # the publisher and license paragraphs start as in the dataset's README
            stated = readme.split(label, 1)[1].strip().split("\n")[0][:60]
            assert stated in provenance, f"{source}: {label} not copied from the README"


# ---------------------------------------------------------------------------------------------
# per source: counts recomputed from the source files

@pytest.fixture(scope="module")
def ga360_source():
    ids = {"fullVisitorId": str, "visitId": str}
    sessions = pd.read_csv(src("ga360", "sessions.csv"), dtype=ids)
    hits = pd.read_csv(src("ga360", "hits.csv.gz"), dtype=ids)
    for df in (sessions, hits):
        df["sid"] = df["fullVisitorId"] + "-" + df["visitId"]
    return sessions, hits


@requires_realdata
class TestGa360:
    def test_one_session_per_ga_session_with_leading_zero_visitor_ids_kept(self, realdata_clients,
                                                                          ga360_source):
        out = read_table(realdata_clients["ga360"], "sessions")
        nested = pq.read_table(src("ga360", "ga_sessions_20170801.parquet"),
                               columns=["fullVisitorId"]).column("fullVisitorId").to_pylist()
        assert len(out) == len(nested) == 2556
        assert set(out["visitor_id"]) == set(nested)
        assert out["visitor_id"].str.startswith("0").sum() == sum(v.startswith("0") for v in nested)
        sessions, _ = ga360_source
        started = timestamps(out["started_at"])
        assert started.min() == pd.Timestamp(sessions["visitStartTime"].min(), unit="s", tz="UTC")
        assert (out["bounced"] == "True").sum() == sessions["totals_bounces"].eq(1).sum()
        assert pd.to_numeric(out["pageviews"]).sum() == sessions["totals_pageviews"].sum()
        assert out["channel"].value_counts()["organic_social"] == (
            sessions["channelGrouping"] == "Social").sum()

    def test_one_order_per_distinct_transaction_with_the_hits_revenue(self, realdata_clients,
                                                                      ga360_source):
        orders = read_table(realdata_clients["ga360"], "orders")
        sessions = read_table(realdata_clients["ga360"], "sessions")
        _, hits = ga360_source
        recorded = hits[hits["transaction_transactionRevenue"].notna()]
        assert len(orders) == recorded["transaction_transactionId"].nunique() == 43
        assert pd.to_numeric(orders["revenue"]).sum() == pytest.approx(
            recorded["transaction_transactionRevenue"].sum() / 1e6)
        assert set(orders["session_id"]) <= set(sessions["session_id"])
        assert (orders["customer_id"] == orders["visitor_id"]).all()

    def test_one_cart_per_session_with_add_to_cart_linked_to_its_sessions_order(
            self, realdata_clients, ga360_source):
        carts = read_table(realdata_clients["ga360"], "carts")
        _, hits = ga360_source
        with_add = set(hits.loc[hits["eCommerceAction_action_type"] == 3, "sid"])
        with_tx = set(hits.loc[hits["transaction_transactionId"].notna(), "sid"])
        assert set(carts["session_id"]) == with_add
        assert set(carts.loc[carts["order_id"].notna(), "session_id"]) == with_add & with_tx


@pytest.fixture(scope="module")
def ga4_events():
    ids = {"user_pseudo_id": str, "param_ga_session_id": str, "param_transaction_id": str}
    return pd.read_csv(src("ga4", "events_flat.csv.gz"), dtype=ids)


@requires_realdata
class TestGa4:
    def test_sessions_are_the_distinct_user_and_ga_session_pairs(self, realdata_clients,
                                                                 ga4_events):
        out = read_table(realdata_clients["ga4"], "sessions")
        pairs = ga4_events[["user_pseudo_id", "param_ga_session_id"]].drop_duplicates()
        assert len(out) == len(pairs) == 20705
        # ids such as 71706603.2631255790 keep their trailing zero
        assert set(out["visitor_id"]) == set(ga4_events["user_pseudo_id"])
        assert out["visitor_id"].str.endswith("0").any()
        # a medium that was not sampled (or is obfuscated) is an unknown channel, not direct
        unknown_medium = out["medium"].isna() | out["medium"].isin(["<Other>", "(data deleted)"])
        assert (out.loc[unknown_medium, "channel"] == "unknown").all()
        assert (out.loc[out["medium"] == "(none)", "channel"] == "direct").all()
        assert (out.loc[out["medium"] == "cpc", "channel"] == "paid_search").all()

    def test_orders_are_distinct_transaction_ids_with_their_value(self, realdata_clients,
                                                                  ga4_events):
        orders = read_table(realdata_clients["ga4"], "orders")
        buys = ga4_events[(ga4_events["event_name"] == "purchase")
                      & ga4_events["param_transaction_id"].notna()]
        first = buys.drop_duplicates("param_transaction_id")
        assert len(orders) == buys["param_transaction_id"].nunique() == 569
        assert pd.to_numeric(orders["revenue"]).sum() == pytest.approx(first["param_value"].sum())
        assert "tax" not in orders.columns

    def test_searches_are_the_search_result_events_with_unknown_result_counts(
            self, realdata_clients, ga4_events):
        searches = read_table(realdata_clients["ga4"], "searches")
        assert len(searches) == (ga4_events["event_name"] == "view_search_results").sum() == 144
        assert "results_count" not in searches.columns  # unknown, never 0


@pytest.fixture(scope="module")
def retail_lines():
    df = pd.read_csv(src("online_retail", "online_retail_customers_mod3.csv.gz"),
                     dtype={"InvoiceNo": str, "CustomerID": str})
    df["amount"] = df["Quantity"] * df["UnitPrice"]
    df["cancel"] = df["InvoiceNo"].str.startswith("C")
    return df


@requires_realdata
class TestOnlineRetail:
    def test_one_order_per_invoice_and_cancellations_flagged(self, realdata_clients,
                                                             retail_lines):
        orders = read_table(realdata_clients["online_retail"], "orders")
        assert len(orders) == retail_lines["InvoiceNo"].nunique() == 7635
        cancelled = orders["status"] == "cancelled"
        cancel_lines = retail_lines[retail_lines["cancel"]]
        assert cancelled.sum() == cancel_lines["InvoiceNo"].nunique() == 1266
        assert orders.loc[cancelled, "order_id"].str.startswith("C").all()
        assert orders.loc[~cancelled, "status"].isna().all()

    def test_revenue_of_sales_equals_the_sum_of_their_lines_and_none_is_negative(
            self, realdata_clients, retail_lines):
        orders = read_table(realdata_clients["online_retail"], "orders")
        revenue = pd.to_numeric(orders["revenue"])
        sales = orders["status"].isna()
        assert (revenue >= 0).all()
        amount, cancel = retail_lines["amount"], retail_lines["cancel"]
        assert revenue[sales].sum() == pytest.approx(amount[~cancel].sum())
        assert revenue[~sales].sum() == pytest.approx(-amount[cancel].sum())

    def test_customer_ids_are_integers_as_text_and_times_carry_the_london_offset(
            self, realdata_clients, retail_lines):
        orders = read_table(realdata_clients["online_retail"], "orders")
        assert orders["customer_id"].str.fullmatch(r"\d+").all()
        assert set(orders["customer_id"]) == set(retail_lines["CustomerID"])
        first = orders.set_index("order_id").loc["536365", "ordered_at"]
        assert first == "2010-12-01T08:26:00+00:00"
        assert set(orders["ordered_at"].str[-6:]) == {"+00:00", "+01:00"}  # GMT and BST


@requires_realdata
class TestRees46:
    def test_sessions_orders_and_carts_match_the_event_counts(self, realdata_clients):
        events = pd.read_csv(src("rees46", "events_2019-10-01_0000-0250UTC.csv.gz"),
                             dtype={"user_id": str, "user_session": str})
        folder = realdata_clients["rees46"]
        sessions, orders, carts = (read_table(folder, t) for t in ("sessions", "orders", "carts"))
        buys = events[events["event_type"] == "purchase"]
        adds = events[events["event_type"] == "cart"]
        assert len(sessions) == events["user_session"].nunique() == 5066
        assert len(orders) == buys["user_session"].nunique() == 200
        assert pd.to_numeric(orders["revenue"]).sum() == pytest.approx(buys["price"].sum())
        assert pd.to_numeric(orders["items"]).sum() == len(buys)
        assert len(carts) == adds["user_session"].nunique() == 118
        converted = set(adds["user_session"]) & set(buys["user_session"])
        assert set(carts["order_id"].dropna()) == converted and len(converted) == 65
        assert timestamps(sessions["started_at"]).min() == pd.Timestamp("2019-10-01", tz="UTC")


@requires_realdata
class TestOnlineShoppers:
    def test_one_session_per_row_in_its_month_and_weekend_and_no_orders(self, realdata_clients):
        source = pd.read_csv(src("online_shoppers", "online_shoppers_intention.csv"))
        folder = realdata_clients["online_shoppers"]
        out = read_table(folder, "sessions")
        assert len(out) == len(source) == 12330
        assert (out["session_id"] == out["visitor_id"]).all()
        started = timestamps(out["started_at"])
        months = started.dt.strftime("%b").replace({"Jun": "June"})
        assert (months.values == source["Month"].values).all()
        assert ((started.dt.day_of_week >= 5).values == source["Weekend"].values).all()
        assert set(table_files(folder)) == {"sessions"}


@requires_realdata
class TestFacebook:
    def test_posts_fill_missing_counts_from_the_sources_total_and_keep_month_weekday_hour(self, realdata_clients):
        source = pd.read_csv(src("facebook_posts", "dataset_Facebook.csv"))
        posts = read_table(realdata_clients["facebook_posts"], "social_posts")
        assert len(posts) == len(source) == 500
        assert posts["post_id"].iloc[0] == "001"
        # 1 missing like and 4 missing shares in the source, derived from Total Interactions (all 0)
        assert source["like"].isna().sum() == 1 and source["share"].isna().sum() == 4
        assert posts["likes"].notna().all() and posts["shares"].notna().all()
        missing = source["like"].isna() | source["share"].isna()
        assert (pd.to_numeric(posts.loc[missing.values, "likes"]).fillna(-1) >= 0).all()
        total = pd.to_numeric(posts["likes"]) + pd.to_numeric(posts["comments"]) + pd.to_numeric(posts["shares"])
        assert (total.values == source["Total Interactions"].values).all()
        assert pd.to_numeric(posts["impressions"]).sum() == (
            source["Lifetime Post Total Impressions"].sum())
        assert posts["format"].value_counts().to_dict() == {
            "image": 426, "status": 45, "link": 22, "video": 7}
        at = timestamps(posts["published_at"])
        assert (at.dt.year == 2014).all()
        assert (at.dt.month.values == source["Post Month"].values).all()
        assert (at.dt.hour.values == source["Post Hour"].values).all()
        # source weekday 1 = Sunday .. 7 = Saturday
        assert (((at.dt.day_of_week + 1) % 7 + 1).values == source["Post Weekday"].values).all()

    def test_ad_spend_sums_the_ads_of_each_campaign_on_the_given_date(self, realdata_clients):
        source = pd.read_csv(src("facebook_ads", "KAG_conversion_data.csv"))
        spend = read_table(realdata_clients["facebook_ads"], "ad_spend")
        assert len(spend) == source["fb_campaign_id"].nunique() == 691
        assert set(spend["date"]) == {FACEBOOK_ADS_DATE}
        assert set(spend["channel"]) == {"paid_social"}
        assert pd.to_numeric(spend["spend"]).sum() == pytest.approx(source["Spent"].sum())
        assert pd.to_numeric(spend["clicks"]).sum() == source["Clicks"].sum()
        assert pd.to_numeric(spend["impressions"]).sum() == source["Impressions"].sum()
        assert spend["campaign"].str.fullmatch(r"\d+/\d+").all()


# ---------------------------------------------------------------------------------------------
# command line and bad input

@requires_realdata
def test_kpi_import_writes_a_folder_and_refuses_to_overwrite_it(tmp_path, capsys):
    from kpi_helpers.cli import main as kpi

    out = tmp_path / "fb"
    assert kpi(["import", "facebook_posts", str(src("facebook_posts", "")), str(out)]) == 0
    assert "social_posts 500 rows" in capsys.readouterr().out
    assert main(["facebook_posts", str(src("facebook_posts", "")), str(out)]) == 2
    assert "not empty" in capsys.readouterr().err


@requires_realdata
def test_facebook_ads_needs_a_date_and_others_refuse_one(tmp_path, capsys):
    ads = str(src("facebook_ads", ""))
    assert main(["facebook_ads", ads, str(tmp_path / "a")]) == 2
    assert "--date" in capsys.readouterr().err
    assert main(["facebook_ads", ads, str(tmp_path / "a"), "--date", "2024-02-30"]) == 2
    assert main(["ga4", ads, str(tmp_path / "b"), "--date", "2024-01-15"]) == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_missing_source_folder_or_file_is_a_clear_error_without_traceback(tmp_path, capsys):
    assert main(["ga360", str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "source folder not found" in err and "Traceback" not in err
    assert main(["online_retail", str(tmp_path), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "online_retail_customers_mod3.csv.gz" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_unknown_source_is_rejected_with_status_2(tmp_path, capsys):
    assert main(["matomo", str(tmp_path), str(tmp_path / "out")]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_source_column_missing_or_unexpected_value_names_file_and_column(tmp_path):
    folder = tmp_path / "fb"
    folder.mkdir()
    header = ("Page total likes,Type,Post Month,Post Weekday,Post Hour,"
              "Lifetime Post Total Reach,Lifetime Post Total Impressions,comment,like,share,"
              "Total Interactions")
    (folder / "dataset_Facebook.csv").write_text(header.replace(",share", "") + "\n")
    with pytest.raises(SourceDataError, match=r"dataset_Facebook\.csv: missing column\(s\) share"):
        import_facebook_posts(folder, tmp_path / "out1")
    (folder / "dataset_Facebook.csv").write_text(header + "\n100,Reel,1,1,1,1,1,0,0,0,0\n")
    with pytest.raises(SourceDataError, match=r"column Type has \['Reel'\]"):
        import_facebook_posts(folder, tmp_path / "out2")


def test_a_small_posts_file_maps_every_column_as_documented(tmp_path):
    folder = tmp_path / "fb"
    folder.mkdir()
    (folder / "dataset_Facebook.csv").write_text(
        "Page total likes,Type,Post Month,Post Weekday,Post Hour,Lifetime Post Total Reach,"
        "Lifetime Post Total Impressions,comment,like,share,Total Interactions\n"
        "1000,Video,3,1,9,50,80,2,,,2\n"      # 1 = Sunday: first Sunday of March 2014 is the 2nd
        "990,Status,3,7,23,40,60,0,5,,8\n"    # 7 = Saturday: the 1st
        "980,Link,4,2,0,10,20,1,,,4\n")       # like + share = 3: not determined, stays missing
    rows = import_facebook_posts(folder, tmp_path / "out", derive_missing_from_total=False)
    posts = read_table(tmp_path / "out", "social_posts")
    assert rows == {"social_posts": 3}
    assert posts["published_at"].tolist() == ["2014-03-02T09:00:00+00:00",
                                              "2014-03-01T23:00:00+00:00",
                                              "2014-04-07T00:00:00+00:00"]
    assert posts["post_id"].tolist() == ["001", "002", "003"]
    assert posts["format"].tolist() == ["video", "status", "link"]
    assert posts["followers"].tolist() == ["1000", "990", "980"]
    assert posts["likes"].isna().tolist() == [True, False, True]  # missing stays missing
    assert posts["shares"].isna().tolist() == [True, True, True]
    import_facebook_posts(folder, tmp_path / "derived", derive_missing_from_total=True)
    derived = read_table(tmp_path / "derived", "social_posts")
    assert derived["likes"].iloc[:2].tolist() == ["0", "5"]  # total 2 - comment 2; given
    assert derived["shares"].iloc[:2].tolist() == ["0", "3"]  # 0; total 8 - comment 0 - like 5
    assert derived[["likes", "shares"]].iloc[2].isna().all()


def test_every_imported_real_client_passes_the_kits_own_validation(realdata_clients):
    from kpi_helpers import load_client

    for source, folder in realdata_clients.items():
        client = load_client(folder)
        assert client.tables, source
        assert all(n > 0 for n in client.summary()["rows"]), source
