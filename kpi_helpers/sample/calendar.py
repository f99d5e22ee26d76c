"""The sample's calendar: local days, French holidays and sales, traffic weights, time zones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .profiles import CHANNELS, _CH

__all__ = ["_Calendar", "_epoch", "_wall_to_utc", "_utc_to_wall"]


def _wall_to_utc(wall: np.ndarray, fold: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds (as if UTC) to UTC seconds; gap times move one hour later."""
    if len(wall) == 0:
        return wall.astype(np.int64)
    idx = pd.DatetimeIndex(wall.astype("datetime64[s]"))
    loc = idx.tz_localize(tz, ambiguous=~fold.astype(bool), nonexistent=pd.Timedelta(hours=1))
    return loc.as_unit("s").asi8


def _utc_to_wall(utc: np.ndarray, tz: str) -> np.ndarray:
    """UTC seconds to local wall-clock seconds."""
    if len(utc) == 0:
        return utc.astype(np.int64)
    idx = pd.DatetimeIndex(utc.astype("datetime64[s]")).tz_localize("UTC").tz_convert(tz)
    return idx.tz_localize(None).as_unit("s").asi8


def _epoch(day: dt.date) -> int:
    """Seconds from 1970-01-01 to the start of ``day`` (a wall-clock value, no timezone)."""
    return (day - dt.date(1970, 1, 1)).days * 86400


# ----------------------------------------------------------------------------------------------
# Calendar


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """n-th (1-based; -1 = last) given weekday (0 = Monday) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _french_calendar(year: int) -> dict[str, Any]:
    """Key dates of a French commercial year."""
    easter = _easter(year)
    holidays = {dt.date(year, m, d) for m, d in ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))}
    holidays |= {easter + dt.timedelta(days=n) for n in (1, 39, 50)}
    mothers = _nth_weekday(year, 5, 6, -1)
    if mothers == easter + dt.timedelta(days=49):
        mothers += dt.timedelta(days=7)
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    # Code de commerce: second Wednesday of January (the first if the second is after the 12th),
    # last Wednesday of June (the one before if the last is after the 28th); four weeks each.
    winter = _nth_weekday(year, 1, 2, 2)
    if winter.day > 12:
        winter -= dt.timedelta(days=7)
    summer = _nth_weekday(year, 6, 2, -1)
    if summer.day > 28:
        summer -= dt.timedelta(days=7)
    return {
        "holidays": holidays,
        "bridges": {easter + dt.timedelta(days=40)},  # Friday after Ascension
        "soldes_winter": winter,
        "soldes_summer": summer,
        "black_friday": thanksgiving + dt.timedelta(days=1),
        "mothers_day": mothers,
    }


class _Calendar:
    """Per-day arrays of a profile over [start, end]: traffic weights, flags, multipliers."""

    def __init__(self, profile: dict, start: dt.date, end: dt.date, rng: np.random.Generator):
        n = (end - start).days + 1
        self.start, self.end, self.n = start, end, n
        self.dates = [start + dt.timedelta(days=i) for i in range(n)]
        self.dow = np.array([d.weekday() for d in self.dates])
        self.month = np.array([d.month for d in self.dates])
        years = range(start.year - 1, end.year + 2)
        cal = {y: _french_calendar(y) for y in years}
        f = {k: np.zeros(n, bool) for k in (
            "holiday", "bridge", "soldes", "soldes_open", "soldes_week1", "soldes_late", "black_friday_day",
            "black_friday_week", "cyber_monday", "christmas", "christmas_eve", "christmas_day", "new_year",
            "fete_des_meres", "rentree", "year_end_break", "winter", "outage")}
        for i, d in enumerate(self.dates):
            c = cal[d.year]
            f["holiday"][i] = d in c["holidays"]
            f["bridge"][i] = d in c["bridges"]
            for s in (c["soldes_winter"], c["soldes_summer"]):
                k = (d - s).days
                if 0 <= k < 28:
                    f["soldes"][i] = True
                    f["soldes_open"][i] = k < 3
                    f["soldes_week1"][i] = 3 <= k < 7
                    f["soldes_late"][i] = k >= 14
            k = (d - c["black_friday"]).days
            f["black_friday_day"][i] = k == 0
            f["cyber_monday"][i] = k == 3
            f["black_friday_week"][i] = -4 <= k <= 3
            f["christmas"][i] = d.month == 12 and 1 <= d.day <= 20 and not -4 <= k <= 3
            f["christmas_eve"][i] = (d.month, d.day) in ((12, 24), (12, 31))
            f["christmas_day"][i] = (d.month, d.day) == (12, 25)
            f["new_year"][i] = (d.month, d.day) == (1, 1)
            f["fete_des_meres"][i] = 0 < (c["mothers_day"] - d).days <= 10
            f["rentree"][i] = (d.month == 8 and d.day >= 21) or (d.month == 9 and d.day <= 15)
            f["year_end_break"][i] = (d.month == 12 and d.day >= 22) or (d.month == 1 and d.day <= 2)
            f["winter"][i] = d.month in (10, 11, 12, 1, 2)
        for o in profile.get("outages", ()):
            od = dt.date.fromisoformat(o)
            if start <= od <= end:
                f["outage"][(od - start).days] = True
        f["not_winter"] = ~f["winter"]
        f["always"] = np.ones(n, bool)
        self.flags = f
        if profile["kind"] == "web":
            self._traffic(profile, rng)

    def _traffic(self, p: dict, rng: np.random.Generator) -> None:
        """Daily traffic weights, channel multipliers, cart multipliers, discounts, newsletters, forced cases."""
        n, f, ev = self.n, self.flags, p["events"]
        doy = np.array([d.timetuple().tm_yday for d in self.dates], float)
        anchors_x = np.array([dt.date(2001, m, 15).timetuple().tm_yday for m in range(1, 13)], float)
        ax = np.concatenate([anchors_x - 365, anchors_x, anchors_x + 365])
        ay = np.tile(np.array(p["month_factors"], float), 3)
        w = np.interp(doy, ax, ay)
        years = np.arange(n) / 365.25
        w *= (1 + p["growth_per_year"]) ** years
        w *= np.array(p["weekday_factors"])[self.dow]
        for key in ("holiday", "bridge", "soldes_open", "soldes_week1", "black_friday_week", "christmas",
                    "christmas_eve", "christmas_day", "new_year", "fete_des_meres", "rentree", "year_end_break"):
            w[f[key]] *= ev[key]
        w[f["soldes"] & ~f["soldes_open"] & ~f["soldes_week1"]] *= ev["soldes"]
        w[f["black_friday_day"]] *= ev["black_friday_day"] / ev["black_friday_week"]
        w[f["cyber_monday"]] *= ev["cyber_monday"] / ev["black_friday_week"]
        w *= rng.lognormal(0.0, ev["noise"], n)
        self.press = np.zeros(n, bool)
        if ev["press_days"]:
            self.press[rng.choice(n, size=min(ev["press_days"], n), replace=False)] = True
            w[self.press] *= 1.35
        w[f["outage"]] = 0.0
        self.weights = w
        # channel multipliers per day
        cm = np.ones((n, len(CHANNELS)))
        send = np.isin(self.dow, p["newsletter"]["weekdays"]) | f["soldes_open"] | f["black_friday_day"]
        since = np.full(n, 99)
        last = -99
        for i in range(n):
            if send[i]:
                last = i
            since[i] = i - last
        cm[:, _CH["email"]] = np.select([since == 0, since == 1, since == 2], [2.6, 1.35, 0.9], 0.5)
        promo = f["soldes"] | f["black_friday_week"]
        cm[promo, _CH["paid_search"]] *= 1.4
        cm[f["black_friday_week"], _CH["paid_search"]] *= 1.3
        cm[promo | f["christmas"] | f["fete_des_meres"], _CH["paid_social"]] *= 1.5
        cm[promo, _CH["affiliate"]] *= 1.8
        cm[promo, _CH["display"]] *= 1.4
        cm[f["christmas"], _CH["price_comparator"]] *= 1.2
        cm[f["rentree"], _CH["paid_search"]] *= 1.3
        cm[:, _CH["organic_social"]] *= 1 + 0.3 * years
        cm[self.press, _CH["referral"]] *= 10
        self.channel_mult = cm
        self.cart_mult = np.ones(n)
        self.cart_mult[f["soldes_open"] | f["soldes_week1"]] = 1.35 if p["site"] == "fashion" else 1.0
        self.cart_mult[f["soldes"] & ~(f["soldes_open"] | f["soldes_week1"])] = 1.15 if p["site"] == "fashion" else 1.0
        self.cart_mult[f["black_friday_week"]] = 1.3 if p["site"] == "fashion" else 1.15
        self.cart_mult[f["black_friday_day"]] = 1.7 if p["site"] == "fashion" else 1.25
        self.cart_mult[f["christmas"]] *= 1.15 if p["site"] == "fashion" else 1.0
        self.cart_mult[f["rentree"]] *= 1.15 if p["site"] == "b2b" else 1.0
        disc = np.zeros(n)
        for key, rate in p["discounts"].items():
            disc[f[key]] = rate
        self.discount = disc
        self.free_shipping = np.zeros(n, bool)
        for key in p["free_shipping_days"]:
            self.free_shipping |= f[key]
        # newsletter campaign of each day: the last send on or before it
        nl = p["newsletter"]
        names = []
        last_send = None
        for i, d in enumerate(self.dates):
            if send[i] or last_send is None:
                s = d
                if not send[i]:
                    while s.weekday() not in nl["weekdays"]:
                        s -= dt.timedelta(days=1)
                j = (s - self.start).days
                flag = (lambda k: 0 <= j < n and f[k][j])
                theme = ("soldes" if flag("soldes") else "black-friday" if flag("black_friday_week") else
                         "noel" if flag("christmas") else "rentree" if flag("rentree") else
                         "fete-des-meres" if p["site"] == "fashion" and flag("fete_des_meres") else
                         nl["themes"][s.isocalendar()[1] % len(nl["themes"])])
                if p["site"] == "fashion" and theme == "black-friday":
                    theme = "black_friday"
                last_send = nl["name"].format(date=s, theme=theme)
            names.append(last_send)
        self.newsletter = names
        # deliberate timezone cases: (wall seconds of day, fold, force an order, order delay range in s)
        self.forced: dict[int, list[tuple[int, int, bool, tuple[int, int]]]] = {}
        for i, d in enumerate(self.dates):
            cases = []
            if (d + dt.timedelta(days=1)).day == 1 and i + 1 < n and not f["outage"][i + 1]:
                before = 23 * 3600 + 25 * 60 + int(rng.integers(0, 600))  # ordered before midnight
                cases.append((before, 0, True, (300, 86400 - before - 60)))
                across = 23 * 3600 + 50 * 60 + int(rng.integers(0, 420))  # ordered after midnight
                cases.append((across, 0, True, (86400 - across + 60, 86400 - across + 900)))
            if d.day == 1 and i > 0:
                cases.append((int(rng.integers(60, 1500)), 0, True, (300, 1200)))
            tz_dst = _dst_change(d, p["timezone"])
            if tz_dst == "spring":
                cases += [(1 * 3600 + 50 * 60 + int(rng.integers(0, 540)), 0, True, (600, 1200)),
                          (3 * 3600 + int(rng.integers(0, 1800)), 0, False, (0, 0)),
                          (1 * 3600 + int(rng.integers(0, 1800)), 0, False, (0, 0))]
            elif tz_dst == "autumn":
                cases += [(2 * 3600 + int(rng.integers(0, 1800)), 0, True, (900, 1800)),
                          (2 * 3600 + 1800 + int(rng.integers(0, 1700)), 1, True, (600, 1200)),
                          (1 * 3600 + 50 * 60 + int(rng.integers(0, 540)), 0, False, (0, 0))]
            if cases and not f["outage"][i]:
                self.forced[i] = cases


def _dst_change(day: dt.date, tz: str) -> str | None:
    """'spring' or 'autumn' when the UTC offset changes during ``day`` in ``tz``."""
    import zoneinfo

    z = zoneinfo.ZoneInfo(tz)
    a = dt.datetime(day.year, day.month, day.day, 0, 30, tzinfo=z).utcoffset()
    b = dt.datetime(day.year, day.month, day.day, 23, 30, tzinfo=z).utcoffset()
    if a == b:
        return None
    return "spring" if b > a else "autumn"


# ----------------------------------------------------------------------------------------------
