"""Internal site search: searches, search rate, zero-result searches and their queries.

Queries are compared in a normalised form: Unicode NFKD, combining marks (accents) removed,
case-folded, whitespace trimmed and collapsed ("  Écharpe  LAINE " -> "echarpe laine"), so that
the zero-result list groups what a person would call the same search.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from .core import Scope, agg, kpi, make_scope, missing_table_reason, parts, public
from .loading import as_client
from .results import run

__all__ = ["searches", "search_rate", "zero_result_rate", "search_to_purchase_rate", "top_zero_result_queries",
           "normalize_query"]


def normalize_query(query: str) -> str:
    """The spec's normal form of a search query (NFKD, no accents, case-folded, spaces collapsed)."""
    decomposed = unicodedata.normalize("NFKD", query)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


@kpi("searches", needs=["searches"], kind="count")
def _searches(scope: Scope, keys):
    q = scope.searches()
    return parts(keys, agg(q, keys, numerator=q.count()))


@kpi("search_rate", needs=["sessions", "searches"])
def _search_rate(scope: Scope, keys):
    s = scope.sessions()
    q = scope.client.table("searches")
    searched = q.select(sid=q.session_id).distinct()
    s = s.mutate(_searched=s.session_id.isin(searched.sid).cast("int64"))
    return parts(keys, agg(s, keys, numerator=s._searched.sum(), denominator=s.count()))


@kpi("zero_result_rate", needs=["searches.results_count"])
def _zero_result_rate(scope: Scope, keys):
    q = scope.searches()
    known = q.filter(q.results_count.notnull())
    return parts(keys, agg(known, keys, numerator=(known.results_count == 0).cast("int64").sum(),
                           denominator=known.count()))


@kpi("search_to_purchase_rate", needs=["sessions", "searches", "orders"])
def _search_to_purchase(scope: Scope, keys):
    s = scope.sessions()
    q = scope.client.table("searches")
    o = scope.all_orders(session_attributes=False)
    searched = q.select(sid=q.session_id).distinct()
    bought = o.filter(o.session_id.notnull()).select(oid=o.session_id).distinct()
    s = s.filter(s.session_id.isin(searched.sid))
    s = s.mutate(_bought=s.session_id.isin(bought.oid).cast("int64"))
    return parts(keys, agg(s, keys, numerator=s._bought.sum(), denominator=s.count()))


searches = public("searches", "Internal site searches of the period.", "count of searches in the period",
                  "search", "searches", "not a ratio", "Matomo 'Site search'")
search_rate = public(
    "search_rate", "Share of visits that used the site's search.",
    "sessions of the period with at least one search / sessions of the period", "session", "fraction 0-1",
    "null when there is no session", "Matomo 'Searches per visit' / GA 'Sessions with search'")
zero_result_rate = public(
    "zero_result_rate", "Share of searches that found nothing.",
    "searches with results_count == 0 / searches with a known results_count", "search", "fraction 0-1",
    "null when no search has a known results_count (unknown is never counted as 0)",
    "Matomo 'Search keywords with no results'")
search_to_purchase_rate = public(
    "search_to_purchase_rate", "Share of visits with a search that ended with an order.",
    "sessions of the period with a search and a (not cancelled) order / sessions of the period with a search",
    "session", "fraction 0-1", "null when no session searched", "GA 'Search conversion rate'")


def top_zero_result_queries(data, *, start=None, end=None, channel=None, device=None, n: int = 20) -> pd.DataFrame:
    """The most frequent searches that found nothing, in normalised form.

    Columns ``query`` (normalised), ``searches`` (count) and ``variants`` (how many distinct raw
    spellings were grouped); most frequent first, ties by query; at most ``n`` rows. Searches
    whose results_count is unknown are not zero-result searches. Grain: search.
    """
    client = as_client(data)
    cols = ["query", "searches", "variants"]
    if not client.has("searches") and client.has("search_terms"):  # Matomo's Site Search reports only
        from .aggregated import NotCovered, zero_result_queries_from_terms

        scope = make_scope(client, start=start, end=end, channel=channel, device=device)
        try:
            if scope.segmented:
                raise NotCovered("the Site Search reports (search_terms) are not split by channel or device")
            raw = zero_result_queries_from_terms(scope)
        except NotCovered as exc:
            out = pd.DataFrame(columns=cols)
            out.attrs["unavailable"] = str(exc)
            return out
        return _grouped(raw, cols, n)
    if not client.has("searches", "results_count"):
        out = pd.DataFrame(columns=cols)
        out.attrs["unavailable"] = (missing_table_reason("searches", client) if not client.has("searches")
                                    else "searches.results_count column not provided")
        return out
    scope = make_scope(client, start=start, end=end, channel=channel, device=device)
    q = scope.searches()
    zero = q.filter(q.results_count == 0)
    # group raw spellings in DuckDB, then apply the exact Unicode normal form on the distinct ones
    raw = run(zero.group_by("query").aggregate(n=zero.count()))
    return _grouped(raw, cols, n)


def _grouped(raw: pd.DataFrame, cols: list[str], n: int) -> pd.DataFrame:
    """(query, n) raw spellings -> the normalised queries, most frequent first, at most ``n``."""
    if raw.empty:
        return pd.DataFrame(columns=cols)
    raw["norm"] = raw["query"].map(lambda x: normalize_query(x) if isinstance(x, str) else "")
    raw = raw[raw["norm"] != ""]
    out = raw.groupby("norm").agg(searches=("n", "sum"), variants=("query", "nunique")).reset_index()
    out = out.rename(columns={"norm": "query"}).sort_values(["searches", "query"], ascending=[False, True]).head(n)
    out["searches"] = out["searches"].astype(int)
    return out.reset_index(drop=True)[cols]
