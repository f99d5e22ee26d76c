"""The paragraph and the significance marks (kpi_helpers.commentary), on hand-made explanation cards."""

from __future__ import annotations

import copy
import re

import pytest

from kpi_helpers import commentary as co

NNBSP, NBSP = "\u202f", "\u00a0"


def _test(value, previous, p, verdict, n=2000):
    return {"value": value, "previous": previous, "change": value - previous, "p_value": p, "verdict": verdict,
            "significant": verdict == "significant", "too_few": verdict == "too_few", "numerator": value * n,
            "denominator": n, "previous_numerator": previous * n, "previous_denominator": n}


#: Revenue 3 482,60 -> 5 176,50 € (+48,6 %): sessions 2 551 -> 2 635, orders per session, basket.
CARD = {
    "client": "Maison Lune",
    "comparison": {"compare": "previous_period", "start": "2026-08-31", "end": "2026-09-30"},
    "filters": {"channel": None, "device": None},
    "revenue": {
        "value": 5176.5, "previous": 3482.6, "change": 1693.9, "relative_change": 1693.9 / 3482.6,
        "factors": {"sessions": {"value": 2635, "previous": 2551, "relative_change": 84 / 2551},
                    "orders_per_session": {"value": 62 / 2635, "previous": 48 / 2551, "relative_change": 0.2505},
                    "average_order_value": {"value": 83.49, "previous": 72.55, "relative_change": 0.1508}},
        "effects": {"sessions": 138.46, "orders_per_session": 955.33, "average_order_value": 600.11},
    },
    "contributions": {"channel": {"email": {"revenue": 746.6, "orders": 8}, "paid_search": {"revenue": -306.7, "orders": -3},
                                  "organic_search": {"revenue": 532.1, "orders": 1}, "display": {"revenue": 0.0, "orders": 0}},
                      "device": {}},
    "tests": {
        "conversion_rate": _test(0.0266, 0.0222, 0.34, "noise"),
        "orders_per_session": _test(0.0235, 0.0188, 0.24, "noise"),
        "average_order_value": _test(83.49, 72.55, 0.031, "significant", n=62),
        "zero_result_rate": _test(0.1008, 0.1471, 0.04, "significant", n=400),
        "search_rate": _test(0.088, 0.0906, 0.75, "noise"),
        "cart_abandonment_rate": None,
    },
}


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=\.) (?=[A-ZÀ-Ý])", text) if s]


def test_the_french_paragraph_says_the_movement_its_drivers_what_is_noise_and_the_channels():
    text = co.summary(CARD, language="fr")
    assert 3 <= len(sentences(text)) <= 5, text
    assert text.startswith(f"Le chiffre d'affaires progresse de 48,6{NBSP}% (+1{NNBSP}694{NBSP}€) "
                           "par rapport à la période précédente")
    assert (f"Cette hausse vient surtout des commandes par visite (+25,1{NBSP}%, soit +955{NBSP}€), "
            f"puis du panier moyen (+15,1{NBSP}%, +600{NBSP}€) et des visites (+3,3{NBSP}%, +138{NBSP}€).") in text
    assert (f"Les évolutions des commandes par visite (p = 0,24) et du taux de conversion des visiteurs "
            f"(+0,4{NBSP}pt, p = 0,34) restent dans le bruit ; celle du panier moyen (p = 0,031) est significative.") in text
    assert (f"Par canal, E-mail (+747{NBSP}€) et Référencement naturel (SEO, +532{NBSP}€) portent la hausse ; "
            f"Référencement payant (SEA) recule de 307{NBSP}€.") in text
    assert f"Autre évolution significative : recherches sans résultat (−4,6{NBSP}pt, p = 0,040)." in text


def test_the_english_paragraph_is_the_twin():
    text = co.summary(CARD, language="en")
    assert text.startswith("Revenue rises by 48.6% (+€1,694) compared with the previous period, to €5,177.")
    assert "The rise comes mainly from orders per session (+25.1%, i.e. +€955)" in text
    assert "the one in the average order value (p = 0.031) is significant" in text
    assert "Paid search (SEA) falls by €307" in text
    assert 3 <= len(sentences(text)) <= 5


def test_one_minus_sign_and_no_hyphen_before_a_number():
    fall = copy.deepcopy(CARD)
    rev = fall["revenue"]
    rev.update(value=3482.6, previous=5176.5, change=-1693.9, relative_change=-1693.9 / 5176.5)
    rev["effects"] = {k: -v for k, v in rev["effects"].items()}
    rev["effects"]["sessions"] = 50.0
    rev["factors"]["sessions"]["relative_change"] = 0.02
    for c in fall["contributions"]["channel"].values():
        c["revenue"] = -c["revenue"]
    for language in ("fr", "en"):
        text = co.summary(fall, language=language)
        assert not re.search(r"-\d", text), text
        assert "−" in text
    fr = co.summary(fall, language="fr")
    assert fr.startswith(f"Le chiffre d'affaires recule de 32,7{NBSP}% (−1{NNBSP}694{NBSP}€)")
    assert f"malgré la hausse des visites (+2,0{NBSP}%, +50{NBSP}€)" in fr
    assert f"Référencement payant (SEA) progresse de 307{NBSP}€" in fr


def test_without_a_decomposition_the_paragraph_says_why():
    card = copy.deepcopy(CARD)
    card["revenue"]["effects"] = None
    card["revenue"]["factors"]["sessions"]["previous"] = 0.0
    assert "Pas de décomposition possible : aucune visite sur la période de comparaison." in co.summary(card)
    assert "It cannot be decomposed: no session in the comparison period." in co.summary(card, language="en")


def test_a_shop_without_sessions_gets_its_revenue_and_basket_without_a_decomposition():
    card = copy.deepcopy(CARD)
    card["revenue"]["effects"] = None
    card["revenue"]["factors"]["sessions"] = {"value": None, "previous": None, "relative_change": None}
    card["unavailable"] = {"revenue.effects": "sessions table not provided"}
    for name in ("orders_per_session", "conversion_rate"):
        card["tests"][name] = None
    text = co.summary(card)
    assert ("Sans la table des visites, pas de décomposition en visites, commandes par visite et panier moyen."
            in text)
    assert f"L'évolution du panier moyen (+15,1{NBSP}%, p = 0,031) est significative." in text


def test_with_an_empty_comparison_period_nothing_can_be_judged_and_no_empty_detail_is_shown():
    card = copy.deepcopy(CARD)
    for name in ("orders_per_session", "average_order_value", "conversion_rate"):
        card["tests"][name] = {**card["tests"][name], "previous": None, "change": None, "p_value": None,
                               "verdict": "too_few"}
    text = co.summary(card, language="en")
    assert ("The changes in orders per session, the average order value and the visitor conversion rate cannot be "
            "judged (under 30 orders, sessions or visitors in one period).") in text
    assert "(–)" not in text


def test_a_social_media_only_client_gets_its_engagement_rate_in_three_sentences():
    card = {"comparison": {"compare": "previous_year"}, "filters": {}, "revenue": None, "contributions": None,
            "tests": {"engagement_rate": {**_test(0.0172, 0.0194, 0.66, "noise"), "numerator": 24, "denominator": 1395,
                                          "previous_numerator": 28, "previous_denominator": 1442}}}
    text = co.summary(card, language="fr")
    assert sentences(text) == [
        f"Le taux d'engagement recule de 0,2{NBSP}pt par rapport à la même période l'an dernier, de 1,94{NBSP}% à 1,72{NBSP}%.",
        "Sur les publications qui indiquent leurs impressions, les j'aime et commentaires passent de 28 à 24 "
        f"(−14,3{NBSP}%) et les impressions de 1{NNBSP}442 à 1{NNBSP}395 (−3,3{NBSP}%).",
        "Cette évolution reste dans le bruit (p = 0,66) : rien ne permet d'y voir un changement réel.",
    ]


def test_too_few_to_judge_is_said_with_the_denominator():
    card = copy.deepcopy(CARD)
    card["tests"]["average_order_value"] = _test(83.49, 72.55, 0.2, "too_few", n=12)
    assert ("celle du panier moyen ne peut pas être jugée (moins de 30 commandes sur l'une des périodes)"
            in co.summary(card))


def test_nothing_to_compare_says_so():
    card = {"comparison": {"compare": "previous_period"}, "filters": {}, "revenue": None, "tests": {}}
    assert co.summary(card) == "Pas assez de données pour comparer les deux périodes."


@pytest.mark.parametrize("verdict, fr, en", [("significant", "significatif", "significant"), ("noise", "bruit", "noise"),
                                             ("too_few", "trop peu", "too few"), ("untested", "", ""), (None, "", "")])
def test_the_mark_beside_a_change_names_its_verdict(verdict, fr, en):
    assert co.mark(verdict, "fr") == fr and co.mark(verdict, "en") == en
