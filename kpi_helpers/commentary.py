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

from .labels import (REPORT_TEXT, channel_label, check_language, device_label, format_kpi, format_money,
                     format_number, format_p_value, format_percent, format_points, format_signed_money,
                     format_signed_number, kpi_label, label)
from .significance import ALPHA, MIN_DENOMINATOR, two_proportion_z_test, verdict, wilson_interval

__all__ = ["summary", "mark", "MARK_LEGEND", "VERDICT_WORDS", "effects_table", "contributions_table", "mix_table",
           "mix_sentence", "tests_table", "noise_table", "why_not_decomposed"]

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


def _money(value: float, lang: str, currency: str) -> str:
    """An amount in a sentence: whole units, rounded half up (5 176,50 € -> 5 177 €)."""
    return format_signed_money(value, lang, currency).lstrip("+")


def _movement(rev: dict, card: dict, lang: str, currency: str) -> str:
    value = _money(rev["value"], lang, currency)
    if rev["relative_change"] is None:
        before = _money(rev["previous"], lang, currency)
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


def _why_not(factors: dict, lang: str) -> str:
    """Why revenue cannot be decomposed: the first factor at 0, in the comparison period first."""
    for which in ("previous", "value"):
        zero = next((f for f, v in factors.items() if not (v[which] or 0) > 0), None)
        if zero:
            break
    when = {"fr": {"value": "la période", "previous": "la période de comparaison"},
            "en": {"value": "the period", "previous": "the comparison period"}}[lang][which]
    what = {"sessions": ("aucune visite", "no session"), "orders_per_session": ("aucune commande", "no order"),
            "average_order_value": ("un chiffre d'affaires nul", "no revenue")}.get(zero, ("aucune donnée", "no data"))
    return (f"Pas de décomposition possible : {what[0]} sur {when}" if lang == "fr"
            else f"It cannot be decomposed: {what[1]} in {when}")


def why_not_decomposed(decomposition: pd.DataFrame, *, language: str = "fr") -> str:
    """Why a revenue decomposition (:func:`kpi_helpers.explain.revenue_decomposition`) has no effects."""
    factors = {r.factor: {"value": r.value, "previous": r.comparison_value} for r in decomposition.itertuples()}
    return _sentence(_why_not(factors, check_language(language)))


def _drivers(rev: dict, lang: str, currency: str, reason: str | None = None) -> str | None:
    """Which factors made the change, largest effect first; those that went against it last."""
    effects = rev["effects"]
    if effects is None:
        if reason and "sessions table" in reason:
            return ("Sans la table des visites, pas de décomposition en visites, commandes par visite et panier moyen"
                    if lang == "fr" else
                    "Without the sessions table, it cannot be split into sessions, orders per session and average order value")
        return _why_not(rev["factors"], lang)
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


#: The words of the judgement sentence: (one change, several changes).
_JUDGED = {
    "fr": {"first": ("l'évolution ", "les évolutions "), "after": ("celle ", "celles "),
           "noise": ("reste dans le bruit", "restent dans le bruit"),
           "significant": ("est significative", "sont significatives"),
           "too_few": ("ne peut pas être jugée (moins de {n} {few} sur l'une des périodes)",
                       "ne peuvent pas être jugées (moins de {n} {few} sur l'une des périodes)")},
    "en": {"first": ("the change in ", "the changes in "), "after": ("the one in ", "those in "),
           "noise": ("stays within the noise", "stay within the noise"),
           "significant": ("is significant", "are significant"),
           "too_few": ("cannot be judged (under {n} {few} in one period)",) * 2},
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
        detail = [] if kpi_id in shown or _missing(t["change"]) else [_change(kpi_id, t["change"], _relative(t), lang, "")]
        if t["verdict"] != "too_few":
            detail.append(format_p_value(t["p_value"], lang))
        else:
            units.append(_UNITS[kpi_id][0 if fr else 1])
        groups[t["verdict"]].append(f"{_OF[kpi_id][0 if fr else 1]}" + (f" ({', '.join(detail)})" if detail else ""))
    parts = []
    words = _JUDGED[lang]
    for verdict, items in groups.items():
        if not items:
            continue
        many = int(len(items) > 1)
        few = _join(sorted(set(units)), lang).replace(" et ", " ou ").replace(" and ", " or ") if units else ""
        lead = words["after" if parts else "first"][many]
        tail = words[verdict][many].format(n=MIN_DENOMINATOR, few=few)
        names = _join(items, lang)
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
            text += f" ; {channel_label(g, lang)} {moved} de {_money(abs(changes[g]), lang, currency)}"
        return text
    verb = ("drive the rise" if many else "drives the rise") if sign > 0 else \
        ("account for the fall" if many else "accounts for the fall")
    text = f"By channel, {names} {verb}"
    for g in against:
        text += f"; {channel_label(g, lang)} {'grows' if changes[g] > 0 else 'falls'} by {_money(abs(changes[g]), lang, currency)}"
    return text


def _others(tests: dict, mentioned: set, lang: str) -> str | None:
    """The other significant changes (at most three), or that the other tested ones are noise."""
    fr = lang == "fr"
    rest = {k: t for k, t in tests.items() if t and k not in mentioned}
    significant = [k for k, t in rest.items() if t["verdict"] == "significant"][:3]
    if significant:
        items = [_amount_in(kpi_label(k, lang)[0].lower() + kpi_label(k, lang)[1:],
                            f"{_change(k, rest[k]['change'], _relative(rest[k]), lang, '')}, "
                            f"{format_p_value(rest[k]['p_value'], lang)}")
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
    before, now = (format_kpi("engagement_rate", t[k], language=lang) for k in ("previous", "value"))
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
        reason = (card.get("unavailable") or {}).get("revenue.effects")
        sentences += [_movement(rev, card, lang, currency), _drivers(rev, lang, currency, reason),
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


# ----------------------------------------------------------------------------------------------
# Tables for the notebook (formatted, in the context's language)

_COLUMNS = {
    "factor": ("Facteur", "Factor"), "previous": ("Période de comparaison", "Comparison period"),
    "current": ("Période", "Period"), "change": ("Évolution", "Change"),
    "effect": ("Effet sur le chiffre d'affaires", "Effect on revenue"), "total": ("Ensemble", "Total"),
    "revenue_before": ("CA (comparaison)", "Revenue (comparison)"), "revenue_now": ("CA", "Revenue"),
    "revenue_change": ("Contribution au CA", "Contribution to revenue"),
    "orders_change": ("Contribution aux commandes", "Contribution to orders"),
    "share": ("Part des visiteurs", "Share of visitors"), "rate": ("Taux de conversion", "Conversion rate"),
    "mix": ("Effet mix", "Mix effect"), "rate_effect": ("Effet taux", "Rate effect"),
    "sample": ("Effectifs", "Sample sizes"), "verdict": ("Verdict", "Verdict"),
    "visitors": ("Visiteurs par période", "Visitors per period"), "buyers": ("Acheteurs", "Buyers"),
}


def _value(kpi_id: str, value: Any, language: str, currency: str) -> str:
    """A KPI's value in a table; orders per session as a percentage (2,35 % = 2.35 orders per 100 sessions)."""
    if kpi_id == "orders_per_session":
        return format_percent(value, language, 2)
    return format_kpi(kpi_id, value, language=language, currency=currency)


def _col(key: str, language: str) -> str:
    return _COLUMNS[key][0 if check_language(language) == "fr" else 1]


def _arrow(before: str, after: str) -> str:
    return f"{before} → {after}"


def _segment_name(by: str, value: Any, language: str) -> str:
    return channel_label(value, language) if by == "channel" else device_label(value, language)


def effects_table(decomposition: pd.DataFrame, *, language: str = "fr", currency: str = "EUR") -> pd.DataFrame:
    """The revenue decomposition (:func:`kpi_helpers.explain.revenue_decomposition`) as a table:
    each factor's value in both periods, its change and its effect, then revenue itself."""
    lang = language
    rows = []
    for r in decomposition.itertuples():
        rows.append([kpi_label(r.factor, lang), _value(r.factor, r.comparison_value, lang, currency),
                     _value(r.factor, r.value, lang, currency),
                     format_percent(r.relative_change, lang, 1, signed=True), format_signed_money(r.effect, lang, currency)])
    a = decomposition.attrs
    before, now, change = a.get("comparison_revenue"), a.get("revenue"), a.get("change")
    relative = change / before if not _missing(before) and before else None
    rows.append([kpi_label("revenue", lang), format_money(before, lang, currency), format_money(now, lang, currency),
                 format_percent(relative, lang, 1, signed=True), format_signed_money(change, lang, currency)])
    return pd.DataFrame(rows, columns=[_col(k, lang) for k in ("factor", "previous", "current", "change", "effect")])


def contributions_table(contributions: pd.DataFrame, *, language: str = "fr", currency: str = "EUR") -> pd.DataFrame:
    """Each group's contribution to the change of revenue and orders
    (:func:`kpi_helpers.explain.change_contributions`), largest first, then the total; groups without
    any order in either period are left out."""
    lang = language
    by = contributions.columns[0]
    df = contributions[(contributions[["orders", "comparison_orders"]] != 0).any(axis=1)]
    df = df.sort_values("revenue_change", ascending=False, kind="stable")
    names = [_segment_name(by, v, lang) for v in df[by]] + [_col("total", lang)]
    sums = df[["comparison_revenue", "revenue", "revenue_change", "orders_change"]].sum()
    return pd.DataFrame({
        label(by, lang): names,
        _col("revenue_before", lang): [_money(v, lang, currency) for v in [*df["comparison_revenue"], sums["comparison_revenue"]]],
        _col("revenue_now", lang): [_money(v, lang, currency) for v in [*df["revenue"], sums["revenue"]]],
        _col("revenue_change", lang): [format_signed_money(v, lang, currency) for v in [*df["revenue_change"], sums["revenue_change"]]],
        _col("orders_change", lang): [format_signed_number(v, lang) for v in [*df["orders_change"], sums["orders_change"]]],
    })


def mix_table(mix: pd.DataFrame, *, language: str = "fr") -> pd.DataFrame:
    """The conversion rate's mix and rate effects per channel (:func:`kpi_helpers.explain.conversion_mix`)."""
    lang = language
    by = mix.attrs.get("by", "channel")
    df = mix[(mix["denominator"] > 0) | (mix["comparison_denominator"] > 0)]
    return pd.DataFrame({
        label(by, lang): [_segment_name(by, v, lang) for v in df[by]],
        _col("share", lang): [_arrow(format_percent(a, lang), format_percent(b, lang))
                              for a, b in zip(df["comparison_share"], df["share"])],
        _col("rate", lang): [_arrow(format_percent(a, lang, 2), format_percent(b, lang, 2))
                             for a, b in zip(df["comparison_value"], df["value"])],
        _col("mix", lang): [format_points(v, lang, 2) for v in df["mix_effect"]],
        _col("rate_effect", lang): [format_points(v, lang, 2) for v in df["rate_effect"]],
    })


def mix_sentence(mix: pd.DataFrame, *, language: str = "fr") -> str:
    """``Taux de conversion : 2,22 % → 2,66 % (+0,44 pt) = effet mix … + effet taux … + …``."""
    a = mix.attrs
    lang = language
    if "unavailable" in a:
        return (f"Pas de décomposition du taux de conversion : {a['unavailable']}." if lang == "fr"
                else f"The conversion rate cannot be decomposed: {a['unavailable']}.")
    head = (f"{kpi_label('conversion_rate', lang)} : " if lang == "fr" else f"{kpi_label('conversion_rate', lang)}: ") + \
        f"{_arrow(format_percent(a['comparison_value'], lang, 2), format_percent(a['value'], lang, 2))} " \
        f"({format_points(a['change'], lang, 2)})"
    parts = [(("effet mix", "mix effect"), a["mix_effect"]), (("effet taux", "rate effect"), a["rate_effect"]),
             (("visiteurs venus par plusieurs canaux ou acheteurs sans visite", "visitors of several channels or buyers "
               "without a session"), a["overlap_effect"])]
    return head + " = " + " ; ".join(f"{name[0 if lang == 'fr' else 1]} {format_points(v, lang, 2)}"
                                     for name, v in parts) + "."


def tests_table(tests: pd.DataFrame, *, language: str = "fr", currency: str = "EUR") -> pd.DataFrame:
    """Each tested KPI (:func:`kpi_helpers.explain.change_tests`): its value and 95 % interval in
    both periods, the change, the p-value, the sample sizes and the verdict."""
    lang = language
    df = tests[tests["test"].notna()]
    sep = " ; " if lang == "fr" else ", "

    def shown(kpi_id: str, v: float, low: float, high: float) -> str:
        if _missing(low):
            return _value(kpi_id, v, lang, currency)
        return f"{_value(kpi_id, v, lang, currency)} [{_value(kpi_id, low, lang, currency)}{sep}" \
               f"{_value(kpi_id, high, lang, currency)}]"

    return pd.DataFrame({
        label("kpi", lang): [kpi_label(k, lang) for k in df["kpi"]],
        _col("previous", lang) + " [95 %]": [shown(r.kpi, r.comparison_value, r.comparison_low, r.comparison_high)
                                              for r in df.itertuples()],
        _col("current", lang) + " [95 %]": [shown(r.kpi, r.value, r.low, r.high) for r in df.itertuples()],
        _col("change", lang): [_change(r.kpi, r.change, r.change / r.comparison_value if r.comparison_value else None, lang, currency)
                               for r in df.itertuples()],
        "p": [format_p_value(p, lang) for p in df["p_value"]],
        _col("sample", lang): [_arrow(format_number(a, lang), format_number(b, lang))
                               for a, b in zip(df["comparison_denominator"], df["denominator"])],
        _col("verdict", lang): [mark(v, lang) or "–" for v in df["verdict"]],
    })


def noise_table(*, visitors: Sequence[int] = (2000, 50_000), rate: float = 0.02, rise: float = 0.004,
                language: str = "fr") -> pd.DataFrame:
    """The same rise of a conversion rate (``rate`` -> ``rate + rise``) judged on different numbers of
    visitors per period: the buyers it means, the 95 % interval after, the p-value and the verdict."""
    lang = language
    rows = []
    for n in visitors:
        before, after = round(n * rate), round(n * (rate + rise))
        test = two_proportion_z_test(after, n, before, n)
        low, high = wilson_interval(after, n)
        sep = " ; " if lang == "fr" else ", "
        rows.append([format_number(n, lang), _arrow(format_number(before, lang), format_number(after, lang)),
                     _arrow(format_percent(before / n, lang, 1), format_percent(after / n, lang, 1)),
                     format_points(after / n - before / n, lang),
                     f"[{format_percent(low, lang, 1)}{sep}{format_percent(high, lang, 1)}]",
                     format_p_value(test.p_value, lang), mark(verdict(test.p_value, (n, n)), lang)])
    return pd.DataFrame(rows, columns=[_col("visitors", lang), _col("buyers", lang), _col("rate", lang),
                                       _col("change", lang), "95 %", "p", _col("verdict", lang)])
