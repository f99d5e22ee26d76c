"""An independent pandas implementation of the scorecard, written from the spec only.

``shared/spec/kpis.md`` (KPI ids, formulas, breakdowns) and ``shared/spec/data-contract.md``
(client folder) are the only sources; nothing from ``kpi_helpers`` is imported. The kit computes
in DuckDB through Ibis; this module recomputes every headline KPI and every breakdown row by row
in pandas, so that tests/test_realdata_scorecard.py can compare the two on real data.

    reference_scorecard(folder, start="2024-03-01", end="2024-03-31", channel=None, device=None,
                        margin_rate=None) -> dict

returns the spec's JSON shape (``client``, ``period``, ``filters``, ``kpis``, ``unavailable``,
``breakdowns``); a KPI that cannot be computed is None and has a reason in ``unavailable``.

Reading rules (data contract):

* tables ``<table>.<ext>`` with ext csv.gz, parquet, xlsx or csv; CSV in UTF-8 (BOM or not) or
  cp1252, separator ``,`` ``;`` or tab (the one found most often in the header), read as text; a
  ``;`` file (and xlsx) is a French export: decimal comma, DD/MM/YYYY dates;
* header names compared trimmed and lower-cased; ids are strings (trimmed; a whole-number float
  id of a Parquet file is written without ``.0``); ``channel``/``device`` missing or empty:
  ``unknown``; without a ``channel`` column but with ``source``/``medium``, the channel is derived
  with the kit's channel rules file (the contract says the kit derives it with *its* rules: the
  rules are data, read here with yaml and applied with Python's ``re``);
* timestamps: with an offset they are converted; without one they are read in the client's
  timezone the way DuckDB's ICU does it (checked against DuckDB 1.x/2.x): an ambiguous wall time
  (the repeated hour when clocks go back) is the *later* instant (standard time), a wall time that
  does not exist (the hour skipped when clocks go forward) is read with the offset in force
  before the change (02:30 in Paris on the last Sunday of March is 03:30 CEST). Sub-microsecond
  digits are dropped (DuckDB keeps microseconds);
* local dates are taken in the client's timezone; ``start`` and ``end`` are inclusive.

KPI rules beyond the formula table (from the spec's notes and the kit's documented edge rules):

* orders whose status (trimmed, lower-cased) is cancelled/canceled/refunded (or the French
  annulé/remboursé forms) are left out everywhere;
* an order's channel/device is its session's (``unknown`` without a known session); a segment
  filter keeps the orders whose session matches; carts and searches likewise; ad spend follows
  ``channel`` and is not split by device (a device filter makes ad-spend KPIs null); social
  posts are not visits (any segment filter makes social KPIs null); with a segment filter but no
  sessions table, KPIs on orders, carts or searches are null (they cannot be segmented);
* days to purchase: floor(exact seconds / 86400) from the first session of the order's visitor
  over all history (orders.visitor_id, else the visitor of the order's session); orders whose
  visitor has no session, or a negative duration, are left out;
* visits to purchase: rank of the order's session among its visitor's sessions ordered by
  (started_at, session_id); without a known session, the number of the visitor's sessions
  started at or before ordered_at (none: left out);
* product page: landing_page matches product_page_pattern or landing_page_title matches
  product_title_pattern (searched anywhere); without any pattern in client.yml the URL pattern
  is ``/(produit|produits|product|products|p)/``; bounced = the ``bounced`` column where given,
  else pageviews == 1 (neither known: not bounced);
* zero_result_rate counts searches with a known results_count only; engagement_rate uses the
  posts that report impressions only;
* breakdown keys: conversion_rate_by_* has the segment values of the period's sessions;
  average_order_value_by_* adds the values of the period's orders (``unknown`` for orders
  without a session; a shop without web analytics has only ``unknown``);
  cost_per_acquisition_by_channel has the channels with spend > 0 in the period and needs the
  sessions table (orders are tied to a channel only through their session).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

__all__ = ["reference_scorecard", "load_reference_client", "data_range", "HEADLINE_KPIS", "BREAKDOWNS",
           "INTEGER_KPIS"]

HEADLINE_KPIS = (
    "sessions", "visitors", "orders", "buyers", "revenue", "conversion_rate", "session_conversion_rate",
    "average_order_value", "median_days_to_purchase", "median_visits_to_purchase", "product_page_bounce_rate",
    "carts", "abandoned_carts", "cart_abandonment_rate", "ad_spend", "cost_per_acquisition", "roas",
    "break_even_cpa", "roi", "new_customers", "returning_customers", "returning_customer_rate",
    "repeat_purchase_rate", "searches", "search_rate", "zero_result_rate", "posts", "impressions",
    "engagement_rate",
)
BREAKDOWNS = (
    "conversion_rate_by_channel", "conversion_rate_by_device", "average_order_value_by_channel",
    "average_order_value_by_device", "days_to_purchase", "visits_to_purchase", "cost_per_acquisition_by_channel",
    "top_zero_result_queries",
)
INTEGER_KPIS = frozenset({"sessions", "visitors", "orders", "buyers", "carts", "abandoned_carts", "new_customers",
                          "returning_customers", "searches", "posts", "impressions"})

DEFAULT_PRODUCT_PAGE_PATTERN = "/(produit|produits|product|products|p)/"
EXCLUDED = {"cancelled", "canceled", "refunded", "annulé", "annulée", "annule", "annulee",
            "remboursé", "remboursée", "rembourse", "remboursee"}
DAYS_BUCKETS = [(str(d), d, d) for d in range(8)] + [
    ("8-14", 8, 14), ("15-30", 15, 30), ("31-60", 31, 60), ("61-120", 61, 120), ("121-364", 121, 364),
    ("365+", 365, math.inf)]
VISITS_BUCKETS = [(str(v), v, v) for v in range(1, 9)] + [
    ("9-14", 9, 14), ("15-25", 15, 25), ("26-50", 26, 50), ("51-100", 51, 100), ("101+", 101, math.inf)]
US_PER_DAY = 86_400 * 1_000_000

# The data contract's tables: column -> type (id, str, ts, date, float, int, bool).
CONTRACT: dict[str, dict[str, str]] = {
    "sessions": {"session_id": "id", "visitor_id": "id", "started_at": "ts", "channel": "str", "device": "str",
                 "landing_page": "str", "pageviews": "int", "platform": "str", "landing_page_title": "str",
                 "bounced": "bool", "source": "str", "medium": "str", "campaign": "str", "customer_id": "id"},
    "orders": {"order_id": "id", "customer_id": "id", "ordered_at": "ts", "revenue": "float", "session_id": "id",
               "visitor_id": "id", "shipping": "float", "tax": "float", "status": "str", "items": "int"},
    "carts": {"cart_id": "id", "created_at": "ts", "visitor_id": "id", "session_id": "id", "value": "float",
              "shipping_fee": "float", "order_id": "id"},
    "ad_spend": {"date": "date", "channel": "str", "spend": "float", "campaign": "str", "clicks": "int",
                 "impressions": "int", "currency": "str"},
    "social_posts": {"post_id": "id", "platform": "str", "published_at": "ts", "likes": "int", "comments": "int",
                     "impressions": "int", "reach": "int", "views": "int", "shares": "int", "saves": "int",
                     "followers": "int", "format": "str"},
    "searches": {"searched_at": "ts", "session_id": "id", "query": "str", "results_count": "int"},
}
TIME_COLUMN = {"sessions": "started_at", "orders": "ordered_at", "carts": "created_at", "ad_spend": "date",
               "social_posts": "published_at", "searches": "searched_at"}
DEFAULTED = {("sessions", "channel"): "unknown", ("sessions", "device"): "unknown"}
EXTENSIONS = ("csv.gz", "parquet", "xlsx", "csv")
CHANNEL_RULES = Path(__file__).resolve().parents[1] / "kpi_helpers" / "channel_rules.yml"


# ----------------------------------------------------------------------------------------------
# Reading a client folder


def _sniff(path: Path) -> tuple[str, str]:
    import gzip

    with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as fh:
        raw = fh.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            raw.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    first = raw.decode(encoding, errors="replace").splitlines()[0] if raw else ""

    def outside_quotes(sep: str) -> int:
        n, quoted = 0, False
        for ch in first:
            if ch == '"':
                quoted = not quoted
            elif ch == sep and not quoted:
                n += 1
        return n

    counts = {sep: outside_quotes(sep) for sep in (";", ",", "\t")}
    return encoding, max(counts, key=lambda s: (counts[s], s == ","))


def _read_raw(path: Path) -> tuple[pd.DataFrame, bool]:
    """(frame with normalized headers, french conventions)."""
    name = path.name
    if name.endswith(".parquet"):
        frame, french = pd.read_parquet(path), False
    elif name.endswith(".xlsx"):
        frame, french = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl"), True
    else:
        encoding, sep = _sniff(path)
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding,
                            compression="gzip" if name.endswith(".gz") else None)
        french = sep == ";"
    frame.columns = [str(c).replace("\ufeff", "").strip().lower() for c in frame.columns]
    return frame, french


def _to_id(col: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(col):
        out = col.map(lambda v: np.nan if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
    elif pd.api.types.is_integer_dtype(col):
        out = col.map(lambda v: np.nan if pd.isna(v) else str(int(v)))
    else:
        out = col.map(lambda v: np.nan if pd.isna(v) else str(v).strip(" "))
        out = out.where(out != "", np.nan)
    return out.astype(object)


def _to_number(col: pd.Series, french: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return pd.to_numeric(col, errors="coerce").astype("float64")

    def one(v: Any) -> float:
        if pd.isna(v):
            return np.nan
        s = re.sub(r"[\s\u00a0\u202f€$£]", "", str(v))
        if french and "," in s:
            s = s.replace(".", "").replace(",", ".")
        try:
            x = float(s)
        except ValueError:
            return np.nan
        return x if math.isfinite(x) else np.nan

    return col.map(one).astype("float64")


def _to_bool(col: pd.Series) -> pd.Series:
    true = {"true", "t", "1", "yes", "y", "oui", "vrai", "1.0"}
    false = {"false", "f", "0", "no", "n", "non", "faux", "0.0"}

    def one(v: Any) -> Any:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)):
            return True if v == 1 else False if v == 0 else None
        s = str(v).strip().lower()
        return True if s in true else False if s in false else None

    return col.map(one).astype(object)


_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
                  r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
_FRENCH = re.compile(r"^(\d{2})/(\d{2})/(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$")


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    """Naive local wall times -> UTC instants, the way DuckDB/ICU reads them.

    Ambiguous (repeated) wall times: the later instant. Nonexistent (skipped) wall times: the
    offset in force just before the change.
    """
    naive = pd.to_datetime(naive).astype("datetime64[us]")
    early = naive.dt.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="NaT")
    late = naive.dt.tz_localize(tz, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="NaT")
    out = pd.concat([early.dt.tz_convert("UTC"), late.dt.tz_convert("UTC")], axis=1).max(axis=1)
    gap = naive.notna() & out.isna()
    if gap.any():
        # offset before the transition: that of the same wall time one day earlier
        before = (naive[gap] - pd.Timedelta(days=1)).dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        offset = before.map(lambda t: t.utcoffset() if not pd.isna(t) else pd.NaT)
        out[gap] = (naive[gap] - pd.to_timedelta(offset)).dt.tz_localize("UTC")
    return out.astype("datetime64[us, UTC]")


def _to_timestamp(col: pd.Series, tz: str, french: bool) -> pd.Series:
    """UTC instants (datetime64[us, UTC])."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    if pd.api.types.is_datetime64_dtype(col):
        return _localize(col, tz)
    out = pd.Series(pd.NaT, index=col.index, dtype="datetime64[us, UTC]")
    naive_idx, naive_val = [], []
    aware_idx, aware_val = [], []
    for i, v in col.items():
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        if isinstance(v, (dt.datetime, pd.Timestamp)):
            t = pd.Timestamp(v)
            if t.tzinfo is None:
                naive_idx.append(i)
                naive_val.append(t)
            else:
                aware_idx.append(i)
                aware_val.append(t.tz_convert("UTC"))
            continue
        if isinstance(v, dt.date):
            naive_idx.append(i)
            naive_val.append(pd.Timestamp(v))
            continue
        s = str(v).strip()
        m = _ISO.match(s)
        if m:
            day, hh, mm, ss, frac, off = m.groups()
            frac = (frac or "")[:6].ljust(6, "0")
            wall = pd.Timestamp(f"{day} {hh or '00'}:{mm or '00'}:{ss or '00'}.{frac}")
            if off is None:
                naive_idx.append(i)
                naive_val.append(wall)
            else:
                if off.upper() in ("Z", "UTC"):
                    delta = pd.Timedelta(0)
                else:
                    sign = -1 if off[0] == "-" else 1
                    digits = off[1:].replace(":", "")
                    delta = sign * pd.Timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
                aware_idx.append(i)
                aware_val.append((wall - delta).tz_localize("UTC"))
            continue
        m = _FRENCH.match(s) if french else None
        if m:
            d, mo, y, hh, mi, ss = m.groups()
            naive_idx.append(i)
            naive_val.append(pd.Timestamp(f"{y}-{mo}-{d} {hh or '00'}:{mi or '00'}:{ss or '00'}"))
    if aware_idx:
        out.loc[aware_idx] = pd.Series(aware_val, index=aware_idx).astype("datetime64[us, UTC]")
    if naive_idx:
        out.loc[naive_idx] = _localize(pd.Series(naive_val, index=naive_idx), tz)
    return out


def _to_date(col: pd.Series, tz: str, french: bool) -> pd.Series:
    """Calendar days as naive datetime64 at midnight."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().astype("datetime64[us]")
    if pd.api.types.is_datetime64_dtype(col):
        return col.dt.normalize().astype("datetime64[us]")

    def one(v: Any) -> Any:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return pd.NaT
        if isinstance(v, (dt.date, pd.Timestamp)):
            return pd.Timestamp(v).normalize()
        s = str(v).strip()
        m = re.match(r"^(\d{4}-\d{2}-\d{2})", s)
        if m:
            return pd.Timestamp(m.group(1))
        m = re.match(r"^(\d{2})/(\d{2})/(\d{4})", s) if french else None
        if m:
            return pd.Timestamp(f"{m.group(3)}-{m.group(2)}-{m.group(1)}")
        return pd.NaT

    return pd.to_datetime(col.map(one)).astype("datetime64[us]")


@lru_cache(maxsize=1)
def _channel_rules() -> list[tuple[str, list[tuple[str, re.Pattern]]]]:
    doc = yaml.safe_load(CHANNEL_RULES.read_text(encoding="utf-8"))
    lists = doc.get("lists", {})
    rules = []
    for rule in doc["rules"]:
        conds = []
        for fld in ("source", "medium", "campaign"):
            if fld in rule:
                pattern = str(rule[fld])
                for name, alternation in lists.items():
                    pattern = pattern.replace("{" + name + "}", f"(?:{alternation})")
                conds.append((fld, re.compile(pattern)))
        rules.append((rule["channel"], conds))
    return rules


def _derive_channel(frame: pd.DataFrame) -> pd.Series:
    def clean(v: Any) -> str:
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip().lower()

    rules = _channel_rules()
    cols = {f: frame[f] if f in frame.columns else pd.Series(None, index=frame.index, dtype=object)
            for f in ("source", "medium", "campaign")}
    out = []
    for src, med, camp in zip(cols["source"], cols["medium"], cols["campaign"]):
        values = {"source": clean(src), "medium": clean(med), "campaign": clean(camp)}
        out.append(next((ch for ch, conds in rules if all(p.search(values[f]) for f, p in conds)), "other"))
    return pd.Series(out, index=frame.index, dtype=object)


@dataclass
class RefClient:
    name: str
    timezone: str
    settings: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    provided: dict[str, set[str]] = field(default_factory=dict)

    def has(self, table: str, column: str | None = None) -> bool:
        return table in self.tables and (column is None or column in self.provided[table])


def _read_table(table: str, path: Path, tz: str) -> tuple[pd.DataFrame, set[str]]:
    raw, french = _read_raw(path)
    out = pd.DataFrame(index=raw.index)
    provided = set()
    for col, kind in CONTRACT[table].items():
        if col not in raw.columns:
            default = DEFAULTED.get((table, col))
            if kind == "ts":
                out[col] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us, UTC]")
            elif kind == "date":
                out[col] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
            elif kind in ("float", "int"):
                out[col] = pd.Series(np.nan, index=raw.index, dtype="float64")
            else:
                out[col] = pd.Series(default if default is not None else np.nan, index=raw.index, dtype=object)
            continue
        provided.add(col)
        src = raw[col]
        if kind == "id":
            out[col] = _to_id(src)
        elif kind == "str":
            if (table, col) in DEFAULTED:
                s = src.map(lambda v: np.nan if v is None or (not isinstance(v, str) and pd.isna(v))
                            else str(v).strip(" "))
                out[col] = s.where(s.notna() & (s != ""), DEFAULTED[(table, col)]).astype(object)
            else:
                out[col] = src.map(lambda v: np.nan if v is None or (not isinstance(v, str) and pd.isna(v))
                                   else str(v)).astype(object)
        elif kind == "ts":
            out[col] = _to_timestamp(src, tz, french)
        elif kind == "date":
            out[col] = _to_date(src, tz, french)
        elif kind in ("float", "int"):
            out[col] = _to_number(src, french)
        elif kind == "bool":
            out[col] = _to_bool(src)
    if table == "sessions" and "channel" not in raw.columns and ({"source", "medium"} & set(raw.columns)):
        out["channel"] = _derive_channel(out)
        provided.add("channel")
    # local calendar day of every row
    tcol = TIME_COLUMN[table]
    if table == "ad_spend":
        out["_day"] = out[tcol]
    else:
        out["_day"] = out[tcol].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().astype("datetime64[us]")
    return out, provided


_CACHE: dict[tuple, RefClient] = {}


def load_reference_client(folder: str | Path) -> RefClient:
    """The client folder read with the contract's rules (cached per folder and file times)."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    key = (str(folder.resolve()), tuple((p.name, p.stat().st_mtime_ns) for p in files))
    if key in _CACHE:
        return _CACHE[key]
    settings: dict[str, Any] = {}
    for cfg in ("client.yml", "client.yaml"):
        if (folder / cfg).is_file():
            settings = yaml.safe_load((folder / cfg).read_text(encoding="utf-8-sig")) or {}
            break
    tz = str(settings.get("timezone") or "Europe/Paris")
    client = RefClient(name=str(settings.get("name") or folder.name), timezone=tz, settings=settings)
    for table in CONTRACT:
        for ext in EXTENSIONS:
            path = folder / f"{table}.{ext}"
            if path.is_file():
                client.tables[table], client.provided[table] = _read_table(table, path, tz)
                break
    _CACHE[key] = client
    return client


def data_range(folder: str | Path) -> tuple[dt.date, dt.date]:
    """First and last local date over every table of the client."""
    client = load_reference_client(folder)
    days = pd.concat([t["_day"] for t in client.tables.values()]).dropna()
    return days.min().date(), days.max().date()


# ----------------------------------------------------------------------------------------------
# The scorecard


def normalize_query(q: str) -> str:
    decomposed = unicodedata.normalize("NFKD", q)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 or den is None or pd.isna(den) else float(num) / float(den)


def _epoch_us(ts: pd.Series) -> pd.Series:
    """Microseconds since 1970-01-01 UTC (int64) of UTC instants."""
    return (ts - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(microseconds=1)


def _median(values: pd.Series) -> float | None:
    return None if values.empty else float(np.median(values.to_numpy(dtype="float64")))


class _Scope:
    def __init__(self, client: RefClient, start: dt.date, end: dt.date, channel: list[str] | None,
                 device: list[str] | None):
        self.client = client
        self.start, self.end = pd.Timestamp(start), pd.Timestamp(end)
        self.channel, self.device = channel, device

    def in_period(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[(frame["_day"] >= self.start) & (frame["_day"] <= self.end)]

    def segment(self, frame: pd.DataFrame) -> pd.DataFrame:
        mask = pd.Series(True, index=frame.index)
        if self.channel:
            mask &= frame["channel"].isin(self.channel)
        if self.device:
            mask &= frame["device"].isin(self.device)
        return frame[mask]

    def with_filter(self, key: str, value: str) -> "_Scope":
        """The same scope restricted to one breakdown group (groups come from the scope's own
        sessions and orders, so they are inside any filter already in force)."""
        return _Scope(self.client, self.start.date(), self.end.date(),
                      [value] if key == "channel" else self.channel, [value] if key == "device" else self.device)

    # tables -------------------------------------------------------------------------------
    @property
    def all_sessions(self) -> pd.DataFrame:
        return self.client.tables["sessions"]

    def sessions(self) -> pd.DataFrame:
        return self.segment(self.in_period(self.all_sessions))

    def _session_attributes(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.client.has("sessions"):
            s = self.all_sessions[["session_id", "channel", "device", "visitor_id"]].rename(
                columns={"session_id": "_sid", "channel": "_sch", "device": "_sdev", "visitor_id": "_svis"})
            s = s[s["_sid"].notna()]
            out = frame.merge(s, how="left", left_on="session_id", right_on="_sid")
            out.index = frame.index
        else:
            out = frame.copy()
            out["_sid"] = out["_sch"] = out["_sdev"] = out["_svis"] = np.nan
        out["channel"] = out["_sch"].where(out["_sch"].notna(), "unknown")
        out["device"] = out["_sdev"].where(out["_sdev"].notna(), "unknown")
        out["_has_session"] = out["_sid"].notna()
        return out

    def all_orders(self) -> pd.DataFrame:
        o = self.client.tables["orders"]
        excluded = o["status"].map(lambda v: isinstance(v, str) and v.strip(" ").lower() in EXCLUDED)
        o = self._session_attributes(o[~excluded.astype(bool)])
        o["buyer_visitor"] = o["visitor_id"].where(o["visitor_id"].notna(), o["_svis"])
        return o

    def orders(self) -> pd.DataFrame:
        return self.segment(self.in_period(self.all_orders()))

    def carts(self) -> pd.DataFrame:
        return self.segment(self.in_period(self._session_attributes(self.client.tables["carts"])))

    def searches(self) -> pd.DataFrame:
        return self.segment(self.in_period(self._session_attributes(self.client.tables["searches"])))

    def ad_spend(self) -> pd.DataFrame:
        a = self.in_period(self.client.tables["ad_spend"])
        if self.channel:
            a = a[a["channel"].isin(self.channel)]
        return a

    def posts(self) -> pd.DataFrame:
        return self.in_period(self.client.tables["social_posts"])

    # path to purchase ---------------------------------------------------------------------
    def order_paths(self) -> pd.DataFrame:
        """Orders of the scope with ``days`` and ``visits`` (NaN when left out)."""
        o = self.orders()
        o = o[o["buyer_visitor"].notna()].copy()
        s = self.all_sessions
        first = s.groupby("visitor_id")["started_at"].min()
        first_at = o["buyer_visitor"].map(first)
        us = _epoch_us(o["ordered_at"]) - _epoch_us(first_at.astype("datetime64[us, UTC]"))
        days = pd.Series(np.nan, index=o.index)
        ok = us.notna() & (us >= 0)
        days[ok] = [int(x) // US_PER_DAY for x in us[ok]]
        o["days"] = days
        ranked = s.sort_values(["visitor_id", "started_at", "session_id"], kind="mergesort")
        rank = pd.Series(ranked.groupby("visitor_id").cumcount().to_numpy() + 1, index=ranked["session_id"].to_numpy())
        visits = o["session_id"].map(rank)
        missing = visits.isna()
        if missing.any():
            started = s.assign(_us=_epoch_us(s["started_at"]))
            by_visitor = {v: np.sort(g.to_numpy(dtype="int64")) for v, g in started.groupby("visitor_id")["_us"]}
            counts = []
            for v, at in zip(o.loc[missing, "buyer_visitor"], _epoch_us(o.loc[missing, "ordered_at"])):
                arr = by_visitor.get(v)
                counts.append(0 if arr is None else int(np.searchsorted(arr, at, side="right")))
            visits[missing] = counts
        o["visits"] = visits.where(visits >= 1)
        return o


def reference_scorecard(folder: str | Path, *, start: Any, end: Any, channel: Any = None, device: Any = None,
                        margin_rate: float | None = None) -> dict:
    """The scorecard of the client folder for ``start``..``end`` (inclusive local dates)."""
    client = load_reference_client(folder)
    start_d = dt.date.fromisoformat(str(start)) if not isinstance(start, dt.date) else start
    end_d = dt.date.fromisoformat(str(end)) if not isinstance(end, dt.date) else end
    chan = [channel] if isinstance(channel, str) else (list(channel) if channel else None)
    dev = [device] if isinstance(device, str) else (list(device) if device else None)
    margin = margin_rate if margin_rate is not None else client.settings.get("margin_rate")
    if margin is not None:
        margin = float(str(margin).replace(",", "."))
    sc = _Scope(client, start_d, end_d, chan, dev)
    segmented = bool(chan or dev)
    has = client.has

    kpis: dict[str, Any] = {}
    unavailable: dict[str, str] = {}

    def need(kpi_id: str, *requirements: str, social: bool = False, spend: bool = False,
             margin_needed: bool = False, through_sessions: bool = False) -> bool:
        for req in requirements:
            table, _, column = req.partition(".")
            if not has(table, column or None):
                unavailable[kpi_id] = f"{req} not provided"
                return False
        if social and segmented:
            unavailable[kpi_id] = "social posts are not split by channel or device"
            return False
        if spend and dev:
            unavailable[kpi_id] = "ad spend has no device"
            return False
        if through_sessions and segmented and not has("sessions"):
            unavailable[kpi_id] = "a segment filter needs sessions"
            return False
        if margin_needed and margin is None:
            unavailable[kpi_id] = "no margin rate"
            return False
        return True

    def put(kpi_id: str, ok: bool, fn) -> None:
        kpis[kpi_id] = fn() if ok else None

    S = sc.sessions() if has("sessions") else None
    O = sc.orders() if has("orders") else None

    # traffic and conversion
    put("sessions", need("sessions", "sessions"), lambda: len(S))
    put("visitors", need("visitors", "sessions"), lambda: int(S["visitor_id"].nunique()))
    put("orders", need("orders", "orders", through_sessions=True), lambda: len(O))
    put("buyers", need("buyers", "orders", through_sessions=True), lambda: int(O["customer_id"].nunique()))
    put("revenue", need("revenue", "orders", through_sessions=True), lambda: float(O["revenue"].sum()))

    def conversion(scope: _Scope) -> float | None:
        visitors = set(scope.sessions()["visitor_id"].dropna())
        buyers = set(scope.orders()["buyer_visitor"].dropna())
        return _ratio(len(visitors & buyers), len(visitors))

    put("conversion_rate", need("conversion_rate", "sessions", "orders"), lambda: conversion(sc))

    def session_conversion() -> float | None:
        with_order = set(sc.all_orders()["session_id"].dropna())
        return _ratio(int(S["session_id"].isin(with_order).sum()), len(S))

    put("session_conversion_rate", need("session_conversion_rate", "sessions", "orders"), session_conversion)
    put("average_order_value", need("average_order_value", "orders", through_sessions=True),
        lambda: _ratio(O["revenue"].sum(), len(O)))
    paths = sc.order_paths() if has("sessions") and has("orders") else None
    put("median_days_to_purchase", need("median_days_to_purchase", "sessions", "orders"),
        lambda: _median(paths["days"].dropna()))
    put("median_visits_to_purchase", need("median_visits_to_purchase", "sessions", "orders"),
        lambda: _median(paths["visits"].dropna()))

    # product pages
    ok = need("product_page_bounce_rate", "sessions")
    if ok and not (has("sessions", "landing_page") or has("sessions", "landing_page_title")):
        ok, unavailable["product_page_bounce_rate"] = False, "no landing page column"
    if ok and not (has("sessions", "bounced") or has("sessions", "pageviews")):
        ok, unavailable["product_page_bounce_rate"] = False, "no bounced or pageviews column"

    def bounce() -> float | None:
        url = client.settings.get("product_page_pattern")
        title = client.settings.get("product_title_pattern")
        if url is None and title is None:
            url = DEFAULT_PRODUCT_PAGE_PATTERN
        product = pd.Series(False, index=S.index)
        for column, pattern in (("landing_page", url), ("landing_page_title", title)):
            if pattern is not None and has("sessions", column):
                rx = re.compile(str(pattern))
                product |= S[column].map(lambda v: isinstance(v, str) and rx.search(v) is not None).astype(bool)
        p = S[product]
        bounced = [b if b is not None and not (isinstance(b, float) and math.isnan(b))
                   else (not pd.isna(pv) and pv == 1) for b, pv in zip(p["bounced"], p["pageviews"])]
        return _ratio(sum(bool(b) for b in bounced), len(p))

    put("product_page_bounce_rate", ok, bounce)

    # carts
    C = sc.carts() if has("carts") and (not segmented or has("sessions")) else None
    put("carts", need("carts", "carts", through_sessions=True), lambda: len(C))
    put("abandoned_carts", need("abandoned_carts", "carts", through_sessions=True),
        lambda: int(C["order_id"].isna().sum()))
    put("cart_abandonment_rate", need("cart_abandonment_rate", "carts", through_sessions=True),
        lambda: _ratio(C["order_id"].isna().sum(), len(C)))

    # acquisition cost
    A = sc.ad_spend() if has("ad_spend") else None
    put("ad_spend", need("ad_spend", "ad_spend", spend=True), lambda: float(A["spend"].sum()))
    put("cost_per_acquisition", need("cost_per_acquisition", "ad_spend", "orders", spend=True, through_sessions=True),
        lambda: _ratio(A["spend"].sum(), len(O)))
    put("roas", need("roas", "ad_spend", "orders", spend=True, through_sessions=True),
        lambda: _ratio(O["revenue"].sum(), A["spend"].sum()))
    put("break_even_cpa", need("break_even_cpa", "orders", margin_needed=True, through_sessions=True),
        lambda: None if len(O) == 0 else float(O["revenue"].sum()) / len(O) * margin)
    put("roi", need("roi", "ad_spend", "orders", spend=True, margin_needed=True, through_sessions=True),
        lambda: _ratio(O["revenue"].sum() * margin - A["spend"].sum(), A["spend"].sum()))

    # customers
    def customers() -> tuple[int, int, int, int]:
        every = sc.all_orders()
        first_day = every.groupby("customer_id")["_day"].min()
        buyers = pd.Series(O["customer_id"].dropna().unique())
        new = int((buyers.map(first_day) >= sc.start).sum())
        per = O.groupby("customer_id").size()
        return len(buyers), new, len(buyers) - new, int((per >= 2).sum())

    ok = need("new_customers", "orders", through_sessions=True)
    for k in ("returning_customers", "returning_customer_rate", "repeat_purchase_rate"):
        if not ok:
            unavailable[k] = unavailable["new_customers"]
    if ok:
        n_buyers, new, returning, repeat = customers()
        kpis.update(new_customers=new, returning_customers=returning,
                    returning_customer_rate=_ratio(returning, n_buyers), repeat_purchase_rate=_ratio(repeat, n_buyers))
    else:
        kpis.update(new_customers=None, returning_customers=None, returning_customer_rate=None,
                    repeat_purchase_rate=None)

    # site search
    Q = sc.searches() if has("searches") and (not segmented or has("sessions")) else None
    put("searches", need("searches", "searches", through_sessions=True), lambda: len(Q))
    put("search_rate", need("search_rate", "sessions", "searches"),
        lambda: _ratio(int(S["session_id"].isin(set(client.tables["searches"]["session_id"].dropna())).sum()), len(S)))

    def zero_rate() -> float | None:
        known = Q[Q["results_count"].notna()]
        return _ratio(int((known["results_count"] == 0).sum()), len(known))

    put("zero_result_rate", need("zero_result_rate", "searches.results_count", through_sessions=True), zero_rate)

    # social
    P = sc.posts() if has("social_posts") else None
    put("posts", need("posts", "social_posts", social=True), lambda: len(P))
    put("impressions", need("impressions", "social_posts.impressions", social=True),
        lambda: int(P["impressions"].fillna(0).sum()))

    def engagement() -> float | None:
        p = P[P["impressions"].notna()]
        return _ratio(p["likes"].fillna(0).sum() + p["comments"].fillna(0).sum(), p["impressions"].sum())

    put("engagement_rate", need("engagement_rate", "social_posts.impressions", social=True), engagement)

    kpis = {k: kpis[k] for k in HEADLINE_KPIS}

    # breakdowns ------------------------------------------------------------------------------
    breakdowns: dict[str, Any] = {}

    def unavailable_breakdown(bid: str, reason: str) -> None:
        breakdowns[bid] = None
        unavailable[bid] = reason

    for key in ("channel", "device"):
        bid = f"conversion_rate_by_{key}"
        if not (has("sessions") and has("orders")):
            unavailable_breakdown(bid, "sessions and orders needed")
        else:
            groups = sorted(S[key].dropna().unique(), key=str)
            breakdowns[bid] = {str(g): conversion(sc.with_filter(key, g)) for g in groups}
    for key in ("channel", "device"):
        bid = f"average_order_value_by_{key}"
        if not has("orders"):
            unavailable_breakdown(bid, "orders table not provided")
        elif segmented and not has("sessions"):
            unavailable_breakdown(bid, "a segment filter needs sessions")
        else:
            groups = set(O[key].dropna().unique())
            if S is not None:
                groups |= set(S[key].dropna().unique())
            out = {}
            for g in sorted(groups, key=str):
                sub = O[O[key] == g]
                out[str(g)] = _ratio(sub["revenue"].sum(), len(sub))
            breakdowns[bid] = out
    for bid, column, buckets in (("days_to_purchase", "days", DAYS_BUCKETS),
                                 ("visits_to_purchase", "visits", VISITS_BUCKETS)):
        if paths is None:
            unavailable_breakdown(bid, "sessions and orders needed")
        else:
            values = paths[column].dropna()
            breakdowns[bid] = {label: int(((values >= lo) & (values <= hi)).sum()) for label, lo, hi in buckets}
    bid = "cost_per_acquisition_by_channel"
    if not (has("ad_spend") and has("orders")):
        unavailable_breakdown(bid, "ad_spend and orders needed")
    elif not has("sessions"):
        unavailable_breakdown(bid, "orders are tied to a channel through their session: sessions needed")
    elif dev:
        unavailable_breakdown(bid, "ad spend has no device")
    else:
        spend = A.groupby("channel")["spend"].sum()
        breakdowns[bid] = {str(c): _ratio(v, int((O["channel"] == c).sum()))
                           for c, v in sorted(spend.items(), key=lambda kv: str(kv[0])) if v > 0}
    bid = "top_zero_result_queries"
    if not has("searches", "results_count"):
        unavailable_breakdown(bid, "searches.results_count not provided")
    elif segmented and not has("sessions"):
        unavailable_breakdown(bid, "a segment filter needs sessions")
    else:
        zero = Q[Q["results_count"] == 0]
        norm = zero["query"].map(lambda q: normalize_query(q) if isinstance(q, str) else "")
        counts = norm[norm != ""].value_counts()
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        breakdowns[bid] = [[q, int(n)] for q, n in ranked]
    breakdowns = {b: breakdowns[b] for b in BREAKDOWNS}

    return {
        "client": client.name,
        "period": {"start": start_d.isoformat(), "end": end_d.isoformat(), "timezone": client.timezone},
        "filters": {"channel": channel, "device": device},
        "kpis": kpis,
        "unavailable": unavailable,
        "breakdowns": breakdowns,
    }
