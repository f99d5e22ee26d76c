"""What changed and why: the change between a period and its comparison period, decomposed and tested.

An agency's monthly comment answers three questions; each has a helper that returns a tidy
DataFrame from the KPI functions' numerators and denominators (nothing is counted twice):

- **Why did revenue move?** :func:`revenue_decomposition` splits the change of revenue exactly
  into a traffic, a conversion and a basket effect by the logarithmic mean Divisia index (LMDI-I,
  Ang 2004): revenue = sessions x (orders / sessions) x (revenue / orders), and the effect of a
  factor x is ``L(R1, R0) · ln(x1 / x0)`` with ``L(a, b) = (a - b) / (ln a - ln b)`` and
  ``L(a, a) = a``. The three effects add up to ``R1 - R0`` with no residual.
- **Where did it move?** :func:`change_contributions`: each channel's (or device's) change of
  revenue and of orders; they add up to the total change (orders without a session are under
  ``unknown``). :func:`conversion_mix`: the change of the visitor conversion rate split into a
  mix effect (the channels' shares of visitors moved) and a rate effect (the channels' own rates
  moved).
- **Is it real?** :func:`change_tests`: for each rate KPI of the scorecard, its 95 % Wilson
  interval in each period and a two-proportion z-test of the change; for the average basket,
  Welch's t-test on order values (:mod:`kpi_helpers.significance`).

:func:`explain` gathers them into one JSON-ready dict (``kpi explain CLIENT_DIR``), with a short
paragraph in French and English (:mod:`kpi_helpers.commentary`).

Shared parameters: ``data`` first, then ``start``, ``end``, ``channel``, ``device`` as in every
KPI function (:mod:`kpi_helpers.core`), and ``compare`` (``"previous_period"`` or
``"previous_year"``; a comparison needs both dates). ``df.attrs`` holds ``period``,
``comparison_period`` and, when something cannot be computed, ``unavailable`` (the reason).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import significance as sig
from .core import KPIS, comparison_period, compute, group_values, make_scope, nan_to_none, unavailable_reason
from .errors import KpiInputError, Problem
from .loading import Client, as_client
from .results import run

__all__ = [
    "FACTORS", "TESTED_KPIS", "log_mean", "lmdi", "mix_rate_effects", "revenue_decomposition",
    "change_contributions", "conversion_mix", "order_values", "change_tests", "explain", "format_table", "main",
]

#: The factors of revenue, in the order of the product.
FACTORS: tuple[str, ...] = ("sessions", "orders_per_session", "average_order_value")

#: The KPIs whose change is tested: the scorecard's rates (and orders per session, the conversion
#: factor of the revenue decomposition) by a two-proportion z-test, the average basket by Welch's t.
TESTED_KPIS: tuple[str, ...] = (
    "conversion_rate", "session_conversion_rate", "orders_per_session", "average_order_value",
    "product_page_bounce_rate", "cart_abandonment_rate", "returning_customer_rate", "repeat_purchase_rate",
    "search_rate", "zero_result_rate", "engagement_rate",
)

_IN = {"current": "the period", "previous": "the comparison period"}


# ----------------------------------------------------------------------------------------------
# The arithmetic (pure functions of two periods' numbers)


def log_mean(a: float, b: float) -> float:
    """The logarithmic mean ``L(a, b) = (a - b) / (ln a - ln b)``, ``L(a, a) = a`` (a, b > 0)."""
    if a <= 0 or b <= 0:
        raise ValueError(f"the logarithmic mean needs positive numbers, got {a} and {b}")
    if a == b:
        return float(a)
    # log1p is the more exact for close numbers (a small difference), log of the ratio for far ones
    ratio = a / b
    return (a - b) / (math.log1p((a - b) / b) if 0.5 < ratio < 2 else math.log(ratio))


def lmdi(current: Mapping[str, float], previous: Mapping[str, float]) -> dict[str, float]:
    """LMDI-I effects of each factor of a product ``V = x1 · x2 · ...`` between two periods.

    ``effect(x) = L(V1, V0) · ln(x1 / x0)``; the effects add up to ``V1 - V0`` exactly (up to
    floating point). Swapping the periods negates every effect. Every factor must be positive in
    both periods (a ValueError names the first that is not): the logarithm of 0 has no meaning,
    and the decomposition is then null.
    """
    for name in current:
        for which, values in (("current", current), ("previous", previous)):
            if not values[name] > 0:
                raise ValueError(f"{name} is {values[name]} in {_IN[which]}")
    v1, v0 = math.prod(current.values()), math.prod(previous[k] for k in current)
    weight = log_mean(v1, v0)
    return {name: weight * math.log(current[name] / previous[name]) for name in current}


def mix_rate_effects(current: pd.DataFrame, previous: pd.DataFrame, key: str) -> pd.DataFrame:
    """A ratio of sums over groups split into a mix and a rate effect (two-factor shift-share with
    period-average weights, the Shapley split: no interaction term).

    ``current`` and ``previous`` hold ``key``, ``numerator`` and ``denominator`` per group. With
    ``share = denominator / total denominator`` and ``rate = numerator / denominator``:
    ``mix_effect = (share1 - share0) · (rate1 + rate0) / 2`` and
    ``rate_effect = (rate1 - rate0) · (share1 + share0) / 2`` per group; over the groups they add
    up to ``Σnum1/Σden1 - Σnum0/Σden0``. A group absent from a period (no denominator) takes the
    other period's rate there, so its whole contribution is mix. Both totals must be positive.
    """
    both = current[[key, "numerator", "denominator"]].merge(
        previous[[key, "numerator", "denominator"]], on=key, how="outer", suffixes=("", "_0")).fillna(0.0)
    out = pd.DataFrame({key: both[key]})
    for suffix, prefix in (("", ""), ("_0", "comparison_")):
        total = both["denominator" + suffix].sum()
        if not total > 0:
            raise ValueError(f"no denominator in {_IN['current' if not suffix else 'previous']}")
        out[prefix + "numerator"] = both["numerator" + suffix]
        out[prefix + "denominator"] = both["denominator" + suffix]
        out[prefix + "share"] = both["denominator" + suffix] / total
        den = both["denominator" + suffix]
        out[prefix + "value"] = both["numerator" + suffix] / den.where(den > 0)
    r1 = out["value"].fillna(out["comparison_value"]).fillna(0.0)
    r0 = out["comparison_value"].fillna(out["value"]).fillna(0.0)
    out["mix_effect"] = (out["share"] - out["comparison_share"]) * (r1 + r0) / 2
    out["rate_effect"] = (r1 - r0) * (out["share"] + out["comparison_share"]) / 2
    return out


# ----------------------------------------------------------------------------------------------
# The figures, from the KPI functions


def _need_compare(compare: Any) -> None:
    if compare is None:
        raise KpiInputError(Problem("explaining a change needs a comparison period", column="compare",
                                    expected="previous_period or previous_year"))


def _with_periods(df: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    df.attrs.update({k: source.attrs[k] for k in ("period", "comparison_period", "compare", "filters") if k in source.attrs})
    return df


def revenue_decomposition(data: Any, *, start: Any = None, end: Any = None, compare: str = "previous_period",
                          channel: Any = None, device: Any = None) -> pd.DataFrame:
    """The change of revenue split into its traffic, conversion and basket effects (LMDI-I).

    Formula: revenue = sessions x orders_per_session x average_order_value; the effect of each
    factor x is ``L(R1, R0) · ln(x1 / x0)`` (see the module docstring); the effects add up to the
    change of revenue.
    Grain: the period (one row per factor). Unit: ``effect`` in the client's currency.
    Empty denominator: when a factor is 0 in either period (no session, no order, a revenue of 0)
    every ``effect`` is null and ``attrs["unavailable"]`` says why; so without a sessions table
    (revenue and the basket are then known, not the other factors).

    Returns one row per factor (``factor``; ``numerator``, ``denominator``, ``value`` and their
    ``comparison_*``, ``change``, ``relative_change``, ``effect``). ``attrs`` holds ``revenue``,
    ``comparison_revenue`` and ``change``.
    """
    _need_compare(compare)
    kw = dict(start=start, end=end, compare=compare, channel=channel, device=device)
    per_session = compute("orders_per_session", data, **kw)
    basket = compute("average_order_value", data, **kw)
    columns = ["factor", "numerator", "denominator", "value", "comparison_numerator", "comparison_denominator",
               "comparison_value", "change", "relative_change", "effect"]
    if "unavailable" in basket.attrs:  # no orders: no revenue to explain
        out = pd.DataFrame({c: [np.nan] * 3 for c in columns} | {"factor": list(FACTORS)})
        out.attrs.update(unavailable=basket.attrs["unavailable"], revenue=np.nan, comparison_revenue=np.nan, change=np.nan)
        return _with_periods(out, basket)
    b = basket.iloc[0]
    # without sessions (a shop's orders alone) revenue and its basket are known, not the two other factors
    p = None if "unavailable" in per_session.attrs else per_session.iloc[0]
    rows = []
    for prefix in ("", "comparison_"):
        orders, revenue = b[prefix + "denominator"], b[prefix + "numerator"]
        sessions, per = (np.nan, np.nan) if p is None else (p[prefix + "denominator"], p[prefix + "value"])
        rows.append({"sessions": (sessions, np.nan, sessions),
                     "orders_per_session": (orders, sessions, per),
                     "average_order_value": (revenue, orders, b[prefix + "value"])})
    out = pd.DataFrame({"factor": list(FACTORS)})
    for prefix, figures in zip(("", "comparison_"), rows):
        for i, part in enumerate(("numerator", "denominator", "value")):
            out[prefix + part] = [figures[f][i] for f in FACTORS]
    out["change"] = out["value"] - out["comparison_value"]
    out["relative_change"] = out["change"] / out["comparison_value"].where(out["comparison_value"] > 0)
    revenue, previous = float(b["numerator"]), float(b["comparison_numerator"])
    out.attrs.update(revenue=revenue, comparison_revenue=previous, change=revenue - previous)
    zero = {"sessions": "no session", "orders_per_session": "no order", "average_order_value": "a revenue of 0"}
    if p is None:
        out["effect"] = np.nan
        out.attrs["unavailable"] = per_session.attrs["unavailable"]
        return _with_periods(out[columns], basket)
    try:
        effects = lmdi(dict(zip(FACTORS, out["value"])), dict(zip(FACTORS, out["comparison_value"])))
        out["effect"] = [effects[f] for f in FACTORS]
    except ValueError:
        out["effect"] = np.nan
        which = "the period" if not (out["value"] > 0).all() else "the comparison period"
        values = out["value"] if which == "the period" else out["comparison_value"]
        first = next(f for f, v in zip(FACTORS, values) if not v > 0)
        out.attrs["unavailable"] = f"{zero[first]} in {which}: the decomposition needs every factor above 0"
    return _with_periods(out[columns], per_session)


def change_contributions(data: Any, *, by: str = "channel", start: Any = None, end: Any = None,
                         compare: str = "previous_period", channel: Any = None, device: Any = None) -> pd.DataFrame:
    """Each channel's (or device's) contribution to the change of revenue and of orders.

    Formula: the group's revenue (orders) in the period minus in the comparison period.
    Grain: ``by`` (``"channel"`` or ``"device"``; orders without a session are under ``unknown``).
    Unit: ``revenue_change`` in the client's currency, ``orders_change`` in orders. The groups'
    changes add up to the total change. A group seen in one period only is 0 in the other.

    Columns: ``by``, ``revenue``, ``comparison_revenue``, ``revenue_change``, ``orders``,
    ``comparison_orders``, ``orders_change``.
    """
    _need_compare(compare)
    kw = dict(by=by, start=start, end=end, compare=compare, channel=channel, device=device)
    frames = {kpi_id: compute(kpi_id, data, **kw) for kpi_id in ("revenue", "orders")}
    reason = frames["revenue"].attrs.get("unavailable")
    if not reason:
        revenue, orders = (df[[by, "value", "comparison_value", "change"]].rename(columns={
            "value": kpi_id, "comparison_value": f"comparison_{kpi_id}", "change": f"{kpi_id}_change"})
            for kpi_id, df in frames.items())
        out = revenue.merge(orders, on=by, how="outer")
    else:
        out = pd.DataFrame(columns=[by, "revenue", "comparison_revenue", "revenue_change", "orders",
                                    "comparison_orders", "orders_change"])
        out.attrs["unavailable"] = reason
    out = out.sort_values(by, key=lambda s: s.astype(str), kind="stable").reset_index(drop=True)
    return _with_periods(out, frames["revenue"])


def conversion_mix(data: Any, *, by: str = "channel", start: Any = None, end: Any = None,
                   compare: str = "previous_period", channel: Any = None, device: Any = None) -> pd.DataFrame:
    """The change of the visitor conversion rate split into a mix effect and a rate effect.

    Formula: the groups' visitor shares and rates (``conversion_rate`` by ``by``) through
    :func:`mix_rate_effects`. A visitor who came through two channels counts in both, and a buyer
    counts as converted in the channel of the order's session; so the headline rate (each visitor
    once) is not exactly the groups' ratio of sums: ``overlap_effect`` (in ``attrs``) is the rest,
    ``change - mix_effect - rate_effect`` (0 when every visitor has one channel).
    Grain: ``by``. Unit: fractions 0-1 (a change of 0.004 is 0.4 point).
    Empty denominator: no visitor in either period makes every effect null (``attrs["unavailable"]``).

    One row per group (``numerator``, ``denominator``, ``share``, ``value``, their ``comparison_*``,
    ``mix_effect``, ``rate_effect``); ``attrs`` holds ``value``, ``comparison_value``, ``change``,
    ``mix_effect``, ``rate_effect`` and ``overlap_effect`` of the whole.
    """
    _need_compare(compare)
    kw = dict(start=start, end=end, compare=compare, channel=channel, device=device)
    total = compute("conversion_rate", data, **kw)
    groups = compute("conversion_rate", data, by=by, **kw)
    reason = total.attrs.get("unavailable") or groups.attrs.get("unavailable")
    totals = {k: np.nan for k in ("value", "comparison_value", "change", "mix_effect", "rate_effect", "overlap_effect")}
    if not reason:
        row = total.iloc[0]
        totals.update(value=row["value"], comparison_value=row["comparison_value"], change=row["change"])
        current = groups[[by, "numerator", "denominator"]]
        previous = groups[[by, "comparison_numerator", "comparison_denominator"]].rename(
            columns={"comparison_numerator": "numerator", "comparison_denominator": "denominator"})
        try:
            out = mix_rate_effects(current, previous, by)
        except ValueError as exc:  # "no denominator in the (comparison) period"
            reason = str(exc).replace("no denominator", "no visitor")
        else:
            mix, rate = float(out["mix_effect"].sum()), float(out["rate_effect"].sum())
            totals.update(mix_effect=mix, rate_effect=rate, overlap_effect=float(row["change"]) - mix - rate)
    if reason:
        out = pd.DataFrame(columns=[by, "numerator", "denominator", "share", "value", "comparison_numerator",
                                    "comparison_denominator", "comparison_share", "comparison_value",
                                    "mix_effect", "rate_effect"])
        totals.update({k: np.nan for k in ("mix_effect", "rate_effect", "overlap_effect")})
        out.attrs["unavailable"] = reason
    out.attrs.update(totals, by=by)
    return _with_periods(out, total)


def order_values(data: Any, *, start: Any = None, end: Any = None, channel: Any = None, device: Any = None) -> pd.DataFrame:
    """The count, mean and sample variance of the order values of the period (what Welch's t-test needs).

    Formula: over the valid orders of the period (cancelled and refunded left out, segment filters
    through the order's session): ``orders`` = count, ``mean`` = sum of revenue / orders (the
    average basket), ``variance`` = Σ (revenue - mean)² / (orders - 1).
    Grain: the period (one row). Unit: the client's currency (variance: its square).
    Empty denominator: ``mean`` is null without an order, ``variance`` with fewer than two.
    """
    client = as_client(data)
    reason = unavailable_reason(KPIS["average_order_value"], client, channel=channel, device=device)
    if reason:
        out = pd.DataFrame({"orders": [np.nan], "mean": [np.nan], "variance": [np.nan]})
        out.attrs["unavailable"] = reason
        return out
    o = make_scope(client, start=start, end=end, channel=channel, device=device).orders()
    row = run(o.aggregate(orders=o.count(), mean=o.revenue.mean(), variance=o.revenue.var(how="sample"))).iloc[0]
    n = float(row["orders"])
    return pd.DataFrame({"orders": [n], "mean": [float(row["mean"]) if n > 0 else np.nan],
                         "variance": [float(row["variance"]) if n > 1 else np.nan]})


def _proportion_row(df: pd.DataFrame) -> dict:
    r = df.iloc[0]
    x1, n1, x0, n0 = (float(r[c]) for c in ("numerator", "denominator", "comparison_numerator", "comparison_denominator"))
    if x1 > n1 or x0 > n0:
        return {"unavailable": "not a proportion: the numerator exceeds the denominator"}
    test = sig.two_proportion_z_test(x1, n1, x0, n0)
    return {"test": "two_proportion_z", "interval": sig.wilson_interval(x1, n1),
            "comparison_interval": sig.wilson_interval(x0, n0), "statistic": test.statistic, "df": np.nan,
            "p_value": test.p_value, "unavailable": test.reason}


def _mean_row(data: Any, df: pd.DataFrame, kw: dict) -> dict:
    r = df.iloc[0]
    filters = dict(channel=kw["channel"], device=kw["device"])
    periods = (df.attrs["period"], df.attrs["comparison_period"])
    now, before = (order_values(data, start=p["start"], end=p["end"], **filters).iloc[0] for p in periods)
    test = sig.welch_t_test(r["value"], now["variance"], r["denominator"],
                            r["comparison_value"], before["variance"], r["comparison_denominator"])
    return {"test": "welch_t", "interval": sig.mean_interval(r["value"], now["variance"], r["denominator"]),
            "comparison_interval": sig.mean_interval(r["comparison_value"], before["variance"], r["comparison_denominator"]),
            "statistic": test.statistic, "df": test.df, "p_value": test.p_value, "unavailable": test.reason}


def change_tests(data: Any, *, kpis: Sequence[str] = TESTED_KPIS, start: Any = None, end: Any = None,
                 compare: str = "previous_period", channel: Any = None, device: Any = None) -> pd.DataFrame:
    """Is each KPI's change significant? Intervals in both periods and a two-sided test of the change.

    Formula: a rate (numerator / denominator, a proportion) gets its 95 % Wilson interval in each
    period and a two-proportion z-test with the pooled standard error; the average basket gets the
    95 % Student interval of the mean order value and Welch's t-test on order values (see
    :mod:`kpi_helpers.significance`). ``significant`` when p < 0.05 and no denominator is under 30;
    ``too_few`` when a denominator (visitors, sessions, orders...) is under 30 in either period.
    Grain: one row per KPI. Unit: ``value``, ``low``, ``high`` in the KPI's unit (rates as 0-1).
    Empty denominator: interval and p-value are null, with the reason in ``unavailable``.

    Columns: ``kpi``, ``test`` (``two_proportion_z`` or ``welch_t``), ``numerator``,
    ``denominator``, ``value``, ``comparison_*`` of the three, ``change``, ``low``, ``high``,
    ``comparison_low``, ``comparison_high``, ``statistic``, ``df``, ``p_value``, ``verdict``
    (``significant``, ``noise``, ``too_few`` or ``untested``), ``significant``, ``too_few``,
    ``unavailable``.
    """
    _need_compare(compare)
    client = as_client(data)
    kw = dict(start=start, end=end, compare=compare, channel=channel, device=device)
    rows = []
    attrs: dict = {}
    for kpi_id in kpis:
        df = compute(kpi_id, client, **kw)
        attrs = attrs or df.attrs
        row: dict[str, Any] = {"kpi": kpi_id, "test": None}
        if "unavailable" in df.attrs:
            row["unavailable"] = df.attrs["unavailable"]
        else:
            r = df.iloc[0]
            row.update({c: float(r[c]) for c in ("numerator", "denominator", "value", "comparison_numerator",
                                                  "comparison_denominator", "comparison_value", "change")})
            row.update(_mean_row(client, df, kw) if kpi_id == "average_order_value" else _proportion_row(df))
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("numerator", "denominator", "value", "comparison_numerator", "comparison_denominator",
                "comparison_value", "change", "statistic", "df", "p_value"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64") if col in out else np.nan
    for prefix in ("", "comparison_"):
        bounds = out.get(prefix + "interval", pd.Series([None] * len(out)))
        out[prefix + "low"] = [b[0] if isinstance(b, tuple) else np.nan for b in bounds]
        out[prefix + "high"] = [b[1] if isinstance(b, tuple) else np.nan for b in bounds]
    tested = out["test"].notna() if "test" in out else pd.Series(False, index=out.index)
    out["test"] = out["test"].astype(object).where(tested, None)
    out["verdict"] = [sig.verdict(None if pd.isna(p) else p, (d, c)) if t else None
                      for t, p, d, c in zip(tested, out["p_value"], out["denominator"], out["comparison_denominator"])]
    out["too_few"] = out["verdict"] == "too_few"
    out["significant"] = out["verdict"] == "significant"
    out["unavailable"] = out.get("unavailable", pd.Series(None, index=out.index)).astype(object)
    out["unavailable"] = out["unavailable"].where(out["unavailable"].notna(), None)
    columns = ["kpi", "test", "numerator", "denominator", "value", "comparison_numerator", "comparison_denominator",
               "comparison_value", "change", "low", "high", "comparison_low", "comparison_high", "statistic", "df",
               "p_value", "verdict", "significant", "too_few", "unavailable"]
    out = out[columns]
    out.attrs.update({k: attrs[k] for k in ("period", "comparison_period", "compare", "filters") if k in attrs})
    return out


# ----------------------------------------------------------------------------------------------
# The whole explanation (JSON) and the command line


def _number(value: Any) -> Any:
    """JSON-ready: None for NaN, integers as they are, floats to 12 significant digits."""
    value = nan_to_none(value)
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def _check_segments(client: Client, **segments: Any) -> None:
    """A channel or device filter must name a value of the client's sessions (as the notebooks'
    setup: a client without sessions has no segment to check, its KPIs say they cannot be split)."""
    problems = []
    for name, value in segments.items():
        if value is None or not client.has("sessions"):
            continue
        known = group_values(make_scope(client), name)
        for v in [value] if isinstance(value, str) else list(value):
            if v not in known:
                problems.append(Problem(f"{name} {v!r} is not in this client's sessions", column=name,
                                        expected=f"one of {', '.join(map(str, known)) or '(no sessions in the data)'}"))
    if problems:
        raise KpiInputError(problems)


def _revenue_json(dec: pd.DataFrame, unavailable: dict) -> dict | None:
    if pd.isna(dec.attrs["revenue"]):
        unavailable["revenue"] = dec.attrs["unavailable"]
        return None
    factors = {r.factor: {"value": _number(r.value), "previous": _number(r.comparison_value),
                          "relative_change": _number(r.relative_change)} for r in dec.itertuples()}
    effects = None
    if dec["effect"].notna().all():
        effects = {r.factor: _number(r.effect) for r in dec.itertuples()}
    else:
        unavailable["revenue.effects"] = dec.attrs["unavailable"]
    value, previous = dec.attrs["revenue"], dec.attrs["comparison_revenue"]
    return {"value": _number(value), "previous": _number(previous), "change": _number(value - previous),
            "relative_change": _number((value - previous) / previous) if previous > 0 else None,
            "factors": factors, "effects": effects}


def _contributions_json(df: pd.DataFrame, by: str, unavailable: dict) -> dict | None:
    if "unavailable" in df.attrs:
        unavailable[f"contributions.{by}"] = df.attrs["unavailable"]
        return None
    return {str(r[by]): {"revenue": _number(r["revenue_change"]), "orders": _number(r["orders_change"])}
            for _, r in df.iterrows()}


def _mix_json(mix: pd.DataFrame, unavailable: dict) -> dict | None:
    a = mix.attrs
    if pd.isna(a["value"]) and pd.isna(a["comparison_value"]):
        unavailable["conversion_rate"] = a["unavailable"]
        return None
    if "unavailable" in a:
        unavailable["conversion_rate.effects"] = a["unavailable"]
    return {"by": a["by"], **{k: _number(a[v]) for k, v in (
        ("value", "value"), ("previous", "comparison_value"), ("change", "change"), ("mix_effect", "mix_effect"),
        ("rate_effect", "rate_effect"), ("overlap_effect", "overlap_effect"))}}


def _tests_json(tests: pd.DataFrame, unavailable: dict) -> dict:
    out: dict[str, Any] = {}
    for r in tests.to_dict("records"):
        kpi_id = r["kpi"]
        if r["test"] is None:
            out[kpi_id] = None
            unavailable[f"tests.{kpi_id}"] = r["unavailable"]
            continue
        bounds = {name: ([_number(r[lo]), _number(r[hi])] if not pd.isna(r[lo]) else None)
                  for name, lo, hi in (("interval", "low", "high"), ("previous_interval", "comparison_low", "comparison_high"))}
        out[kpi_id] = {
            "value": _number(r["value"]), "previous": _number(r["comparison_value"]), "change": _number(r["change"]),
            **bounds, "test": r["test"], "statistic": _number(r["statistic"]), "p_value": _number(r["p_value"]),
            "significant": bool(r["significant"]), "too_few": bool(r["too_few"]), "verdict": r["verdict"],
            "numerator": _number(r["numerator"]), "denominator": _number(r["denominator"]),
            "previous_numerator": _number(r["comparison_numerator"]),
            "previous_denominator": _number(r["comparison_denominator"]),
        }
        if r["unavailable"]:
            unavailable[f"tests.{kpi_id}.p_value"] = r["unavailable"]
    return out


def explain(data: Any, *, start: Any = None, end: Any = None, compare: str = "previous_period",
            channel: str | None = None, device: str | None = None) -> dict:
    """What changed between the period and its comparison period, and why, as a JSON-ready dict.

    Without ``start`` and ``end`` the period is the last full calendar month in the data (as the
    scorecard's). Keys: ``client``, ``period``, ``comparison``, ``filters``, ``revenue`` (value,
    previous, change, the factors and their LMDI ``effects``), ``contributions`` (by channel and by
    device: each group's change of revenue and orders), ``conversion_rate`` (mix and rate effects
    by channel), ``tests`` (one per :data:`TESTED_KPIS`), ``summary`` (the paragraph in ``fr`` and
    ``en``) and ``unavailable`` (the reason of each null, by its path, such as ``revenue.effects``).
    A channel or device that the client's sessions do not have is a :class:`KpiInputError`
    (a client without sessions gets its KPIs null, with the reason, as in the scorecard).
    """
    from .commentary import summary
    from .labels import LANGUAGES
    from .scorecard import report_period

    client = as_client(data)
    _need_compare(compare)
    period = report_period(client, start=start, end=end)
    cperiod = comparison_period(period, compare)
    _check_segments(client, channel=channel, device=device)
    kw = dict(start=period.start, end=period.end, compare=compare, channel=channel, device=device)
    unavailable: dict[str, str] = {}
    card: dict[str, Any] = {
        "client": client.name,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "timezone": client.timezone},
        "comparison": {"compare": compare, "start": cperiod.start.isoformat(), "end": cperiod.end.isoformat()},
        "filters": {"channel": channel, "device": device},
        "revenue": _revenue_json(revenue_decomposition(client, **kw), unavailable),
        "contributions": {by: _contributions_json(change_contributions(client, by=by, **kw), by, unavailable)
                          for by in ("channel", "device")},
        "conversion_rate": _mix_json(conversion_mix(client, **kw), unavailable),
        "tests": _tests_json(change_tests(client, **kw), unavailable),
    }
    card["unavailable"] = unavailable  # the paragraph says why a part is missing
    card["summary"] = {lang: summary(card, language=lang, currency=client.settings.currency) for lang in LANGUAGES}
    card["unavailable"] = card.pop("unavailable")  # last, as in the README
    return card


def format_table(card: dict, currency: str = "EUR") -> str:
    """The explanation as readable plain text (English)."""
    from .labels import (format_kpi, format_number, format_p_value, format_percent, format_points, format_signed_money,
                         format_signed_number)
    from .scorecard import filters_line

    def money(v: Any) -> str:
        return format_signed_money(v, "en", currency, 2)

    p, c = card["period"], card["comparison"]
    lines = [f"{card['client']}  {p['start']} .. {p['end']} compared with {c['start']} .. {c['end']} ({c['compare']})"]
    lines += filters_line(card["filters"])
    rev = card["revenue"]
    lines.append("")
    if rev is None:
        lines.append(f"revenue: n/a ({card['unavailable'].get('revenue')})")
    else:
        lines.append(f"revenue  {format_kpi('revenue', rev['previous'], language='en', currency=currency)} -> "
                     f"{format_kpi('revenue', rev['value'], language='en', currency=currency)}  "
                     f"{money(rev['change'])} ({format_percent(rev['relative_change'], 'en', signed=True)})")
        for name, factor in rev["factors"].items():
            effect = money(rev["effects"][name]) if rev["effects"] else "n/a"
            lines.append(f"  effect of {name:<20} {effect:>14}   "
                         f"({format_kpi(name, factor['previous'], language='en', currency=currency)} -> "
                         f"{format_kpi(name, factor['value'], language='en', currency=currency)}, "
                         f"{format_percent(factor['relative_change'], 'en', signed=True)})")
        if rev["effects"] is None:
            lines.append(f"  ({card['unavailable'].get('revenue.effects')})")
    for by, groups in card["contributions"].items():
        lines.append("")
        if groups is None:
            lines.append(f"contributions by {by}: n/a ({card['unavailable'].get(f'contributions.{by}')})")
            continue
        lines.append(f"contributions by {by} to the change of revenue and orders:")
        for group, v in groups.items():
            lines.append(f"  {group:<18} {money(v['revenue']):>14} {format_signed_number(v['orders'], 'en'):>8} orders")
    cr = card["conversion_rate"]
    lines.append("")
    if cr is None:
        lines.append(f"conversion_rate: n/a ({card['unavailable'].get('conversion_rate')})")
    else:
        lines.append(f"conversion_rate  {format_percent(cr['previous'], 'en', 2)} -> {format_percent(cr['value'], 'en', 2)} "
                     f"({format_points(cr['change'], 'en', 2)}): mix effect {format_points(cr['mix_effect'], 'en', 2)}, "
                     f"rate effect {format_points(cr['rate_effect'], 'en', 2)}, "
                     f"visitors in several channels {format_points(cr['overlap_effect'], 'en', 2)} (by {cr['by']})")
    lines += ["", "tests (95% intervals; significant when p < 0.05, too few under 30 in either period):"]
    width = max(len(k) for k in card["tests"])
    for kpi_id, t in card["tests"].items():
        if t is None:
            lines.append(f"  {kpi_id:<{width}}  n/a ({card['unavailable'].get(f'tests.{kpi_id}')})")
            continue

        def shown(value: Any, bounds: Any) -> str:
            text = format_kpi(kpi_id, value, language="en", currency=currency)
            if bounds:
                text += f" [{format_kpi(kpi_id, bounds[0], language='en', currency=currency)}, " \
                        f"{format_kpi(kpi_id, bounds[1], language='en', currency=currency)}]"
            return text

        verdict = (t["verdict"] or "").replace("_", " ")
        lines.append(f"  {kpi_id:<{width}}  {shown(t['previous'], t['previous_interval'])} -> "
                     f"{shown(t['value'], t['interval'])}  {format_p_value(t['p_value'], 'en')}  {verdict}"
                     f"  (n = {format_number(t['previous_denominator'], 'en')} -> {format_number(t['denominator'], 'en')})")
    lines += ["", "summary (fr): " + card["summary"]["fr"], "", "summary (en): " + card["summary"]["en"]]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kpi explain", description="Explain the change of a client's KPIs from the comparison period: "
                                        "revenue effects, contributions by channel and device, significance.")
    parser.add_argument("client_dir")
    parser.add_argument("--start", help="first day, YYYY-MM-DD (default: the last full month in the data)")
    parser.add_argument("--end", help="last day, YYYY-MM-DD")
    parser.add_argument("--compare", choices=["previous_period", "previous_year"], default="previous_period",
                        help="the period to compare with (default: previous_period)")
    parser.add_argument("--channel", help="segment: only sessions (and their orders) of this channel")
    parser.add_argument("--device", help="segment: only sessions (and their orders) of this device")
    parser.add_argument("--format", choices=["json", "table"], default="json")
    args = parser.parse_args(argv)
    from .loading import load_client

    client = load_client(args.client_dir)
    card = explain(client, start=args.start, end=args.end, compare=args.compare, channel=args.channel,
                   device=args.device)
    if args.format == "json":
        json.dump(card, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_table(card, client.settings.currency))
    return 0
