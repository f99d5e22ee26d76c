"""The client's tables restricted to a period and a segment (channel, device): :class:`Scope`."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from ..contract import LOCAL_DATE
from ..loading import Client
from ..results import results_of
from .periods import Period, resolve_period

#: Order statuses left out of every KPI (compared lower-cased and trimmed). The contract names
#: ``cancelled`` and ``refunded``; the US spelling and the French words of shop exports are the same.
EXCLUDED_STATUSES = ("cancelled", "canceled", "refunded", "annulé", "annulée", "annule", "annulee",
                     "remboursé", "remboursée", "rembourse", "remboursee")


def dt_type_utc() -> "ibis.expr.datatypes.DataType":
    return ibis.dtype("timestamp('UTC')")


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
        return self._of_sessions("carts", "created_at")

    def searches(self) -> ibis.Table:
        return self._of_sessions("searches", "searched_at")

    def _of_sessions(self, table: str, time_column: str) -> ibis.Table:
        """A table whose rows happened in a session (carts, searches): the period's rows, segmented
        through their session when a filter or a breakdown needs its channel or device."""
        t = self.client.table(table)
        t = t.filter(self.in_period(t[time_column]))
        if self.needs_session_attributes:
            t = self._segment(self._through_session(t))
        return self._with_bucket(t, time_column)

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
