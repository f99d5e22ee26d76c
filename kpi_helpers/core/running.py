"""Running a KPI: aggregations, groups and time buckets filled, comparisons, :func:`compute` and :func:`public`."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from ..errors import KpiInputError, Problem
from ..loading import as_client
from ..results import remember, run
from .periods import FREQS, Period, comparison_period, resolve_period
from .registry import KPIS, KpiDef, NotCovered, unavailable_reason
from .scope import Scope, _as_list


def agg(t: ibis.Table, keys: Sequence[str], **metrics: Any) -> ibis.Table:
    """``t`` aggregated by ``keys`` (all rows when there are none)."""
    return t.group_by(list(keys)).aggregate(**metrics) if keys else t.aggregate(**metrics)


def parts(keys: Sequence[str], *tables: ibis.Table | pd.DataFrame) -> pd.DataFrame:
    """Execute aggregated parts (each with ``keys`` and some of numerator/denominator/...) and
    outer-merge them on ``keys``. A part may also be a DataFrame already computed. Each query runs
    once per client connection (:func:`kpi_helpers.results.run`)."""
    frames = [t if isinstance(t, pd.DataFrame) else run(t) for t in tables]
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=list(keys), how="outer") if keys else pd.concat([out, f], axis=1)
    return out


def median_from_counts(counts: pd.DataFrame, keys: Sequence[str], value: str, n: str) -> pd.DataFrame:
    """Per group of ``keys``, the median of ``value`` from a frame of (keys, value, count ``n``):
    ``numerator`` the median (the mean of the two middle values for an even count), ``denominator``
    the count it is taken over."""
    rows = []
    groups = counts.groupby(list(keys), dropna=False, sort=False) if keys else [((), counts)]
    for key, g in groups:
        g = g.sort_values(value)
        total = int(g[n].sum())
        if total == 0:
            continue
        cum = g[n].cumsum().to_numpy()
        values = g[value].to_numpy(dtype="float64")
        lower = values[np.searchsorted(cum, (total + 1) // 2)]  # the ((total + 1) // 2)-th value
        upper = values[np.searchsorted(cum, total // 2 + 1)]  # the (total // 2 + 1)-th value
        median = lower if total % 2 else (lower + upper) / 2
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,))), "numerator": median,
                     "denominator": float(total)})
    if not keys and not rows:  # no value at all: a null median over 0
        rows.append({"numerator": np.nan, "denominator": 0.0})
    return pd.DataFrame(rows, columns=[*keys, "numerator", "denominator"])


def group_values(scope: Scope, key: str) -> list[Any]:
    """All values of a breakdown key seen in the scope (so empty groups still get a row).

    The channels and the devices of a scope come from one query (their distinct pairs), run once
    per period and segment: they are kept by them (:func:`segment_values_key`), so asking again
    builds no query; the visitor counts of :mod:`kpi_helpers.traffic`, which find them on their
    way, keep them too."""
    if key in ("channel", "device") and scope.client.has("sessions"):
        values = remember(scope.client.con, segment_values_key(scope), lambda: segment_values_frame(
            run(scope.sessions().select("channel", "device").distinct())))
        return values.loc[values["key"] == key, "value"].tolist()
    return []


def segment_values_key(scope: Scope) -> tuple:
    """What the channels and devices of ``scope`` are kept under (:func:`group_values`)."""
    return ("segment values", scope.period, scope.channel, scope.device)


def segment_values_frame(pairs: pd.DataFrame) -> pd.DataFrame:
    """Columns ``key`` ("channel", "device") and ``value``: the sorted distinct values of each key
    of ``pairs`` (nulls left out)."""
    rows = [(k, v) for k in ("channel", "device")
            for v in sorted(v for v in dict.fromkeys(pairs[k].tolist()) if v is not None)]
    return pd.DataFrame(rows, columns=["key", "value"])


def _buckets(period: Period, freq: str, observed: Iterable[Any]) -> list[pd.Timestamp]:
    observed = [pd.Timestamp(v) for v in observed if v is not None and not pd.isna(v)]
    start = pd.Timestamp(period.start) if period.start else (min(observed) if observed else None)
    end = pd.Timestamp(period.end) if period.end else (max(observed) if observed else None)
    if start is None or end is None:
        return sorted(set(observed))
    pfreq = {"D": "D", "W": "W-MON", "M": "MS"}[freq]
    if freq == "W":
        start = start - pd.Timedelta(days=start.weekday())
    elif freq == "M":
        start = start.replace(day=1)
    return list(pd.date_range(start, end, freq=pfreq).astype("datetime64[ns]"))


def _finish(kdef: KpiDef, raw: pd.DataFrame, keys: list[str], scope: Scope) -> pd.DataFrame:
    """Fill empty groups/buckets, coerce types and add ``value``."""
    df = raw.copy()
    if "period_start" in df.columns:
        df["period_start"] = pd.to_datetime(df["period_start"]).astype("datetime64[ns]")
    grids = []
    for key in keys:
        if key == "period_start":
            grids.append(_buckets(scope.period, scope.freq, df.get("period_start", [])))
        else:
            seen = df[key].dropna().tolist() if key in df.columns else []
            values = list(dict.fromkeys([*group_values(scope, key), *sorted(seen, key=str)]))
            grids.append(values)
    if keys:
        index = (pd.MultiIndex.from_product(grids, names=keys) if len(keys) > 1
                 else pd.Index(grids[0], name=keys[0], dtype="datetime64[ns]" if keys[0] == "period_start" else object))
        df = df.set_index(keys).reindex(index).reset_index() if len(df) else pd.DataFrame(index=index).reset_index()
    for col in ("numerator", "denominator"):
        if col not in df.columns:
            df[col] = np.nan
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    if "value" in raw.columns:
        # KPIs whose value is not numerator / denominator (break-even CPA, ROI) give it themselves
        df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    elif kdef.kind in ("count", "amount"):
        df["numerator"] = df["numerator"].fillna(0.0)
        df["value"] = df["numerator"]
    elif kdef.kind in ("days", "visits"):
        # medians: numerator holds the median, denominator the number of orders it is taken over
        df["denominator"] = df["denominator"].fillna(0.0)
        df["value"] = df["numerator"].where(df["denominator"] > 0)
    else:
        df["numerator"] = df["numerator"].fillna(0.0)
        df["denominator"] = df["denominator"].fillna(0.0)
        den = df["denominator"]
        df["value"] = (df["numerator"] / den.where(den > 0)).astype("float64")
    extra = [c for c in df.columns if c not in (*keys, "numerator", "denominator", "value")]
    df = df[[*keys, "numerator", "denominator", "value", *extra]]
    if keys:
        df = df.sort_values(keys, key=lambda s: s.astype(str) if s.name != "period_start" else s, kind="stable").reset_index(drop=True)
    return df


def _empty(kdef: KpiDef, keys: list[str], reason: str) -> pd.DataFrame:
    df = pd.DataFrame({**{k: pd.Series(dtype=object) for k in keys},
                       "numerator": [np.nan] if not keys else pd.Series(dtype="float64"),
                       "denominator": [np.nan] if not keys else pd.Series(dtype="float64"),
                       "value": [np.nan] if not keys else pd.Series(dtype="float64")})
    df.attrs["unavailable"] = reason
    return df


def _keys(kdef: KpiDef, by: Any, freq: Any) -> list[str]:
    keys = []
    for b in _as_list(by) or []:
        if b not in kdef.by:
            raise KpiInputError(Problem(f"{kdef.id} cannot be broken down by {b!r}", column="by",
                                        expected=f"one of {', '.join(kdef.by) or 'nothing'}"))
        keys.append(b)
    if freq is not None:
        if freq not in FREQS:
            raise KpiInputError(Problem(f"invalid freq {freq!r}", column="freq", expected="'D', 'W' or 'M'"))
        keys.append("period_start")
    return keys


def compute(kpi_id: str, data: Any, *, start: Any = None, end: Any = None, channel: Any = None, device: Any = None,
            by: Any = None, freq: str | None = None, compare: str | None = None,
            margin_rate: float | None = None) -> pd.DataFrame:
    """Compute the registered KPI ``kpi_id`` (see the module docstring for the parameters)."""
    kdef = KPIS[kpi_id]
    client = as_client(data)
    period = resolve_period(start, end)
    margin = margin_rate if margin_rate is not None else client.settings.margin_rate
    if margin is not None and not 0 <= float(margin) <= 1:
        raise KpiInputError(Problem(f"invalid margin_rate {margin!r}", column="margin_rate", expected="a fraction between 0 and 1"))
    keys = _keys(kdef, by, freq)
    if compare is not None and freq is not None:
        raise KpiInputError(Problem("compare and freq cannot be combined", column="compare",
                                    expected="a comparison of totals or breakdowns, or a time series"))
    chan, dev = _as_list(channel), _as_list(device)
    reason = unavailable_reason(kdef, client, channel=chan, device=dev, margin_rate=margin)
    through_sessions = any(n.split(".")[0] in ("sessions", "orders", "carts", "searches") for n in kdef.needs)
    # a KPI on orders alone can be broken down without sessions: every order goes under "unknown"
    orders_only = {n.split(".")[0] for n in kdef.needs} == {"orders"}
    if any(k in ("channel", "device") for k in keys) and not client.has("sessions") and through_sessions and not orders_only:
        reason = reason or "breakdowns by channel or device need the sessions table"
    attrs = {"kpi": kpi_id, "period": period.as_dict(), "filters": {"channel": chan, "device": dev}}
    fn = kdef.fn
    if reason:
        from .. import aggregated  # the totals of aggregated tables (GA4 reports, Site Search reports)

        fn = aggregated.fallback(kpi_id, client) or fn
    if reason and fn is kdef.fn:
        out = _empty(kdef, keys, reason)
        out.attrs.update(attrs)
        return out
    scope = Scope(client, period, tuple(chan) if chan else None, tuple(dev) if dev else None,
                  FREQS.get(freq) if freq else None, float(margin) if margin is not None else None, tuple(keys))
    try:
        out = _finish(kdef, fn(scope, keys), keys, scope)
    except NotCovered as exc:  # aggregated rows that do not give this period (never prorated)
        out = _empty(kdef, keys, str(exc))
        out.attrs.update(attrs)
        return out
    if compare is not None:
        cperiod = comparison_period(period, compare)
        cscope = replace(scope, period=cperiod)
        try:
            prev = _finish(kdef, fn(cscope, keys), keys, cscope)
        except NotCovered as exc:
            prev = _empty(kdef, keys, str(exc)) if not keys else out[keys].assign(numerator=np.nan, denominator=np.nan,
                                                                                   value=np.nan)
            attrs["comparison_unavailable"] = str(exc)
        prev = prev.rename(columns={c: f"comparison_{c}" for c in ("numerator", "denominator", "value")})
        cols = ["comparison_numerator", "comparison_denominator", "comparison_value"]
        if keys:
            out = out.merge(prev[[*keys, *cols]], on=keys, how="outer", indicator=True)
            for prefix, side in (("", "right_only"), ("comparison_", "left_only")):
                missing = out["_merge"] == side  # a group seen in one period only: zero in the other
                out.loc[missing, prefix + "numerator"] = 0.0
                if kdef.kind not in ("count", "amount"):
                    out.loc[missing, prefix + "denominator"] = 0.0
                out.loc[missing, prefix + "value"] = 0.0 if kdef.kind in ("count", "amount") else np.nan
            out = out.drop(columns="_merge")
            out = out.sort_values(keys, key=lambda c: c.astype(str), kind="stable").reset_index(drop=True)
        else:
            out = pd.concat([out, prev[cols]], axis=1)
        out["change"] = out["value"] - out["comparison_value"]
        cv = out["comparison_value"]
        out["relative_change"] = np.where((cv != 0) & cv.notna(), out["change"] / cv.where(cv != 0, 1.0), np.nan)
        attrs["comparison_period"] = cperiod.as_dict()
        attrs["compare"] = compare
    out.attrs.update(attrs)
    return out


def public(kpi_id: str, summary: str, formula: str, grain: str, unit: str, empty: str, reference: str) -> Callable[..., pd.DataFrame]:
    """The public function of a registered KPI, with a docstring stating formula, grain, unit,
    the empty-denominator rule and the reference definition."""

    def fn(data: Any, *, start: Any = None, end: Any = None, channel: Any = None, device: Any = None,
           by: Any = None, freq: str | None = None, compare: str | None = None, **options: Any) -> pd.DataFrame:
        return compute(kpi_id, data, start=start, end=end, channel=channel, device=device, by=by, freq=freq,
                       compare=compare, **options)

    fn.__name__ = fn.__qualname__ = kpi_id
    from . import SHARED_PARAMS  # the package docstring's shared parameters

    fn.__doc__ = (f"{summary}\n\nFormula: {formula}\nGrain: {grain}\nUnit: {unit}\n"
                  f"Empty denominator: {empty}\nReference: {reference}\n"
                  f"KPI id: ``{kpi_id}``\n\nParameters\n----------\n{SHARED_PARAMS}")
    return fn


def nan_to_none(value: Any) -> Any:
    """JSON-friendly scalar: NaN and NA become None, numpy numbers become Python numbers."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
