"""kpi import PATH... --into CLIENT_DIR: from the raw exports to the scorecard.

Every end-to-end test checks the scorecard against totals computed here, directly from the raw
fixture files with the csv module (not with the importers' code): orders, revenue and buyers of
the shops, ad spend by channel, posts with their impressions or views. The period is March 2025
in Europe/Paris (the folder's default timezone).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from kpi_helpers.cli import main as kpi
from kpi_helpers.importers import import_exports
from kpi_helpers.loading import load_client

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
START, END = "2025-03-01", "2025-03-31"
GOOGLE_TYPES = {"Réseau de Recherche": "paid_search", "Search": "paid_search", "Performance Max": "paid_search",
                "Shopping": "price_comparator", "Display": "display", "Vidéo": "display", "Video": "display"}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = kpi([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def import_and_validate(capsys, client: Path, *names: str) -> None:
    code, _, err = run(capsys, "import", *(FIXTURES / n for n in names), "--into", client)
    assert code == 0, err
    code, out, err = run(capsys, "validate", client)
    assert code == 0 and "OK: the folder follows the data contract." in out, err


def scorecard(capsys, folder: Path) -> dict:
    code, out, err = run(capsys, "kpis", folder, "--start", START, "--end", END, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(name: str, *, encoding="utf-8-sig", delimiter=",", skip=0) -> list[dict]:
    text = (FIXTURES / name).read_text(encoding=encoding)
    return list(csv.DictReader(io.StringIO("\n".join(text.splitlines()[skip:])), delimiter=delimiter))


def french_number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "").replace(",", "."))


def in_march(text: str) -> bool:
    return text[:7] == "2025-03"


# ---------------------------------------------------------------------------------------------
# totals straight from the raw files


def shopify_totals() -> dict:
    orders: dict[str, dict] = {}
    for r in rows("shopify_orders_export.csv"):
        orders.setdefault(r["Name"], r)  # order-level fields are on the first row
    kept = [o for o in orders.values() if not o["Cancelled at"] and o["Financial Status"] not in ("voided", "refunded")
            and in_march(o["Created at"])]  # Created at is local time with its offset: its date is the local date
    buyers = {o["Email"].strip().lower() or o["Phone"] for o in kept}
    return {"orders": len(kept), "buyers": len(buyers),
            "revenue": round(sum(float(o["Total"]) - float(o["Refunded Amount"] or 0) for o in kept), 2)}


def woocommerce_totals(name: str) -> dict:
    data = rows(name)
    order_col, status_col, customer_col, net_col = (list(data[0])[i] for i in (1, 2, 3, 9))
    net: dict[str, float] = {}
    first: dict[str, dict] = {}
    for r in data:
        net[r[order_col]] = net.get(r[order_col], 0.0) + float(r[net_col])
        if float(r[net_col]) >= 0:
            first[r[order_col]] = r
    kept = [o for o in first.values() if o[status_col] not in ("cancelled", "refunded", "failed") and in_march(o["Date"])]
    buyers = {" ".join(o[customer_col].lower().split()) or o[order_col] for o in kept}
    return {"orders": len(kept), "buyers": len(buyers), "revenue": round(sum(net[o[order_col]] for o in kept), 2)}


def prestashop_totals(name: str) -> dict:
    data = rows(name, delimiter=";", encoding="utf-8")
    out = {"Annulé", "Remboursé", "Erreur de paiement", "Canceled", "Refunded", "Payment error"}
    status_col, customer_col = list(data[0])[7], list(data[0])[4]
    kept = [r for r in data if r[status_col] not in out and in_march(r["Date"])]
    revenue = sum(french_number(r["Total"]) if "€" in r["Total"][-1:] else float(r["Total"].strip("€").replace(",", ""))
                  for r in kept)
    return {"orders": len(kept), "buyers": len({r[customer_col] for r in kept}), "revenue": round(revenue, 2)}


def google_ads_spend(name: str = "google_ads_campagnes_fr.csv") -> dict[str, float]:
    by_channel: dict[str, float] = {}
    for r in rows(name, skip=2):
        if not r["Jour"].startswith("Total") and in_march(r["Jour"]):
            channel = GOOGLE_TYPES[r["Type de campagne"]]
            by_channel[channel] = round(by_channel.get(channel, 0.0) + french_number(r["Coût"]), 2)
    return by_channel


def meta_ads_spend() -> dict[str, float]:
    return {"paid_social": round(sum(float(r["Montant dépensé (EUR)"]) for r in rows("meta_ads_fr.csv")
                                     if in_march(r["Jour"])), 2)}


def spend_by_channel(folder: Path) -> dict[str, float]:
    spend = load_client(folder).table("ad_spend").to_pandas()
    spend = spend[spend["date"].astype(str).str.startswith("2025-03")]
    return {k: round(v, 2) for k, v in spend.groupby("channel")["spend"].sum().items()}


# ---------------------------------------------------------------------------------------------
# end to end, every format


@pytest.mark.parametrize("name, totals", [
    ("shopify_orders_export.csv", shopify_totals),
    ("woocommerce_orders_en.csv", lambda: woocommerce_totals("woocommerce_orders_en.csv")),
    ("woocommerce_orders_fr.csv", lambda: woocommerce_totals("woocommerce_orders_fr.csv")),
    ("prestashop_orders_fr.csv", lambda: prestashop_totals("prestashop_orders_fr.csv")),
    ("prestashop_orders_en.csv", lambda: prestashop_totals("prestashop_orders_en.csv")),
])
def test_a_shop_export_gives_the_orders_revenue_and_buyers_of_the_raw_file(tmp_path, capsys, name, totals):
    client = tmp_path / "client"
    import_and_validate(capsys, client, name)
    card = scorecard(capsys, client)["kpis"]
    expected = totals()
    assert {k: card[k] for k in expected} == pytest.approx(expected)
    assert expected["orders"] >= 4  # the fixtures exercise the statuses, not an empty month


@pytest.mark.parametrize("name", ["google_ads_campagnes_fr.csv", "google_ads_campagnes_fr_excel.csv",
                                  "google_ads_campaigns_en.csv"])
def test_a_google_ads_report_gives_the_spend_by_channel_of_the_raw_file(tmp_path, capsys, name):
    client = tmp_path / "client"
    import_and_validate(capsys, client, name)
    expected = google_ads_spend()  # the three files hold the same spend (the French CSV is the reference)
    assert spend_by_channel(client) == expected
    assert scorecard(capsys, client)["kpis"]["ad_spend"] == pytest.approx(sum(expected.values()))


@pytest.mark.parametrize("name", ["meta_ads_fr.csv", "meta_ads_en.xlsx"])
def test_a_meta_ads_report_gives_paid_social_spend(tmp_path, capsys, name):
    client = tmp_path / "client"
    import_and_validate(capsys, client, name)
    assert spend_by_channel(client) == meta_ads_spend()
    assert scorecard(capsys, client)["kpis"]["ad_spend"] == pytest.approx(meta_ads_spend()["paid_social"])


def test_business_suite_exports_give_the_posts_with_their_impressions_or_views(tmp_path, capsys):
    client = tmp_path / "client"
    import_and_validate(capsys, client, "business_suite_instagram_fr.csv", "business_suite_facebook_en.csv",
                        "business_suite_instagram_en.csv")
    ig = rows("business_suite_instagram_fr.csv")  # DD/MM/YYYY, all in March
    fb = [r for r in rows("business_suite_facebook_en.csv") if r["Publish time"].startswith("03/")]  # MM/DD/YYYY
    card = scorecard(capsys, client)["kpis"]
    assert card["posts"] == len(ig) + len(fb) == 6
    assert card["impressions"] == sum(int(french_number(r["Impressions"])) for r in ig)
    posts = load_client(client).table("social_posts").to_pandas()
    assert posts["views"].sum() == sum(int(r["Views"].replace(",", "")) for r in fb) + sum(
        int(r["Views"].replace(",", "")) for r in rows("business_suite_instagram_en.csv"))


def test_four_exports_build_one_client_whose_cost_per_acquisition_is_spend_over_orders(tmp_path, capsys):
    client = tmp_path / "maison-lune"
    import_and_validate(capsys, client, "shopify_orders_export.csv", "google_ads_campagnes_fr.csv", "meta_ads_fr.csv",
                        "business_suite_instagram_fr.csv")
    card = scorecard(capsys, client)["kpis"]
    spend = sum(google_ads_spend().values()) + sum(meta_ads_spend().values())
    orders = shopify_totals()["orders"]
    assert (card["ad_spend"], card["orders"]) == (pytest.approx(spend), orders)
    assert card["cost_per_acquisition"] == pytest.approx(spend / orders) == pytest.approx(261.56 / 4)
    assert card["roas"] == pytest.approx(shopify_totals()["revenue"] / spend)
    assert card["posts"] == 3


# ---------------------------------------------------------------------------------------------
# replace by source, never twice


ALL = ["shopify_orders_export.csv", "google_ads_campagnes_fr.csv", "meta_ads_fr.csv",
       "business_suite_instagram_fr.csv", "business_suite_facebook_en.csv"]


def test_importing_the_same_exports_twice_gives_the_same_folder(tmp_path, capsys):
    client = tmp_path / "client"
    assert run(capsys, "import", *(FIXTURES / n for n in ALL), "--into", client)[0] == 0
    first = snapshot(client)
    code, out, _ = run(capsys, "import", *(FIXTURES / n for n in ALL), "--into", client)
    assert code == 0 and snapshot(client) == first
    assert "7 written, 7 replaced" in out  # the Shopify orders replaced themselves, not doubled


def test_a_newer_report_replaces_its_source_over_its_dates_and_leaves_the_others(tmp_path, capsys):
    client = tmp_path / "client"
    assert run(capsys, "import", *(FIXTURES / n for n in ALL[1:3]), "--into", client)[0] == 0
    newer = tmp_path / "newer.csv"
    text = (FIXTURES / "google_ads_campagnes_fr.csv").read_text(encoding="utf-8-sig").splitlines()
    text = [line for line in text if "FR_Video_Marque" not in line]  # a campaign deleted since
    text = [line.replace('"37,80"', '"40,00"') for line in text]  # a corrected cost
    newer.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    april = tmp_path / "april.csv"
    april.write_text("Rapport sur les campagnes\n1 avr. 2025 - 30 avr. 2025\nJour,Campagne,Type de campagne,"
                     'Code de la devise,Coût\n2025-04-01,FR_Search_Marque,Réseau de Recherche,EUR,"30,00"\n',
                     encoding="utf-8-sig")
    assert run(capsys, "import", newer, april, "--into", client)[0] == 0
    spend = load_client(client).table("ad_spend").to_pandas()
    google = spend[spend["channel"] != "paid_social"]
    assert "FR_Video_Marque" not in set(google["campaign"])
    assert round(google["spend"].sum(), 2) == round(175.56 - 9.60 - 37.80 + 40.00 + 30.00, 2)
    assert round(spend.loc[spend["channel"] == "paid_social", "spend"].sum(), 2) == meta_ads_spend()["paid_social"]


def test_a_later_shop_export_updates_its_orders_instead_of_doubling_them(tmp_path, capsys):
    client = tmp_path / "client"
    assert run(capsys, "import", FIXTURES / "shopify_orders_export.csv", "--into", client)[0] == 0
    later = tmp_path / "orders_export_2.csv"
    later.write_text((FIXTURES / "shopify_orders_export.csv").read_text(encoding="utf-8").replace(
        "#1007,lucas.moreau@example.fr,pending,", "#1007,lucas.moreau@example.fr,paid,"), encoding="utf-8")
    assert run(capsys, "import", later, "--into", client)[0] == 0
    orders = load_client(client).table("orders").to_pandas().set_index("order_id")
    assert len(orders) == 7 and orders.loc["#1007", "status"] == "paid"
    log = json.loads((client / ".kpi-import" / "imports.json").read_text(encoding="utf-8"))
    assert [e["file"] for e in log["imports"]] == ["shopify_orders_export.csv", "orders_export_2.csv"]


# ---------------------------------------------------------------------------------------------
# bad input: exit 2, the file and the line, the folder as it was


@pytest.fixture
def imported(tmp_path, capsys) -> Path:
    client = tmp_path / "clients" / "client"
    assert run(capsys, "import", *(FIXTURES / n for n in ALL), "--into", client)[0] == 0
    return client


def cut(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / f"cut_{name}"
    path.write_bytes((FIXTURES / name).read_bytes()[:size])
    return path


def unknown(tmp_path: Path) -> Path:
    path = tmp_path / "notes.csv"
    path.write_text("Client,Montant\nDupont,12\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("make, message", [
    (lambda t: cut(t, "shopify_orders_export.csv", 3000), r"cut_shopify_orders_export\.csv: line has \d+ field\(s\) "
                                                           r"where the header has 79.*line 6"),
    (lambda t: cut(t, "google_ads_campagnes_fr.csv", 0), r"cut_google_ads_campagnes_fr\.csv: file is empty"),
    (lambda t: cut(t, "business_suite_facebook_en.csv", 300), r"line has 5 field\(s\) where the header has 20.*line 2"),
    (lambda t: cut(t, "business_suite_facebook_en.csv", 222), r"has a header but no data rows.*line 1"),
    (unknown, r"notes\.csv: not an export kpi import knows.*line 1"),
])
def test_a_truncated_empty_or_unknown_export_exits_2_and_leaves_the_folder_unchanged(tmp_path, capsys, imported,
                                                                                       make, message):
    before = snapshot(imported)
    code, out, err = run(capsys, "import", FIXTURES / "meta_ads_fr.csv", make(tmp_path), "--into", imported)
    assert code == 2 and "Traceback" not in err
    assert re.search(message, err), err
    assert snapshot(imported) == before
    assert sorted(p.name for p in imported.parent.iterdir()) == ["client"]  # nothing staged is left behind


def test_an_export_in_another_currency_than_the_folder_is_refused(tmp_path, capsys, imported):
    before = snapshot(imported)
    usd = tmp_path / "usd.csv"
    usd.write_text((FIXTURES / "meta_ads_fr.csv").read_text(encoding="utf-8-sig").replace("(EUR)", "(USD)"),
                   encoding="utf-8")
    code, _, err = run(capsys, "import", usd, "--into", imported)
    assert code == 2 and "amounts are in USD but the client folder's currency is EUR" in err
    assert snapshot(imported) == before


def test_a_table_kpi_import_did_not_write_is_never_replaced(tmp_path, capsys):
    client = tmp_path / "client"
    client.mkdir()
    (client / "orders.csv").write_text("order_id,customer_id,ordered_at,revenue\nA1,C1,2025-03-02 10:00:00,10\n")
    before = snapshot(client)
    code, _, err = run(capsys, "import", FIXTURES / "shopify_orders_export.csv", "--into", client)
    assert code == 2 and "orders.csv was not written by kpi import" in err
    assert snapshot(client) == before


def test_one_source_name_for_exports_of_several_formats_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "import", FIXTURES / "meta_ads_fr.csv", FIXTURES / "google_ads_campagnes_fr.csv",
                       "--into", tmp_path / "c", "--source", "ads")
    assert code == 2 and "--source ads names one source" in err and not (tmp_path / "c").exists()


def test_two_shops_with_the_same_order_numbers_need_two_client_folders(tmp_path, capsys):
    client = tmp_path / "client"
    assert run(capsys, "import", FIXTURES / "shopify_orders_export.csv", "--into", client, "--source", "shop-fr")[0] == 0
    code, _, err = run(capsys, "import", FIXTURES / "shopify_orders_export.csv", "--into", client, "--source", "shop-be")
    assert code == 2 and "order_id '#1001' comes from two sources (shop-be, shop-fr)" in err


# ---------------------------------------------------------------------------------------------
# personal data


PERSONAL = [
    # Shopify: e-mails, names, addresses, zip codes, phones
    "marie.dupont@example.fr", "jean.martin@example.com", "paul.bernard@example.org", "claire.petit@example.net",
    "lucas.moreau@example.fr", "Marie Dupont", "Jean Martin", "Paul Bernard", "Claire Petit", "Lucas Moreau",
    "12 rue des Lilas", "3 avenue Foch", "8 boulevard Gambetta", "27 rue Nationale", "5 place du Marché",
    "75011", "69006", "44000", "59000", "35000",
    "+33611223344", "+33622334455", "+33633445566", "+33644556677", "+33655667788", "+33666778899", "33655667788",
    # WooCommerce and PrestaShop customer names
    "Sophie Laurent", "Thomas Girard", "Emma Roux", "Léa Fontaine", "Nina Perrin", "Hugo Blanc",
    "H. Morel", "C. Lefèvre", "A. Garnier", "J. Chevalier", "M. Faure", "L. Mercier", "R. Caron",
]
SURNAMES = ["Dupont", "Martin", "Bernard", "Petit", "Moreau", "Laurent", "Girard", "Fontaine", "Perrin",
            "Morel", "Lefèvre", "Garnier", "Chevalier", "Faure", "Mercier", "Caron"]


def test_no_e_mail_name_address_or_phone_reaches_the_folder_or_the_outputs(tmp_path, capsys):
    client = tmp_path / "client"
    shops = ["shopify_orders_export.csv", "woocommerce_orders_fr.csv", "prestashop_orders_fr.csv"]
    outputs = []
    for i, name in enumerate(shops):
        code, out, err = run(capsys, "import", FIXTURES / name, "--into", client, "--source", f"shop{i}")
        assert code == 0, err
        outputs += [out, err]
    outputs += list(run(capsys, "validate", client)[1:])
    outputs += list(run(capsys, "kpis", client, "--start", START, "--end", END, "--format", "json")[1:])
    outputs += list(run(capsys, "kpis", client, "--start", START, "--end", END, "--format", "table")[1:])
    files = snapshot(client)
    assert any(name.startswith(".kpi-import/parts/") for name in files)  # the hidden parts are searched too
    for value in PERSONAL + SURNAMES:
        for variant in {value, value.lower(), value.upper()}:
            needle = variant.encode("utf-8")
            found = [name for name, data in files.items() if needle in data]
            assert not found, f"{value!r} found in {found}"
            assert not any(variant in text for text in outputs), f"{value!r} printed"


def test_the_pseudonymisation_key_stays_in_its_file(tmp_path, capsys):
    client = tmp_path / "client"
    code, out, err = run(capsys, "import", FIXTURES / "shopify_orders_export.csv", "--into", client)
    key_file = client / ".kpi-import" / "key"
    key = key_file.read_text().strip()
    assert len(key) == 64 and oct(key_file.stat().st_mode & 0o777) == "0o600"
    others = {n: d for n, d in snapshot(client).items() if n != ".kpi-import/key"}
    assert not any(key.encode() in d for d in others.values()) and key not in out + err
    # the same e-mail gets the same id in a second folder only with the same key
    other = tmp_path / "other"
    import_exports([FIXTURES / "shopify_orders_export.csv"], other)
    ids = [set(load_client(f).table("orders").to_pandas()["customer_id"]) for f in (client, other)]
    assert ids[0].isdisjoint(ids[1])


def test_python_callers_import_the_same_way_as_the_command(tmp_path, capsys):
    reports = import_exports(FIXTURES, tmp_path / "all")  # a folder of exports: every file in it
    assert sorted({r["table"] for r in reports}) == ["ad_spend", "carts", "orders", "search_terms", "searches",
                                                     "sessions", "social_posts", "traffic"]
    visits_logs = [n for n in os.listdir(FIXTURES) if n.startswith("matomo_visits_log")]  # 4 tables each
    assert len(reports) == len(os.listdir(FIXTURES)) + 3 * len(visits_logs)
    assert load_client(tmp_path / "all").has("social_posts", "views")
