"""Charts in one kit theme (seaborn), with French or English labels and formatted axes.

Each function takes a tidy frame (as the KPI functions return it) first, the rest by keyword,
draws on ``ax`` (a new figure when None) and returns the Axes. They compute nothing but layout:
numbers come from the KPI functions.

Figures are made with Matplotlib's object API (:func:`figure`), never through ``pyplot``: pyplot
keeps global state (the current figure, the list of open figures) that is not thread-safe, and a
widget callback may run on another thread than the cell that drew the previous chart. A figure
made here belongs to no one but its caller; :func:`png` renders it.

Labels come from the data (channel, device, campaign names): they are drawn as plain text
(``$...$`` is not mathematics here) and cut to :data:`MAX_LABEL` characters.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import setp
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from .labels import (KPI_UNITS, channel_label, currency_symbol, device_label, segment_value_label, format_money,
                     format_number, format_percent, kpi_label, label)

__all__ = ["set_theme", "PALETTE", "FIGSIZE", "figure", "png", "bar", "line", "date_axis", "distribution", "heatmap",
           "grouped_bar", "kpi_formatter", "segment_label"]

MAX_LABEL = 40  # characters of a category label on a chart (the tables show it whole)
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}
mpl.rcParams.update(PLAIN_TEXT)  # a channel named "$$ promo $$" is text, not a formula that fails to parse

PALETTE = ["#2E5EAA", "#E07A5F", "#3D9970", "#F2CC8F", "#81B29A", "#9C6ADE", "#5FA8D3", "#B56576", "#6D6875",
           "#F4A261", "#8D99AE", "#264653"]
FIGSIZE = (8.0, 4.2)


def set_theme() -> None:
    """The kit's look: white grid, readable on a laptop and in an A4 PDF."""
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE, font_scale=0.95)
    mpl.rcParams.update({
        "figure.figsize": FIGSIZE, "figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight",
        "axes.titlesize": 13, "axes.titleweight": "bold", "axes.titlelocation": "left",
        "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
        "figure.autolayout": True, "svg.hashsalt": "kpi-kit", **PLAIN_TEXT,
    })


class KpiFormatter(Formatter):
    """Ticks (and bar-end values) in a unit, in French or English.

    One value (``fmt(v)``, a bar's annotation) gets the unit's usual decimals; a set of ticks gets
    the fewest decimals that write each tick exactly (12,5 % and 17,5 % rather than 12 % and 18 %),
    at most three.
    """

    def __init__(self, unit: str, language: str = "fr", currency: str = "EUR"):
        self.unit, self.language, self.currency = unit, language, currency
        self.decimals: int | None = None

    def _text(self, v: float, decimals: int) -> str:
        if self.unit == "percent":
            return format_percent(v, self.language, decimals)
        if self.unit == "money":
            return format_money(v, self.language, self.currency, decimals)
        if self.unit == "ratio":
            return format_number(v, self.language, decimals) + "\u00a0×"
        return format_number(v, self.language, decimals)

    def _usual(self, v: float) -> int:
        if self.unit == "percent":
            return 0 if abs(v) >= 0.1 or v == 0 else 1
        if self.unit == "money":
            return 0
        if self.unit == "ratio":
            return 1
        return 0 if abs(v) >= 10 or v == int(v) else 1

    def __call__(self, v: float, pos: Any = None) -> str:
        return self._text(v, self.decimals if self.decimals is not None and pos is not None else self._usual(v))

    def format_ticks(self, values) -> list[str]:
        scale = 100 if self.unit == "percent" else 1
        base = 1 if self.unit == "ratio" else 0
        for decimals in range(base, 4):
            if all(abs(round(v * scale, decimals) - v * scale) < 1e-9 * max(1.0, abs(v * scale)) for v in values):
                break
        self.decimals = decimals
        try:
            return [self._text(v, decimals) for v in values]
        finally:
            self.decimals = None


def kpi_formatter(unit: str, language: str = "fr", currency: str = "EUR") -> KpiFormatter:
    """A tick formatter for a unit: ``percent`` (0-1 fractions), ``money``, ``count``, ``ratio``...
    Ticks get the decimals they need to be exact; ``fmt(v)`` alone gives the unit's usual decimals."""
    return KpiFormatter(unit, language, currency)


def _unit_text(unit: str, language: str, currency: str) -> str:
    return {"percent": "%", "money": currency_symbol(currency), "ratio": "×", "count": "",
            "days": label("day", language).lower() + "s" if language == "en" else "jours",
            "visits": label("sessions", language).lower()}.get(unit, "")


def axis_label(name: str, unit: str, language: str, currency: str) -> str:
    """A value axis' label: the KPI's name and its unit, without nested parentheses (« Taux de
    conversion (visiteurs), en % » rather than « Taux de conversion (visiteurs) (%) »)."""
    text = _unit_text(unit, language, currency)
    if not text:
        return name
    if name.endswith(")"):
        return f"{name}, {'en' if language == 'fr' else 'in'} {text}"
    return f"{name} ({text})"


def segment_label(key: str, value: Any, language: str, *, limit: int | None = None) -> str:
    """A category's label: the channel's, device's, platform's or post format's name in
    ``language``, cut to ``limit`` characters when given."""
    text = segment_value_label(key, value, language)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _labels(key: str, values: Any, language: str) -> list[str]:
    """Chart labels for ``values``: cut to :data:`MAX_LABEL` characters, and still distinct (two
    long names that only differ at their end would otherwise be drawn as one bar)."""
    values = list(values)
    names: dict[Any, str] = {}
    for v in dict.fromkeys(values):
        text = base = segment_label(key, v, language, limit=MAX_LABEL)
        n = 2
        while text in names.values():
            text, n = f"{base} ({n})", n + 1
        names[v] = text
    return [names[v] for v in values]


def figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    """A new figure of its own (an Agg canvas, no pyplot state)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def png(fig: Figure) -> tuple[bytes, int]:
    """The figure as PNG bytes, and the width in screen pixels to show it at.

    Rendered at the theme's ``savefig.dpi`` (sharp in print) and cropped to what is drawn; shown
    at the figure's own dpi, the size it has on screen.
    """
    dpi = mpl.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else dpi  # matplotlib's default, before the kit's theme is set
    buf = io.BytesIO()
    with mpl.rc_context(PLAIN_TEXT):
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    data = buf.getvalue()
    width_px = int.from_bytes(data[16:20], "big")  # the width field of the PNG header
    return data, round(width_px * fig.dpi / dpi)


def _ax(ax):
    if ax is None:
        ax = figure().add_subplot()
    return ax


#: how a bar computed on too few observations is drawn: lighter, hatched, with its interval if known
SMALL_STYLE = {"alpha": 0.45, "hatch": "///", "edgecolor": "#2E5EAA"}


def bar(data: pd.DataFrame, *, x: str, y: str = "value", kpi: str | None = None, unit: str | None = None,
        language: str = "fr", currency: str = "EUR", title: str | None = None, ax=None, color: str | None = None,
        annotate: bool = True, horizontal: bool = True, missing_text: str = "–", reference: float | None = None,
        sort: bool = True, small: str | None = None, low: str | None = None, high: str | None = None):
    """Bars of ``y`` per ``x`` (a breakdown), largest first (``sort=False``: in the data's order, for
    ordered categories such as fee bands), values written at the bar ends.

    ``small``: a boolean column marking values computed on too few observations: their bars are
    lighter and hatched, their value followed by an asterisk; ``low``/``high``: columns of their
    interval, drawn as a whisker. ``title``: None gives the KPI's name, "" no title (when a
    heading is shown above the chart).
    """
    ax = _ax(ax)
    unit = unit or KPI_UNITS.get(kpi or "", "number")
    cols = [c for c in dict.fromkeys([x, y, small, low, high]) if c]
    df = data[cols].copy()
    df["_label"] = _labels(x, df[x], language)
    if sort:
        df = df.sort_values(y, ascending=False, na_position="last", kind="stable")
    df = df.reset_index(drop=True)
    values = df[y].astype(float)
    flagged = df[small].fillna(False).astype(bool).to_numpy() if small else np.zeros(len(df), bool)
    ylab = kpi_label(kpi, language) if kpi else y
    pos = np.arange(len(df))
    base = color or PALETTE[0]
    if horizontal:
        bars = ax.barh(pos, values.fillna(0).to_numpy(), color=base, height=0.8)
        ax.set_yticks(pos, df["_label"].tolist())
        ax.set_ylim(len(df) - 0.5, -0.5)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(kpi_formatter(unit, language, currency))
        ax.set_xlabel(axis_label(ylab, unit, language, currency))
        ax.set_ylabel(label(x, language))
    else:
        bars = ax.bar(pos, values.fillna(0).to_numpy(), color=base, width=0.8)
        ax.set_xticks(pos, df["_label"].tolist())
        ax.grid(axis="x", visible=False)
        ax.yaxis.set_major_formatter(kpi_formatter(unit, language, currency))
        ax.set_ylabel(ylab)
        ax.set_xlabel(label(x, language))
    for b, f in zip(bars, flagged):
        if f:
            b.set(facecolor=mpl.colors.to_rgba(base, SMALL_STYLE["alpha"]), hatch=SMALL_STYLE["hatch"],
                  edgecolor=SMALL_STYLE["edgecolor"], linewidth=0.6)
    ends = values.copy()
    if low and high:
        lo, hi = df[low].astype(float), df[high].astype(float)
        show = flagged & lo.notna().to_numpy() & hi.notna().to_numpy()
        if show.any():
            centre = values.fillna(0).to_numpy()[show]
            err = np.vstack([centre - lo.to_numpy()[show], hi.to_numpy()[show] - centre]).clip(min=0)
            (ax.errorbar(centre, pos[show], xerr=err, fmt="none", ecolor="#555555", capsize=3, linewidth=1)
             if horizontal else ax.errorbar(pos[show], centre, yerr=err, fmt="none", ecolor="#555555", capsize=3, linewidth=1))
            ends = pd.Series(np.where(show, hi.to_numpy(), values.to_numpy()))
    if annotate:
        fmt = kpi_formatter(unit, language, currency)
        for i, (v, end) in enumerate(zip(values, ends)):
            text = missing_text if pd.isna(v) else fmt(v) + ("\u00a0*" if flagged[i] else "")
            at = 0 if pd.isna(v) else max(v, end if not pd.isna(end) else v)
            if horizontal:
                ax.annotate(text, (at, i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
            else:
                ax.annotate(text, (i, at), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=9)
        candidates = [float(ends.max()) if ends.notna().any() else 0.0]
        if reference is not None and not pd.isna(reference):
            candidates.append(float(reference))
        top = max(candidates)
        if top > 0:
            (ax.set_xlim if horizontal else ax.set_ylim)(0, top * (1.2 if horizontal else 1.12))
    if not horizontal:
        fit_category_labels(ax, df["_label"].tolist())
    ax.set_title(ylab if title is None else title)
    return ax


def fit_category_labels(ax, labels: list[str], *, axis: str = "x") -> None:
    """Category labels under vertical bars that fit their slots: a smaller font first (down to 7.5
    points), then two lines cut at a space or a dash, so that no label runs into its neighbour."""
    fig = ax.figure
    width_in = ax.get_position().width * fig.get_figwidth() * 0.9  # the layout may still narrow it
    slot = width_in / max(1, len(labels))
    longest = max((len(t) for t in labels), default=0)
    size = mpl.rcParams["xtick.labelsize"]
    size = mpl.font_manager.FontProperties(size=size).get_size_in_points()
    needed = lambda chars, pts: chars * pts * 0.62 / 72 + 0.08  # noqa: E731: inches of a label
    smallest = min(size, 8.5)
    while needed(longest, size) > slot and size > smallest:
        size -= 0.5
    texts = labels
    if needed(longest, size) > slot:  # two shorter lines at the usual size read better than a tiny font
        texts = [_two_lines(t) for t in labels]
        size = mpl.font_manager.FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points()
    ax.set_xticks(ax.get_xticks(), texts, fontsize=size)


def _two_lines(text: str) -> str:
    for sep in (" ", "–", "-"):
        if sep in text.strip():
            i = text.index(sep, max(0, len(text) // 2 - 4)) if sep in text[max(0, len(text) // 2 - 4):] else text.index(sep)
            return text[: i + (1 if sep != " " else 0)] + "\n" + text[i + 1:].lstrip()
    return text


def line(data: pd.DataFrame, *, x: str = "period_start", y: str = "value", hue: str | None = None,
         kpi: str | None = None, unit: str | None = None, language: str = "fr", currency: str = "EUR",
         title: str | None = None, ax=None, freq: str | None = None):
    """A time series (one line per ``hue`` value), a point per day, week or month.

    A null value (a day without orders for an average basket) is a gap: no line is drawn across
    it, and a point between two gaps still shows as a marker. ``title``: None gives the KPI's
    name, "" no title (when a heading is shown above the chart).
    """
    ax = _ax(ax)
    unit = unit or KPI_UNITS.get(kpi or "", "number")
    df = data.copy()
    df[x] = pd.to_datetime(df[x])
    groups = [(None, df)] if not hue else list(df.assign(_hue=_labels(hue, df[hue], language)).groupby("_hue", sort=False))
    for i, (name, g) in enumerate(groups):
        g = g.sort_values(x)
        values = g[y].astype(float)
        many = len(g) > 62
        ax.plot(g[x].to_numpy(), values.to_numpy(), color=PALETTE[i % len(PALETTE)], linewidth=1.5 if many else 2,
                marker="o", markersize=2.5 if many else 4.5, label=name)
    ax.yaxis.set_major_formatter(kpi_formatter(unit, language, currency))
    ylab = kpi_label(kpi, language) if kpi else y
    # a chart titled with the KPI's name says it once: its value axis then carries the unit only
    ax.set_ylabel(_unit_text(unit, language, currency) if title is None else axis_label(ylab, unit, language, currency))
    ax.set_xlabel(label({"D": "day", "W": "week", "M": "month"}.get(freq or "", "date"), language))
    if hue:
        ax.legend(title=label(hue, language))
    ax.set_ylim(bottom=0)
    ax.set_title(ylab if title is None else title)
    date_axis(ax, freq, language, dates=df[x])
    return ax


def date_format(freq: str | None, language: str = "fr") -> str:
    """05/03 (fr) or Mar 05 (en) by day or week, 03/2026 or 2026-03 by month."""
    if freq == "M":
        return "%m/%Y" if language == "fr" else "%Y-%m"
    return "%d/%m" if language == "fr" else "%b %d"


def date_axis(ax, freq: str | None, language: str = "fr", *, dates: Any = None) -> None:
    """Short, localized date ticks (:func:`date_format`), on the data's own points (the first day
    of each week or month drawn), as many as fit the axis' width without touching each other."""
    import matplotlib.dates as mdates

    fmt = date_format(freq, language)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    points = sorted(pd.to_datetime(pd.Series(dates)).dropna().unique()) if dates is not None else []
    if not points:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    else:
        ticks = _fitting(ax, points, len(pd.Timestamp(points[0]).strftime(fmt)))
        ax.set_xticks([mdates.date2num(pd.Timestamp(t).to_pydatetime()) for t in ticks])
        ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
        half = (mdates.date2num(pd.Timestamp(points[1]).to_pydatetime()) - mdates.date2num(pd.Timestamp(points[0]).to_pydatetime())) / 2 \
            if len(points) > 1 else 1
        ax.set_xlim(mdates.date2num(pd.Timestamp(points[0]).to_pydatetime()) - half,
                    mdates.date2num(pd.Timestamp(points[-1]).to_pydatetime()) + half)
    setp(ax.get_xticklabels(), rotation=0, ha="center")


def _fitting(ax, points: list, chars: int) -> list:
    """Every n-th of ``points`` (n the smallest that leaves room for labels of ``chars`` characters)."""
    fig = ax.figure
    width_in = ax.get_position().width * fig.get_figwidth() * 0.85  # the layout may still narrow the axes
    size = mpl.font_manager.FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points()
    per_label = chars * size * 0.62 / 72 + 0.3  # inches: the text and a gap
    most = max(2, int(width_in / per_label))
    step = max(1, -(-len(points) // most))
    return points[::step]


def distribution(data: pd.DataFrame, *, x: str = "bucket", y: str = "share", language: str = "fr",
                 xlabel: str | None = None, title: str | None = None, ax=None):
    """Bars of a distribution over ordered buckets (shares as percentages)."""
    ax = _ax(ax)
    names = [str(v).replace("-", "–") for v in data[x]]
    pos = np.arange(len(names))
    ax.bar(pos, data[y].fillna(0).to_numpy(), color=PALETTE[0], width=0.8)
    ax.set_xticks(pos, names)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(kpi_formatter("percent", language))
    ax.set_ylabel(label("share_of_orders", language) + " (%)")
    ax.set_xlabel(xlabel or x)
    fit_category_labels(ax, names)
    ax.set_title(title or "")
    return ax


def grouped_bar(data: pd.DataFrame, *, x: str, y: str, hue: str, unit: str = "number", language: str = "fr",
                currency: str = "EUR", title: str | None = None, ylabel: str | None = None, ax=None,
                hline: float | None = None, hline_label: str | None = None):
    """Bars of ``y`` per ``x`` and ``hue``, with an optional horizontal reference line."""
    ax = _ax(ax)
    df = data.copy()
    df["_x"] = _labels(x, df[x], language)
    sns.barplot(data=df, x="_x", y=y, hue=hue, ax=ax)
    ax.yaxis.set_major_formatter(kpi_formatter(unit, language, currency))
    ax.set_xlabel(label(x, language))
    ax.set_ylabel(ylabel or y)
    if hline is not None and not pd.isna(hline):
        ax.axhline(hline, color="#C0392B", linestyle="--", linewidth=1.5, label=hline_label)
    ax.legend()
    ax.set_title(title or "")
    setp(ax.get_xticklabels(), rotation=20, ha="right")
    return ax


def heatmap(matrix: pd.DataFrame, *, unit: str = "percent", language: str = "fr", title: str | None = None,
            xlabel: str | None = None, ylabel: str | None = None, ax=None):
    """A heatmap of a wide table (e.g. cohorts x months), cells annotated in the unit."""
    if ax is None:
        ax = figure((9.0, max(3.0, 0.32 * len(matrix) + 1.2))).add_subplot()
    fmt = kpi_formatter(unit, language)
    annot = matrix.map(lambda v: "" if pd.isna(v) else fmt(v, None))
    sns.heatmap(matrix.astype(float), annot=annot.to_numpy(), fmt="", cmap="Blues", cbar=False, ax=ax,
                linewidths=0.5, linecolor="white", annot_kws={"fontsize": 7.5},
                vmin=0, vmax=float(np.nanmax(matrix.to_numpy(dtype=float))) if matrix.notna().any().any() else 1)
    ax.grid(False)
    ax.set_title(title or "")
    ax.set_xlabel(xlabel or "")
    ax.set_ylabel(ylabel or "")
    return ax
