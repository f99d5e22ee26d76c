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
    kpi_label,
    label,
)
from .context import Context
from .display import (
    _heading,
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


def kpi_table(ctx: Context, kpi_ids: Sequence[str], *, tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """The values of some KPIs for the context (with the comparison when set), formatted.

    ``tests`` (:func:`kpi_helpers.explain.change_tests`): each tested KPI's change gets its verdict
    beside it (significant, noise, too few)."""
    from ..commentary import mark

    lang = ctx.language
    verdicts = {} if tests is None else dict(zip(tests["kpi"], tests["verdict"]))
    rows = []
    for kpi_id in kpi_ids:
        df = compute(kpi_id, ctx.client, compare=ctx.compare, margin_rate=ctx.margin_rate, **ctx.kw)
        row = {label("kpi", lang): kpi_label(kpi_id, lang)}
        if "unavailable" in df.attrs:
            row[label("value", lang)] = label("unavailable", lang)
            if ctx.compare:
                row[label("comparison", lang)] = ""
                row[label("change", lang)] = _reason_text(df.attrs["unavailable"], lang)
        else:
            r = df.iloc[0]
            row[label("value", lang)] = ctx.fmt(kpi_id, r["value"])
            if ctx.compare:
                row[label("comparison", lang)] = ctx.fmt(kpi_id, r["comparison_value"])
                row[label("change", lang)] = _change_text(kpi_id, r, lang, ctx.currency)
                if mark(verdicts.get(kpi_id), lang):
                    row[label("change", lang)] += f" ({mark(verdicts[kpi_id], lang)})"
        rows.append(row)
    return pd.DataFrame(rows)


def _change_text(kpi_id: str, row: pd.Series, language: str, currency: str) -> str:
    change, rel = row.get("change"), row.get("relative_change")
    if change is None or pd.isna(change):
        return "–"
    unit = KPI_UNITS.get(kpi_id, "number")
    if unit == "percent":
        pts = format_number(change * 100, language, 1)
        sign = "+" if change > 0 else ""
        return f"{sign}{pts} pt" if language == "fr" else f"{sign}{pts} pts"
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

    tests = change_tests(ctx.client, compare=ctx.compare, **ctx.kw) if ctx.compare else None
    for fr, en, ids in SCORECARD_GROUPS:
        if groups is None or en in groups or fr in groups:
            headline(ctx, ids, title=fr if ctx.language == "fr" else en, tests=tests)
    if tests is not None:
        note(MARK_LEGEND[ctx.language])


def headline(ctx: Context, kpi_ids: Sequence[str], *, title: str | None = None,
             tests: pd.DataFrame | None = None) -> None:
    """A table of headline KPIs with their comparison and change (``tests``: see :func:`kpi_table`)."""
    if title:
        _heading(title)
    _table(kpi_table(ctx, kpi_ids, tests=tests))



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
    df = compute(kpi_id, ctx.client, by=by, margin_rate=ctx.margin_rate, **ctx.kw)
    _heading(_title(ctx, kpi_id, by))
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label(kpi_id, ctx.language), df.attrs["unavailable"])
        return None
    if df["value"].notna().sum() == 0 and (df["denominator"].fillna(0) == 0).all() and (df["numerator"] == 0).all():
        note(label("no_data", ctx.language))
        return None
    if chart:
        ax = plots.bar(df, x=by, kpi=kpi_id, language=ctx.language, currency=ctx.currency,
                       title=_title(ctx, kpi_id, by))
        _show(ax.figure)
    if table:
        lang = ctx.language
        shown = pd.DataFrame({
            label(by, lang): [plots.segment_label(by, v, lang) for v in df[by]],  # whole names in tables
            kpi_label(kpi_id, lang): [ctx.fmt(kpi_id, v) for v in df["value"]],
        })
        if KPIS[kpi_id].kind not in ("count", "amount"):
            num_name, den_name = _parts_names(kpi_id, lang)
            shown[num_name] = [_fmt_part(kpi_id, "numerator", v, ctx) for v in df["numerator"]]
            shown[den_name] = [_fmt_part(kpi_id, "denominator", v, ctx) for v in df["denominator"]]
        _table(shown)
    if read:
        _reading(ctx, kpi_id)
    return None


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


def _parts_names(kpi_id: str, language: str) -> tuple[str, str]:
    if kpi_id in _PARTS:
        return _PARTS[kpi_id][0 if language == "fr" else 1]
    if kpi_id.startswith("engagement_rate"):
        return ("Interactions", "Dénominateur") if language == "fr" else ("Interactions", "Denominator")
    return ("Numérateur", "Dénominateur") if language == "fr" else ("Numerator", "Denominator")


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
    df = compute(kpi_id, ctx.client, freq=freq, by=by, margin_rate=ctx.margin_rate, **ctx.kw)
    title = kpi_label(kpi_id, ctx.language) + (" — évolution" if ctx.language == "fr" else " over time")
    _heading(title)
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label(kpi_id, ctx.language), df.attrs["unavailable"])
        return
    ax = plots.line(df, kpi=kpi_id, hue=by, language=ctx.language, currency=ctx.currency, title=title, freq=freq)
    _show(ax.figure)
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
    for ax, kpi_id in zip(axes.flat, kpi_ids):
        df = compute(kpi_id, ctx.client, freq=freq, margin_rate=ctx.margin_rate, **ctx.kw)
        if "unavailable" in df.attrs:
            missing.append((kpi_id, df.attrs["unavailable"]))
            ax.set_visible(False)
            continue
        plots.line(df, kpi=kpi_id, language=ctx.language, currency=ctx.currency, ax=ax, freq=freq,
                   title=kpi_label(kpi_id, ctx.language))
        shown += 1
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    _heading("Tendances" if ctx.language == "fr" else "Trends")
    if shown:
        _show(fig)
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
    ax = plots.distribution(df, language=lang, title=title,
                            xlabel=label("days_since_first_visit" if what == "days" else "visits_until_order", lang))
    _show(ax.figure)
    _table(pd.DataFrame({label("days_since_first_visit" if what == "days" else "visits_until_order", lang): df["bucket"].astype(str),
                         label("orders", lang): [format_number(v, lang) for v in df["orders"]],
                         label("share_of_orders", lang): [format_percent(v, lang) for v in df["share"]]}).T.reset_index(drop=False).rename(columns={"index": ""}))
    _reading(ctx, "days_to_purchase" if what == "days" else "visits_to_purchase")


def bounce_pages(ctx: Context, *, top: int = 15, min_sessions: int = 5) -> None:
    """The product landing pages with the most sessions and their bounce rates."""
    from ..product_pages import product_page_bounce_by_page

    lang = ctx.language
    _heading("Pages produit d'entrée les plus visitées" if lang == "fr" else "Most visited product landing pages")
    df = product_page_bounce_by_page(ctx.client, top=top, min_sessions=min_sessions, **ctx.kw)
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label("product_page_bounce_rate", lang), df.attrs["unavailable"])
        return
    if df.empty:
        note(label("no_data", lang))
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
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label("cost_per_acquisition", lang), df.attrs["unavailable"])
        return
    if df.empty:
        note(label("no_data", lang))
        return
    be = df["break_even_cpa"].iloc[0]
    ax = plots.bar(df.rename(columns={"cpa": "value"}), x="channel", kpi="cost_per_acquisition", language=lang,
                   currency=ctx.currency, title=title, reference=be,
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
    ax = plots.bar(df.rename(columns={"band": "shipping_fee"}), x="shipping_fee", kpi="cart_abandonment_rate",
                   language=lang, title=title, horizontal=False)
    _show(ax.figure)
    _table(pd.DataFrame({label("shipping_fee", lang): df["band"],
                         _parts_names("cart_abandonment_rate", lang)[1]: [format_number(v, lang) for v in df["denominator"]],
                         kpi_label("cart_abandonment_rate", lang): [format_percent(v, lang) for v in df["value"]]}))
    _reading(ctx, "abandonment_by_shipping_fee")


def new_vs_returning(ctx: Context, *, freq: str | None = None) -> None:
    """New and returning customers over time (stacked bars)."""
    lang = ctx.language
    freq = freq or ("W" if (ctx.period.days or 0) <= 120 else "M")
    title = "Nouveaux clients et clients fidèles" if lang == "fr" else "New and returning customers"
    _heading(title)
    new = compute("new_customers", ctx.client, freq=freq, **ctx.kw)
    if "unavailable" in new.attrs:
        _unavailable(ctx, kpi_label("new_customers", lang), new.attrs["unavailable"])
        return
    ret = compute("returning_customers", ctx.client, freq=freq, **ctx.kw)
    df = pd.DataFrame({"period_start": new["period_start"], label("new", lang): new["value"], label("returning", lang): ret["value"]})
    fig = plots.figure()
    ax = fig.add_subplot()
    x = np.arange(len(df))
    ticks = df["period_start"].dt.strftime("%d/%m" if freq == "W" else "%m/%Y" if lang == "fr" else "%Y-%m").tolist()
    ax.bar(x, df[label("new", lang)], color=plots.PALETTE[0], label=label("new", lang))
    ax.bar(x, df[label("returning", lang)], bottom=df[label("new", lang)], color=plots.PALETTE[1], label=label("returning", lang))
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], ticks[::step])
    ax.set_ylabel(label("customers", lang))
    ax.set_xlabel(label({"D": "day", "W": "week", "M": "month"}[freq], lang))
    ax.yaxis.set_major_formatter(plots.kpi_formatter("count", lang))
    ax.legend()
    ax.set_title(title)
    setp(ax.get_xticklabels(), rotation=45 if len(x) > 8 else 0, ha="right" if len(x) > 8 else "center")
    _show(fig)
    _reading(ctx, "returning_customer_rate")


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
    if "unavailable" in df.attrs:
        _unavailable(ctx, "Cohortes" if lang == "fr" else "Cohorts", df.attrs["unavailable"])
        return
    if df.empty:
        note(label("no_data", lang))
        return
    matrix = df.pivot(index="cohort", columns="months_since_first", values=value)
    matrix.index = [d.strftime("%m/%Y" if lang == "fr" else "%Y-%m") for d in matrix.index]
    ax = plots.heatmap(matrix, unit="percent", language=lang, title=title, xlabel=label("months_since_first", lang),
                       ylabel=label("cohort", lang))
    _show(ax.figure)
    _reading(ctx, "cohort_retention")


def zero_result_queries(ctx: Context, *, n: int = 20) -> None:
    """The most frequent searches that found nothing (normalised), as text."""
    from ..search import top_zero_result_queries

    lang = ctx.language
    _heading("Recherches sans résultat les plus fréquentes" if lang == "fr" else "Most frequent zero-result searches")
    df = top_zero_result_queries(ctx.client, n=n, **ctx.kw)
    if "unavailable" in df.attrs:
        _unavailable(ctx, kpi_label("zero_result_rate", lang), df.attrs["unavailable"])
        return
    if df.empty:
        note(label("no_data", lang))
        return
    _table(pd.DataFrame({label("query", lang): [q[:120] + ("…" if len(q) > 120 else "") for q in df["query"]],
                         label("searches", lang): [format_number(v, lang) for v in df["searches"]],
                         ("Variantes" if lang == "fr" else "Variants"): df["variants"].astype(int)}))
    _reading(ctx, "top_zero_result_queries")
