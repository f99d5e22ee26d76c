"""The scorecard: every headline KPI and breakdown of ``shared/spec/kpis.md`` for one client.

``python -m kpi_helpers kpis CLIENT_DIR [--start] [--end] [--channel] [--device]
[--margin-rate] [--format json|table]`` prints it; :func:`scorecard` returns it as a dict with
exactly the spec's JSON shape (``client``, ``period``, ``filters``, ``kpis``, ``unavailable``,
``breakdowns``). Every id is present; a KPI that cannot be computed is null and its reason is in
``unavailable``. With ``compare`` a ``comparison`` key is added (the other keys are unchanged).
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import sys
from typing import Any

import pandas as pd

from . import acquisition, aggregated, carts, customers, path_to_purchase, product_pages, search, social, traffic  # noqa: F401 (registers KPIs)
from .contract import BACKENDS
from .core import KPIS, Period, comparison_period, compute, nan_to_none, resolve_period
from .errors import KpiInputError, Problem
from .loading import Client, as_client

__all__ = ["HEADLINE_KPIS", "BREAKDOWNS", "scorecard", "default_period", "report_period", "main", "format_table",
           "filters_line"]

#: The spec's headline KPI ids, in the spec's order.
HEADLINE_KPIS: tuple[str, ...] = (
    "sessions", "visitors", "orders", "buyers", "revenue", "conversion_rate", "session_conversion_rate",
    "average_order_value", "median_days_to_purchase", "median_visits_to_purchase", "product_page_bounce_rate",
    "carts", "abandoned_carts", "cart_abandonment_rate", "ad_spend", "cost_per_acquisition", "roas",
    "break_even_cpa", "roi", "new_customers", "returning_customers", "returning_customer_rate",
    "repeat_purchase_rate", "searches", "search_rate", "zero_result_rate", "posts", "impressions",
    "engagement_rate",
)

#: The spec's breakdown ids, in the spec's order.
BREAKDOWNS: tuple[str, ...] = (
    "conversion_rate_by_channel", "conversion_rate_by_device", "average_order_value_by_channel",
    "average_order_value_by_device", "days_to_purchase", "visits_to_purchase", "cost_per_acquisition_by_channel",
    "top_zero_result_queries",
)

_INTEGER_KPIS = {"sessions", "visitors", "orders", "buyers", "carts", "abandoned_carts", "new_customers",
                 "returning_customers", "searches", "posts", "impressions"}


def default_period(client: Client) -> Period:
    """The last full calendar month present in the data.

    The month that ends on or before the last local date of the data (the month of that date if
    it is the month's last day, else the month before). If the data starts after that month
    begins... it is still used (partial data at the start of a month is the client's reality);
    if no month ends within the data (less than a month of data), the whole data range is used.
    Rows dated after today (in the client's timezone) are left out of this choice: they are typos
    or scheduled posts, and loading the client warns about them.
    """
    first, last = client.date_range(through=client.today())
    if last is None:
        raise KpiInputError(Problem("no dated rows in the client's tables: give --start and --end"))
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    month_end = dt.date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
    if last != month_end:
        month_end = last.replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    if month_end < first:
        return Period(first, last)
    return Period(month_start, month_end)


def report_period(client: Client, *, start: Any = None, end: Any = None) -> Period:
    """The period of a scorecard: :func:`default_period` without dates; with only one of them, the
    other end is the first/last day of the data."""
    if start is None and end is None:
        return default_period(client)
    period = resolve_period(start, end)
    if period.start is None or period.end is None:
        first, last = client.date_range(through=client.today())
        period = Period(period.start or pd.Timestamp(first).date(), period.end or pd.Timestamp(last).date())
        if period.start > period.end:
            raise KpiInputError(Problem(f"start {period.start} is after the data's last day {period.end}", column="start"))
    return period


def _value(kpi_id: str, df: pd.DataFrame) -> Any:
    v = nan_to_none(df["value"].iloc[0]) if len(df) else None
    if v is not None and kpi_id in _INTEGER_KPIS:
        return int(round(v))
    if isinstance(v, float):
        return round(v, 10)
    return v


def _headline(client: Client, period: Period, filters: dict, margin: float | None) -> tuple[dict, dict]:
    kpis, unavailable = {}, {}
    for kpi_id in HEADLINE_KPIS:
        df = compute(kpi_id, client, start=period.start, end=period.end, margin_rate=margin, **filters)
        if "unavailable" in df.attrs:
            kpis[kpi_id] = None
            unavailable[kpi_id] = df.attrs["unavailable"]
        else:
            kpis[kpi_id] = _value(kpi_id, df)
    return kpis, unavailable


def _mapping(df: pd.DataFrame, key: str) -> dict:
    return {str(k): (round(v, 10) if isinstance(v, float) else v)
            for k, v in zip(df[key], (nan_to_none(x) for x in df["value"]))}


def _breakdowns(client: Client, period: Period, filters: dict, unavailable: dict) -> dict:
    out: dict[str, Any] = {}
    kw = dict(start=period.start, end=period.end, **filters)
    for kpi_id, key in (("conversion_rate", "channel"), ("conversion_rate", "device"),
                        ("average_order_value", "channel"), ("average_order_value", "device")):
        bid = f"{kpi_id}_by_{key}"
        df = compute(kpi_id, client, by=key, **kw)
        if "unavailable" in df.attrs:
            out[bid] = None
            unavailable[bid] = df.attrs["unavailable"]
        else:
            out[bid] = _mapping(df, key)
    for bid, fn in (("days_to_purchase", path_to_purchase.days_to_purchase),
                    ("visits_to_purchase", path_to_purchase.visits_to_purchase)):
        df = fn(client, **kw)
        if "unavailable" in df.attrs:
            out[bid] = None
            unavailable[bid] = df.attrs["unavailable"]
        else:
            out[bid] = {str(b): int(n) for b, n in zip(df["bucket"], df["orders"])}
    df = compute("cost_per_acquisition", client, by="channel", **kw)
    if "unavailable" in df.attrs:
        out["cost_per_acquisition_by_channel"] = None
        unavailable["cost_per_acquisition_by_channel"] = df.attrs["unavailable"]
    else:
        out["cost_per_acquisition_by_channel"] = _mapping(df[df["numerator"] > 0], "channel")
    df = search.top_zero_result_queries(client, **kw)
    if "unavailable" in df.attrs:
        out["top_zero_result_queries"] = None
        unavailable["top_zero_result_queries"] = df.attrs["unavailable"]
    else:
        out["top_zero_result_queries"] = [[q, int(n)] for q, n in zip(df["query"], df["searches"])]
    return out


def scorecard(data: Any, *, start: Any = None, end: Any = None, channel: str | None = None,
              device: str | None = None, margin_rate: float | None = None, compare: str | None = None) -> dict:
    """The scorecard of one client as a JSON-ready dict (the spec's shape).

    Without ``start`` and ``end`` the period is :func:`default_period`; with only one of them,
    the other end is the first/last day of the data. ``compare`` (``previous_period`` or
    ``previous_year``) adds a ``comparison`` key with the same ``kpis`` for the comparison period.
    """
    client = as_client(data)
    if margin_rate is not None:
        client = client.with_settings(margin_rate=margin_rate)
        if not 0 <= margin_rate <= 1:
            raise KpiInputError(Problem(f"invalid margin rate {margin_rate!r}", column="--margin-rate",
                                        expected="a fraction between 0 and 1, such as 0.35"))
    period = report_period(client, start=start, end=end)
    filters = {"channel": channel, "device": device}
    margin = client.settings.margin_rate
    with path_to_purchase.shared_paths():
        kpis, unavailable = _headline(client, period, filters, margin)
        breakdowns = _breakdowns(client, period, filters, unavailable)
    card = {
        "client": client.name,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "timezone": client.timezone},
        "filters": {"channel": channel, "device": device},
        "kpis": kpis,
        "unavailable": unavailable,
        "breakdowns": breakdowns,
    }
    if compare is not None:
        cperiod = comparison_period(period, compare)
        ckpis, cunavailable = _headline(client, cperiod, filters, margin)
        card["comparison"] = {
            "compare": compare,
            "period": {"start": cperiod.start.isoformat(), "end": cperiod.end.isoformat()},
            "kpis": ckpis,
            "change": {k: (kpis[k] - ckpis[k] if kpis[k] is not None and ckpis[k] is not None else None) for k in kpis},
            "relative_change": {k: ((kpis[k] - ckpis[k]) / ckpis[k] if kpis[k] is not None and ckpis[k] not in (None, 0) else None)
                                for k in kpis},
        }
    return card


# ----------------------------------------------------------------------------------------------
# Command line


def _fmt(kpi_id: str, value: Any, currency: str) -> str:
    from .labels import format_kpi

    return format_kpi(kpi_id, value, currency=currency, language="en")


def filters_line(filters: dict) -> list[str]:
    """``["filters: channel=email, device=all"]`` when a segment filter is set, else nothing."""
    if filters.get("channel") or filters.get("device"):
        return [f"filters: channel={filters.get('channel') or 'all'}, device={filters.get('device') or 'all'}"]
    return []


def format_table(card: dict, currency: str = "EUR") -> str:
    """The scorecard as a readable plain-text table."""
    lines = [f"{card['client']}  {card['period']['start']} .. {card['period']['end']} ({card['period']['timezone']})"]
    lines += filters_line(card["filters"])
    lines.append("")
    width = max(len(k) for k in card["kpis"])
    for k, v in card["kpis"].items():
        text = _fmt(k, v, currency) if v is not None else "n/a"
        reason = f"  ({card['unavailable'][k]})" if k in card["unavailable"] else ""
        lines.append(f"  {k:<{width}}  {text:>14}{reason}")
    for bid, value in card["breakdowns"].items():
        lines.append("")
        if value is None:
            lines.append(f"{bid}: n/a ({card['unavailable'].get(bid, '')})")
            continue
        lines.append(f"{bid}:")
        if isinstance(value, list):
            for q, n in value:
                lines.append(f"  {n:>6}  {q}")
            if not value:
                lines.append("  (none)")
        else:
            base = bid.rsplit("_by_", 1)[0] if "_by_" in bid else None
            for k, v in value.items():
                text = "n/a" if v is None else (_fmt(base, v, currency) if base else f"{v}")
                lines.append(f"  {k:<18}{text:>14}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kpi kpis", description="Compute the KPI scorecard of a client folder.")
    parser.add_argument("client_dir")
    parser.add_argument("--start", help="first day, YYYY-MM-DD (default: the last full month in the data)")
    parser.add_argument("--end", help="last day, YYYY-MM-DD")
    parser.add_argument("--channel", help="segment: only sessions (and their orders) of this channel")
    parser.add_argument("--device", help="segment: only sessions (and their orders) of this device")
    parser.add_argument("--margin-rate", type=float, help="gross margin rate 0..1 (overrides client.yml)")
    parser.add_argument("--compare", choices=["previous_period", "previous_year"], help="add a comparison period")
    parser.add_argument("--format", choices=["json", "table"], default="json")
    parser.add_argument("--backend", choices=list(BACKENDS),
                        help="where the KPIs run (default: client.yml's backend, else duckdb); the folder is "
                             "validated with DuckDB either way")
    args = parser.parse_args(argv)
    from .loading import load_client

    client = load_client(args.client_dir, backend=args.backend)
    card = scorecard(client, start=args.start, end=args.end, channel=args.channel, device=args.device,
                     margin_rate=args.margin_rate, compare=args.compare)
    if args.format == "json":
        json.dump(card, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_table(card, client.settings.currency))
    return 0
