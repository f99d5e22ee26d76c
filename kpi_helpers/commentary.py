"""The words of an explanation: the opening paragraph, the significance marks and the tables that
show the decomposition and the tests, in French and English.

:func:`summary` writes three to five sentences from the figures of :func:`kpi_helpers.explain.explain`
(the card): the main movement (revenue, or engagement for a social-media-only client), what drove
it (the LMDI effects), which changes are real and which are noise (the tests), the channels that
carried it, and the other significant changes. Nothing here computes a KPI: every number comes
from the card or from the helpers' DataFrames.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd

from .labels import (CHANNEL_LABELS, REPORT_TEXT, channel_label, check_language, device_label, format_kpi,
                     format_money, format_number, format_p_value, format_percent, format_points,
                     format_signed_money, kpi_label)
from .significance import ALPHA, MIN_DENOMINATOR, two_proportion_z_test

__all__ = ["summary", "mark", "MARK_LEGEND", "effects_table", "contributions_table", "mix_table", "tests_table",
           "noise_table", "VERDICT_WORDS"]

#: "of the KPI" (French: with its article contracted, as after « de ») and the English name.
_OF = {
    "sessions": ("des visites", "sessions"),
    "orders_per_session": ("des commandes par visite", "orders per session"),
    "average_order_value": ("du panier moyen", "the average order value"),
    "conversion_rate": ("du taux de conversion des visiteurs", "the visitor conversion rate"),
    "session_conversion_rate": ("du taux de conversion des visites", "the session conversion rate"),
    "product_page_bounce_rate": ("du taux de rebond des pages produit", "the product page bounce rate"),
    "cart_abandonment_rate": ("du taux d'abandon de panier", "the cart abandonment rate"),
    "returning_customer_rate": ("de la part de clients fidèles", "the returning customer rate"),
    "repeat_purchase_rate": ("du taux de réachat", "the repeat purchase rate"),
    "search_rate": ("du taux d'utilisation de la recherche", "the search rate"),
    "zero_result_rate": ("de la part de recherches sans résultat", "the zero-result rate"),
    "engagement_rate": ("du taux d'engagement", "the engagement rate"),
}

#: The word beside a change in the scorecard tables, by verdict.
VERDICT_WORDS = {
    "significant": {"fr": "significatif", "en": "significant"},
    "noise": {"fr": "bruit", "en": "noise"},
    "too_few": {"fr": "trop peu", "en": "too few"},
}

MARK_LEGEND = {
    "fr": (f"« significatif » : p < {format_number(ALPHA, 'fr', 2)}, l'évolution dépasse ce que le hasard produit "
           f"d'une période à l'autre ; « bruit » : elle reste dans ces variations ; « trop peu » : moins de "
           f"{MIN_DENOMINATOR} visiteurs, visites, paniers ou commandes dans l'une des deux périodes pour en juger. "
           "Les volumes, montants et médianes n'ont pas de test."),
    "en": (f"'significant': p < {format_number(ALPHA, 'en', 2)}, the change is larger than chance produces from one "
           f"period to the next; 'noise': it stays within that variation; 'too few': under {MIN_DENOMINATOR} "
           "visitors, sessions, carts or orders in one of the two periods to judge. Counts, amounts and medians "
           "are not tested."),
}


def mark(verdict: str | None, language: str = "fr") -> str:
    """The word for a test's verdict (empty for an untested change)."""
    return VERDICT_WORDS.get(verdict or "", {}).get(check_language(language), "")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _change(kpi_id: str, change: Any, relative: Any, language: str, currency: str) -> str:
    """A KPI's change as the scorecard shows it: points for a rate, percent otherwise."""
    if kpi_id in ("average_order_value", "sessions"):
        return format_percent(relative, language, 1, signed=True)
    return format_points(change, language)


def _join(items: Sequence[str], language: str) -> str:
    word = " et " if language == "fr" else " and "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + word + items[-1]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _compared(card: dict, language: str) -> str:
    what = REPORT_TEXT[card["comparison"]["compare"]][language]
    return f"par rapport à {what}" if language == "fr" else f"compared with {what}"


# ----------------------------------------------------------------------------------------------
# Sentences


def _movement(rev: dict, card: dict, lang: str, currency: str) -> str:
    value = format_money(rev["value"], lang, currency, 0)
    if rev["relative_change"] is None:
        before = format_money(rev["previous"], lang, currency, 0)
        return (f"Le chiffre d'affaires passe de {before} à {value} {_compared(card, lang)}" if lang == "fr"
                else f"Revenue goes from {before} to {value} {_compared(card, lang)}")
    pct = format_percent(abs(rev["relative_change"]), lang, 1)
    money = format_signed_money(rev["change"], lang, currency)
    if round(rev["relative_change"], 3) == 0:
        return (f"Le chiffre d'affaires est stable {_compared(card, lang)} ({value}, {money})" if lang == "fr"
                else f"Revenue is flat {_compared(card, lang)} ({value}, {money})")
    up = rev["change"] > 0
    if lang == "fr":
        return f"Le chiffre d'affaires {'progresse' if up else 'recule'} de {pct} ({money}) {_compared(card, lang)}, à {value}"
    return f"Revenue {'rises' if up else 'falls'} by {pct} ({money}) {_compared(card, lang)}, to {value}"


def _drivers(rev: dict, lang: str, currency: str) -> str | None:
    """Which factors made the change, largest effect first; those that went against it last."""
    effects = rev["effects"]
    if effects is None:
        for which in ("previous", "value"):
            zero = next((f for f, v in rev["factors"].items() if not (v[which] or 0) > 0), None)
            if zero:
                break
        when = {"fr": {"value": "la période", "previous": "la période de comparaison"},
                "en": {"value": "the period", "previous": "the comparison period"}}[lang][which]
        what = {"sessions": ("aucune visite", "no session"), "orders_per_session": ("aucune commande", "no order"),
                "average_order_value": ("un chiffre d'affaires nul", "no revenue")}.get(zero, ("aucune donnée", "no data"))
        return (f"Pas de décomposition possible : {what[0]} sur {when}" if lang == "fr"
                else f"It cannot be decomposed: {what[1]} in {when}")
    sign = 1 if rev["change"] >= 0 else -1
    order = sorted(effects, key=lambda f: -abs(effects[f]))
    helping = [f for f in order if effects[f] * sign > 0]
    against = [f for f in order if effects[f] * sign < 0]
    if not helping:
        return None
    fr = lang == "fr"

    def item(f: str, first: bool = False) -> str:
        pct = format_percent(rev["factors"][f]["relative_change"], lang, 1, signed=True)
        glue = ("soit " if fr else "i.e. ") if first else ""
        return f"{_OF[f][0 if fr else 1]} ({pct}, {glue}{format_signed_money(effects[f], lang, currency)})"

    if fr:
        text = f"Cette {'hausse' if sign > 0 else 'baisse'} vient {'surtout ' if len(helping) > 1 else ''}{item(helping[0], True)}"
        rest, moves = ", puis ", [("la hausse " if effects[f] > 0 else "le recul ") + item(f) for f in against]
        despite = ", malgré "
    else:
        text = f"The {'rise' if sign > 0 else 'fall'} comes {'mainly ' if len(helping) > 1 else ''}from {item(helping[0], True)}"
        rest, moves = ", then from ", [("the rise in " if effects[f] > 0 else "the fall in ") + item(f) for f in against]
        despite = ", despite "
    if len(helping) > 1:
        text += rest + _join([item(f) for f in helping[1:]], lang)
    if moves:
        text += despite + _join(moves, lang)
    return text


#: The denominator of each tested KPI, for "too few to judge" (French, English).
_UNITS = {
    "conversion_rate": ("visiteurs", "visitors"), "session_conversion_rate": ("visites", "sessions"),
    "orders_per_session": ("visites", "sessions"), "average_order_value": ("commandes", "orders"),
    "product_page_bounce_rate": ("visites sur une page produit", "product page sessions"),
    "cart_abandonment_rate": ("paniers", "carts"), "returning_customer_rate": ("acheteurs", "buyers"),
    "repeat_purchase_rate": ("acheteurs", "buyers"), "search_rate": ("visites", "sessions"),
    "zero_result_rate": ("recherches", "searches"), "engagement_rate": ("impressions", "impressions"),
}


def _judged(tests: dict, kpi_ids: Sequence[str], shown: set, lang: str) -> str | None:
    """Which of these KPIs' changes are significant, which are noise, which cannot be judged."""
    fr = lang == "fr"
    groups: dict[str, list[str]] = {"noise": [], "significant": [], "too_few": []}
    units = []
    for kpi_id in kpi_ids:
        t = tests.get(kpi_id)
        if not t or t["verdict"] not in groups:
            continue
        detail = [] if kpi_id in shown else [_change(kpi_id, t["change"], _relative(t), lang, "")]
        if t["verdict"] != "too_few":
            detail.append(format_p_value(t["p_value"], lang))
        else:
            units.append(_UNITS[kpi_id][0 if fr else 1])
        groups[t["verdict"]].append(f"{_OF[kpi_id][0 if fr else 1]}" + (f" ({', '.join(detail)})" if detail else ""))
    parts = []
    for verdict, items in groups.items():
        if not items:
            continue
        many = len(items) > 1
        names = _join(items, lang)
        few = _join(sorted(set(units)), lang) if units else ""
        if fr:
            lead = ("celles " if many else "celle ") if parts else ("les évolutions " if many else "l'évolution ")
            if verdict == "noise":
                tail = "restent dans le bruit" if many else "reste dans le bruit"
            elif verdict == "significant":
                tail = "sont significatives" if many else "est significative"
            else:
                tail = ("ne peuvent pas être jugées" if many else "ne peut pas être jugée") + \
                    f" (moins de {MIN_DENOMINATOR} {few} sur l'une des périodes)"
        else:
            lead = ("those in " if many else "the one in ") if parts else ("the changes in " if many else "the change in ")
            if verdict == "noise":
                tail = "stay within the noise" if many else "stays within the noise"
            elif verdict == "significant":
                tail = "are significant" if many else "is significant"
            else:
                tail = f"cannot be judged (under {MIN_DENOMINATOR} {few} in one period)"
        parts.append(f"{lead}{names} {tail}")
    if not parts:
        return None
    return " ; ".join(parts) if fr else "; ".join(parts)


def _relative(t: dict) -> float | None:
    return t["change"] / t["previous"] if t.get("previous") else None


def _amount_in(label: str, amount: str) -> str:
    """``Référencement payant (SEA)`` and ``+820 €`` -> ``Référencement payant (SEA, +820 €)``."""
    return f"{label[:-1]}, {amount})" if label.endswith(")") else f"{label} ({amount})"


def _channels(card: dict, lang: str, currency: str) -> str | None:
    groups = (card.get("contributions") or {}).get("channel")
    rev = card.get("revenue")
    if not groups or not rev or card["filters"].get("channel") or not rev["change"]:
        return None
    sign = 1 if rev["change"] > 0 else -1
    changes = {g: v["revenue"] for g, v in groups.items() if v["revenue"]}
    if len(changes) < 2:
        return None
    drivers = sorted((g for g in changes if changes[g] * sign > 0), key=lambda g: -abs(changes[g]))[:2]
    against = sorted((g for g in changes if changes[g] * sign < 0), key=lambda g: -abs(changes[g]))[:1]
    if not drivers:
        return None
    names = _join([_amount_in(channel_label(g, lang), format_signed_money(changes[g], lang, currency)) for g in drivers], lang)
    many = len(drivers) > 1
    if lang == "fr":
        verb = ("portent la hausse" if many else "porte la hausse") if sign > 0 else \
            ("expliquent la baisse" if many else "explique la baisse")
        text = f"Par canal, {names} {verb}"
        for g in against:
            moved = "progresse" if changes[g] > 0 else "recule"
            text += f" ; {channel_label(g, lang)} {moved} de {format_money(abs(changes[g]), lang, currency, 0)}"
        return text
    verb = ("drive the rise" if many else "drives the rise") if sign > 0 else \
        ("account for the fall" if many else "accounts for the fall")
    text = f"By channel, {names} {verb}"
    for g in against:
        text += f"; {channel_label(g, lang)} {'grows' if changes[g] > 0 else 'falls'} by {format_money(abs(changes[g]), lang, currency, 0)}"
    return text


def _others(tests: dict, mentioned: set, lang: str) -> str | None:
    """The other significant changes (at most three), or that the other tested ones are noise."""
    fr = lang == "fr"
    rest = {k: t for k, t in tests.items() if t and k not in mentioned}
    significant = [k for k, t in rest.items() if t["verdict"] == "significant"][:3]
    if significant:
        items = [f"{kpi_label(k, lang)[0].lower()}{kpi_label(k, lang)[1:]} "
                 f"({_change(k, rest[k]['change'], _relative(rest[k]), lang, '')}, {format_p_value(rest[k]['p_value'], lang)})"
                 for k in significant]
        many = len(items) > 1
        if fr:
            return f"{'Autres évolutions significatives' if many else 'Autre évolution significative'} : {_join(items, lang)}"
        return f"{'Other significant changes' if many else 'Other significant change'}: {_join(items, lang)}"
    if any(t["verdict"] == "noise" for t in rest.values()):
        return ("Les autres évolutions testées restent dans le bruit" if fr
                else "The other tested changes stay within the noise")
    return None


def _engagement(card: dict, lang: str) -> list[str]:
    """A social-media-only client: the engagement rate, its parts and whether its change is real."""
    t = (card.get("tests") or {}).get("engagement_rate")
    if not t or t["value"] is None or t["previous"] is None:
        return []
    fr = lang == "fr"
    before, now = format_percent(t["previous"], lang, 1), format_percent(t["value"], lang, 1)
    pts = format_points(abs(t["change"]), lang, signed=False)
    if round(t["change"], 3) == 0:
        first = (f"Le taux d'engagement est stable {_compared(card, lang)}, à {now}" if fr
                 else f"The engagement rate is flat {_compared(card, lang)}, at {now}")
    elif fr:
        first = (f"Le taux d'engagement {'progresse' if t['change'] > 0 else 'recule'} de {pts} "
                 f"{_compared(card, lang)}, de {before} à {now}")
    else:
        first = f"The engagement rate {'rises' if t['change'] > 0 else 'falls'} by {pts} {_compared(card, lang)}, from {before} to {now}"

    def count(a: float, b: float) -> str:
        rel = format_percent((a - b) / b, lang, 1, signed=True) if b else "–"
        return (f"de {format_number(b, lang)} à {format_number(a, lang)} ({rel})" if fr
                else f"from {format_number(b, lang)} to {format_number(a, lang)} ({rel})")

    parts = (f"Sur les publications qui indiquent leurs impressions, les j'aime et commentaires passent "
             f"{count(t['numerator'], t['previous_numerator'])} et les impressions "
             f"{count(t['denominator'], t['previous_denominator'])}" if fr else
             f"On the posts that report impressions, likes and comments go "
             f"{count(t['numerator'], t['previous_numerator'])} and impressions "
             f"{count(t['denominator'], t['previous_denominator'])}")
    p = format_p_value(t["p_value"], lang)
    verdict = {
        "significant": (f"Cette évolution est significative ({p}) : elle dépasse ce que le hasard produit d'une période à l'autre",
                        f"This change is significant ({p}): it is larger than chance produces from one period to the next"),
        "noise": (f"Cette évolution reste dans le bruit ({p}) : rien ne permet d'y voir un changement réel",
                  f"This change stays within the noise ({p}): nothing shows a real change"),
        "too_few": (f"Trop peu d'impressions (moins de {MIN_DENOMINATOR}) pour juger cette évolution",
                    f"Too few impressions (under {MIN_DENOMINATOR}) to judge this change"),
    }.get(t["verdict"])
    return [first, parts] + ([verdict[0 if fr else 1]] if verdict else [])


def summary(card: dict, *, language: str = "fr", currency: str = "EUR") -> str:
    """Three to five sentences on what changed, why, and what is noise, from the card of
    :func:`kpi_helpers.explain.explain`: the movement of revenue, its LMDI drivers, the
    significance of the drivers' changes (and of the visitor conversion rate), the channels that
    carried it, and the other significant changes. A client without orders gets its engagement
    rate instead."""
    lang = check_language(language)
    tests = card.get("tests") or {}
    rev = card.get("revenue")
    sentences: list[str | None] = []
    mentioned: set[str] = set()
    if rev is not None and (rev["value"] or rev["previous"]):
        drivers = ("orders_per_session", "average_order_value", "conversion_rate")
        shown = set(drivers[:2]) if rev["effects"] else set()
        sentences += [_movement(rev, card, lang, currency), _drivers(rev, lang, currency),
                      _judged(tests, drivers, shown, lang), _channels(card, lang, currency)]
        mentioned |= set(drivers)
    elif tests.get("engagement_rate"):
        sentences += _engagement(card, lang)
        mentioned.add("engagement_rate")
    texts = [_sentence(s) for s in sentences if s]
    if not texts:
        return ("Pas assez de données pour comparer les deux périodes." if lang == "fr"
                else "Not enough data to compare the two periods.")
    other = _others(tests, mentioned, lang)
    if other and len(texts) < 5:
        texts.append(_sentence(other))
    return " ".join(texts)
