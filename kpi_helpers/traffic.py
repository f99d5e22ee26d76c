"""Traffic and conversion: sessions, visitors, orders, revenue, conversion rates, average basket.

Every function takes the client's data first and the rest by keyword (``start``, ``end``,
``channel``, ``device``, ``by``, ``freq``, ``compare``) and returns a tidy DataFrame with
``numerator``, ``denominator`` and ``value``; see :mod:`kpi_helpers.core` for the shared
parameters. Orders with status cancelled or refunded are left out everywhere.
"""

from __future__ import annotations

import pandas as pd

from .core import Scope, agg, kpi, parts, public
from .results import run

__all__ = [
    "sessions", "visitors", "orders", "buyers", "revenue", "conversion_rate",
    "session_conversion_rate", "average_order_value", "orders_per_session",
]


@kpi("sessions", needs=["sessions"], kind="count")
def _sessions(scope: Scope, keys):
    s = scope.sessions()
    return parts(keys, agg(s, keys, numerator=s.count()))


def _distinct_visitors(scope: Scope, keys) -> pd.DataFrame:
    """Distinct visitors of the scope's sessions per group, as column ``n`` (one query shared by
    ``visitors`` and the denominator of ``conversion_rate``)."""
    s = scope.sessions()
    return run(agg(s, keys, n=s.visitor_id.nunique()))


@kpi("visitors", needs=["sessions"], kind="count")
def _visitors(scope: Scope, keys):
    return parts(keys, _distinct_visitors(scope, keys).rename(columns={"n": "numerator"}))


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
    s = scope.sessions()
    o = scope.orders(session_attributes=True)  # the buyer's visitor may come from the order's session
    buyers = o.filter(o.buyer_visitor.notnull()).select(*keys, v=o.buyer_visitor).distinct()
    if keys:
        # one query: each group's distinct visitors, marked when they bought in that group (the
        # few buyers are hashed, the visitors probe them)
        visitors = s.select(*keys, v=s.visitor_id).distinct()
        marked = visitors.left_join(buyers.mutate(_bought=1), [*keys, "v"])
        return parts(keys, agg(marked, keys, numerator=marked._bought.count(), denominator=marked.count()))
    # in total, the denominator is the `visitors` KPI's query (run once), and the numerator the
    # period's visitors found among the buyers (a semi-join)
    converted = s.select(v=s.visitor_id).semi_join(buyers, "v").distinct()
    return parts(keys, agg(converted, keys, numerator=converted.count()),
                 _distinct_visitors(scope, keys).rename(columns={"n": "denominator"}))


@kpi("session_conversion_rate", needs=["sessions", "orders"])
def _session_conversion_rate(scope: Scope, keys):
    s = scope.sessions()
    o = scope.all_orders(session_attributes=False)
    with_order = o.filter(o.session_id.notnull()).select(sid=o.session_id).distinct()
    s = s.mutate(converted=s.session_id.isin(with_order.sid).cast("int64"))
    return parts(keys, agg(s, keys, numerator=s.converted.sum(), denominator=s.count()))


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
    "conversion_rate", "Share of visitors who ordered: the mission's conversion rate.",
    "distinct visitors of the period who placed an order in the period / distinct visitors of the period; "
    "a buyer is matched to visitors through orders.visitor_id, else through the order's session",
    "visitor", "fraction 0-1", "null when there is no visitor", "the source document: 'individuals who validated their cart / visitors'")
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
