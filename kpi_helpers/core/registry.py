"""The KPI registry: :func:`kpi` declares a KPI (id, tables and columns it needs, kind), and why a KPI is unavailable for a client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import pandas as pd

from ..loading import Client
from .scope import Scope


@dataclass(frozen=True)
class KpiDef:
    id: str
    needs: tuple[str, ...]  # "table" or "table.column"
    fn: Callable[[Scope, list[str]], pd.DataFrame]
    kind: str = "rate"  # rate | count | amount | ratio | days | visits | money
    by: tuple[str, ...] = ("channel", "device")
    segmentable: bool = True  # False: a channel/device filter makes it unavailable
    device_filter: bool = True  # False: a device filter makes it unavailable (ad spend)
    needs_margin: bool = False
    any_of: tuple[tuple[str, ...], ...] = ()  # at least one column of each group must be provided
    doc: str = ""


KPIS: dict[str, KpiDef] = {}


def kpi(id: str, *, needs: Sequence[str], kind: str = "rate", by: Sequence[str] = ("channel", "device"),
        segmentable: bool = True, device_filter: bool = True, needs_margin: bool = False,
        any_of: Sequence[Sequence[str]] = ()) -> Callable:
    """Register the computation of KPI ``id`` (decorator)."""

    def register(fn: Callable[[Scope, list[str]], pd.DataFrame]) -> Callable:
        KPIS[id] = KpiDef(id, tuple(needs), fn, kind, tuple(by), segmentable, device_filter, needs_margin,
                          tuple(tuple(g) for g in any_of), fn.__doc__ or "")
        return fn

    return register


_TABLE_WORDS = {"sessions": "sessions", "orders": "orders", "carts": "carts", "ad_spend": "ad_spend",
                "social_posts": "social_posts", "searches": "searches"}


#: Why a KPI that needs visits or visitors is null for a folder with aggregated traffic only.
VISITS_REASON = ("sessions table not provided: the traffic table holds totals (GA4 report downloads), not visits; "
                 "visitors and visits come from GA4's BigQuery export (events_*) or Matomo's visits log "
                 "(Live.getLastVisitsDetails)")
#: The same for searches when the folder has the Site Search reports only.
SEARCHES_REASON = ("searches table not provided: the search_terms table holds Site Search totals per keyword, not "
                   "searches per visit; those come from Matomo's visits log (Live.getLastVisitsDetails) or GA4's "
                   "BigQuery export")


def missing_table_reason(table: str, client: Client) -> str:
    """``"<table> table not provided"``, with the export that would give it when the folder has
    only the aggregated twin of the table (traffic for sessions, search_terms for searches)."""
    if table == "sessions" and client.has("traffic"):
        return VISITS_REASON
    if table == "searches" and client.has("search_terms"):
        return SEARCHES_REASON
    return f"{table} table not provided"


class NotCovered(Exception):
    """Aggregated rows (report totals) that do not give the asked period; the message is the reason."""


def unavailable_reason(kdef: KpiDef, client: Client, *, channel=None, device=None, margin_rate=None) -> str | None:
    """Why ``kdef`` cannot be computed for this client and these filters (None when it can)."""
    for need in kdef.needs:
        table, _, column = need.partition(".")
        if not client.has(table):
            return missing_table_reason(table, client)
        if column and not client.has(table, column):
            return f"{table}.{column} column not provided"
    for group in kdef.any_of:
        table = group[0].split(".")[0]
        if client.has(table) and not any(client.has(*c.split(".")) for c in group):
            cols = " or ".join(c.split(".")[1] for c in group)
            return f"{table} has no {cols} column"
    if (channel or device) and not kdef.segmentable:
        return "not split by channel or device"
    if device and not kdef.device_filter:
        return "ad spend is not split by device"
    if (channel or device) and not client.has("sessions") and any(n.split(".")[0] in ("orders", "carts", "searches") for n in kdef.needs):
        return "segment filters need the sessions table"
    if kdef.needs_margin and margin_rate is None:
        return "margin_rate not set (client.yml or --margin-rate)"
    return None
