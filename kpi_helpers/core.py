"""The machinery every KPI shares: periods, segment filters, breakdowns, time series, comparisons.

A KPI is declared once with :func:`kpi`: an id, the tables (and columns) it needs, and a function
that, given a :class:`Scope` and group keys, returns the KPI's numerator and denominator per group
as a small pandas DataFrame. The aggregation runs in DuckDB through Ibis; only the aggregated
rows come back. :func:`compute` then adds the ``value`` column, fills groups and time buckets
that have no rows (a day without traffic is a row of zeros, never a missing row), and adds the
comparison period.

Shared parameters (written once, reused in every KPI docstring through ``{params}``):

data
    A :class:`~kpi_helpers.loading.Client`, a client folder, or a dict of pandas DataFrames /
    Ibis tables named as in the data contract.
start, end
    First and last day of the period (``"2024-03-01"``, ``datetime.date``), both inclusive, in
    the client's timezone. None: from the first / to the last day in the data.
channel, device
    Segment filters (a value or a list of values). They restrict sessions, and orders, carts and
    searches through the session they happened in; ad spend follows ``channel``.
by
    A breakdown: ``"channel"`` or ``"device"`` (social KPIs: ``"platform"`` or ``"format"``).
    Each group's value is the KPI with that segment filter.
freq
    ``"D"``, ``"W"`` or ``"M"``: a time series, one row per day, ISO week (Monday) or month, in
    the client's timezone; buckets without data are present with zero counts and null rates.
compare
    ``"previous_period"`` (the same number of days just before), ``"previous_year"`` (the same
    dates one year earlier) or None. Adds ``comparison_*`` columns, ``change`` (absolute) and
    ``relative_change`` (change / comparison value; null when the comparison value is 0 or null).

Returns a tidy DataFrame: the group columns, then ``numerator``, ``denominator`` and ``value``
(for a count, ``value`` is the count and ``denominator`` is null). ``df.attrs`` holds ``kpi``,
``period`` and, when the KPI cannot be computed, ``unavailable`` (the reason; ``value`` is null).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from .contract import LOCAL_DATE
from .errors import KpiInputError, Problem
from .loading import Client, as_client
from .results import remember, results_of, run

__all__ = [
    "KPIS",
    "agg",
    "parts",
    "group_values",
    "segment_values_key",
    "segment_values_frame",
    "bucket",
    "median_from_counts",
    "public",
    "nan_to_none",
    "KpiDef",
    "Period",
    "Scope",
    "compute",
    "kpi",
    "parse_date",
    "make_scope",
    "resolve_period",
    "comparison_period",
    "unavailable_reason",
    "missing_table_reason",
    "NotCovered",
    "VISITS_REASON",
    "SEARCHES_REASON",
    "excluded_status",
    "EXCLUDED_STATUSES",
    "SHARED_PARAMS",
]

SHARED_PARAMS = __doc__.split("Shared parameters (written once, reused in every KPI docstring through ``{params}``):\n\n")[1]

#: Order statuses left out of every KPI (compared lower-cased and trimmed). The contract names
#: ``cancelled`` and ``refunded``; the US spelling and the French words of shop exports are the same.
EXCLUDED_STATUSES = ("cancelled", "canceled", "refunded", "annulé", "annulée", "annule", "annulee",
                     "remboursé", "remboursée", "rembourse", "remboursee")

def dt_type_utc() -> "ibis.expr.datatypes.DataType":
    return ibis.dtype("timestamp('UTC')")


FREQS = {"D": "D", "W": "W", "M": "M", "day": "D", "week": "W", "month": "M"}
COMPARES = ("previous_period", "previous_year")


# ----------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """Inclusive local dates; either bound may be None (open)."""

    start: dt.date | None
    end: dt.date | None

    @property
    def days(self) -> int | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, str | None]:
        return {"start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None}


def parse_date(value: Any, *, name: str = "date") -> dt.date | None:
    """A date from ``"2024-03-01"``, a ``date``/``datetime``/``Timestamp``, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise KpiInputError(Problem(f"invalid {name} {value!r}", column=name, expected="an ISO date such as 2024-03-01")) from None


def resolve_period(start: Any = None, end: Any = None) -> Period:
    s, e = parse_date(start, name="start"), parse_date(end, name="end")
    if s and e and s > e:
        raise KpiInputError(Problem(f"start {s} is after end {e}", column="start", expected="start <= end"))
    return Period(s, e)


def _minus_year(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def comparison_period(period: Period, compare: str) -> Period:
    """The period to compare with: ``previous_period`` or ``previous_year``."""
    if compare not in COMPARES:
        raise KpiInputError(Problem(f"invalid compare {compare!r}", column="compare", expected=f"one of {', '.join(COMPARES)} or None"))
    if period.start is None or period.end is None:
        raise KpiInputError(Problem("a comparison needs a start and an end date", column="compare"))
    if compare == "previous_year":
        return Period(_minus_year(period.start), _minus_year(period.end))
    length = dt.timedelta(days=period.days)
    return Period(period.start - length, period.end - length)


# ----------------------------------------------------------------------------------------------
# Scope: the client's tables restricted to a period and a segment


def _as_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    values = [str(v) for v in value]
    return values or None


def excluded_status(status: ibis.Value) -> ibis.Value:
    """True for cancelled/refunded orders (null status: not excluded)."""
    return status.strip().lower().isin(EXCLUDED_STATUSES).fill_null(False)


def bucket(date: ibis.Value, freq: str) -> ibis.Value:
    """``date`` itself (freq D), or the Monday of its ISO week (W) or the first of its month (M)."""
    return date if freq == "D" else date.truncate(freq)


@dataclass(frozen=True)
class Scope:
    """A client, a period and a segment: the tables every KPI reads, already restricted."""

    client: Client
    period: Period
    channel: tuple[str, ...] | None = None
    device: tuple[str, ...] | None = None
    freq: str | None = None
    margin_rate: float | None = None
    keys: tuple[str, ...] = ()  # the breakdown keys of the computation

    @property
    def segmented(self) -> bool:
        return bool(self.channel or self.device)

    @property
    def needs_session_attributes(self) -> bool:
        """Whether carts/searches must get channel and device from their session."""
        return self.segmented or any(k in ("channel", "device") for k in self.keys)

    # -- helpers
    def _local_midnight(self, day: dt.date) -> ibis.Value:
        """The instant a local day starts in the client's timezone, as a UTC timestamp literal."""
        tz = zoneinfo.ZoneInfo(self.client.timezone)
        instant = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
        return ibis.literal(pd.Timestamp(instant), type=dt_type_utc())

    def in_period(self, ts: ibis.Value) -> ibis.Value:
        """Local date of ``ts`` within the period, both ends inclusive.

        Timestamps are compared with the instants of local midnights (``start`` 00:00 and the
        day after ``end`` 00:00 in the client's timezone): the same rows as comparing local dates,
        without a cast per row, so DuckDB can skip Parquet row groups by their statistics.
        """
        conds = []
        if ts.type().is_timestamp():
            if self.period.start is not None:
                conds.append(ts >= self._local_midnight(self.period.start))
            if self.period.end is not None:
                conds.append(ts < self._local_midnight(self.period.end + dt.timedelta(days=1)))
        else:
            if self.period.start is not None:
                conds.append(ts >= ibis.date(self.period.start))
            if self.period.end is not None:
                conds.append(ts <= ibis.date(self.period.end))
        return ibis.and_(*conds) if conds else ibis.literal(True)

    def _segment(self, t: ibis.Table) -> ibis.Table:
        if self.channel:
            t = t.filter(t.channel.isin(self.channel))
        if self.device:
            t = t.filter(t.device.isin(self.device))
        return t

    def _with_bucket(self, t: ibis.Table, ts_col: str) -> ibis.Table:
        """``t`` with ``period_start``, the day, week or month of its local date (``freq``)."""
        if self.freq:
            t = t.mutate(period_start=bucket(t[LOCAL_DATE], self.freq))
        return t

    # -- sessions
    def all_sessions(self) -> ibis.Table:
        """Every session, all history, no segment filter."""
        return self.client.table("sessions")

    def sessions(self) -> ibis.Table:
        """Sessions of the period and segment (with ``period_start`` when ``freq`` is set)."""
        s = self.all_sessions()
        s = self._segment(s.filter(self.in_period(s.started_at)))
        return self._with_bucket(s, "started_at")

    # -- orders
    def all_orders(self, *, session_attributes: bool | None = None) -> ibis.Table:
        """Valid orders (not cancelled/refunded) of all history with the attributes of their session:
        ``channel``, ``device`` (``unknown`` without a session), ``buyer_visitor``
        (``orders.visitor_id``, else the session's visitor), ``session_visitor``,
        ``session_started_at`` and ``session_local_date``.

        The join with the sessions is made only when needed: ``session_attributes=True``, or (by
        default) when a segment filter or a channel/device breakdown is in force; otherwise
        ``channel`` and ``device`` are ``unknown`` and ``buyer_visitor`` is ``orders.visitor_id``.
        """
        need = self.needs_session_attributes if session_attributes is None else session_attributes
        if need and self.client.has("sessions"):
            # orders are few and sessions many: the join is made once per client connection and
            # kept as a small temporary table that every later query reads
            results = results_of(self.client.con)
            if results is None:
                return self._orders_with_sessions()
            return results.table("orders_with_sessions", self._orders_with_sessions)
        o = self.client.table("orders")
        o = o.filter(~excluded_status(o.status))
        return o.mutate(channel=ibis.literal("unknown"), device=ibis.literal("unknown"), buyer_visitor=o.visitor_id,
                        session_visitor=ibis.null("string"), session_started_at=ibis.null(o.ordered_at.type()),
                        session_local_date=ibis.null("date"))

    def _orders_with_sessions(self) -> ibis.Table:
        o = self.client.table("orders")
        o = o.filter(~excluded_status(o.status))
        s = self.all_sessions().select(
            _sid=lambda t: t.session_id, _channel=lambda t: t.channel, _device=lambda t: t.device,
            _visitor=lambda t: t.visitor_id, session_started_at=lambda t: t.started_at,
            session_local_date=lambda t: t[LOCAL_DATE],
        )
        o = o.left_join(s, o.session_id == s._sid)
        return o.mutate(
            channel=o._channel.fill_null("unknown"),
            device=o._device.fill_null("unknown"),
            buyer_visitor=o.visitor_id.fill_null(o._visitor),
            session_visitor=o._visitor,
        ).drop("_sid", "_channel", "_device", "_visitor")

    def orders(self, *, session_attributes: bool | None = None) -> ibis.Table:
        """Valid orders of the period and segment (segment through the order's session)."""
        o = self.all_orders(session_attributes=session_attributes)
        o = self._segment(o.filter(self.in_period(o.ordered_at)))
        return self._with_bucket(o, "ordered_at")

    # -- carts and searches (segment through their session)
    def _through_session(self, t: ibis.Table) -> ibis.Table:
        if self.client.has("sessions"):
            s = self.all_sessions().select(_sid=lambda x: x.session_id, _channel=lambda x: x.channel,
                                           _device=lambda x: x.device)
            t = t.left_join(s, t.session_id == s._sid)
            t = t.mutate(channel=t._channel.fill_null("unknown"), device=t._device.fill_null("unknown"))
            return t.drop("_sid", "_channel", "_device")
        return t.mutate(channel=ibis.literal("unknown"), device=ibis.literal("unknown"))

    def carts(self) -> ibis.Table:
        c = self.client.table("carts")
        c = c.filter(self.in_period(c.created_at))
        if self.needs_session_attributes:
            c = self._segment(self._through_session(c))
        return self._with_bucket(c, "created_at")

    def searches(self) -> ibis.Table:
        q = self.client.table("searches")
        q = q.filter(self.in_period(q.searched_at))
        if self.needs_session_attributes:
            q = self._segment(self._through_session(q))
        return self._with_bucket(q, "searched_at")

    def ad_spend(self) -> ibis.Table:
        a = self.client.table("ad_spend")
        a = a.filter(self.in_period(a.date))
        if self.channel:
            a = a.filter(a.channel.isin(self.channel))
        return self._with_bucket(a, "date")

    def posts(self) -> ibis.Table:
        p = self.client.table("social_posts")
        p = p.filter(self.in_period(p.published_at))
        return self._with_bucket(p, "published_at")


def make_scope(client: Client, *, start: Any = None, end: Any = None, channel: Any = None,
               device: Any = None) -> Scope:
    """A :class:`Scope` from a helper's raw keyword arguments (dates as text, a value or a list)."""
    chan, dev = _as_list(channel), _as_list(device)
    return Scope(client, resolve_period(start, end), tuple(chan) if chan else None, tuple(dev) if dev else None)


# ----------------------------------------------------------------------------------------------
# KPI registry


@dataclass(frozen=True)
class KpiDef:
    id: str
    needs: tuple[str, ...]  # "table" or "table.column"
    fn: Callable[[Scope, list[str]], pd.DataFrame]
    kind: str = "rate"  # rate | count | amount | ratio | days | visits | money
    by: tuple[str, ...] = ("channel", "device")
    segmentable: bool = True  # False: a channel/device filter makes it unavailable
    device_filter: bool = True  # False: a device filter makes it unavailable (ad spend)
    needs_margin: bool = False
    any_of: tuple[tuple[str, ...], ...] = ()  # at least one column of each group must be provided
    doc: str = ""


KPIS: dict[str, KpiDef] = {}


def kpi(id: str, *, needs: Sequence[str], kind: str = "rate", by: Sequence[str] = ("channel", "device"),
        segmentable: bool = True, device_filter: bool = True, needs_margin: bool = False,
        any_of: Sequence[Sequence[str]] = ()) -> Callable:
    """Register the computation of KPI ``id`` (decorator)."""

    def register(fn: Callable[[Scope, list[str]], pd.DataFrame]) -> Callable:
        KPIS[id] = KpiDef(id, tuple(needs), fn, kind, tuple(by), segmentable, device_filter, needs_margin,
                          tuple(tuple(g) for g in any_of), fn.__doc__ or "")
        return fn

    return register


_TABLE_WORDS = {"sessions": "sessions", "orders": "orders", "carts": "carts", "ad_spend": "ad_spend",
                "social_posts": "social_posts", "searches": "searches"}


#: Why a KPI that needs visits or visitors is null for a folder with aggregated traffic only.
VISITS_REASON = ("sessions table not provided: the traffic table holds totals (GA4 report downloads), not visits; "
                 "visitors and visits come from GA4's BigQuery export (events_*) or Matomo's visits log "
                 "(Live.getLastVisitsDetails)")
#: The same for searches when the folder has the Site Search reports only.
SEARCHES_REASON = ("searches table not provided: the search_terms table holds Site Search totals per keyword, not "
                   "searches per visit; those come from Matomo's visits log (Live.getLastVisitsDetails) or GA4's "
                   "BigQuery export")


def missing_table_reason(table: str, client: Client) -> str:
    """``"<table> table not provided"``, with the export that would give it when the folder has
    only the aggregated twin of the table (traffic for sessions, search_terms for searches)."""
    if table == "sessions" and client.has("traffic"):
        return VISITS_REASON
    if table == "searches" and client.has("search_terms"):
        return SEARCHES_REASON
    return f"{table} table not provided"


class NotCovered(Exception):
    """Aggregated rows (report totals) that do not give the asked period; the message is the reason."""


def unavailable_reason(kdef: KpiDef, client: Client, *, channel=None, device=None, margin_rate=None) -> str | None:
    """Why ``kdef`` cannot be computed for this client and these filters (None when it can)."""
    for need in kdef.needs:
        table, _, column = need.partition(".")
        if not client.has(table):
            return missing_table_reason(table, client)
        if column and not client.has(table, column):
            return f"{table}.{column} column not provided"
    for group in kdef.any_of:
        table = group[0].split(".")[0]
        if client.has(table) and not any(client.has(*c.split(".")) for c in group):
            cols = " or ".join(c.split(".")[1] for c in group)
            return f"{table} has no {cols} column"
    if (channel or device) and not kdef.segmentable:
        return "not split by channel or device"
    if device and not kdef.device_filter:
        return "ad spend is not split by device"
    if (channel or device) and not client.has("sessions") and any(n.split(".")[0] in ("orders", "carts", "searches") for n in kdef.needs):
        return "segment filters need the sessions table"
    if kdef.needs_margin and margin_rate is None:
        return "margin_rate not set (client.yml or --margin-rate)"
    return None


# ----------------------------------------------------------------------------------------------
# Running a KPI


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
        from . import aggregated  # the totals of aggregated tables (GA4 reports, Site Search reports)

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
