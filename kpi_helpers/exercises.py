"""Exercises that end each notebook, with answers that the KPI functions check.

Each exercise names the KPI call that answers it; :func:`kpi_helpers.notebook.check` compares a
learner's number with it (to a relative tolerance, so a rounded answer such as ``2.1`` for a
2.13 % rate is accepted: percentages may be given as fractions or as percents).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .core import compute

__all__ = ["Exercise", "EXERCISES", "solution"]


@dataclass(frozen=True)
class Exercise:
    id: str
    question: dict[str, str]
    hint: dict[str, str]
    answer: Callable[[Any], float]  # ctx -> expected value
    percent: bool = False  # a 0-1 fraction that may be answered as a percentage
    rel_tol: float = 0.02

    def is_correct(self, answer: Any, ctx: Any) -> bool:
        try:
            value = float(str(answer).replace(",", ".").replace("%", "").strip())
        except ValueError:
            return False
        expected = self.answer(ctx)
        if expected is None or (isinstance(expected, float) and math.isnan(expected)):
            return False
        candidates = [value] + ([value / 100] if self.percent else [])
        return any(math.isclose(c, expected, rel_tol=self.rel_tol, abs_tol=1e-9 if expected == 0 else 0) for c in candidates)


def _value(kpi_id: str, **fixed: Any) -> Callable[[Any], float]:
    def get(ctx: Any) -> float:
        kw = {**ctx.kw, **fixed}
        df = compute(kpi_id, ctx.client, margin_rate=ctx.margin_rate, **kw)
        if "unavailable" in df.attrs or df.empty:
            return float("nan")
        if "by" in fixed:
            raise ValueError("use _segment for breakdowns")
        return float(df["value"].iloc[0])

    return get


def _segment(kpi_id: str, by: str, pick: str) -> Callable[[Any], float]:
    """The value of the segment with the highest (pick='max') or lowest ('min') value."""
    def get(ctx: Any) -> float:
        df = compute(kpi_id, ctx.client, by=by, margin_rate=ctx.margin_rate, **ctx.kw).dropna(subset=["value"])
        if df.empty:
            return float("nan")
        return float(df["value"].max() if pick == "max" else df["value"].min())

    return get


def _effect(factor: str) -> Callable[[Any], float]:
    """The LMDI effect of one factor on the change of revenue (needs a comparison)."""
    def get(ctx: Any) -> float:
        from .explain import revenue_decomposition

        if not ctx.compare:
            return float("nan")
        df = revenue_decomposition(ctx.client, compare=ctx.compare, **ctx.kw)
        return float(df.set_index("factor").loc[factor, "effect"])

    return get


def _p_value(kpi_id: str) -> Callable[[Any], float]:
    """The p-value of the test of a KPI's change (needs a comparison)."""
    def get(ctx: Any) -> float:
        from .explain import change_tests

        if not ctx.compare:
            return float("nan")
        return float(change_tests(ctx.client, kpis=[kpi_id], compare=ctx.compare, **ctx.kw)["p_value"].iloc[0])

    return get


def _ex(id: str, q_fr: str, q_en: str, h_fr: str, h_en: str, answer, percent: bool = False, rel_tol: float = 0.02) -> Exercise:
    return Exercise(id, {"fr": q_fr, "en": q_en}, {"fr": h_fr, "en": h_en}, answer, percent, rel_tol)


EXERCISES: dict[str, Exercise] = {e.id: e for e in [
    _ex("overview-aov", "Quel est le panier moyen de la période ?", "What is the average order value of the period?",
        "chiffre d'affaires / commandes, commandes annulées exclues.", "revenue / orders, cancelled orders left out.",
        _value("average_order_value")),
    _ex("overview-orders-per-session", "Combien de commandes par visite (définition Universal Analytics) ?",
        "How many orders per session (Universal Analytics' definition)?",
        "utilisez orders_per_session : commandes / visites.", "use orders_per_session: orders / sessions.",
        _value("orders_per_session"), percent=True),
    _ex("overview-basket-effect",
        "De combien d'euros l'évolution du panier moyen a-t-elle fait varier le chiffre d'affaires ?",
        "By how much did the change of the average order value move revenue, in the client's currency?",
        "la colonne « Effet sur le chiffre d'affaires » de la ligne Panier moyen (négatif s'il a baissé).",
        "the 'Effect on revenue' column of the Average order value row (negative if it fell).",
        _effect("average_order_value")),
    _ex("overview-conversion-p-value",
        "Quelle est la p-value de l'évolution du taux de conversion (visiteurs) ? Est-elle significative ?",
        "What is the p-value of the change of the (visitor) conversion rate? Is it significant?",
        "le tableau « Significatif ou bruit ? », colonne p ; significatif si p < 0,05.",
        "the 'Significant or noise?' table, column p; significant when p < 0.05.",
        _p_value("conversion_rate"), rel_tol=0.05),
    _ex("social-engagement", "Quel est le taux d'engagement (likes + commentaires) / impressions de la période ?",
        "What is the engagement rate (likes + comments) / impressions of the period?",
        "un rapport de sommes, pas une moyenne des taux par publication.", "a ratio of sums, not an average of per-post rates.",
        _value("engagement_rate"), percent=True),
    _ex("social-views", "Même question avec les vues comme dénominateur (Instagram depuis avril 2025).",
        "Same question with views as the denominator (Instagram since April 2025).",
        "utilisez engagement_rate_by_views.", "use engagement_rate_by_views.", _value("engagement_rate_by_views"), percent=True),
    _ex("conversion-mobile", "Quel est le taux de conversion (visiteurs) sur mobile ?",
        "What is the (visitor) conversion rate on mobile?", "filtrez device='mobile'.", "filter device='mobile'.",
        _value("conversion_rate", device="mobile"), percent=True),
    _ex("conversion-best-channel", "Quel est le panier moyen du canal au panier moyen le plus élevé ?",
        "What is the average order value of the channel with the highest one?",
        "average_order_value avec by='channel', puis le maximum.", "average_order_value with by='channel', then the maximum.",
        _segment("average_order_value", "channel", "max")),
    _ex("path-median-days", "Combien de jours (médiane) entre la première visite et l'achat ?",
        "How many days (median) between the first visit and the purchase?",
        "median_days_to_purchase.", "median_days_to_purchase.", _value("median_days_to_purchase"), rel_tol=0.05),
    _ex("path-median-visits", "Combien de visites (médiane) jusqu'à l'achat ?", "How many visits (median) until the purchase?",
        "median_visits_to_purchase.", "median_visits_to_purchase.", _value("median_visits_to_purchase"), rel_tol=0.05),
    _ex("pages-bounce-mobile", "Quel est le taux de rebond des pages produit sur mobile ?",
        "What is the product page bounce rate on mobile?", "filtrez device='mobile'.", "filter device='mobile'.",
        _value("product_page_bounce_rate", device="mobile"), percent=True),
    _ex("acquisition-cpa", "Quel est le coût par acquisition de la période ?", "What is the cost per acquisition of the period?",
        "dépenses publicitaires / commandes.", "ad spend / orders.", _value("cost_per_acquisition")),
    _ex("acquisition-roas", "Quel est le ROAS de la période ?", "What is the ROAS of the period?",
        "chiffre d'affaires / dépenses publicitaires.", "revenue / ad spend.", _value("roas")),
    _ex("carts-rate", "Quel est le taux d'abandon de panier ?", "What is the cart abandonment rate?",
        "paniers sans commande / paniers créés.", "carts without an order / carts created.",
        _value("cart_abandonment_rate"), percent=True),
    _ex("carts-mobile", "Et sur mobile ?", "And on mobile?", "filtrez device='mobile'.", "filter device='mobile'.",
        _value("cart_abandonment_rate", device="mobile"), percent=True),
    _ex("loyalty-returning", "Quelle part des acheteurs de la période avait déjà commandé avant ?",
        "What share of the period's buyers had ordered before?", "returning_customer_rate.", "returning_customer_rate.",
        _value("returning_customer_rate"), percent=True),
    _ex("loyalty-repeat", "Quelle part des acheteurs a commandé au moins deux fois dans la période ?",
        "What share of buyers ordered at least twice in the period?", "repeat_purchase_rate.", "repeat_purchase_rate.",
        _value("repeat_purchase_rate"), percent=True),
    _ex("search-zero", "Quelle part des recherches ne trouve rien ?", "What share of searches finds nothing?",
        "recherches à 0 résultat / recherches dont le nombre de résultats est connu.",
        "searches with 0 results / searches whose result count is known.", _value("zero_result_rate"), percent=True),
    _ex("search-conversion", "Quelle part des visites avec recherche se termine par une commande ?",
        "What share of sessions with a search ends with an order?", "search_to_purchase_rate.", "search_to_purchase_rate.",
        _value("search_to_purchase_rate"), percent=True),
]}


def solution(exercise_id: str, ctx: Any) -> float:
    """The expected answer (for trainers)."""
    return EXERCISES[exercise_id].answer(ctx)
