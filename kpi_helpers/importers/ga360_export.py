"""Universal Analytics (GA360) BigQuery export (``ga_sessions_*`` as Parquet, Avro or JSON) -> sessions, orders, carts, searches.

Written from Google's "[UA] BigQuery Export schema" page and checked on the real nested table
``ga360_gstore_sessions_20170801/ga_sessions_20170801.parquet`` (the choices are those of
:mod:`.ga360`, which reads that sample's flattened copies). ``kpi import DIR_OR_GLOB --into
CLIENT_DIR`` reads every file of the export together; the mapping is Ibis expressions over the
export's table as BigQuery holds it (:func:`sessions`, :func:`orders`, :func:`carts`,
:func:`searches`), run here on DuckDB over the files.

Input shape: one row per session: ``fullVisitorId``, ``visitId``, ``visitStartTime`` (Unix
seconds), ``date`` (``YYYYMMDD``, the view's day), ``userId``, ``channelGrouping``,
``totals{pageviews, bounces}``, ``trafficSource{source, medium, campaign}``,
``device{deviceCategory}``, ``hits`` (repeated: ``hitNumber``, ``time`` in ms since the session
start, ``type``, ``page{pagePath, pageTitle, searchKeyword}``, ``transaction{transactionId,
transactionRevenue, transactionTax, transactionShipping, currencyCode}`` (amounts × 10^6),
``refund{refundAmount}``, ``eCommerceAction{action_type}``, ``product[{productQuantity}]``).
Rows of a ``ga_sessions_intraday_*`` table are left out for days a daily table of the files holds
(``intraday`` in the file name).

Output tables and mapping
-------------------------
sessions (one row per session row: ``fullVisitorId`` + ``visitId`` + ``date``; GA splits a visit
at midnight into two rows with the same ``visitId``)
    * ``session_id`` = keyed hash of ``fullVisitorId`` + ``-`` + ``visitId`` + ``-`` + ``date``;
      ``visitor_id`` = keyed hash of ``fullVisitorId``; ``customer_id`` = hash of ``userId``.
    * ``started_at`` = ``visitStartTime``; ``pageviews`` = ``totals.pageviews``; ``bounced`` =
      ``totals.bounces`` = 1 (GA's own flag).
    * ``landing_page``/``landing_page_title`` = ``page.pagePath``/``pageTitle`` of the
      lowest-numbered PAGE hit (as GA recorded it: lower-cased, query string kept).
    * ``source``/``medium``/``campaign`` = ``trafficSource.*`` raw (GA's ``(direct)``,
      ``(none)``, ``(not set)`` kept); ``channel`` = the kit's channel rules on them (the same
      definition as every other source; in Google's obfuscated sample they often contradict
      GA's grouping); ``channel_group`` = GA's ``channelGrouping``.
    * ``device`` = ``device.deviceCategory``; ``platform`` = ``web``.

orders (one row per ``transactionId`` of hits with ``transaction.transactionRevenue``)
    * An id recorded by several hits of its session is ONE order whose revenue, tax, shipping
      and items are the SUM of its hits (GA's own total revenue is kept); an id in two sessions
      stops the import. ``revenue`` = ``transactionRevenue`` / 10^6 (tax and shipping included,
      as GA defines it); ``tax``/``shipping`` likewise, missing when GA has none.
    * ``ordered_at`` = ``visitStartTime`` + ``time`` of the first recording hit; ``items`` =
      sum of ``productQuantity`` of the products of the recording hits.
    * Refunds (``refund.refundAmount`` on hits naming the transaction): refunded in full ->
      ``refunded``; in part -> deducted from revenue, ``partially_refunded``.
    * ``customer_id`` = hash of ``userId``, else the visitor (a cookie stands for the buyer).

carts (one row per session with an add-to-cart hit, ``eCommerceAction.action_type`` = 3)
    * ``cart_id`` = ``session_id``; ``created_at`` = that hit's time; ``order_id`` = the
      session's first transaction; value not written (adds lack quantities, removals would have
      to be netted).

searches (one row per hit with ``page.searchKeyword``): ``query`` = the keyword;
``results_count`` unknown (UA records none).

Timezone: the view's, from client.yml; the import stops when the sessions' local day in that
timezone is not their ``date``.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from ibis import _

from ..channels import channel_expr
from ..errors import KpiInputError, Problem
from . import bq_export
from ._raw import ImportContext, Parsed

__all__ = ["NAME", "TITLE", "TABLE", "MULTI", "detect", "read_files", "session_rows", "sessions", "orders",
           "carts", "searches", "hits"]

NAME = "ga360"
TITLE = "Universal Analytics (GA360) BigQuery export (ga_sessions_* tables)"
TABLE = "sessions, orders, carts, searches"
MULTI = True
REQUIRED = ("fullVisitorId", "visitId", "visitStartTime", "date", "hits")
EXPECTED = ("a Universal Analytics BigQuery export table (ga_sessions_YYYYMMDD) extracted as Parquet, Avro or "
            "newline-delimited JSON")

_HIT = pa.struct([
    ("hitNumber", pa.int64()), ("time", pa.int64()), ("type", pa.string()),
    ("page", pa.struct([("pagePath", pa.string()), ("pageTitle", pa.string()), ("searchKeyword", pa.string())])),
    ("transaction", pa.struct([("transactionId", pa.string()), ("transactionRevenue", pa.int64()),
                               ("transactionTax", pa.int64()), ("transactionShipping", pa.int64()),
                               ("currencyCode", pa.string())])),
    ("refund", pa.struct([("refundAmount", pa.int64())])),
    ("eCommerceAction", pa.struct([("action_type", pa.string())])),
    ("product", pa.list_(pa.struct([("productQuantity", pa.int64())]))),
])
#: The part of the export's schema the mapping reads (JSON and Avro are read into it).
SCHEMA = pa.schema([
    ("fullVisitorId", pa.string()), ("visitId", pa.int64()), ("visitStartTime", pa.int64()), ("date", pa.string()),
    ("userId", pa.string()), ("channelGrouping", pa.string()),
    ("totals", pa.struct([("pageviews", pa.int64()), ("bounces", pa.int64())])),
    ("trafficSource", pa.struct([("source", pa.string()), ("medium", pa.string()), ("campaign", pa.string())])),
    ("device", pa.struct([("deviceCategory", pa.string())])),
    ("hits", pa.list_(_HIT)),
])


def detect(path: Path | str) -> bool:
    """A ga_sessions table: Parquet, Avro or JSON lines whose records have visitStartTime and visitId."""
    kind = bq_export.file_kind(path)
    return kind is not None and {"visitStartTime", "visitId"} <= bq_export.top_fields(path, kind)


def session_rows(t: ibis.Table) -> ibis.Table:
    """The export's session rows, flat (intraday rows of days a daily table holds left out)."""
    f = lambda dotted, dtype="string": bq_export.field(t, dotted, dtype)  # noqa: E731
    out = t.mutate(
        intraday=bq_export.is_intraday(t), visitor=f("fullVisitorId"), visit=f("visitId", "int64"),
        day=f("date"), start_s=f("visitStartTime", "int64"), user_id=f("userId"),
        pageviews=f("totals.pageviews", "int64"), bounces=f("totals.bounces", "int64"),
        source=f("trafficSource.source"), medium=f("trafficSource.medium"), campaign=f("trafficSource.campaign"),
        channel_group=f("channelGrouping"), device=f("device.deviceCategory"),
    )
    daily = out.filter(~out.intraday).select("day").distinct()
    out = out.filter(~out.intraday | ~out.day.isin(daily.day))
    return out.select("visitor", "visit", "day", "start_s", "user_id", "pageviews", "bounces", "source", "medium",
                      "campaign", "channel_group", "device", "hits")


def hits(rows: ibis.Table) -> ibis.Table:
    """One row per hit, with its session's keys and its time (µs, UTC)."""
    h = rows.select("visitor", "visit", "day", "start_s", "user_id", hit=rows.hits.unnest())
    hit = h.hit
    typ = hit.type()
    g = lambda name, sub=None, dtype="string": (  # noqa: E731
        ibis.null().cast(dtype) if name not in typ.names or (sub and sub not in hit[name].type().names)
        else (hit[name][sub] if sub else hit[name]).cast(dtype))
    qty = (hit["product"].map(lambda p: p.productQuantity).sums() if "product" in typ.names
           and "productQuantity" in hit["product"].type().value_type.names else ibis.null().cast("int64"))
    return h.select(
        "visitor", "visit", "day", "user_id", number=g("hitNumber", dtype="int64"),
        us=h.start_s * 1_000_000 + g("time", dtype="int64").fill_null(0) * 1_000, type=g("type"),
        path=g("page", "pagePath"), title=g("page", "pageTitle"), keyword=g("page", "searchKeyword"),
        transaction_id=g("transaction", "transactionId"),
        revenue=g("transaction", "transactionRevenue", "int64"), tax=g("transaction", "transactionTax", "int64"),
        shipping=g("transaction", "transactionShipping", "int64"), currency=g("transaction", "currencyCode"),
        refund=g("refund", "refundAmount", "int64"), action=g("eCommerceAction", "action_type"), quantity=qty,
    )


KEYS = ["visitor", "visit", "day"]


def sessions(rows: ibis.Table, h: ibis.Table) -> ibis.Table:
    """One row per session row, with its landing page (the lowest-numbered PAGE hit)."""
    page = h.type == "PAGE"
    land = h.group_by(KEYS).aggregate(landing_page=h.path.argmin(h.number, where=page),
                                      landing_page_title=h.title.argmin(h.number, where=page))
    land = land.rename(l_visitor="visitor", l_visit="visit", l_day="day")
    j = rows.left_join(land, (rows.visitor == land.l_visitor) & (rows.visit == land.l_visit)
                       & (rows.day == land.l_day))
    return j.select(*KEYS, "start_s", "user_id", "landing_page", "landing_page_title", "pageviews",
                    bounced=(j.bounces == 1).fill_null(False), source=j.source, medium=j.medium, campaign=j.campaign,
                    channel=channel_expr(j.source, j.medium, j.campaign), channel_group=j.channel_group,
                    device=j.device)


def orders(h: ibis.Table) -> ibis.Table:
    """One row per transactionId of the hits that record a revenue; refunds added up beside."""
    tx = h.filter(h.revenue.notnull() & h.transaction_id.notnull())
    o = tx.group_by("transaction_id").aggregate(
        ordered_us=tx.us.min(), visitor=tx.visitor.argmin(tx.us), visit=tx.visit.argmin(tx.us),
        day=tx.day.argmin(tx.us), user_id=tx.user_id.argmin(tx.us), revenue=tx.revenue.sum(), tax=tx.tax.sum(),
        shipping=tx.shipping.sum(), items=tx.quantity.sum(), sessions=(tx.visitor.concat("-", tx.visit.cast(
            "string"), "-", tx.day)).nunique())
    r = h.filter(h.refund.notnull() & h.transaction_id.notnull())
    r = r.group_by(refund_id=r.transaction_id).aggregate(refunded=r.refund.sum())
    j = o.left_join(r, o.transaction_id == r.refund_id)
    return j.select(*o.columns, refunded=j.refunded.fill_null(0))


def carts(h: ibis.Table) -> ibis.Table:
    """One row per session with an add-to-cart hit (action type 3)."""
    a = h.filter(h.action == "3")
    a = a.group_by(KEYS).aggregate(created_us=a.us.min())
    tx = h.filter(h.revenue.notnull() & h.transaction_id.notnull())
    t = tx.group_by(KEYS).aggregate(order_id=tx.transaction_id.argmin(tx.number))
    t = t.rename(t_visitor="visitor", t_visit="visit", t_day="day")
    j = a.left_join(t, (a.visitor == t.t_visitor) & (a.visit == t.t_visit) & (a.day == t.t_day))
    return j.select(*KEYS, "created_us", "order_id")


def searches(h: ibis.Table) -> ibis.Table:
    """One row per hit with a site-search keyword."""
    s = h.filter(h.keyword.notnull() & (h.keyword.strip() != ""))
    return s.select(*KEYS, searched_us=s.us, query=s.keyword)


def _check_schema(raw: list[ibis.Table], files: list[Path]) -> None:
    for t in raw:
        missing = [c for c in REQUIRED if c not in t.columns]
        if missing:
            raise KpiInputError(Problem(f"no {missing[0]} field", file=bq_export.label_of(files), column=missing[0],
                                        expected=f"{EXPECTED}, with {', '.join(REQUIRED)}"))
        typ = t.hits.type()
        if not (typ.is_array() and typ.value_type.is_struct()):
            raise KpiInputError(Problem(f"hits is {typ}", file=bq_export.label_of(files), column="hits",
                                        expected="a repeated record of hits, as the GA360 export writes it"))


def read_files(files: list[Path], ctx: ImportContext) -> list[Parsed]:
    """Read every file of one GA360 export and map it to the contract's tables (one Parsed each)."""
    label = bq_export.label_of(files)

    def compute(con, raw):
        _check_schema(raw, files)
        staged = [session_rows(t) for t in raw]
        rows = con.create_table("ga360_sessions", staged[0] if len(staged) == 1 else ibis.union(*staged), temp=True)
        h = con.create_table("ga360_hits", hits(rows), temp=True)
        nulls = int(rows.filter(rows.visitor.isnull() | rows.visit.isnull() | rows.start_s.isnull()).count()
                    .to_pandas())
        if nulls:
            raise KpiInputError(Problem(f"{nulls:,} session row(s) without fullVisitorId, visitId or visitStartTime",
                                        file=label, column="fullVisitorId", expected="all three on every row"))
        buckets = rows.group_by("day", bucket=rows.start_s // 900).aggregate(n=_.count()).to_pandas()
        bq_export.check_timezone(buckets, ctx.timezone, files=label, column="date")
        dup = int(rows.group_by(KEYS).aggregate(n=_.count()).filter(_.n > 1).count().to_pandas())
        if dup:
            raise KpiInputError(Problem(f"{dup:,} session(s) appear in several rows (fullVisitorId, visitId, date)",
                                        file=label, column="visitId", expected="each session once: the same daily "
                                                                               "table given twice?"))
        currencies = sorted(h.filter(h.revenue.notnull() & h.currency.notnull()).select("currency").distinct()
                            .to_pandas()["currency"].str.upper().unique())
        if len(currencies) > 1:
            raise KpiInputError(Problem(f"transactions in several currencies ({', '.join(currencies)})", file=label,
                                        column="hits.transaction.currencyCode", expected="one currency per client "
                                                                                         "folder"))
        o = orders(h).to_pandas()
        if (o["sessions"] > 1).any():
            raise KpiInputError(Problem(f"{int((o['sessions'] > 1).sum()):,} transactionId(s) in several sessions",
                                        file=label, column="hits.transaction.transactionId",
                                        expected="each transaction recorded in one session"))
        no_id = int(h.filter(h.revenue.notnull() & h.transaction_id.isnull()).count().to_pandas())
        n_rows = int(rows.count().to_pandas())
        return (sessions(rows, h).to_pandas(), o, carts(h).to_pandas(), searches(h).to_pandas(), buckets, currencies,
                no_id, n_rows)

    s, o, c, q, buckets, currencies, no_id, n_rows = bq_export.run(files, ctx.timezone, schema=SCHEMA, what=EXPECTED,
                                                                   compute=compute)
    visitors = pd.unique(pd.concat([s["visitor"], o["visitor"], c["visitor"], q["visitor"]], ignore_index=True))
    hashed = dict(zip(visitors, bq_export.hashed(ctx.pseudonymise, "ga_visitor", pd.Series(visitors, dtype=object))))

    def sid(frame: pd.DataFrame) -> pd.Series:
        return frame["visitor"].map(hashed) + "-" + frame["visit"].astype("int64").astype(str) + "-" + frame["day"]

    micro = lambda v: v.astype(float) / 1e6  # noqa: E731  GA's amounts are in millionths
    sessions_out = pd.DataFrame({
        "session_id": sid(s), "visitor_id": s["visitor"].map(hashed),
        "started_at": bq_export.instants(s["start_s"].astype("int64") * 1_000_000), "channel": s["channel"],
        "device": s["device"].fillna("unknown"), "landing_page": s["landing_page"],
        "pageviews": s["pageviews"].astype("Int64").where(s["pageviews"] > 0, pd.NA), "platform": "web",
        "landing_page_title": s["landing_page_title"], "bounced": s["bounced"], "source": s["source"],
        "medium": s["medium"], "campaign": s["campaign"], "channel_group": s["channel_group"],
        "customer_id": bq_export.hashed(ctx.pseudonymise, "user_id", s["user_id"]),
    }).sort_values(["started_at", "session_id"], kind="stable")
    revenue, refunded = micro(o["revenue"]), micro(o["refunded"])
    full = refunded >= revenue - 0.005
    user = bq_export.hashed(ctx.pseudonymise, "user_id", o["user_id"])
    orders_out = pd.DataFrame({
        "order_id": o["transaction_id"], "customer_id": user.where(user.notna(), o["visitor"].map(hashed)),
        "ordered_at": bq_export.instants(o["ordered_us"]),
        "revenue": np.where(full | (refunded <= 0), revenue, revenue - refunded), "session_id": sid(o),
        "visitor_id": o["visitor"].map(hashed), "shipping": micro(o["shipping"]), "tax": micro(o["tax"]),
        "status": np.where(refunded <= 0, None, np.where(full, "refunded", "partially_refunded")),
        "items": o["items"].astype("Int64"),
    }).sort_values(["ordered_at", "order_id"], kind="stable")
    carts_out = pd.DataFrame({
        "cart_id": sid(c), "created_at": bq_export.instants(c["created_us"]), "visitor_id": c["visitor"].map(hashed),
        "session_id": sid(c), "order_id": c["order_id"],
    }).sort_values(["created_at", "cart_id"], kind="stable")
    searches_out = pd.DataFrame({"searched_at": bq_export.instants(q["searched_us"]), "session_id": sid(q),
                                 "query": q["query"]}).sort_values(["searched_at", "session_id"], kind="stable")
    notes = ["sessions = ga_sessions rows (fullVisitorId + visitId + date); channel = the kit's channel rules on "
             "trafficSource source / medium / campaign; GA's channelGrouping kept as channel_group",
             "visitor and customer ids are keyed hashes of fullVisitorId and userId",
             "intraday rows left out for days a daily table holds"]
    period = bq_export.day_range(buckets["day"])
    currency = currencies[0] if currencies else None

    def parsed(table, frame, dropped=None, extra=()):
        return Parsed(NAME, TITLE, NAME, table, frame.reset_index(drop=True), rows_read=n_rows, language="en",
                      period=period, currency=currency if table == "orders" else None,
                      dropped={k: v for k, v in (dropped or {}).items() if v}, notes=notes + list(extra))

    return [parsed("sessions", sessions_out),
            parsed("orders", orders_out, {"hits with a transaction revenue but no transactionId": no_id},
                   ["one order per transactionId: revenue, tax, shipping and items summed over its hits; revenue "
                    "includes tax and shipping (GA's transactionRevenue)"]),
            parsed("carts", carts_out, extra=["one cart per session with an add-to-cart hit; value not written"]),
            parsed("searches", searches_out, extra=["searches from page.searchKeyword; results_count unknown"])]
