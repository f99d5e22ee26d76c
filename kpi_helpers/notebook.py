"""What the notebooks call: parameter validation, views (heading, chart, table, reading note),
the widget explorer and exercise checks.

A notebook's ``parameters`` cell holds literals; the next cell is ``ctx = nb.setup(...)``, which
validates every parameter and loads the client once. Each section then calls one view, such as
``nb.breakdown(ctx, "conversion_rate", by="channel")``, which shows a heading, a chart, a table and
a short note on how to read it, in the client's language. When the client lacks the table a view
needs, the view says so in one sentence instead of failing.

Views display their output (they are presentation, not computation): every number comes from the
KPI functions of the theme modules.
"""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import html
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from IPython.display import HTML, Image, Markdown, display
from matplotlib.artist import setp

from . import plots
from .core import KPIS, Period, comparison_period, compute, resolve_period
from .errors import KpiInputError, Problem
from .labels import (KPI_UNITS, channel_label, device_label, format_kpi, format_money, format_number,
                     format_percent, kpi_label, label)
from .loading import Client, load_client
from .paths import resolve_client_dir
from .results import run
from .scorecard import default_period

__all__ = [
    "Context", "setup", "scorecard", "SCORECARD_GROUPS", "headline", "breakdown", "trend", "trends", "path_distribution", "bounce_pages",
    "acquisition", "shipping_bands", "new_vs_returning", "cohorts", "zero_result_queries", "explore", "view",
    "check", "note", "auto_freq", "kpi_table", "what_changed", "revenue_effects", "conversion_mix", "significance",
    "noise_example",
]

COMPARES = ("previous_period", "previous_year")


# ----------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class Context:
    """Validated parameters of a notebook run, and the loaded client."""

    client: Client
    start: dt.date
    end: dt.date
    compare: str | None = None
    channel: str | None = None
    device: str | None = None
    language: str = "fr"
    margin_rate: float | None = None
    timings: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def currency(self) -> str:
        return self.client.settings.currency

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def kw(self) -> dict[str, Any]:
        """Keyword arguments of every KPI function for this context."""
        return {"start": self.start, "end": self.end, "channel": self.channel, "device": self.device}

    def replace(self, **changes: Any) -> "Context":
        return replace(self, **changes)

    def fmt(self, kpi_id: str, value: Any) -> str:
        return format_kpi(kpi_id, value, language=self.language, currency=self.currency)


_CLIENTS: dict[tuple, Client] = {}


def _signature(folder: Path) -> tuple:
    """Cache key of a client folder: its files' names, sizes and modification times."""
    files = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file())
    return (str(folder), tuple(files))


def _load_cached(folder: Path) -> Client:
    key = _signature(folder) if folder.is_dir() else (str(folder),)
    if key not in _CLIENTS:
        _CLIENTS[key] = load_client(folder)
    return _CLIENTS[key]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "all", "tous"))


def _segment_values(client: Client, column: str) -> list[str]:
    if not client.has("sessions"):
        return []
    s = client.tables["sessions"]
    return sorted(v for v in run(s.select(column).distinct())[column].tolist() if v is not None)


def setup(client_dir: str | Path, *, start: Any = None, end: Any = None, compare: Any = "previous_period",
          channel: Any = None, device: Any = None, language: str = "fr", margin_rate: Any = None,
          show: bool = True) -> Context:
    """Validate a notebook's parameters, load the client and set the chart theme.

    Every problem is reported at once (a :class:`KpiInputError`, shown without traceback):
    a client folder that does not load, dates that do not parse or are reversed, an unknown
    comparison, a channel or device absent from the client's sessions, a language other than
    ``fr``/``en``, a margin rate outside 0..1. Without dates the period is the last full calendar
    month in the data; with one date, the other end is the data's first or last day.
    """
    problems: list[Problem] = []
    if language not in ("fr", "en"):
        problems.append(Problem(f"invalid language {language!r}", column="language", expected="'fr' or 'en'"))
        language = "fr"
    if _blank(compare) or compare == "none":
        compare = None
    elif compare not in COMPARES:
        problems.append(Problem(f"invalid compare {compare!r}", column="compare",
                                expected="'previous_period', 'previous_year' or None"))
        compare = None
    if margin_rate is not None and not (isinstance(margin_rate, str) and not margin_rate.strip()):
        try:
            margin_rate = float(margin_rate)
        except (TypeError, ValueError):
            margin_rate = float("nan")
        if not 0 <= margin_rate <= 1:
            problems.append(Problem(f"invalid margin_rate {margin_rate!r}", column="margin_rate",
                                    expected="a fraction between 0 and 1, such as 0.35, or None for client.yml"))
            margin_rate = None
    else:
        margin_rate = None
    if not client_dir or not str(client_dir).strip():
        raise KpiInputError(Problem("no client folder given", column="client_dir", expected="a client folder path"))
    client = _load_cached(resolve_client_dir(client_dir))
    try:
        period = resolve_period(None if _blank(start) else start, None if _blank(end) else end)
    except KpiInputError as exc:
        problems += exc.problems
        period = Period(None, None)
    if period.start is None and period.end is None and not problems:
        period = default_period(client)
    elif period.start is None or period.end is None:
        first, last = client.date_range(through=client.today())
        period = Period(period.start or (pd.Timestamp(first).date() if first is not None else None),
                        period.end or (pd.Timestamp(last).date() if last is not None else None))
    chan = None if _blank(channel) else str(channel)
    dev = None if _blank(device) else str(device)
    for name, value in (("channel", chan), ("device", dev)):
        # a client without sessions (social media only) has no segments to check: its views say so
        if value is not None and client.has("sessions"):
            known = _segment_values(client, name)
            if value not in known:
                problems.append(Problem(f"{name} {value!r} is not in this client's sessions", column=name,
                                        expected=f"one of {', '.join(known) or '(no sessions table)'} or None"))
    if problems:
        raise KpiInputError(problems, header=f"invalid notebook parameters: {len(problems)} problem"
                                             f"{'s' if len(problems) > 1 else ''}")
    if period.start is None:
        raise KpiInputError(Problem("the client's tables have no dated rows", column="start"))
    margin = margin_rate if margin_rate is not None else client.settings.margin_rate
    plots.set_theme()
    ctx = Context(client.with_settings(language=language), period.start, period.end, compare, chan, dev,
                  language, margin)
    if show:
        _summary(ctx)
    return ctx


def _fmt_date(d: dt.date, language: str) -> str:
    return d.strftime("%d/%m/%Y") if language == "fr" else d.isoformat()


def _summary(ctx: Context) -> None:
    lang = ctx.language
    lines = [f"**{html.escape(ctx.client.name)}** — {label('period', lang)} : "
             f"{_fmt_date(ctx.start, lang)} → {_fmt_date(ctx.end, lang)}" if lang == "fr" else
             f"**{html.escape(ctx.client.name)}** — {label('period', lang)}: {_fmt_date(ctx.start, lang)} → {_fmt_date(ctx.end, lang)}"]
    if ctx.compare:
        cp = comparison_period(ctx.period, ctx.compare)
        lines.append(f"{label('comparison', lang)} ({label(ctx.compare, lang)}) : "
                     f"{_fmt_date(cp.start, lang)} → {_fmt_date(cp.end, lang)}")
    if ctx.channel or ctx.device:
        seg = []
        if ctx.channel:
            seg.append(f"{label('channel', lang)} = {channel_label(ctx.channel, lang)}")
        if ctx.device:
            seg.append(f"{label('device', lang)} = {device_label(ctx.device, lang)}")
        lines.append(("Segment : " if lang == "fr" else "Segment: ") + ", ".join(seg))
    display(Markdown("  \n".join(lines)))


# ----------------------------------------------------------------------------------------------
# Small display helpers

#: Where views put what they show: None in a cell (IPython's display), or a list of HTML fragments
#: while :func:`explore` renders views into its HTML widget.
_COLLECT: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("kpi_collect", default=None)


def _emit(obj: HTML | Image | Markdown) -> None:
    """Show one rich object: displayed in the running cell, or collected as HTML by :func:`explore`."""
    sink = _COLLECT.get()
    if sink is None:
        display(obj)
    elif isinstance(obj, Image):
        width = f' width="{obj.width}"' if obj.width else ""
        sink.append(f'<img alt=""{width} src="data:image/png;base64,{base64.b64encode(obj.data).decode()}">')
    elif isinstance(obj, Markdown):
        sink.append(f"<p>{html.escape(obj.data)}</p>")
    else:
        sink.append(obj.data)


def note(text: str) -> None:
    """A short paragraph (escaped: data never becomes markup)."""
    _emit(HTML(f'<p class="kpi-note">{html.escape(text)}</p>'))


def _heading(text: str) -> None:
    _emit(HTML(f'<h3 class="kpi-heading">{html.escape(text)}</h3>'))


def _reading(ctx: Context, kpi_id: str, fallback: str | None = None) -> None:
    try:
        from .glossary import entry

        text = entry(kpi_id, ctx.language).get("read")
    except Exception:  # the glossary is optional for a view to render
        text = None
    if text or fallback:
        label_text = "Comment lire : " if ctx.language == "fr" else "How to read this: "
        _emit(HTML(f'<p class="kpi-read"><b>{html.escape(label_text)}</b>{html.escape(text or fallback)}</p>'))


def _unavailable(ctx: Context, what: str, reason: str) -> None:
    missing = re.match(r"(\w+) table not provided", reason)
    if missing:
        table = missing.group(1)
        note(label("missing_table", ctx.language, table=table, reason=_reason_text(reason, ctx.language)))
    else:
        note(label("unavailable_kpi", ctx.language, kpi=what, reason=_reason_text(reason, ctx.language)))


_REASONS_FR = {
    "table not provided": "table absente des données du client",
    "column not provided": "colonne absente des données du client",
    "not split by channel or device": "ces données ne sont pas ventilées par canal ni par appareil",
    "ad spend is not split by device": "les dépenses publicitaires ne sont pas ventilées par appareil",
    "margin_rate not set (client.yml or --margin-rate)": "taux de marge non renseigné (client.yml)",
    "segment filters need the sessions table": "les filtres de segment demandent la table des visites",
}


#: Reasons from the aggregated tables (kpi_helpers.aggregated, core.VISITS_REASON): pattern -> French.
_REASON_PATTERNS_FR = (
    (r"sessions table not provided: the traffic table holds totals .*",
     "table des visites absente : la table traffic ne contient que des totaux (rapports GA4 téléchargés), pas de "
     "visites ; les visiteurs et les visites viennent de l'export BigQuery de GA4 (events_*) ou du journal des "
     "visites de Matomo (Live.getLastVisitsDetails)"),
    (r"searches table not provided: the search_terms table holds .*",
     "table des recherches absente : la table search_terms ne contient que les totaux par mot-clé de la recherche "
     "interne de Matomo ; les recherches par visite viennent du journal des visites de Matomo ou de l'export "
     "BigQuery de GA4"),
    (r"the (.+) cover (.+) as one total each; a total is never prorated.*",
     r"les données agrégées couvrent \2 d'un seul bloc ; un total n'est jamais réparti au prorata : choisissez une "
     r"période faite de lignes entières, ou importez le rapport par jour"),
    (r"the (.+) cover (.+) only, not every day of (.+)",
     r"les données agrégées ne couvrent que \2, pas tous les jours \3"),
    (r"the (.+) are not split by (.+) \(import a report with that dimension\)",
     r"les données agrégées ne sont pas ventilées par \2 (importez un rapport avec cette dimension)"),
    (r"traffic\.transactions column not provided .*",
     "colonne transactions absente de la table traffic (les événements clés du rapport comptent toutes les "
     "conversions de la propriété, pas les commandes : ils ne servent pas de commandes)"),
    (r"the (.+) hold two reports (.+) over the same days \((.+)\): import one of them only",
     r"les données agrégées contiennent deux rapports qui se recouvrent (\3) : n'en importez qu'un"),
    (r"no (.+) for this period \((.+)\)", r"aucune donnée agrégée pour cette période (\2)"),
    (r"no (.+) for this period", r"aucune donnée agrégée pour cette période"),
    (r"the Site Search reports \(search_terms\) are .*",
     "les rapports de recherche interne de Matomo sont des totaux par mot-clé : ni par canal, ni par appareil, ni "
     "par jour"),
)


def _reason_text(reason: str, language: str) -> str:
    if language != "fr":
        return reason
    for pattern, fr in _REASON_PATTERNS_FR:
        m = re.fullmatch(pattern, reason)
        if m:
            out = re.sub(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", r"du \1 au \2", m.expand(fr))
            return re.sub(r"\b(channel|device|landing_page)\b",
                          lambda w: {"channel": "canal", "device": "appareil", "landing_page": "page d'entrée"}[w[1]],
                          out).replace(" and ", " et ")
    for en, fr in _REASONS_FR.items():
        if reason.endswith(en) or reason == en:
            prefix = reason[: -len(en)].strip()
            return f"{fr} ({prefix})" if prefix else fr
    return reason


def _show(fig) -> None:
    """A chart as a PNG image, shown at the size of its figure (rendered at the theme's dpi for a sharp print)."""
    data, width = plots.png(fig)
    _emit(Image(data=data, format="png", width=width))


def _table(df: pd.DataFrame) -> None:
    """A formatted table; every cell escaped (queries and titles may hold markup)."""
    _emit(HTML(df.to_html(index=False, escape=True, classes="kpi-table", border=0, na_rep="–")))


def auto_freq(ctx: Context) -> str:
    """Day for up to two months, week up to about six months, month beyond."""
    days = ctx.period.days or 0
    return "D" if days <= 62 else "W" if days <= 190 else "M"


# ----------------------------------------------------------------------------------------------
# Views


def kpi_table(ctx: Context, kpi_ids: Sequence[str], *, tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """The values of some KPIs for the context (with the comparison when set), formatted.

    ``tests`` (:func:`kpi_helpers.explain.change_tests`): each tested KPI's change gets its verdict
    beside it (significant, noise, too few)."""
    from .commentary import mark

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
    from .commentary import MARK_LEGEND
    from .explain import change_tests

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


# ----------------------------------------------------------------------------------------------
# What changed and why (kpi_helpers.explain): the opening paragraph and the teaching views


def _no_comparison(ctx: Context) -> bool:
    if ctx.compare:
        return False
    note("Sans période de comparaison (compare = None), il n'y a pas d'évolution à expliquer." if ctx.language == "fr"
         else "Without a comparison period (compare = None) there is no change to explain.")
    return True


def what_changed(ctx: Context) -> None:
    """The opening paragraph: what changed from the comparison period, why, and what is noise."""
    from .explain import explain

    _heading("L'essentiel" if ctx.language == "fr" else "In short")
    if not _no_comparison(ctx):
        card = explain(ctx.client, start=ctx.start, end=ctx.end, compare=ctx.compare, channel=ctx.channel,
                       device=ctx.device)
        _emit(HTML(f'<p class="kpi-summary">{html.escape(card["summary"][ctx.language])}</p>'))


def revenue_effects(ctx: Context, *, by: str = "channel") -> None:
    """The change of revenue split into its traffic, conversion and basket effects, then by channel."""
    from .commentary import contributions_table, effects_table, why_not_decomposed
    from .explain import change_contributions, revenue_decomposition

    lang = ctx.language
    _heading("D'où vient l'évolution du chiffre d'affaires ?" if lang == "fr" else "Where does the change of revenue come from?")
    if _no_comparison(ctx):
        return
    dec = revenue_decomposition(ctx.client, compare=ctx.compare, **ctx.kw)
    if pd.isna(dec.attrs["revenue"]):
        _unavailable(ctx, kpi_label("revenue", lang), dec.attrs["unavailable"])
        return
    _table(effects_table(dec, language=lang, currency=ctx.currency))
    if "unavailable" in dec.attrs:
        note(why_not_decomposed(dec, language=lang))
    _table(contributions_table(change_contributions(ctx.client, by=by, compare=ctx.compare, **ctx.kw),
                               language=lang, currency=ctx.currency))


def conversion_mix(ctx: Context, *, by: str = "channel") -> None:
    """The change of the visitor conversion rate split into a mix effect and a rate effect."""
    from .commentary import mix_sentence, mix_table
    from .explain import conversion_mix as mix_effects

    lang = ctx.language
    _heading("Taux de conversion : effet mix et effet taux" if lang == "fr" else "Conversion rate: mix and rate effects")
    if _no_comparison(ctx):
        return
    mix = mix_effects(ctx.client, by=by, compare=ctx.compare, **ctx.kw)
    if pd.isna(mix.attrs["value"]) and pd.isna(mix.attrs["comparison_value"]):
        _unavailable(ctx, kpi_label("conversion_rate", lang), mix.attrs["unavailable"])
        return
    if len(mix):
        _table(mix_table(mix, language=lang))
    note(mix_sentence(mix, language=lang))


def significance(ctx: Context) -> None:
    """Each tested KPI: its 95 % interval in both periods, the p-value of its change and the verdict."""
    from .commentary import MARK_LEGEND, tests_table
    from .explain import change_tests

    _heading("Significatif ou bruit ?" if ctx.language == "fr" else "Significant or noise?")
    if _no_comparison(ctx):
        return
    tests = change_tests(ctx.client, compare=ctx.compare, **ctx.kw)
    if tests["test"].notna().any():
        _table(tests_table(tests, language=ctx.language, currency=ctx.currency))
    note(MARK_LEGEND[ctx.language])


def noise_example(ctx: Context, *, visitors: Sequence[int] = (2000, 50_000), rate: float = 0.02,
                  rise: float = 0.004) -> None:
    """The same rise of a conversion rate judged on few and on many visitors (a teaching example)."""
    from .commentary import noise_table
    from .labels import format_points

    rise_text = format_points(rise, ctx.language)
    _heading(f"Le même {rise_text}, sur peu et sur beaucoup de visiteurs" if ctx.language == "fr"
             else f"The same {rise_text} on few and on many visitors")
    _table(noise_table(visitors=visitors, rate=rate, rise=rise, language=ctx.language))


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
    from .path_to_purchase import days_to_purchase, visits_to_purchase

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
    from .product_pages import product_page_bounce_by_page

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
    from .acquisition import acquisition_by_channel

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
    from .carts import abandonment_by_shipping_fee

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
    from .customers import cohort_retention

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
    from .search import top_zero_result_queries

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


# ----------------------------------------------------------------------------------------------
# Explore: widgets that re-render views with another segment or period


def view(fn: Callable, *args: Any, **kwargs: Any) -> Callable[[Context], Any]:
    """A view to re-render in :func:`explore`: ``nb.view(nb.breakdown, "conversion_rate", by="device")``."""
    return lambda ctx: fn(ctx, *args, **kwargs)


def _main_loop() -> Any:
    """The event loop of the kernel's main thread, or None outside a kernel (a script, the tests)."""
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:  # pragma: no cover (ipykernel is a dependency)
        return None
    return getattr(Kernel.instance(), "io_loop", None) if Kernel.initialized() else None


class _Later:
    """Runs ``fn`` on the kernel's main thread, ``delay`` seconds after the last request.

    Widget callbacks may run on a thread other than the main one (ipykernel 7 handles comm messages
    on its shell channel and subshell threads); the views share the client's DuckDB connection and
    Matplotlib's text machinery, so every re-render is handed to the main thread's loop
    (``add_callback`` is its one thread-safe entry) and runs there, one at a time. A new request
    within the delay replaces the pending one. Outside a kernel, ``fn`` runs at once.
    """

    def __init__(self, fn: Callable[[], None]):
        self.fn, self.loop, self.pending = fn, _main_loop(), None

    def request(self, delay: float = 0.0) -> None:
        if self.loop is None:
            self.fn()
        else:
            self.loop.add_callback(self._arm, delay)

    def _arm(self, delay: float) -> None:  # on the main thread
        if self.pending is not None:
            self.loop.remove_timeout(self.pending)
        self.pending = self.loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self.pending = None
        self.fn()


#: Seconds to wait after a date changes before re-rendering: typing a date sends one value per keystroke.
DATE_SETTLE = 0.3


def render_html(ctx: Context, *views: Callable[[Context], Any]) -> str:
    """What ``views`` show for ``ctx``, as one HTML fragment (charts as embedded PNG images).

    A problem with the choice (a :class:`KpiInputError`) or a view that fails becomes one sentence
    in the fragment, never a traceback.
    """
    blocks: list[str] = []
    token = _COLLECT.set(blocks)
    try:
        for v in views:
            v(ctx)
    except KpiInputError as exc:
        note(str(exc))
    except Exception as exc:  # noqa: BLE001: shown to the analyst as one sentence
        note((f"Cette vue n'a pas pu être affichée ({type(exc).__name__} : {exc})" if ctx.language == "fr" else
              f"This view could not be shown ({type(exc).__name__}: {exc})"))
    finally:
        _COLLECT.reset(token)
    return '<div class="jp-RenderedHTMLCommon">' + "".join(blocks) + "</div>"


def _choice_problem(ctx: Context, start: Any, end: Any, first: Any, last: Any) -> str | None:
    """The sentence that explains why a picked period cannot be shown, or None."""
    fr = ctx.language == "fr"
    if start is None or end is None:
        return "Choisissez une date de début et une date de fin." if fr else "Pick a start and an end date."
    if first is not None and last is not None and (start < first or end > last or start > last or end < first):
        span = f"{_fmt_date(first, ctx.language)} → {_fmt_date(last, ctx.language)}"
        return (f"Les données de ce client vont du {span.replace(' → ', ' au ')} : choisissez des dates dans cet intervalle."
                if fr else f"This client's data covers {span}: pick dates within it.")
    if start > end:
        return "La date de début est après la date de fin." if fr else "The start date is after the end date."
    return None


def explore(ctx: Context, *views: Callable[[Context], Any], segments: bool = True):
    """Pickers for the period (and channel and device when ``segments``) that re-render ``views``.

    The views are re-rendered by the same helpers as the cells above, into one HTML widget (charts as
    PNG images): no ``Output`` widget. A headless run (papermill, nbval, the reports) has no front
    end; papermill's client then stands in for one and answers every output captured by an Output
    widget with a message on the kernel's shell socket, sent past the socket's event loop while
    that loop waits for the cell's reply: when the reply lands just before that send, its wake-up is
    lost and the run waits forever (``benchmarks/SOAK.md``). Re-renders run on the kernel's main
    thread (see :class:`_Later`), dates a moment after the last keystroke; a period outside the
    client's data, or a start after the end, is one sentence.

    Returns the widget box (its ``render_seconds`` attribute holds the duration of the last
    re-render, for measurement; ``render()`` re-renders at once).
    """
    import ipywidgets as w

    lang = ctx.language
    first, last = (pd.Timestamp(d).date() if d is not None else None for d in ctx.client.date_range(through=ctx.client.today()))
    rows = []
    ch = dv = None
    if segments:
        all_text = label("all", lang)
        channels = [(all_text, "")] + [(channel_label(c, lang), c) for c in _segment_values(ctx.client, "channel")]
        devices = [(all_text, "")] + [(device_label(d, lang), d) for d in _segment_values(ctx.client, "device")]
        ch = w.Dropdown(options=channels, value=ctx.channel or "", description=label("channel", lang))
        dv = w.Dropdown(options=devices, value=ctx.device or "", description=label("device", lang))
        rows.append(w.HBox([ch, dv]))
    st = w.DatePicker(value=ctx.start, description="Début" if lang == "fr" else "Start")
    en = w.DatePicker(value=ctx.end, description="Fin" if lang == "fr" else "End")
    # no min/max on the pickers: ipywidgets would clamp a date being typed (0002-..., 0020-...) and send
    # the clamped value back into the field under the analyst's fingers; a date out of range is a sentence
    rows.append(w.HBox([st, en]))
    shown = w.HTML()
    box = w.VBox([*rows, shown])
    box.render_seconds = None

    def render() -> None:
        t0 = time.perf_counter()
        problem = _choice_problem(ctx, st.value, en.value, first, last)
        if problem:
            shown.value = f'<p class="kpi-note">{html.escape(problem)}</p>'
        else:
            sub = ctx.replace(channel=(ch.value or None) if ch else ctx.channel,
                              device=(dv.value or None) if dv else ctx.device, start=st.value, end=en.value)
            shown.value = render_html(sub, *views)
        box.render_seconds = time.perf_counter() - t0

    later = _Later(render)
    for picker in (ch, dv):
        if picker is not None:
            picker.observe(lambda _: later.request(), names="value")
    for picker in (st, en):
        picker.observe(lambda _: later.request(DATE_SETTLE), names="value")
    render()
    box.render = render
    return box


# ----------------------------------------------------------------------------------------------
# Exercises


def check(exercise_id: str, answer: Any, ctx: Context) -> None:
    """Check a learner's answer to an exercise; says whether it is right (and gives a hint if not).

    Displays the verdict and returns None (so a notebook cell shows only the verdict); use
    ``EXERCISES[exercise_id].is_correct(answer, ctx)`` for a boolean.
    """
    from .exercises import EXERCISES

    ex = EXERCISES[exercise_id]
    lang = ctx.language
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        note(("Pas encore de réponse. Indice : " if lang == "fr" else "No answer yet. Hint: ") + ex.hint[lang])
    elif ex.is_correct(answer, ctx):
        note("✔ Bonne réponse." if lang == "fr" else "✔ Correct.")
    else:
        note(("✘ Pas tout à fait. Indice : " if lang == "fr" else "✘ Not quite. Hint: ") + ex.hint[lang])
