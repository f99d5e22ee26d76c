"""Notebook parameters: validated once by ``setup`` into a :class:`Context` (client, period, segment, language)."""


import datetime as dt
import html
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown, display

from .. import plots
from ..core import Period, comparison_period, resolve_period
from ..errors import KpiInputError, Problem
from ..labels import channel_label, device_label, format_kpi, label
from ..loading import Client, load_client
from ..paths import resolve_client_dir
from ..results import run
from ..scorecard import default_period

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
