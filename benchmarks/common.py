"""Shared helpers of the baseline scorecards (pandas and SQL): client settings, the default period,
query normalisation, buckets, JSON output.

Independent of ``kpi_helpers`` on purpose: the baselines re-implement ``shared/spec/kpis.md``
without the kit's code, so that comparing them with the kit can find bugs in either.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import math
import time
import unicodedata
from pathlib import Path
from typing import Any, Callable

import yaml

#: Statuses left out of every KPI (the spec: "cancelled/refunded"), compared trimmed and lower-cased.
EXCLUDED = ("cancelled", "refunded")

#: The spec's default product-page URL pattern (used when client.yml gives no pattern at all).
DEFAULT_PRODUCT_PAGE_PATTERN = "/(produit|produits|product|products|p)/"

DAYS_BUCKETS = [(str(d), d, d) for d in range(8)] + [
    ("8-14", 8, 14), ("15-30", 15, 30), ("31-60", 31, 60), ("61-120", 61, 120), ("121-364", 121, 364), ("365+", 365, None)]
VISITS_BUCKETS = [(str(v), v, v) for v in range(1, 9)] + [
    ("9-14", 9, 14), ("15-25", 15, 25), ("26-50", 26, 50), ("51-100", 51, 100), ("101+", 101, None)]

TABLE_TIME_COLUMNS = {"sessions": "started_at", "orders": "ordered_at", "carts": "created_at",
                      "searches": "searched_at", "ad_spend": "date", "social_posts": "published_at"}


def settings(client_dir: str | Path) -> dict[str, Any]:
    """client.yml with the contract's defaults."""
    raw = yaml.safe_load((Path(client_dir) / "client.yml").read_text(encoding="utf-8")) or {}
    out = {"name": Path(client_dir).name, "timezone": "Europe/Paris", "margin_rate": None,
           "product_page_pattern": None, "product_title_pattern": None}
    out.update({k: v for k, v in raw.items() if v is not None})
    if out["product_page_pattern"] is None and out["product_title_pattern"] is None:
        out["product_page_pattern"] = DEFAULT_PRODUCT_PAGE_PATTERN
    return out


def last_full_month(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The spec's default period: the last full calendar month present in the data."""
    month_end = dt.date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
    if last != month_end:
        month_end = last.replace(day=1) - dt.timedelta(days=1)
    if month_end < first:
        return first, last
    return month_end.replace(day=1), month_end


def normalize_query(query: str) -> str:
    """The spec's normal form: NFKD, combining marks removed, case-folded, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", query)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def top_queries(pairs, n: int = 20) -> list[list[Any]]:
    """[(raw query, count), ...] -> [[normalized query, count], ...], most frequent first (ties by query)."""
    totals: dict[str, int] = {}
    for q, c in pairs:
        if not isinstance(q, str):
            continue
        norm = normalize_query(q)
        if norm:
            totals[norm] = totals.get(norm, 0) + int(c)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [[q, c] for q, c in ranked]


def buckets(counts: dict[int, int], spec) -> dict[str, int]:
    """{value: orders} -> {bucket label: orders} for the spec's buckets (every bucket present)."""
    out = {}
    for label, lo, hi in spec:
        out[label] = int(sum(n for v, n in counts.items() if v >= lo and (hi is None or v <= hi)))
    return out


def ratio(num: Any, den: Any) -> float | None:
    """num / den, None for an empty (0 or null) denominator (the spec: never 0)."""
    if num is None or den is None:
        return None
    num, den = float(num), float(den)
    if den == 0 or math.isnan(den) or math.isnan(num):
        return None
    return num / den


def clean(value: Any) -> Any:
    """JSON-friendly scalar (NaN -> None, numpy -> Python)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write_json(path: str | Path, payload: dict) -> None:
    Path(path).write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def emit(card: dict, started: float, out: str | None) -> int:
    """Add the elapsed seconds since ``started`` to a scorecard, then write it to ``out`` or print it."""
    card["seconds"] = time.perf_counter() - started
    if out:
        write_json(out, card)
    else:
        print(json.dumps(card, ensure_ascii=False, indent=1))
    return 0


def scorecard_main(scorecard: Callable[..., dict], doc: str, argv: list[str] | None = None, *,
                   tuned: bool = False) -> int:
    """The command line of a baseline: ``CLIENT_DIR [--start D --end D] [--margin-rate R] [--out FILE]``
    (and ``--tuned`` when the baseline has that variant); prints or writes the scorecard."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("client_dir")
    parser.add_argument("--start")
    parser.add_argument("--end")
    parser.add_argument("--margin-rate", type=float)
    if tuned:
        parser.add_argument("--tuned", action="store_true", help="the tuned variant (same numbers, see sql_scorecard)")
    parser.add_argument("--out", help="write the JSON here instead of printing it")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    extra = {"tuned": args.tuned} if tuned else {}
    card = scorecard(args.client_dir, start=args.start, end=args.end, margin_rate=args.margin_rate, **extra)
    return emit(card, t0, args.out)
