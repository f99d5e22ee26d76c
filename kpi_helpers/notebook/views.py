"""Views: a heading, a chart, a table and a reading note for one KPI or theme, in the client's language."""


from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import setp

from .. import plots
from ..core import KPIS, compute
from ..labels import (
    KPI_UNITS,
    channel_label,
    format_kpi,
    format_money,
    format_number,
    format_percent,
    format_points,
    fee_band_label,
    kpi_label,
    label,
)
from .context import Context
from ..significance import MIN_DENOMINATOR
from .samples import change_from_or_to_zero, flag_small, interval_text, partial_buckets_note, small_note
from .display import (
    _heading,
    _nothing_to_show,
    _reading,
    _reason_text,
    _show,
    _table,
    _unavailable,
    auto_freq,
    note,
)

# ----------------------------------------------------------------------------------------------
# Views

MEMO_SIZE = 256


def _computed(ctx: Context, kpi_id: str, **kw: Any) -> pd.DataFrame:
    """A KPI's result for ``ctx`` (its client, period and segment, plus ``kw``), computed once per
    choice: Explore's re-renders of a choice seen before take no query. A copy is returned."""
    args = {"margin_rate": ctx.margin_rate, **ctx.kw, **kw}
    key = (id(ctx.client.con), kpi_id, tuple(sorted((k, str(v)) for k, v in args.items())))
    if key not in ctx.memo:
        if len(ctx.memo) >= MEMO_SIZE:
            ctx.memo.pop(next(iter(ctx.memo)))
        ctx.memo[key] = compute(kpi_id, ctx.client, **args)
    return ctx.memo[key].copy()


def kpi_table(ctx: Context, kpi_ids: Sequence[str], *, tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """The values of some KPIs for the context (with the comparison when set), formatted.

    ``tests`` (:func:`kpi_helpers.explain.change_tests`): each tested KPI's change gets its verdict
    beside it (significant, noise, too few)."""
    from ..commentary import mark

    lang = ctx.language
    verdicts = {} if tests is None else dict(zip(tests["kpi"], tests["verdict"]))
    rows = []
    small = []
    for kpi_id in kpi_ids:
        df = _computed(ctx, kpi_id, compare=ctx.compare)
        row = {label("kpi", lang): kpi_label(kpi_id, lang)}
        if "unavailable" in df.attrs:
            row[label("value", lang)] = label("unavailable", lang)
            if ctx.compare:
                row[label("comparison", lang)] = ""
                row[label("change", lang)] = _reason_text(df.attrs["unavailable"], lang)
        else:
            r = df.iloc[0]
            row[label("value", lang)] = ctx.fmt(kpi_id, r["value"])
            if KPIS[kpi_id].kind not in ("count", "amount"):
                flagged = flag_small(kpi_id, df.iloc[:1])
                if flagged["small"].iloc[0]:
                    row[label("value", lang)] += "\u00a0*"
                    small.append((kpi_id, r["denominator"], flagged["low"].iloc[0], flagged["high"].iloc[0]))
            if ctx.compare:
                row[label("comparison", lang)] = ctx.fmt(kpi_id, r["comparison_value"])
                row[label("change", lang)] = _change_text(kpi_id, r, lang, ctx.currency)
                if mark(verdicts.get(kpi_id), lang):
                    row[label("change", lang)] += f" ({mark(verdicts[kpi_id], lang)})"
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["small"] = small  # (kpi, denominator, interval) of the values on too few units
    return out


def _change_text(kpi_id: str, row: pd.Series, language: str, currency: str) -> str:
    change, rel = row.get("change"), row.get("relative_change")
    if change is None or pd.isna(change):
        return "–"
    unit = KPI_UNITS.get(kpi_id, "number")
    if unit == "percent":
        return format_points(change, language, 1)  # one minus sign (U+2212) with the relative changes
    difference = change_from_or_to_zero(kpi_id, row, language)
    if difference is not None:  # 0 days against 2: a difference, not −100 %
        return difference
    rel_text = format_percent(rel, language, 1, signed=True) if rel is not None and not pd.isna(rel) else "–"
    return rel_text


#: The overview's scorecard, by theme: (French title, English title, KPI ids)
SCORECARD_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Trafic et ventes", "Traffic and sales", ("sessions", "visitors", "orders", "buyers", "revenue", "conversion_rate",
                                                "session_conversion_rate", "average_order_value")),
    ("Parcours d'achat et pages produit", "Path to purchase and product pages",
     ("median_days_to_purchase", "median_visits_to_purchase", "product_page_bounce_rate")),
    ("Paniers", "Carts", ("carts", "abandoned_carts", "cart_abandonment_rate")),
    ("Coût d'acquisition", "Acquisition cost", ("ad_spend", "cost_per_acquisition", "roas", "break_even_cpa", "roi")),
    ("Fidélité", "Loyalty", ("new_customers", "returning_customers", "returning_customer_rate", "repeat_purchase_rate")),
    ("Recherche interne", "Site search", ("searches", "search_rate", "zero_result_rate")),
    ("Réseaux sociaux", "Social media", ("posts", "impressions", "engagement_rate")),
)


def scorecard(ctx: Context, *, groups: Sequence[str] | None = None) -> None:
    """Every headline KPI of the spec, by theme, with its comparison and change; with a comparison,
    each tested change says whether it is significant, noise or too few to judge (and a note
    says what these words mean)."""
    from ..commentary import MARK_LEGEND
    from ..explain import change_tests

    from ..core import unavailable_reason
    from ..labels import reason_text

    tests = change_tests(ctx.client, compare=ctx.compare, **ctx.kw) if ctx.compare else None
    missing: dict[str, list[str]] = {}  # reason -> groups whose every KPI lacks a table: one line, not a table of « Indisponible »
    for fr, en, ids in SCORECARD_GROUPS:
        if groups is None or en in groups or fr in groups:
            title = fr if ctx.language == "fr" else en
            reasons = [unavailable_reason(KPIS[k], ctx.client) for k in ids if k in KPIS]
            if reasons and all(r and r.endswith("table not provided") for r in reasons):
                missing.setdefault(reason_text(reasons[0], ctx.language), []).append(title)
                continue
            headline(ctx, ids, title=title, tests=tests)
    if missing:
        note(label("scorecard_left_out", ctx.language) + " ; ".join(
            f"{', '.join(titles)} ({reason})" for reason, titles in missing.items()) + ".")
    if tests is not None:
        note(MARK_LEGEND[ctx.language])


def headline(ctx: Context, kpi_ids: Sequence[str], *, title: str | None = None,
             tests: pd.DataFrame | None = None) -> None:
    """A table of headline KPIs with their comparison and change (``tests``: see :func:`kpi_table`)."""
    if title:
        _heading(title)
    table = kpi_table(ctx, kpi_ids, tests=tests)
    _table(table)
    _small_values_note(ctx, table.attrs.get("small", []))


def _small_values_note(ctx: Context, small: list) -> None:
    """Under a table of KPIs: what the asterisk of a value on too few units means, with its interval."""
    if not small:
        return
    fr = ctx.language == "fr"
    parts = []
    for kpi_id, den, low, high in small:
        units = _parts_names(kpi_id, ctx.language)[1].lower()
        text = f"{kpi_label(kpi_id, ctx.language)} : {format_number(den, ctx.language)} {units}" if fr else \
            f"{kpi_label(kpi_id, ctx.language)}: {format_number(den, ctx.language)} {units.lower()}"
        if not pd.isna(low):
            text += (f", le vrai taux est probablement entre {ctx.fmt(kpi_id, low)} et {ctx.fmt(kpi_id, high)}" if fr
                     else f", the true rate is probably between {ctx.fmt(kpi_id, low)} and {ctx.fmt(kpi_id, high)}")
        parts.append(text)
    head = (f"* Moins de {MIN_DENOMINATOR} cas : trop peu pour juger (intervalle de confiance à 95 %, Wilson). "
            if fr else f"* Fewer than {MIN_DENOMINATOR} cases: too few to judge (95 % confidence interval, Wilson). ")
    note(head + " ; ".join(parts) + ".")



def _title(ctx: Context, kpi_id: str, by: str | None = None) -> str:
    name = kpi_label(kpi_id, ctx.language)
    if by:
        return f"{name} par {label(by, ctx.language).lower()}" if ctx.language == "fr" else f"{name} by {label(by, ctx.language).lower()}"
    return name


def breakdown(ctx: Context, kpi_id: str, *, by: str = "channel", chart: bool = True, table: bool = True,
              read: bool = True) -> pd.DataFrame | None:
    """A KPI per segment: bar chart, table with numerator and denominator, reading note.

    A breakdown by a segment the context already filters on (by channel with one channel picked)
    would show one bar: it shows the other segment instead (by device), or says there is nothing
    to break down when both are picked.
    """
    other = {"channel": "device", "device": "channel"}
    if by in other and getattr(ctx, by):
        if getattr(ctx, other[by]):
            _heading(_title(ctx, kpi_id, by))
            note(label("one_segment", ctx.language))
            return None
        by = other[by]
    df = _computed(ctx, kpi_id, by=by)
    _heading(_title(ctx, kpi_id, by))
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label(kpi_id, ctx.language), df.attrs["unavailable"])
        return None
    if df["value"].notna().sum() == 0 and (df["denominator"].fillna(0) == 0).all() and (df["numerator"] == 0).all():
        note(label("no_data", ctx.language))
        return None
    # the chart sorts by value: the table follows the same order
    df = df.sort_values("value", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    rate = KPIS[kpi_id].kind not in ("count", "amount")
    df = flag_small(kpi_id, df) if rate else df.assign(small=False, low=np.nan, high=np.nan)
    if chart:
        ax = plots.bar(df, x=by, kpi=kpi_id, language=ctx.language, currency=ctx.currency, title="", sort=False,
                       small="small", low="low", high="high")
        _show(ax.figure)
    if table:
        _table(_breakdown_table(ctx, kpi_id, by, df, rate))
    if rate:
        small_note(ctx, kpi_id, df, _parts_names(kpi_id, ctx.language)[1].lower())
    if read:
        _reading(ctx, kpi_id)
    return None


def _breakdown_table(ctx: Context, kpi_id: str, by: str, df: pd.DataFrame, rate: bool) -> pd.DataFrame:
    lang = ctx.language
    shown = pd.DataFrame({
        label(by, lang): [plots.segment_label(by, v, lang) for v in df[by]],  # whole names in tables
        kpi_label(kpi_id, lang): [ctx.fmt(kpi_id, v) + ("\u00a0*" if small else "") for v, small in zip(df["value"], df["small"])],
    })
    if df["low"].notna().any():
        shown["Intervalle à 95 %" if lang == "fr" else "95 % interval"] = [
            interval_text(kpi_id, lo, hi, ctx) for lo, hi in zip(df["low"], df["high"])]
    if rate:
        num_name, den_name = _parts_names(kpi_id, lang)
        if not kpi_id.startswith("median_"):  # a median's "numerator" is the median itself, shown already
            shown[num_name] = [_fmt_part(kpi_id, "numerator", v, ctx) for v in df["numerator"]]
        shown[den_name] = [_fmt_part(kpi_id, "denominator", v, ctx) for v in df["denominator"]]
    return shown


_PARTS = {
    "conversion_rate": (("Visiteurs acheteurs", "Visiteurs"), ("Buying visitors", "Visitors")),
    "session_conversion_rate": (("Visites avec commande", "Visites"), ("Sessions with an order", "Sessions")),
    "orders_per_session": (("Commandes", "Visites"), ("Orders", "Sessions")),
    "average_order_value": (("Chiffre d'affaires", "Commandes"), ("Revenue", "Orders")),
    "median_days_to_purchase": (("Médiane (jours)", "Commandes"), ("Median (days)", "Orders")),
    "median_visits_to_purchase": (("Médiane (visites)", "Commandes"), ("Median (visits)", "Orders")),
    "product_page_bounce_rate": (("Visites avec rebond", "Visites sur page produit"), ("Bounced sessions", "Product landing sessions")),
    "cart_abandonment_rate": (("Paniers abandonnés", "Paniers"), ("Abandoned carts", "Carts")),
    "cost_per_acquisition": (("Dépenses", "Commandes"), ("Spend", "Orders")),
    "roas": (("Chiffre d'affaires", "Dépenses"), ("Revenue", "Spend")),
    "roi": (("Marge - dépenses", "Dépenses"), ("Margin - spend", "Spend")),
    "break_even_cpa": (("Marge brute", "Commandes"), ("Gross margin", "Orders")),
    "returning_customer_rate": (("Clients fidèles", "Acheteurs"), ("Returning customers", "Buyers")),
    "repeat_purchase_rate": (("Acheteurs 2+ commandes", "Acheteurs"), ("Buyers with 2+ orders", "Buyers")),
    "search_rate": (("Visites avec recherche", "Visites"), ("Sessions with a search", "Sessions")),
    "zero_result_rate": (("Recherches sans résultat", "Recherches (résultat connu)"), ("Zero-result searches", "Searches (known result)")),
    "search_to_purchase_rate": (("Visites avec recherche et commande", "Visites avec recherche"), ("Sessions with search and order", "Sessions with a search")),
}


_LIKES = ("Interactions (j'aime + commentaires)", "Interactions (likes + comments)")
_PARTS.update({
    "engagement_rate": ((_LIKES[0], "Impressions"), (_LIKES[1], "Impressions")),
    "engagement_rate_all_interactions": (("Interactions (avec partages et enregistrements)", "Impressions"),
                                         ("Interactions (with shares and saves)", "Impressions")),
    "engagement_rate_by_reach": ((_LIKES[0], "Personnes atteintes"), (_LIKES[1], "People reached")),
    "engagement_rate_by_views": ((_LIKES[0], "Vues"), (_LIKES[1], "Views")),
    "engagement_rate_impressions_or_views": ((_LIKES[0], "Impressions ou vues"), (_LIKES[1], "Impressions or views")),
})


def _parts_names(kpi_id: str, language: str) -> tuple[str, str]:
    """What a KPI's numerator and denominator count, named for a table's columns."""
    if kpi_id in _PARTS:
        return _PARTS[kpi_id][0 if language == "fr" else 1]
    return (kpi_label(kpi_id, language), "Base") if language == "fr" else (kpi_label(kpi_id, language), "Base")


_MONEY_PARTS = {("average_order_value", "numerator"), ("cost_per_acquisition", "numerator"), ("roas", "numerator"),
                ("roas", "denominator"), ("roi", "numerator"), ("roi", "denominator"), ("break_even_cpa", "numerator")}


def _fmt_part(kpi_id: str, part: str, value: Any, ctx: Context) -> str:
    if (kpi_id, part) in _MONEY_PARTS:
        return format_money(value, ctx.language, ctx.currency)
    if kpi_id.startswith("median_") and part == "numerator":
        return format_number(value, ctx.language, 1)
    return format_number(value, ctx.language, 0)


def trend(ctx: Context, kpi_id: str, *, freq: str | None = None, by: str | None = None, read: bool = True) -> None:
    """A KPI over time (one point per day, week or month of the period)."""
    freq = freq or auto_freq(ctx)
    df = _computed(ctx, kpi_id, freq=freq, by=by)
    title = kpi_label(kpi_id, ctx.language) + (" — évolution" if ctx.language == "fr" else " over time")
    _heading(title)
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label(kpi_id, ctx.language), df.attrs["unavailable"])
        return
    ax = plots.line(df, kpi=kpi_id, hue=by, language=ctx.language, currency=ctx.currency, title="", freq=freq)
    _show(ax.figure)
    partial_buckets_note(ctx, df["period_start"], freq)
    if read:
        _reading(ctx, kpi_id)


def trends(ctx: Context, kpi_ids: Sequence[str], *, freq: str | None = None) -> None:
    """Small multiples: several KPIs over time, two charts a row."""
    freq = freq or auto_freq(ctx)
    n = len(kpi_ids)
    rows = (n + 1) // 2
    fig = plots.figure((10, 3.3 * rows))
    axes = fig.subplots(rows, 2, squeeze=False)
    shown = 0
    missing = []
    starts: list = []
    for ax, kpi_id in zip(axes.flat, kpi_ids):
        df = _computed(ctx, kpi_id, freq=freq)
        if "unavailable" in df.attrs:
            missing.append((kpi_id, df.attrs["unavailable"]))
            ax.set_visible(False)
            continue
        plots.line(df, kpi=kpi_id, language=ctx.language, currency=ctx.currency, ax=ax, freq=freq,
                   title=kpi_label(kpi_id, ctx.language))  # small multiples: each names its KPI
        starts = starts or list(df["period_start"])
        shown += 1
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    _heading("Tendances" if ctx.language == "fr" else "Trends")
    if shown:
        _show(fig)
    if shown:
        partial_buckets_note(ctx, starts, freq)
    for kpi_id, reason in missing:
        _unavailable(ctx, kpi_label(kpi_id, ctx.language), reason)


def path_distribution(ctx: Context, what: str = "days") -> None:
    """Orders by days (or visits) before purchase: distribution chart and medians."""
    from ..path_to_purchase import days_to_purchase, visits_to_purchase

    fn = days_to_purchase if what == "days" else visits_to_purchase
    kpi_id = f"median_{what}_to_purchase"
    df = fn(ctx.client, **ctx.kw)
    lang = ctx.language
    title = {("days", "fr"): "Jours entre la première visite et l'achat", ("days", "en"): "Days from first visit to purchase",
             ("visits", "fr"): "Nombre de visites jusqu'à l'achat", ("visits", "en"): "Visits up to the purchase"}[(what, lang)]
    _heading(title)
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label(kpi_id, lang), df.attrs["unavailable"])
        return
    if df["orders"].sum() == 0:
        note(label("no_data", lang))
        return
    ax = plots.distribution(df, language=lang, title="",
                            xlabel=label("days_since_first_visit" if what == "days" else "visits_until_order", lang))
    _show(ax.figure)
    # one row per bucket, in the buckets' order (as on the chart)
    _table(pd.DataFrame({label("days_since_first_visit" if what == "days" else "visits_until_order", lang):
                         [str(b).replace("-", "–") for b in df["bucket"]],
                         label("orders", lang): [format_number(v, lang) for v in df["orders"]],
                         label("share_of_orders", lang): [format_percent(v, lang) for v in df["share"]]}))
    total = int(df["orders"].sum())
    if total < MIN_DENOMINATOR:
        note(f"Répartition calculée sur {total} commande{'s' if total > 1 else ''} seulement : trop peu pour juger "
             f"de sa forme." if lang == "fr" else
             f"A distribution of {total} order{'s' if total > 1 else ''} only: too few to judge its shape.")
    _reading(ctx, "days_to_purchase" if what == "days" else "visits_to_purchase")


def bounce_pages(ctx: Context, *, top: int = 15, min_sessions: int = 5) -> None:
    """The product landing pages with the most sessions and their bounce rates."""
    from ..product_pages import product_page_bounce_by_page

    lang = ctx.language
    _heading("Pages produit d'entrée les plus visitées" if lang == "fr" else "Most visited product landing pages")
    df = product_page_bounce_by_page(ctx.client, top=top, min_sessions=min_sessions, **ctx.kw)
    if _nothing_to_show(ctx, df, kpi_label("product_page_bounce_rate", lang)):
        return
    _table(pd.DataFrame({
        label("landing_page", lang): df["landing_page"],
        label("sessions", lang): [format_number(v, lang) for v in df["denominator"]],
        kpi_label("product_page_bounce_rate", lang): [format_percent(v, lang) for v in df["value"]],
    }))
    _reading(ctx, "product_page_bounce_by_page")


def acquisition(ctx: Context) -> None:
    """CPA per paid channel against the break-even CPA, and the table of spend, orders, ROAS."""
    from ..acquisition import acquisition_by_channel

    lang = ctx.language
    title = "CPA par canal et CPA d'équilibre" if lang == "fr" else "CPA by channel and break-even CPA"
    _heading(title)
    df = acquisition_by_channel(ctx.client, start=ctx.start, end=ctx.end, margin_rate=ctx.margin_rate)
    if _nothing_to_show(ctx, df, kpi_label("cost_per_acquisition", lang)):
        return
    be = df["break_even_cpa"].iloc[0]
    df = df.sort_values("cpa", ascending=False, na_position="last", kind="stable").reset_index(drop=True)  # as the chart
    ax = plots.bar(df.rename(columns={"cpa": "value"}), x="channel", kpi="cost_per_acquisition", language=lang,
                   currency=ctx.currency, title="", reference=be, sort=False,
                   missing_text="aucune commande" if lang == "fr" else "no order")
    if not pd.isna(be):
        ax.axvline(be, color="#C0392B", linestyle="--", linewidth=1.5, label=label("break_even", lang))
        ax.legend(loc="lower right")
    _show(ax.figure)
    yes, no = ("oui", "non") if lang == "fr" else ("yes", "no")
    _table(pd.DataFrame({
        label("channel", lang): [channel_label(c, lang) for c in df["channel"]],
        label("spend", lang): [format_money(v, lang, ctx.currency) for v in df["spend"]],
        label("orders", lang): [format_number(v, lang) for v in df["orders"]],
        kpi_label("cost_per_acquisition", lang): [format_money(v, lang, ctx.currency) for v in df["cpa"]],
        kpi_label("roas", lang): [format_kpi("roas", v, language=lang) for v in df["roas"]],
        ("Rentable" if lang == "fr" else "Profitable"): ["–" if p is None else (yes if p else no) for p in df["profitable"]],
    }))
    if "break_even_unavailable" in df.attrs:
        _unavailable(ctx, kpi_label("break_even_cpa", lang), df.attrs["break_even_unavailable"])
    _reading(ctx, "acquisition_by_channel")


def shipping_bands(ctx: Context) -> None:
    """Cart abandonment by shipping-fee band."""
    from ..carts import abandonment_by_shipping_fee

    lang = ctx.language
    title = "Abandon de panier selon les frais de port" if lang == "fr" else "Cart abandonment by shipping fee"
    _heading(title)
    df = abandonment_by_shipping_fee(ctx.client, **ctx.kw)
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label("cart_abandonment_rate", lang), df.attrs["unavailable"])
        return
    # bands in the order of their fees (the chart too), each with a reader's label
    df = df.rename(columns={"low": "fee_low", "high": "fee_high"}).sort_values("fee_low", kind="stable")
    df = flag_small("cart_abandonment_rate", df.reset_index(drop=True))
    df["shipping_fee"] = [fee_band_label(lo, hi, lang, ctx.currency) for lo, hi in zip(df["fee_low"], df["fee_high"])]
    ax = plots.bar(df, x="shipping_fee", kpi="cart_abandonment_rate", language=lang, title="", horizontal=False,
                   sort=False, small="small", low="low", high="high")
    _show(ax.figure)
    table = pd.DataFrame({label("shipping_fee", lang): df["shipping_fee"],
                          _parts_names("cart_abandonment_rate", lang)[1]: [format_number(v, lang) for v in df["denominator"]],
                          kpi_label("cart_abandonment_rate", lang): [format_percent(v, lang) + ("\u00a0*" if small else "")
                                                                     for v, small in zip(df["value"], df["small"])]})
    if df["low"].notna().any():
        table["Intervalle à 95 %" if lang == "fr" else "95 % interval"] = [
            interval_text("cart_abandonment_rate", lo, hi, ctx) for lo, hi in zip(df["low"], df["high"])]
    _table(table)
    small_note(ctx, "cart_abandonment_rate", df, _parts_names("cart_abandonment_rate", lang)[1].lower())
    _reading(ctx, "abandonment_by_shipping_fee")


def _band_text(low: float, high: float, language: str, currency: str) -> str:
    """A shipping-fee band for a reader: « Gratuits », « 0 à 5 € », « 15 € et plus »."""
    fmt = lambda v: format_money(v, language, currency, 0 if float(v).is_integer() else 2)  # noqa: E731
    if low == 0 and high <= 0.01:
        return "Gratuits" if language == "fr" else "Free"
    if low <= 0.01:
        return f"moins de {fmt(high)}" if language == "fr" else f"under {fmt(high)}"
    if high == float("inf") or pd.isna(high):
        return f"{fmt(low)} et plus" if language == "fr" else f"{fmt(low)} and more"
    return f"{fmt(low)} à {fmt(high)}" if language == "fr" else f"{fmt(low)} to {fmt(high)}"



def new_vs_returning(ctx: Context, *, freq: str | None = None) -> None:
    """New and returning customers over time (stacked bars)."""
    lang = ctx.language
    freq = freq or ("W" if (ctx.period.days or 0) <= 120 else "M")
    title = "Nouveaux clients et clients fidèles" if lang == "fr" else "New and returning customers"
    _heading(title)
    new = _computed(ctx, "new_customers", freq=freq, margin_rate=None)
    if "unavailable" in new.attrs:
        _unavailable(ctx, kpi_label("new_customers", lang), new.attrs["unavailable"])
        return
    ret = _computed(ctx, "returning_customers", freq=freq, margin_rate=None)
    df = pd.DataFrame({"period_start": new["period_start"], label("new", lang): new["value"], label("returning", lang): ret["value"]})
    fig = plots.figure()
    ax = fig.add_subplot()
    x = np.arange(len(df))
    ticks = df["period_start"].dt.strftime(plots.date_format(freq, lang)).tolist()
    ax.bar(x, df[label("new", lang)], color=plots.PALETTE[0], label=label("new", lang))
    ax.bar(x, df[label("returning", lang)], bottom=df[label("new", lang)], color=plots.PALETTE[1], label=label("returning", lang))
    shown = plots._fitting(ax, list(x), max((len(t) for t in ticks), default=5))
    ax.set_xticks(shown, [ticks[i] for i in shown])
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(label("customers", lang))
    ax.set_xlabel(label({"D": "day", "W": "week", "M": "month"}[freq], lang))
    ax.yaxis.set_major_locator(plots.MaxNLocator(integer=True))  # customers are whole
    ax.yaxis.set_major_formatter(plots.kpi_formatter("count", lang))
    ax.legend()
    setp(ax.get_xticklabels(), rotation=0, ha="center")
    _show(fig)
    partial_buckets_note(ctx, df["period_start"], freq)
    _reading(ctx, "returning_customers")  # the chart counts customers: the note speaks of numbers, not of a share


def cohorts(ctx: Context, *, months: int = 12, value: str = "customer_share") -> None:
    """Cohort retention heatmap: cohorts (month of first order) x months since first order."""
    from ..customers import cohort_retention

    lang = ctx.language
    title = ("Rétention par cohorte (part des clients qui recommandent)" if value == "customer_share" else
             "Rétention du chiffre d'affaires par cohorte") if lang == "fr" else (
        "Cohort retention (share of customers ordering again)" if value == "customer_share" else "Cohort revenue retention")
    _heading(title)
    start = (pd.Timestamp(ctx.end) - pd.DateOffset(months=months - 1)).date().replace(day=1)
    df = cohort_retention(ctx.client, start=start, end=ctx.end, channel=ctx.channel, device=ctx.device, max_months=months)
    if _nothing_to_show(ctx, df, "Cohortes" if lang == "fr" else "Cohorts"):
        return
    matrix = df.pivot(index="cohort", columns="months_since_first", values=value)
    matrix.index = [d.strftime("%m/%Y" if lang == "fr" else "%Y-%m") for d in matrix.index]
    ax = plots.heatmap(matrix, unit="percent", language=lang, title="", xlabel=label("months_since_first", lang),
                       ylabel=label("cohort", lang))
    _show(ax.figure)
    _reading(ctx, "cohort_retention")


def zero_result_queries(ctx: Context, *, n: int = 20) -> None:
    """The most frequent searches that found nothing, grouped by normal form and shown as most
    often typed (accents kept)."""
    from ..search import top_zero_result_queries

    lang = ctx.language
    _heading("Recherches sans résultat les plus fréquentes" if lang == "fr" else "Most frequent zero-result searches")
    df = top_zero_result_queries(ctx.client, n=n, **ctx.kw)
    if _nothing_to_show(ctx, df, kpi_label("zero_result_rate", lang)):
        return
    _table(pd.DataFrame({label("query", lang): [q[:120] + ("…" if len(q) > 120 else "") for q in df["spelling"]],
                         label("searches", lang): [format_number(v, lang) for v in df["searches"]],
                         ("Variantes" if lang == "fr" else "Variants"): df["variants"].astype(int)}))
    _reading(ctx, "top_zero_result_queries")
