"""Matomo visits log (``Live.getLastVisitsDetails``, or Visitors > Visits Log > export) -> sessions,
orders, carts, searches.

Written from ``shared/spec/exports.md`` and Matomo's Live API (``plugins/Live``): one record per
visit with ``idVisit, visitorId, userId, firstActionTimestamp, referrerType, referrerName,
deviceType, actions, ...`` and the visit's actions in ``actionDetails`` (``type``: action,
ecommerceOrder, ecommerceAbandonedCart, search, event, download, outlink, goal...; ``url``,
``pageTitle``, ``timestamp``, ``orderId``, ``revenue``, ``revenueTax``, ``revenueShipping``,
``items``, ``siteSearchKeyword``, ``siteSearchCount``...).

Input shape, three forms, recognised by content:

* CSV (``format=CSV``) as Matomo writes it: UTF-16LE with a byte-order mark, comma-separated,
  the nested actions flattened as ``actionDetails_0_type, actionDetails_0_url, ...``;
* TSV (``format=TSV``): the same, tab-separated;
* JSON (``format=JSON``): a list of visits, each with its ``actionDetails`` list.

Timestamps are Unix seconds (UTC); the loader shows them in the client's timezone.

Output tables and mapping
-------------------------
sessions (one row per visit)
    * ``session_id`` = ``idVisit`` (Matomo's row number, not personal); ``visitor_id`` = keyed
      hash of ``visitorId`` (``c`` + 16 hex digits, the folder's key): the visitor id never
      reaches the folder in clear; ``customer_id`` = keyed hash of ``userId`` when the visitor was
      logged in. IP addresses, locations, browser details and custom variables are not written.
    * ``started_at`` = ``firstActionTimestamp`` (else ``serverTimestamp``).
    * ``channel`` from ``referrerType`` / ``referrerName`` through the channel rules (the
      ``referrers.matomo`` section of ``kpi_helpers/channel_rules.yml``, then the session rules):
      direct -> direct; search -> organic_search (a comparison site's name -> price_comparator);
      website -> referral (a social or comparison site by its domain -> its channel); social ->
      organic_social; campaign -> ``campaignSource`` / ``campaignMedium`` when the export has
      them, else other. ``source`` / ``medium`` / ``campaign`` are written beside it.
    * ``device`` from ``deviceType``: Desktop -> desktop, Smartphone and Phablet -> mobile,
      Tablet -> tablet; others lower-cased.
    * ``landing_page`` = path of the first page view's ``url``, ``landing_page_title`` its
      ``pageTitle``; ``pageviews`` = the visit's actions of type action (page views); left empty
      for a visit without one (``bounced`` is not written: the single-page rule applies).
orders (one row per ``ecommerceOrder`` action)
    * ``order_id`` = ``orderId``; ``ordered_at`` = the action's ``timestamp``; ``revenue`` =
      ``revenue`` (Matomo's order total: tax and shipping included); ``tax`` = ``revenueTax``,
      ``shipping`` = ``revenueShipping``, ``items`` = ``items``; ``session_id`` = the visit,
      ``visitor_id`` its visitor; ``customer_id`` = the logged-in user (keyed hash of ``userId``),
      else the visitor (the only buyer id the log has). An order id seen twice is kept once.
    * An order that the folder also has from a shop's export (Shopify, WooCommerce, PrestaShop) is
      the shop's: its row stays (customer, status, revenue as the back office has them) and gets
      the visit and visitor from here when it has none; whichever is imported first.
carts (one row per cart)
    * One per order (the cart that became it: ``order_id`` set, ``value`` = the order's revenue
      less tax and shipping when known) and one per ``ecommerceAbandonedCart`` action (Matomo
      keeps a visit's last unordered cart: ``value`` = its ``revenue``, no order_id).
      ``cart_id`` = ``<idVisit>-order-<orderId>`` or ``<idVisit>-cart-<position>``.
searches (one row per ``search`` action)
    * ``query`` = ``siteSearchKeyword``; ``results_count`` = ``siteSearchCount`` (0 is a search
      that found nothing; empty stays unknown, never 0); ``searched_at`` = ``timestamp``.

The period of the import is the visits' first to last local day: importing a later log of the
same days replaces these rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from ..channels import derive_channel, referrer_source_medium
from ..errors import KpiInputError, Problem
from ._raw import HEAD_BYTES, ImportContext, Parsed, fail, parse_numbers, peek_rows, read_text

__all__ = ["NAME", "TITLE", "detect", "read", "DEVICES"]

NAME = "matomo"
TITLE = "Matomo visits log (Live.getLastVisitsDetails)"
TABLE = "sessions"

DEVICES = {"desktop": "desktop", "smartphone": "mobile", "phablet": "mobile", "feature phone": "mobile",
           "tablet": "tablet"}
ACTION = re.compile(r"^actionDetails_(\d+)_([A-Za-z0-9_]+)$")
VISIT_COLUMNS = ("idVisit", "visitorId", "userId", "firstActionTimestamp", "serverTimestamp", "referrerType",
                 "referrerName", "campaignSource", "campaignMedium", "campaignName", "deviceType")
ACTION_KEYS = ("type", "url", "pageTitle", "timestamp", "orderId", "revenue", "revenueTax", "revenueShipping",
               "items", "siteSearchKeyword", "siteSearchCount")


def _json_head(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    for enc in ("utf-8-sig", "utf-16"):
        try:
            text = head.decode(enc, errors="ignore").lstrip("\ufeff").lstrip()
        except LookupError:
            continue
        if text.startswith(("[", "{")):
            return text
    return None


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a Matomo visits log: a header (or JSON keys) with idVisit and visitorId."""
    path = Path(path)
    head = _json_head(path)
    if head is not None:
        return '"idVisit"' in head and '"visitorId"' in head
    rows = peek_rows(path)
    if not rows:
        return False
    cells = set(rows[0])
    return "idVisit" in cells and "visitorId" in cells


# -- reading the three forms into (visits, actions) frames of text ------------------------------


def _read_json(path: Path, text: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(path, f"cannot be read as JSON ({exc.msg})", line=exc.lineno, value=f"column {exc.colno}",
             expected="the visits log as Matomo writes it with format=JSON (a complete download)")
    if isinstance(doc, dict) and doc.get("result") == "error":
        fail(path, "is Matomo's error answer, not a visits log", value=str(doc.get("message", ""))[:80], line=1,
             expected="the answer of Live.getLastVisitsDetails (check the token and the site id)")
    if not isinstance(doc, list) or not all(isinstance(v, dict) for v in doc):
        fail(path, "is not a list of visits", line=1, expected="a JSON list of visits (Live.getLastVisitsDetails)")
    visits, actions = [], []
    for i, v in enumerate(doc):
        visits.append({"_where": f"visit {i + 1}", **{k: _text(v.get(k)) for k in VISIT_COLUMNS}})
        for j, a in enumerate(v.get("actionDetails") or []):
            if isinstance(a, dict):
                actions.append({"_visit": i, "_pos": j, **{k: _text(a.get(k)) for k in ACTION_KEYS}})
    return (pd.DataFrame(visits, columns=["_where", *VISIT_COLUMNS]),
            pd.DataFrame(actions, columns=["_visit", "_pos", *ACTION_KEYS]), "visit")


def _text(value: object) -> str:
    if value is None or isinstance(value, (list, dict)):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _read_delimited(path: Path, text: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    first = text.split("\n", 1)[0]
    sep = max((",", "\t", ";"), key=lambda s: (first.count(s), s == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration:
        fail(path, "file is empty", expected=TITLE)
    records, lines, start = [], [], reader.line_num + 1
    try:
        for row in reader:
            if row and any(c.strip() for c in row):
                if len(row) != len(header):
                    fail(path, f"line has {len(row)} field(s) where the header has {len(header)}", line=start,
                         value=f"{len(row)} fields", expected=f"{len(header)} fields separated by {sep!r} "
                                                              "(a cut line is a truncated download)")
                records.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        fail(path, f"cannot be read as CSV ({exc})", line=start, expected="a complete export")
    if not records:
        fail(path, "has a header but no visits", line=1, expected=f"{TITLE} with at least one visit")
    frame = pd.DataFrame(records, columns=[f"{h}__{i}" for i, h in enumerate(header)])
    names = {h: f"{h}__{i}" for i, h in reversed(list(enumerate(header)))}
    missing = [c for c in ("idVisit", "visitorId") if c not in names]
    if missing:
        fail(path, f"missing column(s) {', '.join(missing)}", line=1, expected="the visits log's columns idVisit, "
                                                                             "visitorId, firstActionTimestamp, ...")
    visits = pd.DataFrame({k: frame[names[k]] if k in names else "" for k in VISIT_COLUMNS})
    visits.insert(0, "_where", [f"line {n}" for n in lines])
    parts = []
    positions = sorted({int(m.group(1)) for h in header if (m := ACTION.match(h))})
    for pos in positions:
        cols = {k: frame[names[f"actionDetails_{pos}_{k}"]] if f"actionDetails_{pos}_{k}" in names else ""
                for k in ACTION_KEYS}
        part = pd.DataFrame({"_visit": np.arange(len(frame)), "_pos": pos, **cols})
        parts.append(part[part["type"].astype(str).str.strip() != ""])
    actions = (pd.concat(parts, ignore_index=True) if parts
               else pd.DataFrame(columns=["_visit", "_pos", *ACTION_KEYS]))
    return visits, actions.sort_values(["_visit", "_pos"], kind="stable").reset_index(drop=True), "line"


# -- mapping ------------------------------------------------------------------------------------


def _timestamps(path: Path, values: pd.Series, where: pd.Series, column: str) -> pd.Series:
    """Unix seconds -> UTC timestamps; a value that does not read stops the import."""
    raw = values.astype(str).str.strip()
    secs = pd.to_numeric(raw, errors="coerce")
    bad = np.flatnonzero(secs.isna().to_numpy() | (secs < 0).to_numpy())
    if len(bad):
        raise KpiInputError(Problem(f"{len(bad):,} value(s) cannot be read as a Unix timestamp", file=str(path),
                                    column=column, count=len(bad),
                                    examples=tuple((where.iloc[int(i)], raw.iloc[int(i)]) for i in bad[:5]),
                                    expected="seconds since 1970-01-01 UTC, such as 1740819600"))
    return pd.to_datetime(secs, unit="s", utc=True)


def _numbers(path: Path, values: pd.Series, where: pd.Series, column: str, *, integer: bool = False) -> pd.Series:
    return parse_numbers(path, values, list(where), column=column, decimal=".", integer=integer)


def _path(url: str) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return url


def read(path: Path | str, ctx: ImportContext) -> list[Parsed]:
    """Read the visits log at ``path`` into sessions, orders, carts and searches (module docstring)."""
    path = Path(path)
    text, _ = read_text(path, what=TITLE)
    if text.lstrip().startswith(("[", "{")):
        visits, actions, form = _read_json(path, text)
        fmt = "JSON"
    else:
        visits, actions, form = _read_delimited(path, text)
        fmt = "TSV" if "\t" in text.split("\n", 1)[0] else "CSV"
    if visits.empty:
        fail(path, "holds no visit", line=1, expected=f"{TITLE} with at least one visit")
    where = visits["_where"]
    ids = visits["idVisit"].astype(str).str.strip()
    empty = np.flatnonzero((ids == "").to_numpy())
    if len(empty):
        fail(path, "idVisit is empty", line=None if form == "visit" else int(where.iloc[int(empty[0])].split()[-1]),
             column="idVisit", value="", expected="the visit id on every visit")
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise KpiInputError(Problem("a visit appears twice", file=str(path), column="idVisit",
                                    examples=((where.iloc[i], ids.iloc[i]),), count=int(dup.sum()),
                                    expected="each idVisit once (two exports of the same days: import them one by one)"))
    ts_col = "firstActionTimestamp" if (visits["firstActionTimestamp"].astype(str).str.strip() != "").any() \
        else "serverTimestamp"
    started = _timestamps(path, visits[ts_col], where, ts_col)
    visitor_raw = visits["visitorId"].astype(str).str.strip()
    no_visitor = np.flatnonzero((visitor_raw == "").to_numpy())
    if len(no_visitor):
        raise KpiInputError(Problem("visitorId is empty", file=str(path), column="visitorId",
                                    examples=((where.iloc[int(no_visitor[0])], ""),), count=len(no_visitor),
                                    expected="the visitor id on every visit"))
    visitor = ctx.pseudonymise("matomo-visitor:" + visitor_raw)
    user_raw = visits["userId"].astype(str).str.strip()
    customer = ctx.pseudonymise("matomo-user:" + user_raw).where(user_raw != "", None)
    # channel through the rules
    rtype = visits["referrerType"].astype(str).str.strip().str.lower()
    rname = visits["referrerName"].astype(str).str.strip()
    csource = visits["campaignSource"].astype(str).str.strip()
    cmedium = visits["campaignMedium"].astype(str).str.strip()
    cname = visits["campaignName"].astype(str).str.strip()
    source, medium, channel = [], [], []
    cache: dict[tuple, tuple[str, str, str]] = {}
    for t, n, cs, cm, cn in zip(rtype, rname, csource, cmedium, cname):
        key = (t, n, cs, cm, cn)
        if key not in cache:
            s, m = (cs.lower(), cm.lower()) if t == "campaign" and (cs or cm) else referrer_source_medium("matomo", t, n)
            cache[key] = (s, m, derive_channel(s, m, cn or (n if t == "campaign" else "")))
        s, m, c = cache[key]
        source.append(s or None)
        medium.append(m or None)
        channel.append(c)
    device = visits["deviceType"].astype(str).str.strip().str.lower()
    device = device.map(lambda d: DEVICES.get(d, d or "unknown"))
    # actions
    atype = actions["type"].astype(str).str.strip()
    a_where = where.iloc[actions["_visit"].to_numpy()].reset_index(drop=True) if len(actions) else pd.Series(dtype=str)
    pages = actions[atype == "action"]
    first_page = pages.drop_duplicates("_visit")
    landing = pd.Series(first_page["url"].map(_path).to_numpy(), index=first_page["_visit"].to_numpy())
    landing_title = pd.Series(first_page["pageTitle"].replace("", None).to_numpy(), index=first_page["_visit"].to_numpy())
    pageviews = pages.groupby("_visit").size()
    n = len(visits)
    idx = pd.RangeIndex(n)
    sessions = pd.DataFrame({
        "session_id": ids.to_numpy(),
        "visitor_id": visitor.to_numpy(),
        "started_at": started.to_numpy(),
        "channel": channel,
        "device": device.to_numpy(),
        "landing_page": landing.reindex(idx).to_numpy(),
        "pageviews": pd.array(pageviews.reindex(idx).to_numpy(), dtype="Int64"),
        "landing_page_title": landing_title.reindex(idx).to_numpy(),
        "source": source, "medium": medium,
        "campaign": cname.where((cname != "") | (rtype != "campaign"), rname).replace("", None).to_numpy(),
        "customer_id": customer.to_numpy(),
    })
    sessions["started_at"] = pd.to_datetime(sessions["started_at"], utc=True)
    tables = {"sessions": sessions}
    notes_common = [f"read as {fmt} ({len(visits):,} visits, {len(actions):,} actions); visitor ids and user ids "
                    "pseudonymised with the folder's key; IP addresses, locations and browser details not kept."]
    # orders
    o = actions[atype == "ecommerceOrder"].reset_index(drop=True)
    ow = a_where[(atype == "ecommerceOrder").to_numpy()].reset_index(drop=True)
    orders = pd.DataFrame(columns=["order_id", "customer_id", "ordered_at", "revenue", "session_id", "visitor_id",
                                   "shipping", "tax", "items"])
    dropped_orders = 0
    if len(o):
        v = o["_visit"].to_numpy()
        order_id = o["orderId"].astype(str).str.strip()
        no_id = np.flatnonzero((order_id == "").to_numpy())
        if len(no_id):
            raise KpiInputError(Problem("an ecommerceOrder action has no orderId", file=str(path), column="orderId",
                                        examples=((ow.iloc[int(no_id[0])], ""),), count=len(no_id),
                                        expected="the order id on every ecommerceOrder action"))
        revenue = _numbers(path, o["revenue"], ow, "revenue")
        no_rev = np.flatnonzero(revenue.isna().to_numpy())
        if len(no_rev):
            raise KpiInputError(Problem("an ecommerceOrder action has no revenue", file=str(path), column="revenue",
                                        examples=((ow.iloc[int(no_rev[0])], ""),), count=len(no_rev),
                                        expected="the order's revenue on every ecommerceOrder action"))
        orders = pd.DataFrame({
            "order_id": order_id,
            "customer_id": pd.Series(customer.to_numpy()[v]).fillna(pd.Series(visitor.to_numpy()[v])),
            "ordered_at": _timestamps(path, o["timestamp"], ow, "timestamp"),
            "revenue": revenue.round(2),
            "session_id": ids.to_numpy()[v],
            "visitor_id": visitor.to_numpy()[v],
            "shipping": _numbers(path, o["revenueShipping"], ow, "revenueShipping"),
            "tax": _numbers(path, o["revenueTax"], ow, "revenueTax"),
            "items": pd.array(_numbers(path, o["items"], ow, "items", integer=True).round(), dtype="Int64"),
        })
        before = len(orders)
        orders = orders.drop_duplicates("order_id").reset_index(drop=True)
        dropped_orders = before - len(orders)
    tables["orders"] = orders
    # carts: one per order, one per abandoned cart
    c = actions[atype == "ecommerceAbandonedCart"].reset_index(drop=True)
    cw = a_where[(atype == "ecommerceAbandonedCart").to_numpy()].reset_index(drop=True)
    cart_frames = []
    if len(orders):
        value = orders["revenue"] - orders["tax"].fillna(0) - orders["shipping"].fillna(0)
        cart_frames.append(pd.DataFrame({
            "cart_id": orders["session_id"] + "-order-" + orders["order_id"], "created_at": orders["ordered_at"],
            "visitor_id": orders["visitor_id"], "session_id": orders["session_id"], "value": value.round(2),
            "order_id": orders["order_id"]}))
    if len(c):
        v = c["_visit"].to_numpy()
        cart_frames.append(pd.DataFrame({
            "cart_id": pd.Series(ids.to_numpy()[v]) + "-cart-" + c["_pos"].astype(str),
            "created_at": _timestamps(path, c["timestamp"], cw, "timestamp"),
            "visitor_id": visitor.to_numpy()[v], "session_id": ids.to_numpy()[v],
            "value": _numbers(path, c["revenue"], cw, "revenue").round(2), "order_id": None}))
    tables["carts"] = (pd.concat(cart_frames, ignore_index=True) if cart_frames else
                       pd.DataFrame(columns=["cart_id", "created_at", "visitor_id", "session_id", "value", "order_id"]))
    # searches
    s = actions[atype == "search"].reset_index(drop=True)
    sw = a_where[(atype == "search").to_numpy()].reset_index(drop=True)
    searches = pd.DataFrame(columns=["searched_at", "session_id", "query", "results_count"])
    if len(s):
        v = s["_visit"].to_numpy()
        searches = pd.DataFrame({
            "searched_at": _timestamps(path, s["timestamp"], sw, "timestamp"),
            "session_id": ids.to_numpy()[v],
            "query": s["siteSearchKeyword"].astype(str),
            "results_count": pd.array(_numbers(path, s["siteSearchCount"], sw, "siteSearchCount", integer=True).round(),
                                      dtype="Int64"),
        })
    tables["searches"] = searches
    # the period: the visits' local days
    tz = zoneinfo.ZoneInfo(ctx.timezone)
    local = sessions["started_at"].dt.tz_convert(tz).dt.date
    period = (min(local), max(local))
    counts = {
        "sessions": ["channel from referrerType / referrerName through the channel rules (referrers.matomo): "
                     + "; ".join(f"{k[0] or '(none)'} -> {v[2]}" for k, v in sorted(cache.items())[:12])
                     + (" ..." if len(cache) > 12 else "") + "."],
        "orders": ["orders from ecommerceOrder actions; revenue = Matomo's order total (tax and shipping included); "
                   "customer_id = the logged-in user, else the visitor."]
                  + ([f"{dropped_orders:,} repeated order id(s) kept once."] if dropped_orders else []),
        "carts": ["a cart per order (value without tax and shipping) and one per ecommerceAbandonedCart action."],
        "searches": ["searches from search actions; results_count = siteSearchCount (empty stays unknown)."],
    }
    out = []
    for table, frame in tables.items():
        dropped = {"repeated order ids": dropped_orders} if table == "orders" and dropped_orders else {}
        out.append(Parsed(NAME, TITLE, f"{NAME}_{table}", table, frame.reset_index(drop=True), rows_read=len(visits),
                          language="en", period=period, dropped=dropped, notes=notes_common + counts[table]))
    return out
