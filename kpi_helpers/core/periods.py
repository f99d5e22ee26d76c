"""Periods: parsing dates, the period of a KPI, the comparison period (previous period, previous year)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import KpiInputError, Problem

FREQS = {"D": "D", "W": "W", "M": "M", "day": "D", "week": "W", "month": "M"}
COMPARES = ("previous_period", "previous_year")


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
