"""GA4 BigQuery export (``events_*``, ``events_intraday_*`` as Parquet, Avro or JSON) -> sessions, orders, carts, searches.

Written from Google's "[GA4] BigQuery Export schema" page, ``shared/spec/exports.md`` and the way
Velir/dbt-ga4 models sessions; checked on the real nested sample
``ga4_gstore_events_sampled/ga4_events_sampled.snappy.parquet``. ``kpi import DIR_OR_GLOB --into
CLIENT_DIR`` reads every file of the export together (sessions spanning midnight span two daily
tables). The mapping is Ibis expressions (:func:`events`, :func:`sessions`, :func:`orders`,
:func:`carts`, :func:`searches`) over the export's table as BigQuery holds it: here it runs on
DuckDB over the files, and the same expressions compile for BigQuery (``tests`` compile them).

Reading the files: each batch of each file is read with Arrow, its ``event_params`` pivoted once
into one column per parameter used (:func:`.bq_export.pivot_params`: a vectorised take per key),
and written to a staging Parquet file that DuckDB reads. The Ibis expressions read those columns
when they are there, and filter the nested ``event_params`` list themselves otherwise (the
export's own table in BigQuery): a list filter per parameter costs DuckDB about 0.3 s per million
events each, so the pivot is the files' fast path; a test checks that both paths give the same
visits, orders, carts and searches.

Input shape: one row per event: ``event_date`` (``YYYYMMDD``, the property's day),
``event_timestamp`` (µs, UTC), ``event_name``, ``event_params`` (repeated ``key`` +
``value{string_value, int_value, float_value, double_value}``), ``user_pseudo_id`` (the browser's
cookie id), ``user_id`` (the site's login id, when it sends one), ``device{category}``,
``platform``, ``collected_traffic_source{manual_source, manual_medium, manual_campaign_name,
gclid}`` (from mid-2023), ``session_traffic_source_last_click{manual_campaign{source, medium,
campaign_name}, cross_channel_campaign{default_channel_group}}`` (from mid-2024),
``ecommerce{transaction_id, purchase_revenue, refund_value, tax_value, shipping_value,
total_item_quantity}``, ``items[{quantity}]``. A field the export lacks is read as missing.

Which events: events of an ``events_intraday_YYYYMMDD`` table are left out for every day that a
daily ``events_YYYYMMDD`` table of the files also holds (GA writes the day again in the daily
table, so both would double it). Intraday files are told by ``intraday`` in the file name (the
table name ``bq extract`` puts there); events without ``user_pseudo_id`` (cookieless pings of
Consent Mode) or without ``ga_session_id`` cannot be put in a visit and are left out (counted).

Output tables and mapping
-------------------------
sessions (one row per ``user_pseudo_id`` + ``ga_session_id``)
    * ``session_id`` = pseudonymised visitor + ``-`` + ``ga_session_id``; ``visitor_id`` = keyed
      hash of ``user_pseudo_id``; ``customer_id`` = keyed hash of ``user_id`` when logged in.
    * ``started_at`` = the session's first event (µs, UTC).
    * ``landing_page`` = URL path of ``page_location`` of the session's first ``page_view``
      (query string and fragment left out); ``landing_page_title`` = its ``page_title``.
    * ``pageviews`` = number of ``page_view`` events (missing when none: the contract counts
      pages from 1); ``bounced`` = no event of the session carries ``session_engaged`` = 1
      (GA4's bounce: a session that is not engaged).
    * ``source``/``medium``/``campaign``: the session's last-click source as GA4 writes it in
      ``session_traffic_source_last_click.manual_campaign`` when the export has it; else the
      first source / medium of the session's events (``collected_traffic_source.manual_*``, then
      the ``source``/``medium``/``campaign`` event parameters; a ``gclid`` alone is
      ``google``/``cpc``). None: a direct visit.
    * ``channel`` = the kit's channel rules (``channel_rules.yml``) on source / medium /
      campaign, ``unknown`` when Google replaced them by ``<Other>`` or ``(data deleted)``.
      ``channel_group`` = GA4's own ``default_channel_group`` (last click) where present.
    * ``device`` = ``device.category`` of the first event; ``platform`` = ``platform``
      lower-cased (``web``, ``ios``, ``android``).

orders (one row per ``transaction_id`` of ``purchase`` events)
    * ``order_id`` = event parameter ``transaction_id``, else ``ecommerce.transaction_id``; a
      purchase without one (or with ``(not set)``) is left out (counted); the same id sent again
      (GA4 duplicate purchases) is one order, at its first event.
    * ``revenue`` = event parameter ``value``, else ``ecommerce.purchase_revenue``: what the
      site's tag sends, often WITHOUT tax and shipping (Google's examples send them apart), so it
      may be below the contract's "tax and shipping included"; ``tax``/``shipping`` are therefore
      not written. A purchase without a value is left out (counted); a negative one stops the import.
    * Refunds: ``refund`` events with the order's id. Refunds adding up to the revenue make the
      order ``refunded`` (left out of every KPI, as in the shop's own list); a smaller refund is
      deducted from the revenue (``partially_refunded``). Refunds of orders not in the files are
      counted and left out.
    * ``ordered_at``, ``session_id``, ``visitor_id`` from that first event; ``customer_id`` =
      hash of ``user_id`` when logged in, else the visitor (a cookie stands for the buyer);
      ``items`` = ``ecommerce.total_item_quantity``, else the sum of ``items.quantity``.
    * One currency (``currency`` parameter of the purchases) per export; several stop the import.

carts (one row per session with an ``add_to_cart`` or ``begin_checkout`` event)
    * ``cart_id`` = ``session_id``; ``created_at`` = the first such event; ``value`` = ``value``
      of the session's last ``begin_checkout`` (the cart at checkout), else missing;
      ``order_id`` = the session's first purchase with an id.

searches (one row per ``view_search_results`` event with a ``search_term``)
    * ``query`` = ``search_term``; ``results_count`` = the first of the parameters
      :data:`RESULT_PARAMS` the event carries (GA4 records no result count by itself: a site
      sends one with its own parameter), else missing (unknown, never 0).

Timezone: the property's, from client.yml. ``event_date`` is the property's day, so the import
stops when most events' local day in client.yml's timezone is another day (naming one that fits).
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
from .memory import release

__all__ = ["NAME", "TITLE", "TABLE", "MULTI", "detect", "read_files", "events", "sessions", "orders", "carts",
           "searches", "RESULT_PARAMS"]

NAME = "ga4"
TITLE = "GA4 BigQuery export (events_* tables)"
TABLE = "sessions, orders, carts, searches"
MULTI = True  # one export is all its files, read together

#: Event parameters that may carry a site search's number of results (sites send their own).
RESULT_PARAMS = ("search_results", "results_count", "search_results_count", "number_of_results", "nb_results")
#: Values Google's obfuscation (public samples) or data deletion puts in place of a source or medium.
OBFUSCATED = ("<Other>", "(data deleted)")
REQUIRED = ("event_date", "event_timestamp", "event_name", "event_params", "user_pseudo_id")
EXPECTED = "a GA4 BigQuery export table (events_YYYYMMDD) extracted as Parquet, Avro or newline-delimited JSON"

_VALUE = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()), ("float_value", pa.float64()),
                    ("double_value", pa.float64())])
_CAMPAIGN = pa.struct([("source", pa.string()), ("medium", pa.string()), ("campaign_name", pa.string())])
#: The part of the export's schema the mapping reads (JSON and Avro are read into it).
SCHEMA = pa.schema([
    ("event_date", pa.string()), ("event_timestamp", pa.int64()), ("event_name", pa.string()),
    ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))),
    ("user_id", pa.string()), ("user_pseudo_id", pa.string()), ("platform", pa.string()),
    ("device", pa.struct([("category", pa.string())])),
    ("collected_traffic_source", pa.struct([("manual_source", pa.string()), ("manual_medium", pa.string()),
                                            ("manual_campaign_name", pa.string()), ("gclid", pa.string())])),
    ("session_traffic_source_last_click", pa.struct([
        ("manual_campaign", _CAMPAIGN),
        ("cross_channel_campaign", pa.struct([("default_channel_group", pa.string())]))])),
    ("ecommerce", pa.struct([("transaction_id", pa.string()), ("purchase_revenue", pa.float64()),
                             ("refund_value", pa.float64()), ("total_item_quantity", pa.int64())])),
    ("items", pa.list_(pa.struct([("quantity", pa.int64())]))),
])


def detect(path: Path | str) -> bool:
    """A GA4 events table: Parquet, Avro or JSON lines whose records have event_name and event_timestamp."""
    kind = bq_export.file_kind(path)
    return kind is not None and {"event_name", "event_timestamp"} <= bq_export.top_fields(path, kind)


# -- the mapping, as Ibis expressions --------------------------------------------------------------


#: Event parameters read as text and as numbers (the files' parameters are pivoted to these once).
TEXT_PARAMS = ("page_location", "page_title", "session_engaged", "source", "medium", "campaign", "transaction_id",
               "currency", "search_term")
NUMBER_PARAMS = ("ga_session_id", "value", *RESULT_PARAMS)


def _param(t: ibis.Table, key: str) -> ibis.Value:
    """The ``value`` struct of event parameter ``key`` (missing when the event lacks it)."""
    return t.event_params.filter(lambda p: p.key == key)[0].value


def _text(t: ibis.Table, key: str) -> ibis.Value:
    """Parameter ``key`` as text: ``string_value``, else ``int_value`` written out."""
    if f"text__{key}" in t.columns:  # pivoted by bq_export.pivot_params (the files' fast path)
        return t[f"text__{key}"]
    v = _param(t, key)
    names = v.type().names
    out = v.string_value if "string_value" in names else ibis.null().cast("string")
    if "int_value" in names:
        out = out.coalesce(v.int_value.cast("string"))
    return out


def _number(t: ibis.Table, key: str) -> ibis.Value:
    """Parameter ``key`` as a number: ``double_value``, ``float_value``, ``int_value``, else a
    ``string_value`` that reads as a number."""
    if f"number__{key}" in t.columns:
        return t[f"number__{key}"]
    v = _param(t, key)
    names = v.type().names
    parts = [v[n].cast("float64") for n in ("double_value", "float_value", "int_value") if n in names]
    if "string_value" in names:
        parts.append(ibis.ifelse(v.string_value.re_search(bq_export.NUMBER_TEXT), v.string_value,
                                 ibis.null().cast("string")).try_cast("float64"))
    return ibis.coalesce(*parts) if len(parts) > 1 else parts[0]


def _blank(value: ibis.Value) -> ibis.Value:
    """Empty text and GA4's ``(not set)`` as missing."""
    return ibis.ifelse(value.strip().isin(["", "(not set)"]), ibis.null().cast("string"), value)


def events(t: ibis.Table) -> ibis.Table:
    """The export's events, one flat row each with the fields the mapping uses (a staging model).

    ``t`` is the export as BigQuery holds it (plus ``filename`` when read from files). Intraday
    events of days that a daily table also holds are left out here."""
    name = t.event_name
    f = lambda dotted, dtype="string": bq_export.field(t, dotted, dtype)  # noqa: E731
    page = name == "page_view"
    commerce = name.isin(["purchase", "refund", "begin_checkout", "add_to_cart"])
    none = ibis.null().cast("string")
    gclid = f("collected_traffic_source.gclid")
    ev_source = f("collected_traffic_source.manual_source").coalesce(_text(t, "source"))
    ev_medium = f("collected_traffic_source.manual_medium").coalesce(_text(t, "medium"))
    no_tag = ev_source.isnull() & ev_medium.isnull() & gclid.notnull()
    item_qty = (t["items"].map(lambda i: i.quantity).sums() if "items" in t.columns
                and t["items"].type().value_type.is_struct() and "quantity" in t["items"].type().value_type.names
                else ibis.null().cast("int64"))
    out = t.select(
        intraday=bq_export.is_intraday(t),
        event_date=t.event_date.cast("string"),
        ts=t.event_timestamp.cast("int64"),
        event_name=name,
        visitor=t.user_pseudo_id.cast("string"),
        user_id=_blank(f("user_id")),
        ga_session_id=_number(t, "ga_session_id").cast("int64"),
        page_location=ibis.ifelse(page, _text(t, "page_location"), none),
        page_title=ibis.ifelse(page, _text(t, "page_title"), none),
        engaged=_text(t, "session_engaged").isin(["1", "true"]).fill_null(False),
        lc_source=_blank(f("session_traffic_source_last_click.manual_campaign.source")),
        lc_medium=_blank(f("session_traffic_source_last_click.manual_campaign.medium")),
        lc_campaign=_blank(f("session_traffic_source_last_click.manual_campaign.campaign_name")),
        channel_group=_blank(f("session_traffic_source_last_click.cross_channel_campaign.default_channel_group")),
        ev_source=ibis.ifelse(no_tag, "google", _blank(ev_source)),
        ev_medium=ibis.ifelse(no_tag, "cpc", _blank(ev_medium)),
        ev_campaign=_blank(f("collected_traffic_source.manual_campaign_name").coalesce(_text(t, "campaign"))),
        device=f("device.category"),
        platform=f("platform").lower(),
        transaction_id=ibis.ifelse(commerce, _blank(_text(t, "transaction_id")).coalesce(
            _blank(f("ecommerce.transaction_id"))), none),
        value=ibis.ifelse(commerce, _number(t, "value").coalesce(
            ibis.ifelse(name == "refund", f("ecommerce.refund_value", "float64"),
                        f("ecommerce.purchase_revenue", "float64"))), ibis.null().cast("float64")),
        currency=ibis.ifelse(name == "purchase", _blank(_text(t, "currency")), none),
        items=ibis.ifelse(name == "purchase", f("ecommerce.total_item_quantity", "int64").coalesce(item_qty),
                          ibis.null().cast("int64")),
        search_term=ibis.ifelse(name == "view_search_results", _blank(_text(t, "search_term")), none),
        results_count=ibis.ifelse(name == "view_search_results",
                                  ibis.coalesce(*[_number(t, k) for k in RESULT_PARAMS]).cast("int64"),
                                  ibis.null().cast("int64")),
    )
    daily = out.filter(~out.intraday).select("event_date").distinct()
    return out.filter(~out.intraday | ~out.event_date.isin(daily.event_date))


def visits(ev: ibis.Table) -> ibis.Table:
    """The events that belong to a visit (a visitor and a ``ga_session_id``)."""
    return ev.filter(ev.visitor.notnull() & ev.ga_session_id.notnull())


def sessions(ev: ibis.Table) -> ibis.Table:
    """One row per visit (``visitor``, ``ga_session_id``) with the contract's session fields (raw ids)."""
    v = visits(ev)
    has_lc = v.lc_source.notnull() | v.lc_medium.notnull()
    has_ev = v.ev_source.notnull() | v.ev_medium.notnull()
    page = v.event_name == "page_view"
    s = v.group_by(["visitor", "ga_session_id"]).aggregate(
        started_us=v.ts.min(),
        user_id=v.user_id.argmin(v.ts, where=v.user_id.notnull()),
        landing_url=v.page_location.argmin(v.ts, where=page),
        landing_page_title=v.page_title.argmin(v.ts, where=page),
        pageviews=page.cast("int64").sum(),
        engaged=v.engaged.any(),
        lc=has_lc.any(),
        lc_source=v.lc_source.argmin(v.ts, where=has_lc),
        lc_medium=v.lc_medium.argmin(v.ts, where=has_lc),
        lc_campaign=v.lc_campaign.argmin(v.ts, where=has_lc),
        ev_source=v.ev_source.argmin(v.ts, where=has_ev),
        ev_medium=v.ev_medium.argmin(v.ts, where=has_ev),
        ev_campaign=v.ev_campaign.argmin(v.ts, where=has_ev),
        channel_group=v.channel_group.argmin(v.ts, where=v.channel_group.notnull()),
        device=v.device.argmin(v.ts),
        platform=v.platform.argmin(v.ts),
    )
    source = ibis.ifelse(s.lc, s.lc_source, s.ev_source)
    medium = ibis.ifelse(s.lc, s.lc_medium, s.ev_medium)
    campaign = ibis.ifelse(s.lc, s.lc_campaign, s.ev_campaign)
    hidden = source.isin(OBFUSCATED) | medium.isin(OBFUSCATED)
    return s.select(
        "visitor", "ga_session_id", "started_us", "user_id",
        landing_page=s.landing_url.re_extract(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)", 1),
        landing_page_title=s.landing_page_title,
        pageviews=s.pageviews, bounced=~s.engaged, source=source, medium=medium, campaign=campaign,
        channel=ibis.ifelse(hidden.fill_null(False), "unknown", channel_expr(source, medium, campaign)),
        channel_group=s.channel_group, device=s.device, platform=s.platform,
    )


def orders(ev: ibis.Table) -> ibis.Table:
    """One row per purchase ``transaction_id`` (first event kept), with its refunds added up."""
    v = visits(ev)
    buys = v.filter((v.event_name == "purchase") & v.transaction_id.notnull() & v.value.notnull())
    o = buys.group_by("transaction_id").aggregate(
        ordered_us=buys.ts.min(), visitor=buys.visitor.argmin(buys.ts),
        ga_session_id=buys.ga_session_id.argmin(buys.ts), user_id=buys.user_id.argmin(buys.ts),
        value=buys.value.argmin(buys.ts), items=buys["items"].argmin(buys.ts), copies=buys.count(),
    )
    r = refunds(ev).rename(refund_id="transaction_id")
    j = o.left_join(r, o.transaction_id == r.refund_id)
    return j.select(*[c for c in o.columns], refunded=j.refunded.fill_null(0.0))


def refunds(ev: ibis.Table) -> ibis.Table:
    """Refunded amount per ``transaction_id`` (``refund`` events)."""
    r = ev.filter((ev.event_name == "refund") & ev.transaction_id.notnull())
    return r.group_by("transaction_id").aggregate(refunded=r.value.sum())


def carts(ev: ibis.Table) -> ibis.Table:
    """One row per visit with an ``add_to_cart`` or ``begin_checkout`` event."""
    v = visits(ev)
    c = v.filter(v.event_name.isin(["add_to_cart", "begin_checkout"]))
    c = c.group_by(["visitor", "ga_session_id"]).aggregate(
        created_us=c.ts.min(), value=c.value.argmax(c.ts, where=c.event_name == "begin_checkout"))
    b = v.filter((v.event_name == "purchase") & v.transaction_id.notnull() & v.value.notnull())
    b = b.group_by(["visitor", "ga_session_id"]).aggregate(order_id=b.transaction_id.argmin(b.ts))
    b = b.rename(b_visitor="visitor", b_session="ga_session_id")
    j = c.left_join(b, (c.visitor == b.b_visitor) & (c.ga_session_id == b.b_session))
    return j.select("visitor", "ga_session_id", "created_us", "value", "order_id")


def searches(ev: ibis.Table) -> ibis.Table:
    """One row per ``view_search_results`` event with a search term."""
    v = visits(ev)
    s = v.filter((v.event_name == "view_search_results") & v.search_term.notnull())
    return s.select("visitor", "ga_session_id", searched_us=s.ts, query=s.search_term, results_count=s.results_count)


def checks(ev: ibis.Table) -> ibis.Table:
    """One row per (day, 15-minute UTC slot): events, for the timezone check and the period."""
    return ev.group_by(day=ev.event_date, bucket=(ev.ts // 900_000_000)).aggregate(n=_.count())


def counts(ev: ibis.Table) -> ibis.Table:
    """What is left out, counted once (one row)."""
    buy = ev.event_name == "purchase"
    return ev.aggregate(
        events=_.count(),
        no_visit=(ev.visitor.isnull() | ev.ga_session_id.isnull()).cast("int64").sum(),
        buys_no_id=(buy & ev.transaction_id.isnull()).cast("int64").sum(),
        buys_no_value=(buy & ev.transaction_id.notnull() & ev.value.isnull()).cast("int64").sum(),
        negative=(buy & (ev.value < 0)).cast("int64").sum(),
        searches_no_term=((ev.event_name == "view_search_results") & ev.search_term.isnull()).cast("int64").sum(),
    )


# -- reading the files and writing the contract's tables ---------------------------------------------


#: The columns the files are staged into: the schema without event_params, plus the pivoted parameters.
STAGED = pa.schema([f for f in SCHEMA if f.name != "event_params"]
                   + [pa.field(f"text__{k}", pa.string()) for k in TEXT_PARAMS]
                   + [pa.field(f"number__{k}", pa.float64()) for k in NUMBER_PARAMS])
_BASE = pa.schema([f for f in SCHEMA if f.name != "event_params"])


def _prepare(table: pa.Table, path: Path) -> pa.Table:
    """One batch of a file: required fields checked, event_params pivoted, columns conformed."""
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise KpiInputError(Problem(f"no {missing[0]} field", file=str(path), column=missing[0],
                                    expected=f"{EXPECTED}, with {', '.join(REQUIRED)}"))
    params = table.column("event_params").combine_chunks()
    typ = params.type
    value = typ.value_type if pa.types.is_list(typ) else None
    names = {value.field(i).name for i in range(value.num_fields)} if value is not None and pa.types.is_struct(
        value) else set()
    if not {"key", "value"} <= names or not pa.types.is_struct(value.field("value").type):
        raise KpiInputError(Problem(f"event_params is {typ}", file=str(path), column="event_params",
                                    expected="a repeated record of key and value{string_value, int_value, "
                                             "float_value, double_value}, as the GA4 export writes it"))
    pivoted = bq_export.pivot_params(params, text=TEXT_PARAMS, number=NUMBER_PARAMS)
    base = bq_export.conform(table.drop_columns(["event_params"]), _BASE)
    for name, column in pivoted.items():
        base = base.append_column(name, column)
    return base


def read_files(files: list[Path], ctx: ImportContext) -> list[Parsed]:
    """Read every file of one GA4 export and map it to the contract's tables (one Parsed each)."""
    label = bq_export.label_of(files)

    import shutil
    import tempfile

    import pyarrow.parquet as pq

    from ..loading.client import _spill_dir

    out = Path(tempfile.mkdtemp(prefix="kpi-ga4-", dir=_spill_dir()))  # the visits, kept past the connection

    def compute(con, scratch):
        raw = bq_export.stage_files(con, files, "ga4_raw", schema=SCHEMA, prepare=_prepare, what=EXPECTED,
                                    folder=scratch)
        events(raw).to_parquet(scratch / "ga4_events.parquet")  # streamed by DuckDB; read back by every query
        ev = con.read_parquet(str(scratch / "ga4_events.parquet"))
        n = counts(ev).to_pandas().iloc[0]
        n["rows"] = int(raw.count().to_pandas())
        buckets = checks(ev).to_pandas()
        if n["negative"]:
            raise KpiInputError(Problem(f"{int(n['negative']):,} purchase event(s) with a negative value", file=label,
                                        column="event_params.value", expected="purchase values >= 0 (refunds are "
                                                                              "refund events)"))
        bq_export.check_timezone(buckets, ctx.timezone, files=label, column="event_date")
        currencies = sorted(ev.filter(ev.currency.notnull()).select("currency").distinct()
                            .to_pandas()["currency"].str.upper().unique())
        if len(currencies) > 1:
            raise KpiInputError(Problem(f"purchases in several currencies ({', '.join(currencies)})", file=label,
                                        column="event_params.currency", expected="one currency per client folder"))
        o = orders(ev).to_pandas()
        refunded = refunds(ev).to_pandas()  # one row per refunded transaction: few
        unmatched = int((~refunded["transaction_id"].isin(o["transaction_id"])).sum())
        # the visits (the one large result) written by DuckDB and read once its memory is given back: a
        # frame made while DuckDB still held its working memory added the two (1.86 GB at 10M events)
        sessions(ev).to_parquet(out / "sessions.parquet")
        return o, carts(ev).to_pandas(), searches(ev).to_pandas(), n, buckets, currencies, unmatched

    try:
        o, c, q, n, buckets, currencies, unmatched = bq_export.run(files, ctx.timezone, schema=SCHEMA, what=EXPECTED,
                                                                    staged=True, compute=compute)
        release()  # DuckDB's and the queries' buffers, before the tables are assembled
        s = pq.read_table(out / "sessions.parquet").to_pandas()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return _parsed(s, o, c, q, n, buckets, currencies, unmatched, ctx)


def _parsed(s, o, c, q, n, buckets, currencies, unmatched, ctx) -> list[Parsed]:
    # every table's visitors numbered in one pass, each distinct visitor hashed once
    frames = {"s": s, "o": o, "c": c, "q": q}
    numbers, visitors = pd.factorize(pd.concat([f["visitor"] for f in frames.values()], ignore_index=True),
                                     use_na_sentinel=False)
    codes = bq_export.hashed(ctx.pseudonymise, "ga4_visitor", pd.Series(visitors, dtype="object")).to_numpy(object)
    bounds = np.cumsum([0, *(len(f) for f in frames.values())])
    who = {k: pd.Series(codes[numbers[a:b]], index=f.index, dtype="str")
           for (k, f), a, b in zip(frames.items(), bounds[:-1], bounds[1:])}
    sid = {k: who[k] + "-" + f["ga_session_id"].astype("int64").astype("str") for k, f in frames.items()}

    sessions_out = pd.DataFrame({
        "session_id": sid["s"], "visitor_id": who["s"], "started_at": bq_export.instants(s["started_us"]),
        "channel": s["channel"], "device": s["device"].fillna("unknown"), "landing_page": s["landing_page"].where(
            s["landing_page"] != "", "/").where(s["landing_page"].notna(), None),
        "pageviews": s["pageviews"].astype("Int64").where(s["pageviews"] > 0, pd.NA),
        "platform": s["platform"], "landing_page_title": s["landing_page_title"], "bounced": s["bounced"],
        "source": s["source"], "medium": s["medium"], "campaign": s["campaign"],
        "channel_group": s["channel_group"], "customer_id": bq_export.hashed(ctx.pseudonymise, "user_id", s["user_id"]),
    })
    refunded = o["refunded"].astype(float)
    full = refunded >= o["value"].astype(float) - 0.005
    status = np.where(refunded <= 0, None, np.where(full, "refunded", "partially_refunded"))
    user = bq_export.hashed(ctx.pseudonymise, "user_id", o["user_id"])
    orders_out = pd.DataFrame({
        "order_id": o["transaction_id"], "customer_id": user.where(user.notna(), who["o"]),
        "ordered_at": bq_export.instants(o["ordered_us"]),
        "revenue": np.where(full | (refunded <= 0), o["value"], o["value"] - refunded).astype(float),
        "session_id": sid["o"], "visitor_id": who["o"], "status": status,
        "items": o["items"].astype("Int64"),
    })
    carts_out = pd.DataFrame({
        "cart_id": sid["c"], "created_at": bq_export.instants(c["created_us"]), "visitor_id": who["c"],
        "session_id": sid["c"], "value": c["value"].astype(float), "order_id": c["order_id"],
    })
    searches_out = pd.DataFrame({
        "searched_at": bq_export.instants(q["searched_us"]), "session_id": sid["q"], "query": q["query"],
        "results_count": q["results_count"].astype("Int64"),
    })
    period = bq_export.day_range(buckets["day"])
    events_read = int(n["rows"])
    no_visit = {"events of intraday tables whose day a daily table holds": events_read - int(n["events"]),
                "events without user_pseudo_id or ga_session_id": int(n["no_visit"])}
    duplicates = int((o["copies"] - 1).sum())
    notes = ["sessions from user_pseudo_id + ga_session_id; started_at = first event; landing page = first "
             "page_view; bounced = not engaged (session_engaged)",
             "channel = the kit's channel rules on the session's last-click source / medium (session_traffic_"
             "source_last_click, else the session's first collected source); GA4's default_channel_group kept "
             "as channel_group",
             "intraday events left out for days a daily table holds",
             "visitor and customer ids are keyed hashes of user_pseudo_id and user_id"]
    order_dropped = {"purchase events without transaction_id": int(n["buys_no_id"]),
                     "purchase events without a value": int(n["buys_no_value"]),
                     "purchase events repeating a transaction_id": duplicates,
                     "refund events of orders not in the files": unmatched}
    currency = currencies[0] if currencies else None
    common = dict(rows_read=events_read, language="en", period=period)

    def parsed(table, frame, dropped, extra):
        return Parsed(NAME, TITLE, NAME, table, frame.reset_index(drop=True), currency=currency if table == "orders"
                      else None, dropped={k: v for k, v in dropped.items() if v}, notes=notes + extra, **common)

    return [
        parsed("sessions", sessions_out, no_visit, []),
        parsed("orders", orders_out, order_dropped,
               ["revenue = purchase value as the tag sends it (often without tax and shipping); refunds deducted, "
                "fully refunded orders kept as refunded"]),
        parsed("carts", carts_out, {}, ["one cart per visit with add_to_cart or begin_checkout; value = last "
                                              "begin_checkout value"]),
        parsed("searches", searches_out, {"view_search_results without search_term":
                                          int(n["searches_no_term"])},
               [f"results_count from the first of the parameters {', '.join(RESULT_PARAMS)}"]),
    ]
