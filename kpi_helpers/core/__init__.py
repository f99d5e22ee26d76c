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

SHARED_PARAMS = __doc__.split("Shared parameters (written once, reused in every KPI docstring through ``{params}``):\n\n")[1]

from .periods import Period, comparison_period, parse_date, resolve_period  # noqa: E402
from .registry import (KPIS, SEARCHES_REASON, VISITS_REASON, KpiDef, NotCovered, kpi, missing_table_reason,  # noqa: E402
                       unavailable_reason)
from .running import (agg, compute, group_values, median_from_counts, nan_to_none, parts, public,  # noqa: E402
                      segment_values_frame, segment_values_key)
from .scope import EXCLUDED_STATUSES, Scope, bucket, excluded_status, make_scope  # noqa: E402

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
