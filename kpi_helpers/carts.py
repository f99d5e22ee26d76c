"""Carts: carts created, abandoned carts and the abandonment rate, by shipping-fee band.

A cart is abandoned when it never became an order (no ``order_id``). Segment filters go through
the cart's session.
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd

from .core import Scope, make_scope, agg, kpi, parts, public
from .loading import as_client
from .results import run

__all__ = ["carts", "abandoned_carts", "cart_abandonment_rate", "abandonment_by_shipping_fee", "DEFAULT_FEE_BANDS"]

#: Shipping-fee band edges (currency), left-closed: free, (0, 5), [5, 10), [10, 15), 15 and more
DEFAULT_FEE_BANDS = (0.0, 0.005, 5.0, 10.0, 15.0)


@kpi("carts", needs=["carts"], kind="count")
def _carts(scope: Scope, keys):
    c = scope.carts()
    return parts(keys, agg(c, keys, numerator=c.count()))


@kpi("abandoned_carts", needs=["carts"], kind="count")
def _abandoned(scope: Scope, keys):
    c = scope.carts()
    return parts(keys, agg(c, keys, numerator=c.order_id.isnull().cast("int64").sum()))


@kpi("cart_abandonment_rate", needs=["carts"])
def _abandonment_rate(scope: Scope, keys):
    c = scope.carts()
    return parts(keys, agg(c, keys, numerator=c.order_id.isnull().cast("int64").sum(), denominator=c.count()))


carts = public("carts", "Carts created in the period.", "count of carts created in the period", "cart", "carts",
               "not a ratio", "the shop's cart events")
abandoned_carts = public("abandoned_carts", "Carts created in the period that never became an order.",
                         "count of carts created in the period with no order_id", "cart", "carts", "not a ratio",
                         "the agency's definition")
cart_abandonment_rate = public(
    "cart_abandonment_rate", "Share of carts that were abandoned.", "abandoned_carts / carts", "cart",
    "fraction 0-1", "null when no cart was created", "Baymard Institute's cart abandonment rate")


def _band_label(lo: float, hi: float | None, currency: str) -> str:
    if lo == 0 and hi is not None and hi <= 0.01:
        return "0 (free)"
    lo_s = f"{lo:g}" if lo >= 0.01 else "0"
    return f"{lo_s}-{hi:g} {currency}" if hi is not None else f"{lo_s}+ {currency}"


def abandonment_by_shipping_fee(data, *, start=None, end=None, channel=None, device=None,
                                bands=DEFAULT_FEE_BANDS) -> pd.DataFrame:
    """Cart abandonment rate per shipping-fee band.

    ``bands`` are the left edges of the bands (the last band is open). Columns: ``band`` (a label
    such as ``"5-10 EUR"``), ``low``, ``high``, ``numerator`` (abandoned carts), ``denominator``
    (carts) and ``value`` (null for an empty band). Carts without a shipping fee are left out.
    Grain: cart. Unit: fraction 0-1.
    """
    client = as_client(data)
    cols = ["band", "low", "high", "numerator", "denominator", "value"]
    if not client.has("carts", "shipping_fee"):
        out = pd.DataFrame(columns=cols)
        out.attrs["unavailable"] = ("carts table not provided" if not client.has("carts")
                                    else "carts.shipping_fee column not provided")
        return out
    scope = make_scope(client, start=start, end=end, channel=channel, device=device)
    c = scope.carts()
    c = c.filter(c.shipping_fee.notnull())
    edges = list(bands)
    band = ibis.literal(len(edges) - 1)
    for i in range(len(edges) - 1, 0, -1):
        band = ibis.ifelse(c.shipping_fee < edges[i], i - 1, band)
    g = c.group_by(b=band).aggregate(numerator=c.order_id.isnull().cast("int64").sum(), denominator=c.count())
    g = run(g)
    rows = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        hit = g[g.b == i]
        num = float(hit.numerator.iloc[0]) if len(hit) else 0.0
        den = float(hit.denominator.iloc[0]) if len(hit) else 0.0
        rows.append({"band": _band_label(lo, hi, client.settings.currency), "low": lo, "high": hi if hi is not None else math.inf,
                     "numerator": num, "denominator": den, "value": num / den if den else np.nan})
    return pd.DataFrame(rows, columns=cols)
