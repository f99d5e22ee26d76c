"""Acquisition cost: ad spend, cost per acquisition, ROAS, ROI and the break-even CPA.

Ad spend has a channel but no device: a device filter or breakdown makes these KPIs unavailable.
Per channel, the cost of a channel is compared with the orders placed in sessions of that channel
(last-click attribution through the order's session, as the data contract defines it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core import Scope, agg, compute, kpi, parts, public

__all__ = ["ad_spend", "cost_per_acquisition", "roas", "break_even_cpa", "roi", "acquisition_by_channel"]


@kpi("ad_spend", needs=["ad_spend"], kind="amount", by=("channel",), device_filter=False)
def _ad_spend(scope: Scope, keys):
    a = scope.ad_spend()
    return parts(keys, agg(a, keys, numerator=a.spend.sum()))


@kpi("cost_per_acquisition", needs=["ad_spend", "orders"], by=("channel",), device_filter=False)
def _cpa(scope: Scope, keys):
    a, o = scope.ad_spend(), scope.orders()
    return parts(keys, agg(a, keys, numerator=a.spend.sum()), agg(o, keys, denominator=o.count()))


@kpi("roas", needs=["ad_spend", "orders"], by=("channel",), device_filter=False)
def _roas(scope: Scope, keys):
    a, o = scope.ad_spend(), scope.orders()
    return parts(keys, agg(o, keys, numerator=o.revenue.sum()), agg(a, keys, denominator=a.spend.sum()))


@kpi("break_even_cpa", needs=["orders"], by=("channel", "device"), needs_margin=True)
def _break_even_cpa(scope: Scope, keys):
    o = scope.orders()
    df = parts(keys, agg(o, keys, numerator=o.revenue.sum() * scope.margin_rate, denominator=o.count()))
    return df


@kpi("roi", needs=["ad_spend", "orders"], by=("channel",), device_filter=False, needs_margin=True)
def _roi(scope: Scope, keys):
    a, o = scope.ad_spend(), scope.orders()
    df = parts(keys, agg(o, keys, _revenue=o.revenue.sum()), agg(a, keys, denominator=a.spend.sum()))
    df["numerator"] = df["_revenue"].fillna(0.0).astype("float64") * scope.margin_rate - df["denominator"].fillna(0.0).astype("float64")
    return df.drop(columns="_revenue")


ad_spend = public(
    "ad_spend", "Advertising spend of the period.", "sum of spend in the period", "day x channel (x campaign)",
    "currency of the client", "not a ratio (0 without spend)", "the ad platforms' cost")
cost_per_acquisition = public(
    "cost_per_acquisition", "Cost per acquisition (CPA): what one order costs in advertising.",
    "ad_spend / orders (per channel: spend of that channel / orders placed in sessions of that channel)",
    "order", "currency per order", "null when there is no order",
    "the example of the agency's reference text: 500 / 24 = 20.83")
roas = public(
    "roas", "Return on ad spend: revenue per unit of advertising spent.", "revenue / ad_spend",
    "order and spend", "ratio (2.5 = 2.50 of revenue per 1 spent)", "null when nothing was spent",
    "Google Ads 'Conv. value / cost'")
break_even_cpa = public(
    "break_even_cpa", "The highest CPA that still leaves a margin: above it, each order loses money.",
    "average_order_value * margin_rate (numerator: revenue * margin_rate, denominator: orders)",
    "order", "currency per order", "null without orders or without margin_rate", "the agency's definition")
roi = public(
    "roi", "Return on investment of advertising, on gross margin.",
    "(revenue * margin_rate - ad_spend) / ad_spend", "order and spend", "fraction (0.2 = +20 %; below 0 loses money)",
    "null when nothing was spent or without margin_rate", "the agency's definition")


def acquisition_by_channel(data, *, start=None, end=None, margin_rate: float | None = None) -> pd.DataFrame:
    """CPA and ROAS per paid channel, with the break-even CPA line of the whole period.

    One row per channel with spend in the period: ``spend``, ``orders``, ``revenue``, ``cpa``
    (spend / orders, null without orders), ``roas`` (revenue / spend), ``break_even_cpa`` (the
    period's average order value * margin_rate, the same on every row; null without a margin) and
    ``profitable`` (cpa <= break_even_cpa; null when either is null).
    """
    kw = dict(start=start, end=end, by="channel")
    cpa = compute("cost_per_acquisition", data, **kw)
    if "unavailable" in cpa.attrs:
        out = pd.DataFrame(columns=["channel", "spend", "orders", "revenue", "cpa", "roas", "break_even_cpa", "profitable"])
        out.attrs.update(cpa.attrs)
        return out
    r = compute("roas", data, **kw)
    be = compute("break_even_cpa", data, start=start, end=end, margin_rate=margin_rate)
    out = pd.DataFrame({"channel": cpa["channel"], "spend": cpa["numerator"], "orders": cpa["denominator"],
                        "cpa": cpa["value"]}).merge(
        r[["channel", "numerator", "value"]].rename(columns={"numerator": "revenue", "value": "roas"}), on="channel")
    out = out[out["spend"] > 0].reset_index(drop=True)
    out["break_even_cpa"] = float(be["value"].iloc[0]) if len(be) else np.nan
    profitable = out["cpa"] <= out["break_even_cpa"]
    out["profitable"] = profitable.astype(object).where(out["cpa"].notna() & out["break_even_cpa"].notna(), None)
    out = out[["channel", "spend", "orders", "revenue", "cpa", "roas", "break_even_cpa", "profitable"]]
    out.attrs.update(cpa.attrs)
    if "unavailable" in be.attrs:
        out.attrs["break_even_unavailable"] = be.attrs["unavailable"]
    return out
