"""Customer loyalty: new vs returning customers, repeat purchase, cohorts by first-order month.

"First order ever" looks at every valid order of the client's history (cancelled and refunded
orders left out), whatever the segment filter: a customer who first bought through SEO and
comes back through an e-mail is a returning customer of the e-mail channel.
"""

from __future__ import annotations

import ibis
import pandas as pd

from .core import Scope, make_scope, agg, kpi, parts, public, resolve_period
from .loading import as_client
from .results import run

__all__ = ["new_customers", "returning_customers", "returning_customer_rate", "repeat_purchase_rate",
           "cohort_retention"]


def _buyers_with_first(scope: Scope, keys) -> ibis.Table:
    """Distinct (keys, customer) of the scope's orders with ``first_day`` (first order ever) and
    ``is_new`` (that first order falls in the period, or in the row's time bucket)."""
    o = scope.orders()
    every = scope.all_orders(session_attributes=False)
    first = every.group_by(_c=every.customer_id).aggregate(first_day=every.local_date.min())
    b = o.select(*keys, customer_id=o.customer_id).distinct()
    b = b.join(first, b.customer_id == first._c).drop("_c")
    cond = ibis.literal(True)
    if scope.period.start is not None:
        cond = b.first_day >= ibis.date(scope.period.start)
    if "period_start" in keys:
        cond = cond & (b.first_day >= b.period_start.cast("date"))
    return b.mutate(is_new=cond.cast("int64"))


@kpi("new_customers", needs=["orders"], kind="count")
def _new(scope: Scope, keys):
    b = _buyers_with_first(scope, keys)
    return parts(keys, agg(b, keys, numerator=b.is_new.sum()))


@kpi("returning_customers", needs=["orders"], kind="count")
def _returning(scope: Scope, keys):
    b = _buyers_with_first(scope, keys)
    return parts(keys, agg(b, keys, numerator=(1 - b.is_new).sum()))


@kpi("returning_customer_rate", needs=["orders"])
def _returning_rate(scope: Scope, keys):
    b = _buyers_with_first(scope, keys)
    return parts(keys, agg(b, keys, numerator=(1 - b.is_new).sum(), denominator=b.count()))


@kpi("repeat_purchase_rate", needs=["orders"])
def _repeat(scope: Scope, keys):
    o = scope.orders()
    per = o.group_by([*keys, "customer_id"]).aggregate(n=o.count())
    return parts(keys, agg(per, keys, numerator=(per.n >= 2).cast("int64").sum(), denominator=per.count()))


new_customers = public(
    "new_customers", "Buyers of the period whose first order ever is in the period.",
    "count of buyers whose first (valid) order of all history falls in the period", "customer", "customers",
    "not a ratio", "Shopify 'First-time customers'")
returning_customers = public(
    "returning_customers", "Buyers of the period who had ordered before it.",
    "count of buyers with an order before the period", "customer", "customers", "not a ratio",
    "Shopify 'Returning customers'")
returning_customer_rate = public(
    "returning_customer_rate", "Share of the period's buyers who had ordered before.",
    "returning_customers / buyers", "customer", "fraction 0-1", "null when nobody ordered",
    "Shopify 'Returning customer rate'")
repeat_purchase_rate = public(
    "repeat_purchase_rate", "Share of the period's buyers who ordered at least twice in the period.",
    "buyers with 2 or more orders in the period / buyers", "customer", "fraction 0-1", "null when nobody ordered",
    "the agency's definition")


def cohort_retention(data, *, start=None, end=None, channel=None, device=None, max_months: int = 12) -> pd.DataFrame:
    """Cohorts by month of first order: who comes back, and how much they spend, month after month.

    One row per (``cohort``, ``months_since_first``) with ``customers`` (cohort customers who
    ordered that month), ``cohort_size`` (customers whose first order ever was in the cohort
    month), ``customer_share`` (customers / cohort_size), ``revenue`` (their revenue that month),
    ``cohort_revenue`` (the cohort's revenue in its first month) and ``revenue_share`` (revenue /
    cohort_revenue; can exceed 1). Cohorts are the months of ``start``..``end`` (first orders of
    all history decide the cohort); orders are followed up to ``max_months`` months and to the
    last order in the data. Segment filters select the cohort by the channel/device of the first
    order's session. Grain: customer x month. Reference: classic cohort analysis (e.g. Shopify's
    customer cohort analysis).
    """
    client = as_client(data)
    cols = ["cohort", "months_since_first", "customers", "cohort_size", "customer_share", "revenue",
            "cohort_revenue", "revenue_share"]
    if not client.has("orders"):
        out = pd.DataFrame(columns=cols)
        out.attrs["unavailable"] = "orders table not provided"
        return out
    scope = make_scope(client, channel=channel, device=device)
    period = resolve_period(start, end)
    o = scope.all_orders()
    o = o.mutate(month=o.local_date.truncate("M"))
    ranked = o.mutate(_r=ibis.row_number().over(group_by=o.customer_id, order_by=[o.ordered_at, o.order_id]))
    first = ranked.filter(ranked._r == 0).select(_c=ranked.customer_id, cohort=ranked.month,
                                                 _fchannel=ranked.channel, _fdevice=ranked.device)
    if scope.channel:
        first = first.filter(first._fchannel.isin(scope.channel))
    if scope.device:
        first = first.filter(first._fdevice.isin(scope.device))
    if period.start is not None:
        first = first.filter(first.cohort >= ibis.date(period.start.replace(day=1)))
    if period.end is not None:
        first = first.filter(first.cohort <= ibis.date(period.end))
    j = o.join(first, o.customer_id == first._c)
    j = j.mutate(k=(j.month.year() - j.cohort.year()) * 12 + (j.month.month() - j.cohort.month()))
    j = j.filter(j.k <= max_months)
    g = run(j.group_by(["cohort", "k"]).aggregate(customers=j.customer_id.nunique(), revenue=j.revenue.sum()))
    if g.empty:
        return pd.DataFrame(columns=cols)
    g["cohort"] = pd.to_datetime(g["cohort"])
    size = g[g.k == 0].set_index("cohort")
    g["cohort_size"] = g["cohort"].map(size["customers"]).astype("float64")
    g["cohort_revenue"] = g["cohort"].map(size["revenue"]).astype("float64")
    last = pd.Timestamp(run(o.aggregate(last=o.month.max()))["last"].iloc[0])
    # every (cohort, k) up to the last month in the data, zero when nobody came back
    grid = [(c, k) for c in sorted(g.cohort.unique()) for k in range(max_months + 1)
            if (c + pd.DateOffset(months=k)) <= last]
    g = g.set_index(["cohort", "k"]).reindex(pd.MultiIndex.from_tuples(grid, names=["cohort", "k"])).reset_index()
    g["cohort_size"] = g.groupby("cohort")["cohort_size"].transform("max")
    g["cohort_revenue"] = g.groupby("cohort")["cohort_revenue"].transform("max")
    g["customers"] = g["customers"].fillna(0).astype("float64")
    g["revenue"] = g["revenue"].fillna(0.0).astype("float64")
    g["customer_share"] = g["customers"] / g["cohort_size"].where(g["cohort_size"] > 0)
    g["revenue_share"] = g["revenue"] / g["cohort_revenue"].where(g["cohort_revenue"] > 0)
    g = g.rename(columns={"k": "months_since_first"})
    g["months_since_first"] = g["months_since_first"].astype(int)
    return g[cols].sort_values(["cohort", "months_since_first"]).reset_index(drop=True)
