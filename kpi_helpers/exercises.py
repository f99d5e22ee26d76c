"""Exercises that end each notebook, with answers that the KPI functions check.

Each exercise names the KPI call that answers it and the **form** its question asks for:

- ``percent``: a 0-1 rate answered in percent, as the tables show it (``2.1`` or ``"2,1 %"`` for
  2.1 %);
- ``number``: a number as the tables show it (``3.2`` for a ROAS of 3.2, ``0.07`` for a p-value);
- ``amount``: an amount in euros (``85`` or ``85.4``);
- ``count``: a number of days or visits;
- ``yes_no``: ``"oui"`` / ``"non"`` (or ``"yes"`` / ``"no"``, ``True`` / ``False``);
- ``channel_amount``: a pair ``("E-mail", 95)``: a channel, named as the chart names it (or by its
  id), and an amount; both are checked.

**Rounding.** The question states the coarsest rounding it accepts (``decimals``: 0 for "to the
nearest unit", 1 for "rounded to one decimal"). An answer is right when it is the expected value
rounded to the decimals the learner wrote, as long as they wrote at least ``decimals`` of them:
for 2.12 %, with ``decimals=0``, ``2``, ``2.1`` and ``2.12`` are right and ``2.2`` is not.

An answer in another form than the question's (``0.021`` for a question in percent, ``2.1`` for a
number asked as ``0.021``) is not accepted, but the verdict says so rather than "not
quite". When the client lacks the data an exercise needs, the verdict says the exercise does not
apply to this client, whatever the answer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .core import compute

__all__ = ["Exercise", "EXERCISES", "NotAvailable", "Verdict", "solution", "FORMS"]

FORMS = ("percent", "number", "amount", "count", "yes_no", "channel_amount")

YES = {"oui", "o", "yes", "y", "vrai", "true", "1"}
NO = {"non", "n", "no", "faux", "false", "0"}


class NotAvailable(Exception):
    """The client (or the period, or the segment) lacks what the exercise needs; ``reason`` is the
    kit's reason (``"carts table not provided"``), for :func:`kpi_helpers.labels.reason_text`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check. ``status`` is one of ``right``, ``wrong``, ``empty``,
    ``unreadable``, ``other_form``, ``too_rounded``, ``wrong_channel``, ``wrong_amount`` or
    ``not_available`` (then ``reason`` says why)."""

    status: str
    reason: str | None = None

    @property
    def correct(self) -> bool:
        return self.status == "right"


def _parse_number(answer: Any) -> tuple[float, int] | None:
    """``answer`` as (value, decimals written); ``"2,1 %"`` -> (2.1, 1); None when unreadable."""
    if isinstance(answer, bool) or answer is None:
        return None
    if isinstance(answer, (int, float)):
        if isinstance(answer, float) and not math.isfinite(answer):
            return None
        text = repr(answer)
    elif isinstance(answer, str):
        text = answer.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        text = text.replace("\u2212", "-").replace("%", "").replace("€", "").replace(",", ".")
    else:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    exponent = d.as_tuple().exponent
    return float(d), max(0, -int(exponent)) if isinstance(exponent, int) else 0


def _matches(value: float, written: int, expected: float) -> bool:
    """``value``, written with ``written`` decimals, is ``expected`` rounded to that many decimals."""
    tolerance = 0.5 * 10 ** -written
    return abs(value - expected) <= tolerance + 1e-9 * max(1.0, abs(expected))


def _norm(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", str(text))
    return re.sub(r"[^a-z0-9]", "", "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold())


def _yes_no(answer: Any) -> bool | None:
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and _norm(answer) in YES | NO:
        return _norm(answer) in YES
    return None


@dataclass(frozen=True)
class Exercise:
    id: str
    question: dict[str, str]
    hint: dict[str, str]
    answer: Callable[[Any], Any]  # ctx -> expected value; raises NotAvailable
    form: str = "number"
    decimals: int = 0  # the coarsest rounding the question accepts

    def verdict(self, answer: Any, ctx: Any) -> Verdict:
        """Check ``answer`` against the value computed for ``ctx`` (see the module's docstring)."""
        try:
            expected = self.answer(ctx)
        except NotAvailable as exc:
            return Verdict("not_available", exc.reason)
        if answer is None or (isinstance(answer, str) and not answer.strip()):
            return Verdict("empty")
        if self.form == "yes_no":
            given = _yes_no(answer)
            return Verdict("unreadable") if given is None else Verdict("right" if given == expected else "wrong")
        if self.form == "channel_amount":
            return self._channel_amount(answer, expected)
        parsed = _parse_number(answer)
        if parsed is None:
            return Verdict("unreadable")
        value, written = parsed
        shown = expected * 100 if self.form == "percent" else expected
        if _matches(value, written, shown):
            # rounded right, but more coarsely than the question asks: "2" for 2.04 % is 2.0 % all the same
            return Verdict("right" if written >= self.decimals or _matches(value, self.decimals, shown) else "too_rounded")
        other = expected if self.form == "percent" else expected * 100 if self.form == "number" else None
        if other is not None and _matches(value, written, other):
            return Verdict("other_form")
        return Verdict("wrong")

    def _channel_amount(self, answer: Any, expected: tuple[set[str], float]) -> Verdict:
        if not isinstance(answer, (tuple, list)) or len(answer) != 2 or not isinstance(answer[0], str):
            return Verdict("unreadable")
        names, amount = expected
        parsed = _parse_number(answer[1])
        if parsed is None:
            return Verdict("unreadable")
        channel_ok = _norm(answer[0]) in names
        amount_ok = _matches(parsed[0], max(parsed[1], self.decimals), amount)
        if channel_ok and amount_ok:
            return Verdict("right")
        return Verdict("wrong_channel" if amount_ok else "wrong_amount" if channel_ok else "wrong")

    def is_correct(self, answer: Any, ctx: Any) -> bool:
        return self.verdict(answer, ctx).correct


def _number(df: Any) -> float:
    if "unavailable" in df.attrs:
        raise NotAvailable(df.attrs["unavailable"])
    if df.empty or df["value"].isna().all():
        raise NotAvailable("no data for this selection")
    return float(df["value"].iloc[0])


def _value(kpi_id: str, **fixed: Any) -> Callable[[Any], float]:
    def get(ctx: Any) -> float:
        return _number(compute(kpi_id, ctx.client, margin_rate=ctx.margin_rate, **{**ctx.kw, **fixed}))

    return get


def _best_channel(kpi_id: str) -> Callable[[Any], tuple[set[str], float]]:
    """The channel(s) with the highest value (its id and its names in both languages, normalised)
    and that value."""
    def get(ctx: Any) -> tuple[set[str], float]:
        from .labels import channel_label

        df = compute(kpi_id, ctx.client, by="channel", margin_rate=ctx.margin_rate, **ctx.kw)
        if "unavailable" in df.attrs:
            raise NotAvailable(df.attrs["unavailable"])
        df = df.dropna(subset=["value"])
        if df.empty:
            raise NotAvailable("no data for this selection")
        best = float(df["value"].max())
        names = set()
        for channel in df.loc[df["value"] == best, "channel"]:
            names |= {_norm(channel), _norm(channel_label(channel, "fr")), _norm(channel_label(channel, "en"))}
        return names, best

    return get


def _effect(factor: str) -> Callable[[Any], float]:
    """The LMDI effect of one factor on the change of revenue (needs a comparison)."""
    def get(ctx: Any) -> float:
        from .explain import revenue_decomposition

        if not ctx.compare:
            raise NotAvailable("no comparison period (compare=None)")
        df = revenue_decomposition(ctx.client, compare=ctx.compare, **ctx.kw)
        if "unavailable" in df.attrs:
            raise NotAvailable(df.attrs["unavailable"])
        return float(df.set_index("factor").loc[factor, "effect"])

    return get


def _p_value(kpi_id: str) -> Callable[[Any], float]:
    """The p-value of the test of a KPI's change (needs a comparison)."""
    def get(ctx: Any) -> float:
        from .explain import change_tests

        if not ctx.compare:
            raise NotAvailable("no comparison period (compare=None)")
        row = change_tests(ctx.client, kpis=[kpi_id], compare=ctx.compare, **ctx.kw).iloc[0]
        if row.get("unavailable"):
            raise NotAvailable(row["unavailable"])
        if row["p_value"] is None or math.isnan(float(row["p_value"])):
            raise NotAvailable("too few visitors to test the change")
        return float(row["p_value"])

    return get


def _significant(kpi_id: str) -> Callable[[Any], bool]:
    p_value = _p_value(kpi_id)
    return lambda ctx: p_value(ctx) < 0.05


def _profitable(ctx: Any) -> bool:
    return _value("roi")(ctx) > 0


def _ex(id: str, q_fr: str, q_en: str, h_fr: str, h_en: str, answer, form: str, decimals: int = 0) -> Exercise:
    assert form in FORMS, form
    return Exercise(id, {"fr": q_fr, "en": q_en}, {"fr": h_fr, "en": h_en}, answer, form, decimals)


EXERCISES: dict[str, Exercise] = {e.id: e for e in [
    _ex("overview-aov", "Quel est le panier moyen de la période, en euros ?",
        "What is the average order value of the period, in euros?",
        "chiffre d'affaires / commandes, commandes annulées exclues.", "revenue / orders, cancelled orders left out.",
        _value("average_order_value"), "amount", 0),
    _ex("overview-orders-per-session", "Combien de commandes par visite (définition Universal Analytics) ?",
        "How many orders per session (Universal Analytics' definition)?",
        "commandes / visites, en pourcentage : la ligne « Commandes par visite » du tableau « Significatif ou bruit ? ».",
        "orders / sessions, in percent: the 'Orders per session' row of the 'Significant or noise?' table.",
        _value("orders_per_session"), "percent", 1),
    _ex("overview-basket-effect",
        "De combien d'euros l'évolution du panier moyen a-t-elle fait varier le chiffre d'affaires ?",
        "By how much did the change of the average order value move revenue, in euros?",
        "la colonne « Effet sur le chiffre d'affaires » de la ligne Panier moyen (négatif s'il a baissé).",
        "the 'Effect on revenue' column of the Average order value row (negative if it fell).",
        _effect("average_order_value"), "amount", 0),
    _ex("overview-conversion-p-value",
        "Quelle est la p-value de l'évolution du taux de conversion (par visiteur) ?",
        "What is the p-value of the change of the (visitor) conversion rate?",
        "le tableau « Significatif ou bruit ? », colonne p.", "the 'Significant or noise?' table, column p.",
        _p_value("conversion_rate"), "number", 2),
    _ex("overview-conversion-significant",
        "L'évolution du taux de conversion (par visiteur) est-elle significative ?",
        "Is the change of the (visitor) conversion rate significant?",
        "significative quand p < 0,05 (le tableau « Significatif ou bruit ? »).",
        "significant when p < 0.05 (the 'Significant or noise?' table).",
        _significant("conversion_rate"), "yes_no"),
    _ex("social-engagement", "Quel est le taux d'engagement (likes + commentaires) / impressions de la période ?",
        "What is the engagement rate (likes + comments) / impressions of the period?",
        "un ratio de sommes, pas une moyenne des taux par publication.", "a ratio of sums, not an average of per-post rates.",
        _value("engagement_rate"), "percent", 1),
    _ex("social-views", "Même question avec les vues comme dénominateur (Instagram depuis avril 2025).",
        "Same question with views as the denominator (Instagram since April 2025).",
        "la ligne « Engagement par vue » du tableau.", "the 'Engagement by views' row of the table.",
        _value("engagement_rate_by_views"), "percent", 1),
    _ex("conversion-mobile", "Quel est le taux de conversion (par visiteur) sur mobile ?",
        "What is the (visitor) conversion rate on mobile?",
        "la barre Mobile du graphique par appareil.", "the Mobile bar of the chart by device.",
        _value("conversion_rate", device="mobile"), "percent", 1),
    _ex("conversion-best-channel", "Quel canal a le panier moyen le plus élevé, et combien vaut-il ?",
        "Which channel has the highest average order value, and how much is it?",
        "la plus longue barre du graphique « Panier moyen par canal » ; répondez (\"canal\", montant).",
        "the longest bar of the 'Average order value by channel' chart; answer (\"channel\", amount).",
        _best_channel("average_order_value"), "channel_amount", 0),
    _ex("path-median-days", "Combien de jours (médiane) entre la première visite et l'achat ?",
        "How many days (median) between the first visit and the purchase?",
        "la ligne « Jours avant achat (médiane) » du tableau.", "the 'Days to purchase (median)' row of the table.",
        _value("median_days_to_purchase"), "count", 0),
    _ex("path-median-visits", "Combien de visites (médiane) jusqu'à l'achat ?", "How many visits (median) until the purchase?",
        "la ligne « Visites avant achat (médiane) » du tableau.", "the 'Visits to purchase (median)' row of the table.",
        _value("median_visits_to_purchase"), "count", 0),
    _ex("pages-bounce-mobile", "Quel est le taux de rebond des pages produit sur mobile ?",
        "What is the product page bounce rate on mobile?", "la barre Mobile du graphique par appareil.",
        "the Mobile bar of the chart by device.", _value("product_page_bounce_rate", device="mobile"), "percent", 0),
    _ex("acquisition-cpa", "Quel est le coût par acquisition de la période ?", "What is the cost per acquisition of the period?",
        "dépenses publicitaires / commandes.", "ad spend / orders.", _value("cost_per_acquisition"), "amount", 0),
    _ex("acquisition-roas", "Quel est le ROAS de la période ?", "What is the ROAS of the period?",
        "chiffre d'affaires / dépenses publicitaires, un nombre comme 3.2.", "revenue / ad spend, a number such as 3.2.",
        _value("roas"), "number", 1),
    _ex("acquisition-profitable", "Avec la marge de ce client, la publicité est-elle rentable (ROI au-dessus de 0) ?",
        "With this client's margin, is the advertising profitable (an ROI above 0)?",
        "la ligne ROI du tableau : rentable quand elle est positive.", "the ROI row of the table: profitable when it is positive.",
        _profitable, "yes_no"),
    _ex("carts-rate", "Quel est le taux d'abandon de panier ?", "What is the cart abandonment rate?",
        "paniers sans commande / paniers créés.", "carts without an order / carts created.",
        _value("cart_abandonment_rate"), "percent", 0),
    _ex("carts-mobile", "Et sur mobile ?", "And on mobile?", "la barre Mobile du graphique par appareil.",
        "the Mobile bar of the chart by device.", _value("cart_abandonment_rate", device="mobile"), "percent", 0),
    _ex("loyalty-returning", "Quelle part des acheteurs de la période avait déjà commandé avant ?",
        "What share of the period's buyers had ordered before?", "la ligne « Part de clients fidèles » du tableau.",
        "the 'Returning customer rate' row of the table.", _value("returning_customer_rate"), "percent", 0),
    _ex("loyalty-repeat", "Quelle part des acheteurs a commandé au moins deux fois dans la période ?",
        "What share of buyers ordered at least twice in the period?", "la ligne « Taux de réachat » du tableau.",
        "the 'Repeat purchase rate' row of the table.", _value("repeat_purchase_rate"), "percent", 1),
    _ex("search-zero", "Quelle part des recherches ne trouve rien ?", "What share of searches finds nothing?",
        "recherches à 0 résultat / recherches dont le nombre de résultats est connu.",
        "searches with 0 results / searches whose result count is known.", _value("zero_result_rate"), "percent", 0),
    _ex("search-conversion", "Quelle part des visites avec recherche se termine par une commande ?",
        "What share of sessions with a search ends with an order?", "visites avec recherche et commande / visites avec recherche.",
        "sessions with a search and an order / sessions with a search.", _value("search_to_purchase_rate"), "percent", 0),
]}


def solution(exercise_id: str, ctx: Any) -> Any:
    """The expected answer (for trainers); raises :class:`NotAvailable` when the client lacks the data."""
    return EXERCISES[exercise_id].answer(ctx)
