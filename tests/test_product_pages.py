"""Bounce rate of the sessions that land on a product page."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import kpi_frames as kf
from kpi_helpers import client_from_frames
from kpi_helpers import product_pages as pp

MARCH = kf.MARCH


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


# Shop, March: product landings with the default pattern /(produit|produits|product|products|p)/:
# s2 /p/shoe (1 page: bounce), s3 /p/shoe (4), s4 /produits/hat (1: bounce), s6 /product/bag (2),
# s7 /p/shoe (1: bounce); s5 "/" and s8 "/cart" are not product pages.

def test_product_page_bounce_rate_is_bounced_product_landings_among_product_landings(shop):
    # bounced s2 s4 s7 among s2 s3 s4 s6 s7 -> 3/5
    df = pp.product_page_bounce_rate(shop, **MARCH)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (3, 5)
    assert kf.value(df) == pytest.approx(0.6)


def test_product_page_bounce_rate_by_channel(shop):
    # organic s2 -> 1/1; paid s3 s4 s7 -> 2/3; email s6 -> 0/1; direct: no product landing -> null
    got = kf.by_key(pp.product_page_bounce_rate(shop, **MARCH, by="channel"), "channel")
    assert {k: got[k] for k in ("organic_search", "paid_search", "email")} == pytest.approx(
        {"organic_search": 1.0, "paid_search": 2 / 3, "email": 0.0})
    assert math.isnan(got["direct"])


def test_product_page_bounce_rate_by_device(shop):
    # desktop s2 -> 1/1; mobile s3 s4 s6 -> 1/3; tablet s7 -> 1/1
    got = kf.by_key(pp.product_page_bounce_rate(shop, **MARCH, by="device"), "device")
    assert got == pytest.approx({"desktop": 1.0, "mobile": 1 / 3, "tablet": 1.0})


def test_product_page_bounce_by_page_lists_the_busiest_landing_pages_first(shop):
    # /p/shoe s2 s3 s7 -> 2/3; then one landing each, by name: /product/bag 0/1, /produits/hat 1/1
    df = pp.product_page_bounce_by_page(shop, **MARCH)
    assert df["landing_page"].tolist() == ["/p/shoe", "/product/bag", "/produits/hat"]
    assert df["denominator"].tolist() == [3, 1, 1]
    assert df["value"].tolist() == pytest.approx([2 / 3, 0.0, 1.0])


def test_product_page_bounce_by_page_keeps_pages_with_enough_sessions(shop):
    df = pp.product_page_bounce_by_page(shop, **MARCH, min_sessions=2)
    assert df["landing_page"].tolist() == ["/p/shoe"]


def test_an_empty_period_has_a_null_product_page_bounce_rate(shop):
    df = pp.product_page_bounce_rate(shop, start="2024-06-01", end="2024-06-30")
    assert math.isnan(kf.value(df)) and df["denominator"].iloc[0] == 0


# --- patterns and the bounced column ---------------------------------------------------------

PAGES = pd.DataFrame({
    "session_id": ["t1", "t2", "t3", "t4", "t5", "t6"],
    "visitor_id": ["v1", "v2", "v3", "v4", "v5", "v6"],
    "started_at": "2024-03-04 10:00:00",
    "landing_page": ["/p/42", "/shop/p/43", "/produits-phares/", "/pp/44", "/product/45?ref=x", "/item/47"],
    "landing_page_title": ["Chaussure", "Chaussette", "Nos produits phares", "Pages", "Sac", "Fiche produit : sac"],
    "pageviews": [1, 1, 1, 1, 3, 1],
    "bounced": [None, False, None, None, True, None],
})


def test_the_default_pattern_matches_product_urls_anywhere_in_the_path():
    # product: t1 /p/42, t2 /shop/p/43, t5 /product/45; not: /produits-phares/, /pp/44, /item/47
    # bounced: t1 (no flag, 1 page), t2 no (flag False beats 1 page), t5 yes (flag True beats 3 pages) -> 2/3
    df = pp.product_page_bounce_rate(client_from_frames({"sessions": PAGES}))
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (2, 3)


def test_a_client_url_pattern_replaces_the_default():
    # "/item/" -> t6 only, one page -> 1/1
    client = client_from_frames({"sessions": PAGES}, product_page_pattern="/item/")
    df = pp.product_page_bounce_rate(client)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (1, 1)


def test_a_title_pattern_matches_anywhere_in_the_title():
    # URL "/shop/" -> t2 (flag False: not bounced); title "produit" -> t3 "Nos produits phares" (1 page: bounced)
    # and t6 "Fiche produit : sac" (1 page: bounced) -> 2/3
    client = client_from_frames({"sessions": PAGES}, product_page_pattern="/shop/", product_title_pattern="produit")
    df = pp.product_page_bounce_rate(client)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (2, 3)


def test_without_landing_page_columns_the_rate_is_unavailable():
    df = pp.product_page_bounce_rate(client_from_frames({"sessions": PAGES.drop(columns=["landing_page", "landing_page_title"])}))
    assert math.isnan(kf.value(df))
    assert "landing_page" in df.attrs["unavailable"]


def test_without_pageviews_or_bounced_the_rate_is_unavailable():
    df = pp.product_page_bounce_rate(client_from_frames({"sessions": PAGES.drop(columns=["pageviews", "bounced"])}))
    assert math.isnan(kf.value(df))
    assert "pageviews" in df.attrs["unavailable"] or "bounced" in df.attrs["unavailable"]


def test_without_sessions_the_rate_is_unavailable():
    df = pp.product_page_bounce_rate(client_from_frames({"orders": kf.orders()}))
    assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "sessions table not provided"
