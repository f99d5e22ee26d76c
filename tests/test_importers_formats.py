"""Each export format read into its contract table: hand-computed tables from small fixtures.

The fixtures (``tests/fixtures/exports/``, described in its README) are written as each tool
writes its export: headers in English and in French, byte-order marks, UTF-16 "CSV Excel", title
and total lines, people's numbers, refund rows. Customer ids are keyed hashes, so the tests check
which orders share a buyer, not the hash values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_helpers.errors import KpiInputError
from kpi_helpers.importers import business_suite, google_ads, meta_ads, prestashop, shopify, woocommerce
from kpi_helpers.importers._raw import ImportContext
from kpi_helpers.importers.client_folder import Pseudonymiser
from kpi_helpers.importers.exports import recognise

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
CTX = ImportContext("Europe/Paris", Pseudonymiser(b"test key of 32 bytes, not secret"))


def read(name: str):
    module = recognise(FIXTURES / name)
    assert module is not None, f"{name} is not recognised"
    return module, module.read(FIXTURES / name, CTX)


def table(parsed, columns: list[str]) -> list[tuple]:
    """Rows of ``columns`` as plain Python values (timestamps as ISO text, missing as None)."""
    frame = parsed.frame[columns].copy()
    for c in columns:
        if isinstance(frame[c].dtype, pd.DatetimeTZDtype):
            frame[c] = frame[c].map(lambda t: t.isoformat())
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.astype(object).itertuples(index=False)]


def same_buyer_groups(parsed) -> list[set[str]]:
    groups = parsed.frame.groupby("customer_id")["order_id"].agg(set)
    return sorted((g for g in groups if len(g) > 1), key=sorted)


# ---------------------------------------------------------------------------------------------
# shops


def test_shopify_line_items_become_orders_with_statuses_refunds_and_offsets_as_documented():
    module, p = read("shopify_orders_export.csv")
    assert module is shopify and p.table == "orders" and p.rows_read == 9 and p.currency == "EUR"
    assert table(p, ["order_id", "ordered_at", "revenue", "shipping", "tax", "status", "items"]) == [
        ("#1001", "2025-03-28T10:15:00+01:00", 94.60, 4.90, 15.77, "paid", 3),
        ("#1002", "2025-03-30T14:02:11+02:00", 80.00, 0.00, 20.00, "partially_refunded", 3),  # 120 - 40 refunded
        ("#1003", "2025-03-31T20:31:10+02:00", 45.50, 4.90, 7.58, "paid", 1),
        ("#1004", "2025-03-29T09:00:00+01:00", 59.00, 4.90, 9.83, "refunded", 1),
        ("#1005", "2025-03-30T17:45:00+02:00", 30.00, 0.00, 5.00, "cancelled", 2),  # voided + Cancelled at
        ("#1006", "2025-03-31T11:00:00+02:00", 12.00, 0.00, 2.00, "paid", 1),
        ("#1007", "2025-04-01T00:30:00+02:00", 70.00, 4.90, 11.67, "pending", 2),
    ]
    # Marie Dupont's two e-mails differ only by case and a trailing space: one buyer
    assert same_buyer_groups(p) == [{"#1001", "#1003"}]
    assert p.frame["customer_id"].str.fullmatch(r"c[0-9a-f]{16}").all()


@pytest.mark.parametrize("name, language", [("woocommerce_orders_en.csv", "en"), ("woocommerce_orders_fr.csv", "fr")])
def test_woocommerce_refund_rows_are_deducted_and_net_sales_stated_as_revenue(name, language):
    module, p = read(name)
    assert module is woocommerce and p.language == language and p.rows_read == 11
    assert table(p, ["order_id", "ordered_at", "revenue", "status", "items"]) == [
        ("1201", "2025-03-02T10:12:45+01:00", 54.90, "completed", 3),
        ("1202", "2025-03-05T18:40:00+01:00", 25.00, "processing", 1),
        ("1203", "2025-03-09T09:05:30+01:00", 80.00, "completed", 2),
        ("1204", "2025-03-12T14:00:00+01:00", 0.00, "refunded", 1),  # 30 - 30
        ("1205", "2025-03-20T21:15:00+01:00", 100.00, "completed", 4),  # 120 - 20 partial refund
        ("1206", "2025-03-22T08:00:00+01:00", 15.00, "cancelled", 1),  # failed payment
        ("1207", "2025-03-28T16:30:00+01:00", 40.00, "cancelled", 1),
        ("1208", "2025-03-30T12:00:00+02:00", 10.00, "on-hold", 1),
    ]
    # "Sophie Laurent" and "sophie  laurent" are one buyer; the guest order 1208 is its own
    assert same_buyer_groups(p) == [{"1201", "1203"}, {"1202", "1205"}]
    assert p.dropped == {"refund rows of orders not in this export": 1}  # order 1150's refund
    assert any("WITHOUT tax and shipping" in n for n in p.notes)


@pytest.mark.parametrize("name, language, custom", [("prestashop_orders_fr.csv", "fr", "Retour en cours"),
                                                    ("prestashop_orders_en.csv", "en", "Return in progress")])
def test_prestashop_totals_for_people_and_status_labels_in_both_languages(name, language, custom):
    module, p = read(name)
    assert module is prestashop and p.language == language and p.currency == "EUR"
    assert table(p, ["order_id", "ordered_at", "revenue", "status"]) == [
        ("101", "2025-03-04T11:22:33+01:00", 1194.90, "paid"),
        ("102", "2025-03-10T15:00:00+01:00", 89.00, "delivered"),
        ("103", "2025-03-15T09:30:00+01:00", 45.50, "pending"),
        ("104", "2025-03-18T20:10:00+01:00", 230.00, "cancelled"),
        ("105", "2025-03-21T13:45:00+01:00", 59.90, "refunded"),
        ("106", "2025-03-25T08:00:00+01:00", 12.00, "cancelled"),  # payment error
        ("108", "2025-03-28T12:00:00+01:00", 75.00, custom),  # a shop's own status, kept
        ("107", "2025-03-31T22:59:59+02:00", 150.00, "shipped"),
        ("109", "2025-04-01T00:15:00+02:00", 64.00, "paid"),
    ]
    assert same_buyer_groups(p) == [{"101", "103"}, {"102", "107"}]
    assert any(custom in n for n in p.notes)


@pytest.mark.parametrize("label, status", [
    ("En attente de paiement par chèque", "pending"), ("En attente du paiement à la livraison", "pending"),
    ("En attente de réapprovisionnement (payé)", "paid"), ("En attente de réapprovisionnement (non payé)", "pending"),
    ("On backorder (paid)", "paid"), ("On backorder (not paid)", "pending"), ("Paiement à distance accepté", "paid"),
    ("Remote payment accepted", "paid"), ("En cours de préparation", "processing"), ("Remboursement", "refunded"),
    ("Remboursement partiel", "partially_refunded"), ("Commande annulée", "cancelled"), ("Canceled", "cancelled"),
    ("Awaiting Cash On Delivery validation", "pending"), ("Livré", "delivered"), ("Colis perdu", None),
])
def test_prestashop_status_labels_of_the_install_data_map_to_the_contract(label, status):
    assert prestashop.status_of(label) == status


# ---------------------------------------------------------------------------------------------
# advertising

GOOGLE_ADS = [
    ("2025-03-01", "paid_search", "FR_PMax_Catalogue", 36.96, 88, 3407, "EUR"),
    ("2025-03-01", "paid_search", "FR_Search_Marque", 37.80, 210, 1234, "EUR"),
    ("2025-03-01", "price_comparator", "FR_Shopping_Catalogue", 45.00, 150, 10500, "EUR"),
    ("2025-03-02", "display", "FR_Display_Prospection", 12.00, 30, 25000, "EUR"),
    ("2025-03-02", "paid_search", "FR_Search_Marque", 34.20, 190, 1100, "EUR"),
    ("2025-03-02", "display", "FR_Video_Marque", 9.60, None, 8000, "EUR"),  # clicks "--": unknown, not 0
]
AD_COLUMNS = ["date", "channel", "campaign", "spend", "clicks", "impressions", "currency"]


@pytest.mark.parametrize("name, language, totals", [
    ("google_ads_campagnes_fr.csv", "fr", 2),  # CSV: UTF-8 with BOM, French numbers
    ("google_ads_campagnes_fr_excel.csv", "fr", 2),  # CSV Excel: UTF-16LE, tabs, CRLF
    ("google_ads_campaigns_en.csv", "en", 3),  # English, segmented by device
])
def test_google_ads_reports_give_spend_per_day_and_campaign_with_the_rules_channels(name, language, totals):
    module, p = read(name)
    assert module is google_ads and p.language == language and p.currency == "EUR"
    assert table(p, AD_COLUMNS) == GOOGLE_ADS
    assert p.dropped == {"total rows": totals}
    assert p.period == (pd.Timestamp("2025-03-01").date(), pd.Timestamp("2025-03-31").date())


@pytest.mark.parametrize("name, language", [("meta_ads_fr.csv", "fr"), ("meta_ads_en.xlsx", "en")])
def test_meta_ads_reports_take_the_currency_from_the_header(name, language):
    module, p = read(name)
    assert module is meta_ads and p.language == language and p.currency == "EUR"
    assert table(p, AD_COLUMNS) == [
        ("2025-03-01", "paid_social", "FR_Meta_Prospection", 25.43, 61, 5120, "EUR"),
        ("2025-03-01", "paid_social", "FR_Meta_Retargeting_DPA", 18.10, 40, 2300, "EUR"),
        ("2025-03-02", "paid_social", "FR_Meta_Prospection", 24.57, 55, 4890, "EUR"),
        ("2025-03-02", "paid_social", "FR_Meta_Retargeting_DPA", 17.90, None, 2100, "EUR"),
    ]
    assert p.period == (pd.Timestamp("2025-03-01").date(), pd.Timestamp("2025-03-31").date())


@pytest.mark.parametrize("title, expected", [
    (["Rapport sur les campagnes", "1 mars 2025 - 31 mars 2025"], ("2025-03-01", "2025-03-31")),
    (["Campaign report", "March 1, 2025 - March 31, 2025"], ("2025-03-01", "2025-03-31")),
    (["Rapport sur les campagnes", "1 sept. 2026 - 2 sept. 2026"], ("2026-09-01", "2026-09-02")),
    (["Campaign report", "Dec 1, 2025 – Jan 31, 2026"], ("2025-12-01", "2026-01-31")),
    (["Rapport", "1 févr. 2025 - 28 févr. 2025"], ("2025-02-01", "2025-02-28")),
    (["Campaign report", "March 31, 2025 - March 1, 2025"], None),
    (["Campaign report"], None),
])
def test_the_date_range_line_of_a_google_ads_report_is_read_in_both_languages(title, expected):
    found = google_ads.parse_date_range(title)
    assert (found and tuple(d.isoformat() for d in found)) == (expected or None)


# ---------------------------------------------------------------------------------------------
# social


def test_instagram_posts_of_2025_have_views_and_thousands_separators():
    module, p = read("business_suite_instagram_en.csv")
    assert module is business_suite and p.source == "business_suite_instagram" and "impressions" not in p.frame
    assert table(p, ["post_id", "platform", "published_at", "likes", "comments", "views", "reach", "shares", "saves",
                     "format"]) == [
        ("17912345678901234", "instagram", "2025-04-02T18:30:00+02:00", 612, 31, 18807, 12034, 25, 40, "image"),
        ("17912345678901235", "instagram", "2025-04-13T12:05:00+02:00", 1840, 77, 45120, 30211, 210, 150, "reel"),
        ("17912345678901236", "instagram", "2025-04-28T19:00:00+02:00", 540, 22, 9870, 7012, 12, 88, "carousel"),
    ]


def test_french_instagram_posts_before_april_2025_have_impressions_and_day_first_dates():
    module, p = read("business_suite_instagram_fr.csv")
    assert p.language == "fr" and "views" not in p.frame
    # 05/03/2025 is 5 March: the French order, as 21/03/2025 in the same file confirms
    assert table(p, ["post_id", "published_at", "likes", "comments", "impressions", "reach", "shares", "saves",
                     "format"]) == [
        ("17900000000000001", "2025-03-05T18:30:00+01:00", 420, 25, 12153, 9870, 8, 30, "image"),
        ("17900000000000002", "2025-03-21T12:00:00+01:00", 1210, 64, 30400, 21000, 95, 120, "reel"),
        ("17900000000000003", "2025-03-28T19:15:00+01:00", 310, 12, 8020, 6100, 5, 45, "carousel"),
    ]


def test_facebook_posts_take_reactions_as_likes_and_never_write_follows_as_followers():
    module, p = read("business_suite_facebook_en.csv")
    assert p.source == "business_suite_facebook" and "followers" not in p.frame
    assert table(p, ["post_id", "platform", "published_at", "likes", "comments", "views", "reach", "shares",
                     "format"]) == [
        ("104512345678901_1220001", "facebook", "2025-03-07T10:00:00+01:00", 80, 10, 3210, 2450, 6, "image"),
        ("104512345678901_1220002", "facebook", "2025-03-18T17:30:00+01:00", 140, 19, 5400, 4100, 12, "reel"),
        ("104512345678901_1220003", "facebook", "2025-03-26T08:45:00+01:00", 20, 3, 1150, 980, 2, "link"),
    ]


# ---------------------------------------------------------------------------------------------
# what is refused, with the file and the line


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_google_ads_report_without_a_day_column_is_refused_with_the_advice(tmp_path):
    path = write(tmp_path, "r.csv", "Campaign report\nMarch 1, 2025 - March 31, 2025\n"
                                    "Campaign,Campaign type,Currency code,Cost\nA,Search,EUR,12.00\n")
    with pytest.raises(KpiInputError, match=r"r\.csv.*no Day column.*segmented by day"):
        google_ads.read(path, CTX)


def test_a_meta_report_whose_rows_cover_several_days_is_refused(tmp_path):
    path = write(tmp_path, "m.csv", "Campaign name,Reporting starts,Reporting ends,Amount spent (EUR)\n"
                                    "A,2025-03-01,2025-03-31,12.5\n")
    with pytest.raises(KpiInputError, match=r"no Day breakdown"):
        meta_ads.read(path, CTX)


def test_a_value_that_does_not_read_names_the_file_line_and_column(tmp_path):
    lines = (FIXTURES / "google_ads_campagnes_fr.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[4] = lines[4].replace('"45,00"', '"45;00"')  # the second data row, on line 5
    path = write(tmp_path, "g.csv", "\n".join(lines) + "\n")
    with pytest.raises(KpiInputError) as err:
        google_ads.read(path, CTX)
    problem = err.value.problems[0]
    assert (problem.file, problem.column, problem.examples) == (str(path), "Coût", (("line 5", "45;00"),))
    assert "3 407,39" in problem.expected


def test_business_suite_dates_that_mix_day_first_and_month_first_are_refused(tmp_path):
    head = "Post ID,Account username,Publish time,Permalink,Post type,Likes,Comments\n"
    path = write(tmp_path, "p.csv", head + "1,a,13/03/2025 10:00,https://www.instagram.com/p/a/,IG image,1,1\n"
                                           "2,a,03/25/2025 10:00,https://www.instagram.com/p/b/,IG image,1,1\n")
    with pytest.raises(KpiInputError, match=r"mix day-first and month-first"):
        business_suite.read(path, CTX)


def test_a_posts_export_broken_down_by_day_is_refused(tmp_path):
    head = "Post ID,Account username,Publish time,Permalink,Post type,Date,Likes,Comments\n"
    path = write(tmp_path, "p.csv", head + "1,a,03/13/2025 10:00,https://www.instagram.com/p/a/,IG image,2025-03-13,1,1\n")
    with pytest.raises(KpiInputError, match=r"are days, not lifetime totals"):
        business_suite.read(path, CTX)


def test_a_shopify_order_whose_first_row_lost_its_status_is_refused_on_its_line(tmp_path):
    text = (FIXTURES / "shopify_orders_export.csv").read_text(encoding="utf-8").replace(
        "#1004,paul.bernard@example.org,refunded,", "#1004,paul.bernard@example.org,,")
    path = write(tmp_path, "s.csv", text)
    with pytest.raises(KpiInputError, match=r"'Financial Status'.*line 6"):
        shopify.read(path, CTX)
