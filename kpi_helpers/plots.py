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
from matplotlib.ticker import FuncFormatter

from .labels import (KPI_UNITS, channel_label, currency_symbol, device_label, format_money,
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


def kpi_formatter(unit: str, language: str = "fr", currency: str = "EUR") -> FuncFormatter:
    """A tick formatter for a unit: ``percent`` (0-1 fractions), ``money``, ``count``, ``ratio``..."""
    if unit == "percent":
        return FuncFormatter(lambda v, _: format_percent(v, language, 0 if abs(v) >= 0.1 or v == 0 else 1))
    if unit == "money":
        return FuncFormatter(lambda v, _: format_money(v, language, currency, 0))
    if unit == "ratio":
        return FuncFormatter(lambda v, _: format_number(v, language, 1) + "\u00a0×")
    return FuncFormatter(lambda v, _: format_number(v, language, 0 if abs(v) >= 10 or v == int(v) else 1))


def _unit_text(unit: str, language: str, currency: str) -> str:
    return {"percent": "%", "money": currency_symbol(currency), "ratio": "×", "count": "",
            "days": label("day", language).lower() + "s" if language == "en" else "jours",
            "visits": label("sessions", language).lower()}.get(unit, "")


def segment_label(key: str, value: Any, language: str, *, limit: int | None = None) -> str:
    """A category's label: the channel's or device's name in ``language``, cut to ``limit``
    characters when given."""
    if key == "channel":
        text = channel_label(str(value), language)
    elif key == "device":
        text = device_label(str(value), language)
    else:
        text = str(value)
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


def bar(data: pd.DataFrame, *, x: str, y: str = "value", kpi: str | None = None, unit: str | None = None,
        language: str = "fr", currency: str = "EUR", title: str | None = None, ax=None, color: str | None = None,
        annotate: bool = True, horizontal: bool = True, missing_text: str = "–", reference: float | None = None):
    """Bars of ``y`` per ``x`` (a breakdown), largest first, values written at the bar ends."""
    ax = _ax(ax)
    unit = unit or KPI_UNITS.get(kpi or "", "number")
    df = data[[x, y]].copy()
    df["_label"] = _labels(x, df[x], language)
    df = df.sort_values(y, ascending=False, na_position="last")
    values = df[y].astype(float)
    ylab = kpi_label(kpi, language) if kpi else y
    if horizontal:
        sns.barplot(x=values.fillna(0).to_numpy(), y=df["_label"].to_numpy(), ax=ax, color=color or PALETTE[0],
                    orient="h")
        ax.xaxis.set_major_formatter(kpi_formatter(unit, language, currency))
        ax.set_xlabel(f"{ylab} ({_unit_text(unit, language, currency)})" if _unit_text(unit, language, currency) else ylab)
        ax.set_ylabel(label(x, language))
    else:
        sns.barplot(x=df["_label"].to_numpy(), y=values.fillna(0).to_numpy(), ax=ax, color=color or PALETTE[0])
        ax.yaxis.set_major_formatter(kpi_formatter(unit, language, currency))
        ax.set_ylabel(ylab)
        ax.set_xlabel(label(x, language))
    if annotate:
        fmt = kpi_formatter(unit, language, currency)
        for i, v in enumerate(values):
            text = missing_text if pd.isna(v) else fmt(v, None)
            if horizontal:
                ax.annotate(text, (0 if pd.isna(v) else v, i), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=9)
            else:
                ax.annotate(text, (i, 0 if pd.isna(v) else v), xytext=(0, 3), textcoords="offset points",
                            ha="center", fontsize=9)
        candidates = [float(values.max()) if values.notna().any() else 0.0]
        if reference is not None and not pd.isna(reference):
            candidates.append(float(reference))
        top = max(candidates)
        if horizontal and top > 0:
            ax.set_xlim(0, top * 1.18)
    ax.set_title(title or ylab)
    return ax


def line(data: pd.DataFrame, *, x: str = "period_start", y: str = "value", hue: str | None = None,
         kpi: str | None = None, unit: str | None = None, language: str = "fr", currency: str = "EUR",
         title: str | None = None, ax=None, freq: str | None = None):
    """A time series (one line per ``hue`` value); gaps where the value is null."""
    ax = _ax(ax)
    unit = unit or KPI_UNITS.get(kpi or "", "number")
    df = data.copy()
    if hue:
        df["_hue"] = _labels(hue, df[hue], language)
    sns.lineplot(data=df, x=x, y=y, hue="_hue" if hue else None, ax=ax, marker="o" if len(df) <= 40 else None,
                 linewidth=2)
    ax.yaxis.set_major_formatter(kpi_formatter(unit, language, currency))
    ylab = kpi_label(kpi, language) if kpi else y
    unit_text = _unit_text(unit, language, currency)
    ax.set_ylabel(f"{ylab} ({unit_text})" if unit_text else ylab)
    ax.set_xlabel(label({"D": "day", "W": "week", "M": "month"}.get(freq or "", "date"), language))
    if hue:
        ax.legend(title=label(hue, language))
    ax.set_ylim(bottom=0)
    ax.set_title(title or ylab)
    date_axis(ax, freq, language)
    return ax


def date_axis(ax, freq: str | None, language: str = "fr") -> None:
    """Short, localized date ticks: 05/03 (fr) or Mar 05 (en) by day or week, 03/2026 or 2026-03 by month."""
    import matplotlib.dates as mdates

    if freq == "M":
        fmt = "%m/%Y" if language == "fr" else "%Y-%m"
    else:
        fmt = "%d/%m" if language == "fr" else "%b %d"
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    setp(ax.get_xticklabels(), rotation=0, ha="center")


def distribution(data: pd.DataFrame, *, x: str = "bucket", y: str = "share", language: str = "fr",
                 xlabel: str | None = None, title: str | None = None, ax=None):
    """Bars of a distribution over ordered buckets (shares as percentages)."""
    ax = _ax(ax)
    sns.barplot(x=data[x].astype(str).to_numpy(), y=data[y].fillna(0).to_numpy(), ax=ax, color=PALETTE[0])
    ax.yaxis.set_major_formatter(kpi_formatter("percent", language))
    ax.set_ylabel(label("share_of_orders", language) + " (%)")
    ax.set_xlabel(xlabel or x)
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
