"""kpi sample DIR --as-exports: a sample client as its tools' raw exports, then imported back.

The exports and the contract folder are generated with the same arguments, so importing the
exports must give back the contract's orders, the Google and Meta ad spend with the same channels
(the channel rules line up with the sessions' channels) and the posts; the scorecard of the
imported folder is checked against totals computed here from the raw files.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpi_helpers.cli import main as kpi
from kpi_helpers.importers.exports import recognise
from kpi_helpers.loading import load_client
from kpi_helpers.sample import generate_client, generate_exports

ARGS = {"sessions": 4000, "seed": 5, "start": "2025-03-01", "end": "2025-04-30"}


@pytest.fixture(scope="module")
def fashion(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("fashion")
    generate_exports(base / "exports", profile="fashion", **ARGS)
    generate_client(base / "contract", profile="fashion", fmt="parquet", **ARGS)
    assert kpi(["import", str(base / "exports"), "--into", str(base / "client")]) == 0
    return base


def contract(base: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(base / "contract" / f"{table}.parquet")


def imported(base: Path, table: str) -> pd.DataFrame:
    return load_client(base / "client").table(table).to_pandas()


def test_every_file_is_recognised_as_the_export_of_its_tool(fashion):
    names = {f.name: recognise(f).NAME for f in (fashion / "exports").iterdir()}
    assert names == {
        "orders_export_1.csv": "shopify", "Rapport_campagnes_Google_Ads.csv": "google_ads",
        "Meta_Ads_rapport_campagnes.xlsx": "meta_ads",
        "instagram_publications_2025-03-01_2025-03-31.csv": "business_suite",
        "instagram_publications_2025-04-01_2025-04-30.csv": "business_suite",
        "facebook_posts_2025-03-01_2025-03-31.csv": "business_suite",
        "facebook_posts_2025-04-01_2025-04-30.csv": "business_suite",
    }
    assert (fashion / "exports" / "Rapport_campagnes_Google_Ads.csv").read_bytes()[:2] == b"\xff\xfe"  # CSV Excel


def test_the_imported_orders_are_the_sample_s_orders(fashion):
    want = contract(fashion, "orders").assign(order_id=lambda d: "#" + d["order_id"]).set_index("order_id")
    got = imported(fashion, "orders").set_index("order_id").loc[want.index]
    assert (got["ordered_at"] == want["ordered_at"]).all()
    for col in ("revenue", "shipping", "tax"):
        assert got[col].round(2).tolist() == want[col].round(2).tolist(), col
    assert got["items"].tolist() == want["items"].tolist()
    status = want["status"].replace({"shipped": "paid"})
    assert got["status"].tolist() == status.tolist()


def test_google_and_meta_spend_come_back_with_the_sample_s_channels(fashion):
    got = imported(fashion, "ad_spend")
    got["date"] = got["date"].astype(str)
    want = contract(fashion, "ad_spend")
    want["date"] = want["date"].astype(str)
    want = want[want["campaign"].isin(set(got["campaign"]))]
    key = ["date", "campaign"]
    merged = want.merge(got, on=key, suffixes=("_sample", "_imported"), validate="one_to_one")
    assert len(merged) == len(got) == len(want) > 100
    assert (merged["channel_sample"] == merged["channel_imported"]).all()  # CPA by channel lines up
    assert (merged["spend_sample"].round(2) == merged["spend_imported"]).all()
    assert set(got["channel"]) == {"paid_search", "price_comparator", "display", "paid_social"}
    assert not got["campaign"].str.contains("Bing|idealo|criteo|awin", case=False).any()  # no export format


def test_the_posts_come_back_with_impressions_before_april_2025_and_views_after(fashion):
    want = contract(fashion, "social_posts").set_index("post_id")
    got = imported(fashion, "social_posts").set_index("post_id").loc[want.index]
    assert (got[["likes", "comments"]].to_numpy() == want[["likes", "comments"]].to_numpy()).all()
    march = got["published_at"] < pd.Timestamp("2025-04-01", tz="Europe/Paris")
    assert got.loc[march, "impressions"].notna().all() and got.loc[~march, "impressions"].isna().all()
    assert (got.loc[~march & want["views"].notna(), "views"] == want.loc[~march & want["views"].notna(), "views"]).all()


def test_the_scorecard_of_the_imported_sample_matches_the_raw_files(fashion, capsys):
    shopify = list(csv.DictReader((fashion / "exports" / "orders_export_1.csv").open(encoding="utf-8")))
    first = {}
    for r in shopify:
        first.setdefault(r["Name"], r)
    kept = [o for o in first.values() if o["Financial Status"] == "paid" and o["Created at"][:7] == "2025-04"]
    google = (fashion / "exports" / "Rapport_campagnes_Google_Ads.csv").read_text(encoding="utf-16")
    rows = list(csv.DictReader(io.StringIO("\n".join(google.splitlines()[2:])), delimiter="\t"))
    spend = sum(float(r["Coût"].replace("\u202f", "").replace(",", ".")) for r in rows
                if r["Jour"].startswith("2025-04"))
    sheet = load_workbook(fashion / "exports" / "Meta_Ads_rapport_campagnes.xlsx").active
    spend += sum(r[5] for r in sheet.iter_rows(min_row=2, values_only=True) if r[1].startswith("2025-04"))
    assert kpi(["kpis", str(fashion / "client"), "--start", "2025-04-01", "--end", "2025-04-30"]) == 0
    card = json.loads(capsys.readouterr().out)["kpis"]
    assert card["orders"] == len(kept) > 10
    assert card["buyers"] == len({o["Email"] for o in kept})
    assert card["revenue"] == pytest.approx(sum(float(o["Total"]) for o in kept))
    assert card["ad_spend"] == pytest.approx(spend)
    assert card["cost_per_acquisition"] == pytest.approx(spend / len(kept))


def test_no_invented_identity_of_the_exports_reaches_the_imported_folder(fashion):
    shopify = list(csv.DictReader((fashion / "exports" / "orders_export_1.csv").open(encoding="utf-8")))
    values = {v for r in shopify for v in (r["Email"], r["Billing Name"], r["Billing Street"], r["Billing Phone"])
              if v} | {r["Billing Phone"].lstrip("'") for r in shopify if r["Billing Phone"]}
    data = b"".join(p.read_bytes() for p in (fashion / "client").rglob("*") if p.is_file())
    assert len(values) > 100 and not [v for v in values if v.encode() in data]


def test_the_b2b_sample_is_a_french_prestashop_export(tmp_path, capsys):
    files = generate_exports(tmp_path / "exports", profile="b2b_office", **ARGS)
    name = next(n for n in files if n.startswith("order_"))
    assert recognise(tmp_path / "exports" / name).NAME == "prestashop"
    assert kpi(["import", str(tmp_path / "exports"), "--into", str(tmp_path / "client")]) == 0
    assert len(imported(tmp_path, "orders")) == files[name]


def test_kpi_sample_as_exports_writes_the_files_and_names_the_next_command(tmp_path, capsys):
    assert kpi(["sample", str(tmp_path / "brume"), "--profile", "social_only", "--as-exports"]) == 0
    out = capsys.readouterr().out
    assert "import them with: kpi import" in out
    assert sorted(p.name.split("_")[0] for p in (tmp_path / "brume").iterdir()) == ["facebook"] * 2 + ["instagram"] * 2
    assert kpi(["sample", str(tmp_path / "x"), "--as-exports", "--format", "csv"]) == 2
