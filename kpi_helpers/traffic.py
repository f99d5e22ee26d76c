"""Traffic and conversion: sessions, visitors, orders, revenue, conversion rates, average basket.

Every function takes the client's data first and the rest by keyword (``start``, ``end``,
``channel``, ``device``, ``by``, ``freq``, ``compare``) and returns a tidy DataFrame with
``numerator``, ``denominator`` and ``value``; see :mod:`kpi_helpers.core` for the shared
parameters. Orders with status cancelled or refunded are left out everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from .core import Scope, agg, bucket, kpi, parts, public, segment_values_frame, segment_values_key
from .results import offer, remember, run

__all__ = [
    "sessions", "visitors", "orders", "buyers", "revenue", "conversion_rate",
    "session_conversion_rate", "average_order_value", "orders_per_session",
]


@kpi("sessions", needs=["sessions"], kind="count")
def _sessions(scope: Scope, keys):
    s = scope.sessions()
    return parts(keys, agg(s, keys, numerator=s.count()))


#: a breakdown key with more values than this is counted by one query per breakdown instead
MAX_MASK_GROUPS = 62


def _mask(col, values: list) -> "ibis.Value":
    """One bit per value (bit i for ``values[i]``, a non-empty list); null for a value not in it."""
    return ibis.cases(*[(col == v, ibis.literal(1 << i, "int64")) for i, v in enumerate(values)],
                      else_=ibis.null("int64"))


def _visitor_summary(scope: Scope) -> pd.DataFrame | None:
    """Distinct visitors and converted visitors of the scope in total, per channel and per device,
    all from one query (``visitors`` and ``conversion_rate``, in total and by either key, share
    it; it runs once per scope).

    The period's sessions are grouped by visitor with a bit mask of the channels (and one of the
    devices) the visitor came through; the buyers get the same masks from their orders' sessions;
    joined per visitor, bit i of ``visitor mask & buyer mask`` says the visitor was converted in
    group i. One pass over the sessions instead of one distinct (group, visitor) per breakdown.
    The query returns the visitors counted per combination of masks (hundreds of rows for the
    sample clients, 4,300 for 1M generated sessions, 11,000 for 10M), summed up bit by bit in
    pandas into the summary, which is what is kept: a query half as long to build and compile as
    one sum per group in SQL, and no slower to run (10M sessions, all history: 3.6-4.6 s against
    4.7-5.3 s on a loaded machine).

    Columns ``key`` ("" for the total, "channel", "device"), ``group``, ``visitors`` and
    ``converted`` (NaN without an orders table). None when a key has more than
    :data:`MAX_MASK_GROUPS` values, or on a backend other than DuckDB (the caller then counts each
    breakdown on its own: the same numbers, tests/test_traffic.py checks both ways).
    """
    if not scope.client.fast_paths:  # bit masks (bit_or) are DuckDB's; elsewhere one query per breakdown
        return None
    # the channels and devices of the whole history (one query per connection, kept): the scope's
    # are those with a visitor, the others are left out of the summary (a period picked in
    # Explore then needs no query to list them before its own)
    history = remember(scope.client.con, ("segment values of the history",), lambda: segment_values_frame(
        run(scope.all_sessions().select("channel", "device").distinct())))
    values = {k: history.loc[history["key"] == k, "value"].tolist() for k in ("channel", "device")}
    if any(len(v) > MAX_MASK_GROUPS for v in values.values()):
        return None
    masked = {k: vals for k, vals in values.items() if vals}  # no session at all: no group
    with_orders = scope.client.has("orders")
    # one group per visitor, in one pass even beyond the memory limit: DuckDB's aggregation and join
    # spill to the client's temporary folder. Counting in parts by a hash of the visitor id was
    # slower (each part scans every session): 52 s against 34 s for 100M sessions, both at 1.2 GB
    # kept by period and segment: a breakdown of the same scope (Explore's chart under its table)
    # builds no query to find it again
    def compute() -> pd.DataFrame:
        summary = run(_visitor_query(scope, masked, with_orders),
                      summarise=_CountBits(tuple((k, tuple(v)) for k, v in masked.items()), with_orders))
        # the groups with a visitor are the scope's channels and devices (group_values): kept
        # too, so that a breakdown of the scope needs no query to list them
        groups = summary[summary.key != ""].rename(columns={"group": "value"})[["key", "value"]]
        offer(scope.client.con, segment_values_key(scope), groups.reset_index(drop=True))
        return summary

    return remember(scope.client.con, ("visitor summary", scope.period, scope.channel, scope.device), compute)


@dataclass(frozen=True)
class _CountBits:
    """The rows of :func:`_visitor_summary` from those of :func:`_visitor_query` (visitors per
    combination of masks): the visitors whose mask has bit i, for each group i of each key."""

    masked: tuple[tuple[str, tuple], ...]  # (key, its groups), bit i for the i-th group
    with_orders: bool

    def __call__(self, combos: pd.DataFrame) -> pd.DataFrame:
        n = combos["n"].to_numpy(dtype="int64")
        converted = n * combos["bought"].to_numpy(dtype=bool) if self.with_orders else None

        def count(weights, bits=None) -> float:  # no orders table: NaN
            if weights is None:
                return float("nan")
            return float(weights.sum() if bits is None else weights[bits].sum())

        rows = [("", None, count(n), count(converted))]
        for k, vals in self.masked:
            m = combos[f"m_{k}"].to_numpy(dtype="int64")
            both = m & combos[f"b_{k}"].to_numpy(dtype="int64") if self.with_orders else None
            for i, v in enumerate(vals):
                visitors = count(n, (m >> i) & 1 == 1)
                if visitors:  # a group of the history without a session in the scope: no row
                    rows.append((k, v, visitors,
                                 count(converted, (both >> i) & 1 == 1) if self.with_orders else float("nan")))
        return pd.DataFrame(rows, columns=["key", "group", "visitors", "converted"])


@ibis.udf.scalar.builtin(name="hash")
def _duckdb_hash(value: str) -> ibis.expr.datatypes.uint64:  # type: ignore[empty-body]
    """DuckDB's own 64-bit ``hash()``, unsigned as it returns it (Ibis' ``Value.hash()`` adds a cast
    through BIT that costs more than the hash: 9 s of 28 s for two hashes of 100M ids)."""


def _visitor_key(visitor: ibis.Value) -> dict[str, ibis.Value]:
    """A visitor id as a 128-bit key for the DuckDB fast path: two 64-bit hashes, of the id and of the
    id followed by ``#``. Grouping 100M sessions by these numbers instead of the text ids: see
    benchmarks/README.md. Two different ids share both with a probability of about n²/2¹²⁹
    (below 10⁻²³ for 100 million visitors): the counts are those of the ids (tests/test_traffic.py
    compares them with one ``count(DISTINCT visitor_id)`` per breakdown)."""
    return {"v": _duckdb_hash(visitor), "w": _duckdb_hash(visitor.concat("#"))}


def _visitor_query(scope: Scope, masked: dict, with_orders: bool) -> ibis.Table:
    """The visitors of the scope counted (``n``) per combination of their masks: ``m_<key>`` the
    groups of each masked key they came through, ``b_<key>`` those they bought through (0 for
    none), ``bought`` whether they bought."""
    s = scope.sessions()
    t = s.group_by(**_visitor_key(s.visitor_id)).aggregate(
        **{f"m_{k}": _mask(s[k], vals).bit_or().fill_null(0) for k, vals in masked.items()})
    combo = [f"m_{k}" for k in masked]
    if with_orders:
        o = scope.orders(session_attributes=True)  # the buyer's visitor may come from the order's session
        o = o.filter(o.buyer_visitor.notnull())
        b = o.group_by(**_visitor_key(o.buyer_visitor)).aggregate(
            _bought=ibis.literal(1), **{f"b_{k}": _mask(o[k], vals).bit_or() for k, vals in masked.items()})
        t = t.left_join(b, ["v", "w"])
        t = t.mutate(bought=t._bought.notnull(), **{f"b_{k}": t[f"b_{k}"].fill_null(0) for k in masked})
        combo += [f"b_{k}" for k in masked] + ["bought"]
    return t.group_by(combo).aggregate(n=t.count()) if combo else t.aggregate(n=t.count())


def _visitor_counts(scope: Scope, keys) -> pd.DataFrame | None:
    """``visitors`` and ``converted`` per group of ``keys`` from :func:`_visitor_summary`, or None
    when it does not apply (a time series, two keys, too many groups)."""
    if scope.freq or len(keys) > 1 or any(k not in ("channel", "device") for k in keys):
        return None
    summary = _visitor_summary(scope)
    if summary is None:
        return None
    part = summary[summary.key == (keys[0] if keys else "")]
    if keys:
        return part.rename(columns={"group": keys[0]})[[keys[0], "visitors", "converted"]].reset_index(drop=True)
    return part[["visitors", "converted"]].reset_index(drop=True)


@kpi("visitors", needs=["sessions"], kind="count")
def _visitors(scope: Scope, keys):
    counts = _visitor_counts(scope, keys)
    if counts is not None:
        return counts[[*keys, "visitors"]].rename(columns={"visitors": "numerator"})
    s = scope.sessions()
    return parts(keys, agg(s, keys, numerator=s.visitor_id.nunique()))


@kpi("orders", needs=["orders"], kind="count")
def _orders(scope: Scope, keys):
    o = scope.orders()
    return parts(keys, agg(o, keys, numerator=o.count()))


@kpi("buyers", needs=["orders"], kind="count")
def _buyers(scope: Scope, keys):
    o = scope.orders()
    return parts(keys, agg(o, keys, numerator=o.customer_id.nunique()))


@kpi("revenue", needs=["orders"], kind="amount")
def _revenue(scope: Scope, keys):
    o = scope.orders()
    return parts(keys, agg(o, keys, numerator=o.revenue.sum()))


@kpi("conversion_rate", needs=["sessions", "orders"])
def _conversion_rate(scope: Scope, keys):
    counts = _visitor_counts(scope, keys)
    if counts is not None:
        return counts.rename(columns={"converted": "numerator", "visitors": "denominator"})
    # a time series (or a breakdown with too many groups): one query per call
    s = scope.sessions()
    o = scope.orders(session_attributes=True)  # the buyer's visitor may come from the order's session
    buyers = o.filter(o.buyer_visitor.notnull()).select(*keys, v=o.buyer_visitor).distinct()
    # each group's distinct visitors, marked when they bought in that group (the few buyers are
    # hashed, the visitors probe them)
    visitors = s.select(*keys, v=s.visitor_id).distinct()
    marked = visitors.left_join(buyers.mutate(_bought=1), [*keys, "v"])
    return parts(keys, agg(marked, keys, numerator=marked._bought.count(), denominator=marked.count()))


@kpi("session_conversion_rate", needs=["sessions", "orders"])
def _session_conversion_rate(scope: Scope, keys):
    s = scope.sessions()
    # the sessions with an order, counted from the orders (few) joined once to their session (kept
    # per connection): the sessions of the scope are only counted, never probed one by one
    o = scope.all_orders(session_attributes=True)
    o = o.filter(o.session_started_at.notnull())
    o = scope._segment(o.filter(scope.in_period(o.session_started_at)))
    if scope.freq:
        o = o.mutate(period_start=bucket(o.session_local_date, scope.freq))
    return parts(keys, agg(o, keys, numerator=o.session_id.nunique()), agg(s, keys, denominator=s.count()))


@kpi("average_order_value", needs=["orders"])
def _average_order_value(scope: Scope, keys):
    o = scope.orders()
    return parts(keys, agg(o, keys, numerator=o.revenue.sum(), denominator=o.count()))


@kpi("orders_per_session", needs=["sessions", "orders"])
def _orders_per_session(scope: Scope, keys):
    s = scope.sessions()
    o = scope.orders()
    return parts(keys, agg(o, keys, numerator=o.count()), agg(s, keys, denominator=s.count()))


sessions = public(
    "sessions", "Number of visits.", "count of sessions whose local start date is in the period",
    "session", "sessions", "not a ratio (0 when there is no session)", "Matomo 'Visits', GA 'Sessions'")
visitors = public(
    "visitors", "Number of distinct visitors (browser/device ids) of the period's sessions.",
    "count of distinct visitor_id of the sessions in the period", "visitor", "visitors",
    "not a ratio", "Matomo 'Unique visitors'")
orders = public(
    "orders", "Number of orders, cancelled and refunded ones left out.",
    "count of orders whose local date is in the period (segment filters through the order's session)",
    "order", "orders", "not a ratio", "the shop's back office")
buyers = public(
    "buyers", "Number of distinct customers who ordered.", "count of distinct customer_id of those orders",
    "customer", "customers", "not a ratio", "the agency's definition")
revenue = public(
    "revenue", "Revenue of the orders of the period, tax and shipping included.",
    "sum of revenue of those orders", "order", "currency of the client", "not a ratio (0 without orders)",
    "the shop's back office")
conversion_rate = public(
    "conversion_rate", "Share of visitors who ordered: the kit's headline conversion rate, per visitor.",
    "distinct visitors of the period who placed an order in the period / distinct visitors of the period; "
    "a buyer is matched to visitors through orders.visitor_id, else through the order's session",
    "visitor", "fraction 0-1", "null when there is no visitor", "the agency's reference text: 'individuals who validated their cart / visitors'")
session_conversion_rate = public(
    "session_conversion_rate", "Share of visits in which an order was placed.",
    "sessions of the period in which a (not cancelled) order was placed / sessions of the period",
    "session", "fraction 0-1", "null when there is no session", "Matomo 'Conversion rate'")
average_order_value = public(
    "average_order_value", "Average basket ('panier moyen').", "revenue / orders",
    "order", "currency of the client", "null when there is no order", "the agency's definition; GA 'Average purchase revenue'")
orders_per_session = public(
    "orders_per_session", "Orders per session: Universal Analytics' 'E-commerce conversion rate'.",
    "orders of the period placed in the segment / sessions of the period (can exceed 1 in theory)",
    "session", "orders per session", "null when there is no session", "Universal Analytics 'Ecommerce Conversion Rate' (transactions / sessions)")
