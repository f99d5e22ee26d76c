"""French and English labels: one minus sign, names of platforms and post formats, reasons in words."""

from __future__ import annotations

import pytest

from kpi_helpers import labels as lb
from kpi_helpers.plots import segment_label

MINUS = "\u2212"


@pytest.mark.parametrize("text", [
    lb.format_number(-8.2, "fr", 1), lb.format_percent(-0.082, "fr"), lb.format_percent(-0.082, "fr", signed=True),
    lb.format_points(-0.01, "fr"), lb.format_money(-85, "fr"), lb.format_signed_money(-85, "en"),
    lb.format_number(-1234.5, "en", 1), lb.format_kpi("roi", -0.2, language="fr"),
])
def test_every_negative_number_takes_the_same_minus_sign(text):
    # −8,2 % and -1,0 pt side by side in one table: one minus sign, U+2212, everywhere
    assert "-" not in text and MINUS in text


def test_points_and_percentages_agree_in_a_table_of_changes():
    assert lb.format_percent(-0.082, "fr", signed=True) == f"{MINUS}8,2\u00a0%"
    assert lb.format_points(-0.01, "fr") == f"{MINUS}1,0\u00a0pt"
    assert lb.format_number(0.0, "fr", 1) == "0,0"


@pytest.mark.parametrize("key, value, fr, en", [
    ("format", "carousel", "Carrousel", "Carousel"), ("format", "link", "Lien", "Link"),
    ("format", "reel", "Reel (vidéo courte)", "Reel (short video)"), ("format", "video", "Vidéo", "Video"),
    ("platform", "instagram", "Instagram", "Instagram"), ("platform", "facebook", "Facebook", "Facebook"),
    ("platform", "tiktok", "TikTok", "TikTok"), ("platform", "mastodon", "Mastodon", "Mastodon"),
    ("channel", "email", "E-mail", "Email"), ("device", "desktop", "Ordinateur", "Desktop"),
])
def test_breakdown_values_are_shown_by_name_not_by_their_raw_text(key, value, fr, en):
    assert segment_label(key, value, "fr") == fr and segment_label(key, value, "en") == en


@pytest.mark.parametrize("reason, fr, en", [
    ("carts table not provided", "ce client ne fournit pas de données de paniers", "this client provides no cart data"),
    ("sessions table not provided", "ce client ne fournit pas de données de visites",
     "this client provides no session data"),
    ("sessions.landing_page column not provided", "il manque la page d'entrée dans les données de visites",
     "the session data has no landing page"),
    ("social_posts has no impressions or views column",
     "il manque les impressions dans les données de publications sur les réseaux sociaux",
     "the social media post data has no impressions"),
    ("margin_rate not set (client.yml or --margin-rate)", "le taux de marge n'est pas renseigné (margin_rate dans client.yml)",
     "the margin rate is not set (margin_rate in client.yml)"),
])
def test_reasons_name_the_data_in_words_without_table_ids_or_nested_parentheses(reason, fr, en):
    assert lb.reason_text(reason, "fr") == fr and lb.reason_text(reason, "en") == en
    for text in (lb.reason_text(reason, "fr"), lb.label("unavailable_kpi", "fr", kpi="X", reason=lb.reason_text(reason, "fr"))):
        assert text.count("(") <= 1 and "((" not in text


def test_a_missing_table_is_one_sentence_in_words():
    text = lb.label("missing_table", "fr", what=lb.table_word("orders", "fr"))
    assert text == "Ce client ne fournit pas de données de commandes : cette partie ne peut pas être calculée."
    assert "orders" not in text and "«" not in text


def test_shipping_fee_bands_are_written_for_the_reader():
    import math

    assert [lb.fee_band_label(lo, hi, "fr") for lo, hi in [(0, 0.005), (0.005, 5), (5, 10), (15, math.inf)]] == \
        ["Gratuits", "moins de 5\u00a0€", "5–10\u00a0€", "15\u00a0€ et plus"]
    assert [lb.fee_band_label(lo, hi, "en") for lo, hi in [(0, 0.005), (0.005, 5), (5, 10), (15, None)]] == \
        ["Free", "under €5", "€5–10", "€15+"]
