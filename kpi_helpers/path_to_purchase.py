"""Path to purchase: days and visits before purchase (medians and distributions).

Matomo's "days to conversion" and "visits to conversion". For each order of the period:

* days = floor((ordered_at - first session of that visitor, all history) / 24 h), an exact
  duration (daylight-saving changes do not shift it by an hour);
* visits = the rank of the order's session among that visitor's sessions (1 = first visit),
  sessions ordered by start time then id; for an order without a session, the number of the
  visitor's sessions started at or before ordered_at.

The visitor is ``orders.visitor_id``, else the visitor of the order's session. Orders whose
visitor has no session (or none before the order) are left out.
"""

from __future__ import annotations

from contextlib import contextmanager

import ibis
import numpy as np
import pandas as pd

from .core import KPIS, Scope, kpi, make_scope, median_from_counts, public, unavailable_reason
from .loading import as_client, release, temp_table
from .results import run

__all__ = [
    "shared_paths",
    "median_days_to_purchase", "median_visits_to_purchase", "days_to_purchase", "visits_to_purchase",
    "DAYS_BUCKETS", "VISITS_BUCKETS", "order_paths",
]

#: Spec buckets: (label, first value, last value)
DAYS_BUCKETS = [(str(d), d, d) for d in range(8)] + [
    ("8-14", 8, 14), ("15-30", 15, 30), ("31-60", 31, 60), ("61-120", 61, 120), ("121-364", 121, 364), ("365+", 365, None)]
VISITS_BUCKETS = [(str(v), v, v) for v in range(1, 9)] + [
    ("9-14", 9, 14), ("15-25", 15, 25), ("26-50", 26, 50), ("51-100", 51, 100), ("101+", 101, None)]


_CACHE: dict | None = None


@contextmanager
def shared_paths():
    """Within this block, :func:`order_paths` of the same scope is computed once and kept on the
    client's backend (:func:`kpi_helpers.loading.temp_table`; the scorecard needs it for two
    medians and two distributions); they are released when the block ends."""
    global _CACHE
    if _CACHE is not None:  # nested: the outer block owns the cache
        yield
        return
    _CACHE = {}
    try:
        yield
    finally:
        cache, _CACHE = _CACHE, None
        for con, table in cache.values():
            release(con, table)


def order_paths(scope: Scope) -> ibis.Table:
    """One row per order of the scope with ``days`` and ``visits`` before purchase (nulls when the
    visitor has no session before the order), keeping the order's breakdown columns.

    Within :func:`shared_paths` the rows are kept on the backend; otherwise this is the expression
    itself. One query whatever the size: beyond the memory limit DuckDB's joins and aggregations
    spill to the client's temporary folder (100M sessions, the full history: 21 s at 1.2 GB under
    a 1 GB limit, 41 s at 0.8 GB under 512 MB; computing it in parts by a hash of the visitor, each
    part scanning every session, was no faster and needed a counting query first).
    """
    if _CACHE is None:
        return _order_paths(scope)
    key = (id(scope.client.con), scope.period, scope.channel, scope.device, scope.freq, scope.keys)
    if key not in _CACHE:
        con = scope.client.con
        _CACHE[key] = (con, temp_table(con, _order_paths(scope), "order_paths"))
    return _CACHE[key][1]


def path_counts(scope: Scope, column: str, keys) -> pd.DataFrame:
    """Orders per (keys, ``column``) value (days or visits; orders without one left out), in a
    column ``_n``."""
    p = order_paths(scope)
    p = p.filter(p[column].notnull())
    return run(p.group_by([*keys, column]).aggregate(_n=p.count()))


def _order_paths(scope: Scope) -> ibis.Table:
    o = scope.orders(session_attributes=True).filter(lambda t: t.buyer_visitor.notnull())
    # first visits and visit ranks only for the visitors who ordered in the scope (a semi-join
    # first: all their sessions, all history, but not everybody's); the
    # visitor of the order's session too, when orders.visitor_id names another one (the rank is
    # that of the session among its own visitor's sessions)
    everyone = scope.all_sessions()
    buyers = o.select(_bv=o.buyer_visitor).union(
        o.filter(o.session_visitor.notnull()).select(_bv=o.session_visitor)).distinct()
    # only the columns used: the buyers' sessions are kept once (a CTE) and read four times
    s = everyone.filter(everyone.visitor_id.isin(buyers._bv)).select("visitor_id", "session_id", "started_at")
    first = s.group_by(_fv=s.visitor_id).aggregate(_first_at=s.started_at.min())
    # the rank of the order's session among its visitor's sessions (by start, then id) is the number
    # of that visitor's sessions up to it: counted by a join and an aggregation, which spill to disk
    # under the memory limit (a window over every buyer's sessions of all history does not)
    mine = o.filter(o.session_id.notnull()).select(_oid=o.order_id, _sid=o.session_id)
    own = s.select(_rs=s.session_id, _rv=s.visitor_id, _rat=s.started_at)
    mine = mine.join(own, mine._sid == own._rs)
    other = s.select(_v2=s.visitor_id, _at2=s.started_at, _id2=s.session_id)
    pairs = mine.join(other, [mine._rv == other._v2,
                              (other._at2 < mine._rat) | ((other._at2 == mine._rat) & (other._id2 <= mine._rs))])
    ranked = pairs.group_by(_ro=pairs._oid).aggregate(_rank=pairs.count())
    o = o.left_join(first, o.buyer_visitor == first._fv).drop("_fv")
    o = o.left_join(ranked, o.order_id == ranked._ro).drop("_ro")
    # orders without a (known) session: sessions of the visitor started at or before the order
    no_session = o.filter(o._rank.isnull()).select("order_id", "buyer_visitor", "ordered_at")
    visits_of = s.select(_v=s.visitor_id, _at=s.started_at)
    before = no_session.join(visits_of, [no_session.buyer_visitor == visits_of._v,
                                         no_session.ordered_at >= visits_of._at])
    counted = before.group_by(_oid=before.order_id).aggregate(_n_before=before.count())
    o = o.left_join(counted, o.order_id == counted._oid).drop("_oid")
    # exact duration: DuckDB's date_diff counts unit boundaries crossed, so count microseconds (its resolution)
    micros = o.ordered_at.delta(o._first_at, unit="microsecond")
    days = ibis.ifelse(micros >= 0, (micros / 86_400_000_000).floor().cast("int64"), ibis.null("int64"))
    visits = o._rank.cast("int64").fill_null(o._n_before.cast("int64"))
    visits = ibis.ifelse(visits >= 1, visits, ibis.null("int64"))
    return o.mutate(days=days, visits=visits).drop("_first_at", "_rank", "_n_before")


def _median(scope: Scope, keys, column: str) -> pd.DataFrame:
    """Median of ``column`` (whole days or visits) per group, from the distribution's counts: every
    backend counts, not every backend has a median (BigQuery has none). The median of an even
    number of orders is the mean of the two middle values, as DuckDB's ``median``."""
    return median_from_counts(path_counts(scope, column, keys), keys, column, "_n")


@kpi("median_days_to_purchase", needs=["sessions", "orders"], kind="days")
def _median_days(scope: Scope, keys):
    return _median(scope, keys, "days")


@kpi("median_visits_to_purchase", needs=["sessions", "orders"], kind="visits")
def _median_visits(scope: Scope, keys):
    return _median(scope, keys, "visits")


median_days_to_purchase = public(
    "median_days_to_purchase", "Median number of days between a visitor's first visit and the order.",
    "median over orders of the period of floor((ordered_at - first session of that visitor, all history) / 24 h)",
    "order", "days", "null when no order of the period has a visitor with a session "
    "(numerator holds the median, denominator the number of orders it is taken over)",
    "Matomo 'Days to conversion'")
median_visits_to_purchase = public(
    "median_visits_to_purchase", "Median number of visits up to and including the one with the order.",
    "median over orders of the period of the rank of the order's session among that visitor's sessions (1 = first visit)",
    "order", "visits", "null when no order of the period can be matched to a visit "
    "(numerator holds the median, denominator the number of orders)", "Matomo 'Visits to conversion'")


def _distribution(column: str, buckets, data, *, start=None, end=None, channel=None, device=None) -> pd.DataFrame:
    client = as_client(data)
    scope = make_scope(client, start=start, end=end, channel=channel, device=device)
    labels = [b[0] for b in buckets]
    attrs = {"kpi": f"{column}_to_purchase", "period": scope.period.as_dict(),
             "filters": {"channel": scope.channel, "device": scope.device}}
    reason = unavailable_reason(KPIS[f"median_{column}_to_purchase"], client, channel=scope.channel,
                                device=scope.device)
    if reason:
        out = pd.DataFrame({"bucket": labels, "orders": np.nan, "share": np.nan})
        out.attrs.update(attrs, unavailable=reason)
        return out
    counts = path_counts(scope, column, []).rename(columns={column: "value", "_n": "n"})
    totals = []
    for label, lo, hi in buckets:
        mask = counts.value >= lo
        if hi is not None:
            mask &= counts.value <= hi
        totals.append(int(counts.n[mask].sum()))
    total = sum(totals)
    out = pd.DataFrame({"bucket": labels, "orders": totals,
                        "share": [t / total if total else np.nan for t in totals]})
    out["bucket"] = pd.Categorical(out["bucket"], categories=labels, ordered=True)
    out.attrs.update(attrs)
    return out


def days_to_purchase(data, *, start=None, end=None, channel=None, device=None) -> pd.DataFrame:
    """Orders of the period per number of days since the visitor's first visit.

    Buckets ``0`` .. ``7``, ``8-14``, ``15-30``, ``31-60``, ``61-120``, ``121-364``, ``365+``;
    columns ``bucket``, ``orders`` and ``share`` (orders / orders with a known path; null when
    there is none). Grain: order. Reference: Matomo 'Days to conversion'.
    """
    return _distribution("days", DAYS_BUCKETS, data, start=start, end=end, channel=channel, device=device)


def visits_to_purchase(data, *, start=None, end=None, channel=None, device=None) -> pd.DataFrame:
    """Orders of the period per number of visits up to the order (1 = ordered on the first visit).

    Buckets ``1`` .. ``8``, ``9-14``, ``15-25``, ``26-50``, ``51-100``, ``101+``; columns
    ``bucket``, ``orders``, ``share``. Grain: order. Reference: Matomo 'Visits to conversion'.
    """
    return _distribution("visits", VISITS_BUCKETS, data, start=start, end=end, channel=channel, device=device)
