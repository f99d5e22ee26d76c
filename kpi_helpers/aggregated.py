"""Aggregated web analytics: the KPIs that totals allow, from the ``traffic`` and ``search_terms`` tables.

Clients who only have GA4's interface download reports (``kpi import`` writes them to the
``traffic`` table: one row per day or period x segment, with sessions, engaged sessions, users,
transactions, key events and revenue); Matomo's Site Search reports give ``search_terms`` (one row
per day or period x keyword). Totals allow:

* ``sessions``, in total and by channel and device, when the folder has no sessions table;
* ``ga4_bounce_rate``: GA4's bounce rate, 1 - engagement rate = sessions not engaged / sessions;
* ``orders_per_session`` from the report's transactions (key events are not orders: never used);
* ``zero_result_rate`` and the zero-result queries from the Site Search reports, when the folder
  has no searches table.

What needs visits or visitors (conversion per visitor, days and visits before purchase, cohorts of
visitors, landing-page bounce) stays null with :data:`VISITS_REASON`, which names the exports that
would give it.

How rows are chosen (the rules every KPI here shares)
-----------------------------------------------------
A row covers ``date`` .. ``end_date`` (one day without ``end_date``). The rows of one report shape
(a *layer*: which of channel, device and landing_page are set, and whether the rows are days) are
summed. For a period and a breakdown, the kit takes a layer split by at least the breakdown's and
filters' keys (sessions, engaged sessions, transactions and revenue add up over the other keys;
users do not, and are never added) that

1. has no row that overlaps the period without lying inside it: a total is **never prorated**; a
   report of March gives nothing for 10-20 March, and the reason names the period it covers;
2. covers every day of the period (a March report does not stand for March and April);

preferring the layer with the fewest extra keys, then days over longer periods. When no layer
qualifies the KPI is null and ``attrs["unavailable"]`` says why, naming the period the rows cover.
With ``freq``, each row must also lie inside one day, week or month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pandas as pd

from .core import SEARCHES_REASON, VISITS_REASON, NotCovered, Period, Scope, agg, bucket, kpi, parts, public
from .loading import Client
from .results import run

__all__ = ["VISITS_REASON", "SEARCHES_REASON", "TRAFFIC_DIMS", "ga4_bounce_rate", "traffic_layer", "sessions_from_traffic",
           "orders_per_session_from_traffic", "zero_result_rate_from_terms", "zero_result_queries_from_terms",
           "PeriodNotCovered"]

#: The keys a traffic row may be split by (null: all values).
TRAFFIC_DIMS = ("channel", "device", "landing_page")


PeriodNotCovered = NotCovered  # no layer of an aggregated table gives the period: the message is the reason

def _fmt(a: dt.date, b: dt.date) -> str:
    return a.isoformat() if a == b else f"{a.isoformat()} to {b.isoformat()}"


def _span(starts: pd.Series, stops: pd.Series) -> str:
    """The days the rows cover, as text: '2025-03-01 to 2025-03-31' (or several ranges)."""
    ranges = sorted(set(zip(starts, stops)))
    merged: list[list[dt.date]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    text = ", ".join(_fmt(a, b) for a, b in merged[:3])
    return text + (f" and {len(merged) - 3} more range(s)" if len(merged) > 3 else "")


def _days(a: dt.date, b: dt.date) -> set[dt.date]:
    return {a + dt.timedelta(days=i) for i in range((b - a).days + 1)}


def _overlap(spans: pd.DataFrame) -> str | None:
    """Two different spans of one layer that share days (a weekly and a monthly report of the same
    shape), as text; None when the spans are disjoint or equal."""
    ranges = sorted(set(zip(spans["start"], spans["stop"])))
    for (a1, b1), (a2, b2) in zip(ranges, ranges[1:]):
        if a2 <= b1:
            return f"{_fmt(a1, b1)} and {_fmt(a2, b2)}"
    return None


def _in_one_bucket(a: dt.date, b: dt.date, freq: str | None) -> bool:
    if freq is None:
        return True
    if freq == "D":
        return a == b
    if freq == "W":
        return a - dt.timedelta(days=a.weekday()) == b - dt.timedelta(days=b.weekday())
    return (a.year, a.month) == (b.year, b.month)


def traffic_layer(client: Client, table: str, period: Period, need: set[str], *, freq: str | None = None,
                  dims: tuple[str, ...] = TRAFFIC_DIMS, what: str = "traffic rows") -> dict[str, bool]:
    """The layer of aggregated ``table`` that gives ``period`` split by (at least) the keys ``need``:
    ``{key: whether the layer's rows set it}`` plus ``daily``. Raises :class:`PeriodNotCovered`
    with the reason when none does (see the module docstring for the rules)."""
    t = client.table(table)
    end = t.end_date.fill_null(t.date)
    conds = []
    if period.start is not None:
        conds.append(end >= ibis.date(period.start))
    if period.end is not None:
        conds.append(t.date <= ibis.date(period.end))
    rows = t.filter(*conds) if conds else t
    flags = {f"has_{d}": rows[d].notnull() for d in dims}
    spans = run(rows.select(**flags, start=rows.date, stop=rows.end_date.fill_null(rows.date)).distinct())
    if spans.empty:
        everything = run(t.aggregate(first=t.date.min(), last=end.max())).iloc[0]
        covers = (f"they cover {_fmt(pd.Timestamp(everything['first']).date(), pd.Timestamp(everything['last']).date())}"
                  if pd.notna(everything["first"]) else "the table is empty")
        raise PeriodNotCovered(f"no {what} for this period ({covers})")
    spans["start"] = pd.to_datetime(spans["start"]).dt.date
    spans["stop"] = pd.to_datetime(spans["stop"]).dt.date
    lo = period.start or spans["start"].min()
    hi = period.end or spans["stop"].max()
    wanted = _days(lo, hi)
    candidates, reasons = [], []
    spans["daily"] = spans["start"] == spans["stop"]
    for key, layer in spans.groupby([f"has_{d}" for d in dims] + ["daily"], sort=True):
        key = dict(zip(dims, (bool(k) for k in key[:-1])))
        if not all(key[d] for d in need if d in key):
            continue
        clash = _overlap(layer)
        if clash:
            reasons.append(f"the {what} hold two reports of the same shape over the same days ({clash}): "
                           "import one of them only")
            continue
        inside = (layer["start"] >= lo) & (layer["stop"] <= hi) & pd.Series(
            [_in_one_bucket(a, b, freq) for a, b in zip(layer["start"], layer["stop"])], index=layer.index, dtype=bool)
        if not inside.all():
            out = layer[~inside]
            grain = " (a day, week or month each)" if freq else ""
            reasons.append(f"the {what} cover {_span(out['start'], out['stop'])} as one total each; a total is never "
                           f"prorated: ask for a period made of whole rows{grain}, or import the report by day")
            continue
        covered = set().union(*(_days(a, b) for a, b in zip(layer["start"], layer["stop"])))
        if not wanted <= covered:
            reasons.append(f"the {what} cover {_span(layer['start'], layer['stop'])} only, not every day of "
                           f"{_fmt(lo, hi)}")
            continue
        daily = bool(layer["daily"].all())
        candidates.append((sum(key.values()), not daily, sorted(key.items()), {**key, "daily": daily}))
    if candidates:
        return min(candidates, key=lambda c: c[:3])[3]
    if reasons:
        raise PeriodNotCovered(reasons[0])
    split = " and ".join(sorted(need))
    raise PeriodNotCovered(f"the {what} are not split by {split} (import a report with that dimension)")


def _layer_rows(scope: Scope, table: str, need: set[str], dims: tuple[str, ...] = TRAFFIC_DIMS,
                what: str = "traffic rows") -> ibis.Table:
    """The rows of the chosen layer inside the period, with the segment filters (and period_start)."""
    layer = traffic_layer(scope.client, table, scope.period, need, freq=scope.freq, dims=dims, what=what)
    t = scope.client.table(table)
    t = t.filter(*[t[d].notnull() if layer[d] else t[d].isnull() for d in dims])
    single = t.end_date.isnull() | (t.end_date == t.date)  # the rows of one day
    t = t.filter(single if layer["daily"] else ~single)
    if scope.period.start is not None:
        t = t.filter(t.date >= ibis.date(scope.period.start))
    if scope.period.end is not None:
        t = t.filter(t.end_date.fill_null(t.date) <= ibis.date(scope.period.end))
    if scope.channel:
        t = t.filter(t.channel.isin(scope.channel))
    if scope.device:
        t = t.filter(t.device.isin(scope.device))
    if scope.freq:
        t = t.mutate(period_start=bucket(t.date, scope.freq))
    return t


def _need(scope: Scope, keys) -> set[str]:
    need = {k for k in keys if k in TRAFFIC_DIMS}
    if scope.channel:
        need.add("channel")
    if scope.device:
        need.add("device")
    return need


def sessions_from_traffic(scope: Scope, keys) -> pd.DataFrame:
    """``sessions`` from the traffic table: the sum of the chosen layer's sessions (counts: an empty
    group is 0)."""
    t = _layer_rows(scope, "traffic", _need(scope, keys))
    return parts(keys, agg(t, keys, numerator=t.sessions.sum()))


def orders_per_session_from_traffic(scope: Scope, keys) -> pd.DataFrame:
    """``orders_per_session`` from the traffic table: transactions / sessions of the same rows."""
    if not scope.client.has("traffic", "transactions"):
        raise PeriodNotCovered("traffic.transactions column not provided (the report's key events count every "
                               "conversion the property marks, not orders: they are not used as orders)")
    t = _layer_rows(scope, "traffic", _need(scope, keys))
    return parts(keys, agg(t, keys, numerator=t.transactions.sum(), denominator=t.sessions.sum()))


@kpi("ga4_bounce_rate", needs=["traffic.engaged_sessions"])
def _ga4_bounce_rate(scope: Scope, keys):
    t = _layer_rows(scope, "traffic", _need(scope, keys))
    # sessions of rows that give engaged sessions; a row without them is left out of both sums
    known = t.engaged_sessions.notnull()
    return parts(keys, agg(t, keys, numerator=known.ifelse(t.sessions - t.engaged_sessions, 0).sum(),
                           denominator=known.ifelse(t.sessions, 0).sum()))


ga4_bounce_rate = public(
    "ga4_bounce_rate", "GA4's bounce rate: the share of sessions that were not engaged (1 - engagement rate).",
    "(sessions - engaged sessions) / sessions, summed over the traffic rows of the period (rows without "
    "engaged sessions left out of both sums); never prorated: a row covering more than the period makes it null",
    "session (aggregated: the traffic table)", "fraction 0-1", "null when there is no session",
    "GA4 'Bounce rate' (= 1 - 'Engagement rate'; an engaged session lasts 10 s or more, has a key event or "
    "2 or more page views); not the single-page bounce of Matomo and Universal Analytics")


# ----------------------------------------------------------------------------------------------
# Site search reports (search_terms)

SEARCH_DIMS = ("no_results",)


def _terms(scope: Scope, no_results: bool) -> ibis.Table:
    """The search_terms rows of the period from one report (no_results true: the report of
    keywords with no results; false or empty: the report of all keywords)."""
    t = scope.client.table("search_terms")
    flag = t.no_results.fill_null(False)
    t = t.filter(flag if no_results else ~flag)
    what = "Site Search rows (keywords with no results)" if no_results else "Site Search rows (all keywords)"
    lo, hi = scope.period.start, scope.period.end
    end = t.end_date.fill_null(t.date)
    conds = ([end >= ibis.date(lo)] if lo else []) + ([t.date <= ibis.date(hi)] if hi else [])
    spans = run((t.filter(*conds) if conds else t).select(start=t.date, stop=end).distinct())
    if spans.empty:
        raise PeriodNotCovered(f"no {what} for this period")
    spans["start"] = pd.to_datetime(spans["start"]).dt.date
    spans["stop"] = pd.to_datetime(spans["stop"]).dt.date
    lo, hi = lo or spans["start"].min(), hi or spans["stop"].max()
    inside = (spans["start"] >= lo) & (spans["stop"] <= hi)
    if not inside.all():
        out = spans[~inside]
        raise PeriodNotCovered(f"the {what} cover {_span(out['start'], out['stop'])} as one total each; a total is "
                               "never prorated: ask for a period made of whole rows")
    clash = _overlap(spans)
    if clash:
        raise PeriodNotCovered(f"the {what} hold two reports over the same days ({clash}): import one of them only")
    covered = set().union(*(_days(a, b) for a, b in zip(spans["start"], spans["stop"])))
    if not _days(lo, hi) <= covered:
        raise PeriodNotCovered(f"the {what} cover {_span(spans['start'], spans['stop'])} only, not every day of "
                               f"{_fmt(lo, hi)}")
    return t.filter(t.date >= ibis.date(lo), end <= ibis.date(hi))


def zero_result_rate_from_terms(scope: Scope) -> pd.DataFrame:
    """``zero_result_rate`` from the Site Search reports: searches of keywords with no results /
    searches of all keywords, over the same days (both reports needed)."""
    none = _terms(scope, True)
    every = _terms(scope, False)
    return parts([], none.aggregate(numerator=none.searches.sum()), every.aggregate(denominator=every.searches.sum()))


def zero_result_queries_from_terms(scope: Scope) -> pd.DataFrame:
    """(query, n) of the keywords with no results over the period (raw spellings, summed)."""
    none = _terms(scope, True)
    return run(none.group_by("query").aggregate(n=none.searches.sum()))


def _whole(scope: Scope, keys) -> None:
    if keys or scope.segmented:
        raise NotCovered("the Site Search reports (search_terms) are totals per keyword: not split by channel, "
                         "device or day")


def _searches_from_terms(scope: Scope, keys) -> pd.DataFrame:
    _whole(scope, keys)
    every = _terms(scope, False)
    return parts(keys, every.aggregate(numerator=every.searches.sum()))


def _zero_rate(scope: Scope, keys) -> pd.DataFrame:
    _whole(scope, keys)
    return zero_result_rate_from_terms(scope)


def fallback(kpi_id: str, client: Client) -> Any:
    """The computation of ``kpi_id`` from the aggregated tables for this client (a function of
    (scope, keys) like a KPI's), or None when the KPI has none or the per-visit table is there."""
    if not client.has("sessions") and client.has("traffic"):
        if kpi_id == "sessions":
            return sessions_from_traffic
        if kpi_id == "orders_per_session":
            return orders_per_session_from_traffic
    if not client.has("searches") and client.has("search_terms"):
        if kpi_id == "searches":
            return _searches_from_terms
        if kpi_id == "zero_result_rate":
            return _zero_rate
    return None
