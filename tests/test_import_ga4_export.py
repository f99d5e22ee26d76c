"""kpi import of BigQuery exports: GA4 ``events_*`` / ``events_intraday_*`` and UA ``ga_sessions_*``.

The fixture export is written here from GA4's BigQuery export schema, nested as BigQuery writes
it, in the three formats ``bq extract`` produces: Parquet (pyarrow), newline-delimited JSON
(INT64 as JSON strings, NULL fields left out) and Avro (nullable unions). Its expected sessions,
orders, carts and searches are written out by hand below, one visit at a time. The real samples of
``shared/realdata`` are imported from their nested Parquet files and checked against counts made
directly from those files with pyarrow (not with the importers' code).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpi_helpers.cli import main as kpi
from kpi_helpers.importers import ga4_export, ga360_export
from kpi_helpers.importers.exports import recognise

from realdata import REALDATA_DIR, skip_without_realdata

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# -- the fixture export -----------------------------------------------------------------------------

VALUE = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()), ("float_value", pa.float64()),
                   ("double_value", pa.float64())])
CAMPAIGN = pa.struct([("campaign_id", pa.string()), ("campaign_name", pa.string()), ("source", pa.string()),
                      ("medium", pa.string()), ("term", pa.string()), ("content", pa.string())])
#: GA4's export schema (the fields this fixture fills, and a few it leaves empty), as BigQuery writes it.
EXPORT = pa.schema([
    ("event_date", pa.string()), ("event_timestamp", pa.int64()), ("event_name", pa.string()),
    ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", VALUE)]))),
    ("event_previous_timestamp", pa.int64()), ("event_value_in_usd", pa.float64()),
    ("event_bundle_sequence_id", pa.int64()), ("user_id", pa.string()), ("user_pseudo_id", pa.string()),
    ("user_first_touch_timestamp", pa.int64()),
    ("device", pa.struct([("category", pa.string()), ("operating_system", pa.string()), ("language", pa.string()),
                          ("web_info", pa.struct([("browser", pa.string()), ("hostname", pa.string())]))])),
    ("geo", pa.struct([("continent", pa.string()), ("country", pa.string()), ("city", pa.string())])),
    ("traffic_source", pa.struct([("name", pa.string()), ("medium", pa.string()), ("source", pa.string())])),
    ("stream_id", pa.string()), ("platform", pa.string()),
    ("ecommerce", pa.struct([("total_item_quantity", pa.int64()), ("purchase_revenue_in_usd", pa.float64()),
                             ("purchase_revenue", pa.float64()), ("refund_value_in_usd", pa.float64()),
                             ("refund_value", pa.float64()), ("shipping_value", pa.float64()),
                             ("tax_value", pa.float64()), ("unique_items", pa.int64()),
                             ("transaction_id", pa.string())])),
    ("items", pa.list_(pa.struct([("item_id", pa.string()), ("item_name", pa.string()), ("price", pa.float64()),
                                  ("quantity", pa.int64()), ("item_revenue", pa.float64())]))),
    ("collected_traffic_source", pa.struct([("manual_campaign_id", pa.string()), ("manual_campaign_name", pa.string()),
                                            ("manual_source", pa.string()), ("manual_medium", pa.string()),
                                            ("gclid", pa.string())])),
    ("session_traffic_source_last_click", pa.struct([
        ("manual_campaign", CAMPAIGN),
        ("cross_channel_campaign", pa.struct([("campaign_name", pa.string()), ("source", pa.string()),
                                              ("medium", pa.string()), ("default_channel_group", pa.string())]))])),
])


def param(key: str, value) -> dict:
    slot = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    slot["string_value" if isinstance(value, str) else "int_value" if isinstance(value, int) else "double_value"] = value
    return {"key": key, "value": slot}


def event(name: str, local: str, visitor: str | None, session: int, device: str = "desktop", **fields) -> dict:
    """One event as GA4 exports it; ``local`` is the Paris wall-clock time, ``fields`` adds params
    (``p_<key>``) and nested fields."""
    at = dt.datetime.fromisoformat(local).replace(tzinfo=PARIS)
    params = [param("ga_session_id", session), param("ga_session_number", 1)]
    params += [param(k[2:], v) for k, v in fields.items() if k.startswith("p_")]
    row = {"event_date": at.strftime("%Y%m%d"), "event_timestamp": int(at.timestamp() * 1_000_000),
           "event_name": name, "event_params": params, "event_bundle_sequence_id": 1, "user_pseudo_id": visitor,
           "device": {"category": device, "operating_system": "Windows", "language": "fr-fr",
                      "web_info": {"browser": "Chrome", "hostname": "shop.fr"}},
           "geo": {"continent": "Europe", "country": "France", "city": "Lyon"},
           "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
           "stream_id": "1234567", "platform": "WEB", "items": []}
    row.update({k: v for k, v in fields.items() if not k.startswith("p_")})
    return row


A1, A2, B1, B2, C1 = 1741597200, 1741683600, 1741600800, 1741705200, 1741770000
LAST_CLICK = {"manual_campaign": {"source": "newsletter", "medium": "email", "campaign_name": "mars"},
              "cross_channel_campaign": {"source": "newsletter", "medium": "email", "default_channel_group": "Email"}}
DAY1 = [
    event("session_start", "2025-03-10 10:00:00", "111.1", A1, p_page_location="https://shop.fr/robes?utm_source=x",
          collected_traffic_source={"manual_source": "google", "manual_medium": "cpc", "manual_campaign_name": "soldes"}),
    event("page_view", "2025-03-10 10:00:01", "111.1", A1, p_page_location="https://shop.fr/robes?utm_source=x",
          p_page_title="Robes", p_session_engaged="0"),
    event("page_view", "2025-03-10 10:01:00", "111.1", A1, p_page_location="https://shop.fr/robes/lin#avis",
          p_page_title="Robe en lin", p_session_engaged="1"),
    event("add_to_cart", "2025-03-10 10:02:00", "111.1", A1, p_value=89.0, p_currency="EUR", p_session_engaged="1"),
    event("begin_checkout", "2025-03-10 10:03:00", "111.1", A1, p_value=89.0, p_currency="EUR"),
    event("purchase", "2025-03-10 10:05:00", "111.1", A1, p_transaction_id="T1", p_value=89.0, p_currency="EUR",
          p_session_engaged="1", user_id="client-42",
          ecommerce={"transaction_id": "T1", "purchase_revenue": 89.0, "total_item_quantity": 1}),
    event("session_start", "2025-03-10 11:00:00", "222.2", B1, device="mobile",
          session_traffic_source_last_click=LAST_CLICK),
    event("page_view", "2025-03-10 11:00:01", "222.2", B1, device="mobile", p_page_location="https://shop.fr/",
          p_page_title="Accueil", p_session_engaged="1", session_traffic_source_last_click=LAST_CLICK),
    event("view_search_results", "2025-03-10 11:01:00", "222.2", B1, device="mobile", p_search_term="robe lin",
          p_search_results=0, session_traffic_source_last_click=LAST_CLICK),
    event("view_search_results", "2025-03-10 11:02:00", "222.2", B1, device="mobile", p_search_term="robe",
          p_search_results=12, session_traffic_source_last_click=LAST_CLICK),
    event("purchase", "2025-03-10 11:05:00", "222.2", B1, device="mobile", p_transaction_id="T2", p_value=60.0,
          p_currency="EUR", session_traffic_source_last_click=LAST_CLICK,
          items=[{"item_id": "R1", "quantity": 1, "price": 20.0}, {"item_id": "R2", "quantity": 2, "price": 20.0}]),
    event("purchase", "2025-03-10 11:05:30", "222.2", B1, device="mobile", p_transaction_id="T2", p_value=60.0,
          p_currency="EUR", session_traffic_source_last_click=LAST_CLICK),  # GA4 sent the purchase twice
    event("purchase", "2025-03-10 11:20:00", "222.2", B1, device="mobile", p_transaction_id="T3", p_value=40,
          p_currency="EUR", session_traffic_source_last_click=LAST_CLICK),  # value as int_value
    event("purchase", "2025-03-10 11:21:00", "222.2", B1, device="mobile", p_value=10.0, p_currency="EUR",
          session_traffic_source_last_click=LAST_CLICK),  # no transaction_id: left out
]
DAY2 = [
    event("page_view", "2025-03-11 09:00:00", "111.1", A2, p_page_location="https://shop.fr/", p_page_title="Accueil",
          p_session_engaged="0"),
    event("refund", "2025-03-11 15:00:00", "222.2", B2, device="mobile", p_transaction_id="T2", p_value=15.0,
          p_currency="EUR"),
    event("refund", "2025-03-11 15:01:00", "222.2", B2, device="mobile", p_transaction_id="T3",
          ecommerce={"transaction_id": "T3", "refund_value": 40.0}),
    event("refund", "2025-03-11 15:02:00", "222.2", B2, device="mobile", p_transaction_id="T0", p_value=25.0,
          p_currency="EUR"),  # an order of February, not in these files
    event("page_view", "2025-03-11 16:00:00", None, 1741705000, p_page_location="https://shop.fr/"),  # cookieless
]
DAY3 = [  # only in an intraday table (the day is still open)
    event("page_view", "2025-03-12 10:00:00", "333.3", C1, device="tablet", p_page_location="https://shop.fr/lin",
          p_page_title="Lin", p_session_engaged="0"),
    event("page_view", "2025-03-12 10:00:30", "333.3", C1, device="tablet", p_page_location="https://shop.fr/lin/nappe",
          p_page_title="Nappe", p_session_engaged="1"),
]
TABLES = {"events_20250310": DAY1, "events_20250311": DAY2, "events_intraday_20250311": DAY2,
          "events_intraday_20250312": DAY3}

#: What the export holds, visit by visit (worked out by hand from the events above).
SESSIONS = {  # (visitor, ga_session_id): started (Paris), landing page, title, pageviews, bounced, channel, group, device
    ("111.1", A1): ("2025-03-10 10:00:00", "/robes", "Robes", 2, False, "paid_search", None, "desktop"),
    ("222.2", B1): ("2025-03-10 11:00:00", "/", "Accueil", 1, False, "email", "Email", "mobile"),
    ("111.1", A2): ("2025-03-11 09:00:00", "/", "Accueil", 1, True, "direct", None, "desktop"),
    ("222.2", B2): ("2025-03-11 15:00:00", None, None, None, True, "direct", None, "mobile"),
    ("333.3", C1): ("2025-03-12 10:00:00", "/lin", "Lin", 2, False, "direct", None, "tablet"),
}
ORDERS = {  # order: revenue kept, status, items, visit
    "T1": (89.0, None, 1, ("111.1", A1)),
    "T2": (45.0, "partially_refunded", 3, ("222.2", B1)),  # 60 - 15 refunded
    "T3": (40.0, "refunded", None, ("222.2", B1)),
}


def plain(value):
    """A value as ``bq extract`` writes it in JSON: INT64 as strings, NULL fields left out."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def avro_type(t: pa.DataType, name: str):
    if pa.types.is_struct(t):
        return {"type": "record", "name": name, "fields": [
            {"name": f.name, "type": ["null", avro_type(f.type, f"{name}_{f.name}")], "default": None} for f in t]}
    if pa.types.is_list(t):
        return {"type": "array", "items": avro_type(t.value_type, f"{name}_item")}
    return {pa.string(): "string", pa.int64(): "long", pa.float64(): "double"}[t]


def write_table(rows: list[dict], path: Path, fmt: str) -> Path:
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows, schema=EXPORT), path, compression="snappy")
    elif fmt == "json":
        path.write_text("".join(json.dumps(plain(r), ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        import fastavro

        schema = {"type": "record", "name": "Root", "fields": [
            {"name": f.name, "type": ["null", avro_type(f.type, f.name)], "default": None} for f in EXPORT]}
        full = pa.Table.from_pylist(rows, schema=EXPORT).to_pylist()  # every field present, None where empty
        with open(path, "wb") as fh:
            fastavro.writer(fh, fastavro.parse_schema(schema), full)
    return path


EXT = {"parquet": "parquet", "json": "json", "avro": "avro"}


def write_export(folder: Path, fmt: str, tables=TABLES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():  # bq extract names the files after the table, with a shard number
        write_table(rows, folder / f"{name}-000000000000.{EXT[fmt]}", fmt)
    return folder


def run(capsys, *args) -> tuple[int, str, str]:
    code = kpi([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def client_folder(path: Path, timezone: str = "Europe/Paris", currency: str = "EUR") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "client.yml").write_text(f'name: "boutique"\ntimezone: "{timezone}"\ncurrency: "{currency}"\n')
    return path


def read_table(folder: Path, table: str) -> pd.DataFrame:
    path = next(folder.glob(f"{table}.*"))
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame


# -- the fixture export, end to end -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "json", "avro"])
def test_a_ga4_export_gives_the_visits_orders_carts_and_searches_worked_out_by_hand(tmp_path, capsys, fmt):
    export = write_export(tmp_path / "export", fmt)
    client = client_folder(tmp_path / "client")
    code, out, err = run(capsys, "import", export, "--into", client)
    assert code == 0, err
    assert ("left out: 5 events of intraday tables whose day a daily table holds; 1 events without user_pseudo_id "
            "or ga_session_id") in out
    assert ("left out: 1 purchase events without transaction_id; 1 purchase events repeating a transaction_id; "
            "1 refund events of orders not in the files") in out

    folder = ga4_export.read_files(sorted(export.iterdir()), context("Europe/Paris"))
    got = {p.table: p.frame for p in folder}
    s = got["sessions"]
    assert len(s) == len(SESSIONS)  # the intraday copy of 2025-03-11 did not double its visit; the cookieless one is out
    ids = visit_ids(s)
    for key, (start, landing, title, views, bounced, channel, group, device) in SESSIONS.items():
        row = s.loc[ids[key]]
        assert row["started_at"] == pd.Timestamp(start, tz=PARIS)
        assert (opt(row["landing_page"]), opt(row["landing_page_title"])) == (landing, title)
        assert (None if pd.isna(row["pageviews"]) else int(row["pageviews"])) == views
        assert (bool(row["bounced"]), row["channel"], row["device"]) == (bounced, channel, device)
        assert opt(row["channel_group"]) == group
    o = got["orders"].set_index("order_id")
    assert sorted(o.index) == sorted(ORDERS)
    for order, (revenue, status, items, visit) in ORDERS.items():
        assert o.loc[order, "revenue"] == pytest.approx(revenue)
        assert opt(o.loc[order, "status"]) == status
        assert (None if pd.isna(o.loc[order, "items"]) else int(o.loc[order, "items"])) == items
        assert o.loc[order, "session_id"] == s.loc[ids[visit], "session_id"]
    assert o.loc["T1", "customer_id"] != o.loc["T1", "visitor_id"]  # logged in: the buyer is the account
    assert o.loc["T2", "customer_id"] == o.loc["T2", "visitor_id"]
    carts = got["carts"]
    assert len(carts) == 1 and carts.loc[0, "order_id"] == "T1" and carts.loc[0, "value"] == 89.0
    assert carts.loc[0, "created_at"] == pd.Timestamp("2025-03-10 10:02:00", tz=PARIS)
    q = got["searches"].sort_values("searched_at")
    assert list(q["query"]) == ["robe lin", "robe"] and list(q["results_count"]) == [0, 12]

    code, out, err = run(capsys, "kpis", client, "--start", "2025-03-01", "--end", "2025-03-31", "--format", "json")
    assert code == 0, err
    card = json.loads(out)["kpis"]
    kept = [r for r, status, _, _ in ORDERS.values() if status != "refunded"]
    assert card["sessions"] == len(SESSIONS) and card["orders"] == len(kept)
    assert card["revenue"] == pytest.approx(sum(kept))
    code, out, err = run(capsys, "validate", client)
    assert code == 0 and "OK" in out, err


def opt(value):
    """A cell, None when missing."""
    return None if pd.isna(value) else value


def context(tz: str):
    from kpi_helpers.importers._raw import ImportContext
    from kpi_helpers.importers.client_folder import Pseudonymiser

    return ImportContext(timezone=tz, pseudonymise=Pseudonymiser(b"k" * 32))


def visit_ids(sessions: pd.DataFrame) -> dict:
    """(visitor, ga_session_id) -> row of ``sessions``, through the pseudonymised ids."""
    hashed = context("UTC").pseudonymise
    out = {}
    for visitor, gsid in SESSIONS:
        sid = hashed(pd.Series([f"ga4_visitor:{visitor}"])).iloc[0] + f"-{gsid}"
        out[(visitor, gsid)] = sessions.index[sessions["session_id"] == sid][0]
    return out


def test_visitor_and_user_ids_are_never_written_in_clear(tmp_path, capsys):
    client = client_folder(tmp_path / "client")
    assert run(capsys, "import", write_export(tmp_path / "export", "parquet"), "--into", client)[0] == 0
    for path in client.rglob("*"):
        if path.is_file() and path.name != "key":
            data = path.read_bytes() if path.suffix != ".parquet" else pd.read_parquet(path).to_csv().encode()
            for secret in (b"111.1", b"222.2", b"333.3", b"client-42"):
                assert secret not in data, (path, secret)


def test_intraday_tables_count_only_for_days_without_a_daily_table(tmp_path, capsys):
    both = client_folder(tmp_path / "both")
    daily = client_folder(tmp_path / "daily")
    assert run(capsys, "import", write_export(tmp_path / "e1", "parquet"), "--into", both)[0] == 0
    only_daily = {k: v for k, v in TABLES.items() if k != "events_intraday_20250311"}
    assert run(capsys, "import", write_export(tmp_path / "e2", "parquet", only_daily), "--into", daily)[0] == 0
    a, b = read_table(both, "sessions"), read_table(daily, "sessions")
    assert len(a) == len(b) == len(SESSIONS)
    assert a["pageviews"].tolist() == b["pageviews"].tolist()


def test_the_same_export_imported_twice_changes_nothing_and_a_glob_names_its_files(tmp_path, capsys):
    export = write_export(tmp_path / "export", "parquet")
    client = client_folder(tmp_path / "client")
    assert run(capsys, "import", export / "events_*", "--into", client)[0] == 0
    first = {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()}
    code, out, err = run(capsys, "import", export / "events_*", "--into", client)
    assert code == 0, err
    assert "5 written, 5 replaced" in out
    assert {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()} == first


def test_the_ibis_mapping_reads_the_nested_parameters_as_the_pivoted_files_do(tmp_path):
    """Two paths to the same events: the Ibis list filters over event_params (what BigQuery runs)
    and the files' fast path (parameters pivoted once in Arrow); same visits, orders and searches."""
    export = write_export(tmp_path / "export", "parquet")
    con = ibis.duckdb.connect()
    raw = con.read_parquet([str(p) for p in sorted(export.iterdir())], filename=True)
    nested = ga4_export.events(raw)
    from kpi_helpers.importers import bq_export

    staged = bq_export.stage_files(con, sorted(export.iterdir()), "staged", schema=ga4_export.SCHEMA,
                                   prepare=ga4_export._prepare, what="x", folder=tmp_path)
    pivoted = ga4_export.events(staged)
    for mart in (ga4_export.sessions, ga4_export.orders, ga4_export.carts, ga4_export.searches):
        a, b = mart(nested).to_pandas(), mart(pivoted).to_pandas()
        a, b = (f.sort_values(list(f.columns[:2])).reset_index(drop=True) for f in (a, b))
        pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_the_mapping_compiles_for_the_export_in_bigquery():
    events_star = ibis.table(ibis.Schema.from_pyarrow(EXPORT), name="analytics_123456.events_*")
    ev = ga4_export.events(events_star)
    for mart in (ga4_export.sessions, ga4_export.orders, ga4_export.carts, ga4_export.searches):
        sql = ibis.to_sql(mart(ev), dialect="bigquery")
        assert "UNNEST(`t0`.`event_params`)" in sql and "list_filter" not in sql.lower()
    sessions = ibis.table(ibis.Schema.from_pyarrow(ga360_export.SCHEMA), name="ga360.ga_sessions_*")
    rows = ga360_export.session_rows(sessions)
    hits = ga360_export.hits(rows)
    for expr in (ga360_export.sessions(rows, hits), ga360_export.orders(hits), ga360_export.carts(hits),
                 ga360_export.searches(hits)):
        assert "UNNEST" in ibis.to_sql(expr, dialect="bigquery")


# -- bad input: exit 2, the file and the column named, nothing written ----------------------------------


def test_a_table_without_event_params_is_refused_naming_the_file_and_the_field(tmp_path, capsys):
    export = tmp_path / "export"
    export.mkdir()
    table = pa.Table.from_pylist(DAY1, schema=EXPORT).drop_columns(["event_params"])
    pq.write_table(table, export / "events_20250310.parquet")
    client = client_folder(tmp_path / "client")
    code, out, err = run(capsys, "import", export, "--into", client)
    assert code == 2 and "Traceback" not in err
    assert "events_20250310.parquet" in err and "event_params" in err and "GA4 BigQuery export" in err
    assert sorted(p.name for p in client.iterdir()) == ["client.yml"]


def test_a_cut_json_line_is_refused_naming_the_file(tmp_path, capsys):
    export = write_export(tmp_path / "export", "json", {"events_20250310": DAY1})
    path = next(export.iterdir())
    path.write_bytes(path.read_bytes()[:-40])
    code, out, err = run(capsys, "import", export, "--into", client_folder(tmp_path / "client"))
    assert code == 2 and "Traceback" not in err and path.name in err


def test_a_negative_purchase_value_is_refused_naming_the_parameter(tmp_path, capsys):
    bad = [dict(e) for e in DAY1]
    bad[5] = event("purchase", "2025-03-10 10:05:00", "111.1", A1, p_transaction_id="T1", p_value=-89.0,
                   p_currency="EUR")
    export = write_export(tmp_path / "export", "parquet", {"events_20250310": bad})
    client = client_folder(tmp_path / "client")
    assert run(capsys, "import", write_export(tmp_path / "good", "parquet"), "--into", client)[0] == 0
    before = {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()}
    code, out, err = run(capsys, "import", export, "--into", client)
    assert code == 2 and "event_params.value" in err and "negative" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()} == before  # the good import stays


def test_a_folder_in_another_timezone_than_the_property_is_refused_naming_one_that_fits(tmp_path, capsys):
    export = write_export(tmp_path / "export", "parquet")
    code, out, err = run(capsys, "import", export, "--into", client_folder(tmp_path / "c", "Pacific/Auckland"))
    assert code == 2 and "event_date" in err and "Pacific/Auckland" in err and "fit" in err


def test_bigquery_files_are_recognised_by_content_not_by_name(tmp_path):
    for fmt in ("parquet", "json", "avro"):
        path = write_table(DAY1, tmp_path / f"anything.{fmt}.bin", fmt)
        assert recognise(path) is ga4_export
    other = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": [1]}), other)
    assert recognise(other) is None


# -- the real samples ------------------------------------------------------------------------------------


def first_param(params, key):
    for p in params:
        if p["key"] == key:
            v = p["value"]
            return next((v[k] for k in ("string_value", "int_value", "double_value", "float_value")
                         if v.get(k) is not None), None)
    return None


@skip_without_realdata
def test_the_real_ga4_sample_gives_the_visits_transactions_and_revenue_of_its_nested_file(tmp_path, capsys):
    path = REALDATA_DIR / "ga4_gstore_events_sampled" / "ga4_events_sampled.snappy.parquet"
    rows = pq.read_table(path, columns=["event_name", "event_timestamp", "user_pseudo_id", "event_params"]).to_pylist()
    visits = {(r["user_pseudo_id"], first_param(r["event_params"], "ga_session_id")) for r in rows}
    first_buy = {}
    for r in sorted((r for r in rows if r["event_name"] == "purchase"), key=lambda r: r["event_timestamp"]):
        tid, value = first_param(r["event_params"], "transaction_id"), first_param(r["event_params"], "value")
        if tid not in (None, "", "(not set)") and value is not None:
            first_buy.setdefault(tid, value)
    client = client_folder(tmp_path / "gstore", "UTC", "USD")
    code, out, err = run(capsys, "import", path, "--into", client)
    assert code == 0, err
    sessions, orders = read_table(client, "sessions"), read_table(client, "orders")
    assert len(sessions) == len(visits) == 20_705
    assert len(orders) == len(first_buy) == 569
    assert orders["revenue"].astype(float).sum() == pytest.approx(sum(first_buy.values()))
    assert run(capsys, "validate", client)[0] == 0
    code, out, err = run(capsys, "kpis", client, "--start", "2020-11-01", "--end", "2021-01-31", "--format", "json")
    assert code == 0, err
    card = json.loads(out)["kpis"]
    assert card["sessions"] == len(visits) and card["orders"] == len(first_buy)


@skip_without_realdata
def test_the_real_ga360_day_gives_its_2556_sessions_and_43_transactions_from_the_nested_file(tmp_path, capsys):
    path = REALDATA_DIR / "ga360_gstore_sessions_20170801" / "ga_sessions_20170801.parquet"
    table = pq.read_table(path, columns=["fullVisitorId", "visitId", "hits"])
    revenue: dict[str, int] = {}
    for hits in table.column("hits").to_pylist():
        for h in hits:
            tx = h["transaction"] or {}
            if tx.get("transactionRevenue") is not None and tx.get("transactionId"):
                revenue[tx["transactionId"]] = revenue.get(tx["transactionId"], 0) + tx["transactionRevenue"]
    client = client_folder(tmp_path / "ga360", "America/Los_Angeles", "USD")
    code, out, err = run(capsys, "import", path, "--into", client)
    assert code == 0, err
    sessions, orders = read_table(client, "sessions"), read_table(client, "orders")
    assert len(sessions) == table.num_rows == 2_556
    assert len(orders) == len(revenue) == 43
    assert orders["revenue"].astype(float).sum() == pytest.approx(sum(revenue.values()) / 1e6)
    assert run(capsys, "validate", client)[0] == 0
    code, out, err = run(capsys, "kpis", client, "--start", "2017-08-01", "--end", "2017-08-01", "--format", "json")
    assert code == 0, err
    card = json.loads(out)["kpis"]
    assert card["sessions"] == 2_556 and card["orders"] == 43
    assert card["revenue"] == pytest.approx(sum(revenue.values()) / 1e6)


@skip_without_realdata
@pytest.mark.parametrize("fmt", ["json", "avro"])
def test_a_ga360_day_extracted_as_json_or_avro_gives_what_its_parquet_gives(tmp_path, capsys, fmt):
    import pyarrow.compute as pc

    table = pq.read_table(REALDATA_DIR / "ga360_gstore_sessions_20170801" / "ga_sessions_20170801.parquet")
    buyers = pc.is_valid(pc.struct_field(table.column("totals"), ["transactions"]))
    table = pa.concat_tables([table.filter(buyers), table.slice(0, 300)])  # every buyer's visit, and others'
    keys = table.select(["fullVisitorId", "visitId"]).to_pandas()
    table = table.filter(pa.array(~keys.duplicated().to_numpy()))
    pq.write_table(table, tmp_path / "ga_sessions_20170801.parquet")
    other = tmp_path / "other"
    other.mkdir()
    if fmt == "json":
        (other / "ga_sessions_20170801.json").write_text(
            "".join(json.dumps(plain(r), default=str) + "\n" for r in table.to_pylist()), encoding="utf-8")
    else:
        import fastavro

        sub = table.select([n for n in ga360_export.SCHEMA.names])
        schema = {"type": "record", "name": "Root", "fields": [
            {"name": f.name, "type": ["null", avro_type(f.type, f.name)], "default": None}
            for f in ga360_export.SCHEMA]}
        from kpi_helpers.importers.bq_export import conform

        rows = conform(sub, ga360_export.SCHEMA).to_pylist()
        with open(other / "ga_sessions_20170801.avro", "wb") as fh:
            fastavro.writer(fh, fastavro.parse_schema(schema), rows)
    folders = []
    for i, src in enumerate((tmp_path / "ga_sessions_20170801.parquet", other)):
        client = client_folder(tmp_path / f"c{i}", "America/Los_Angeles", "USD")
        code, out, err = run(capsys, "import", src, "--into", client)
        assert code == 0, err
        folders.append(client)
    for name in ("sessions", "orders", "carts"):
        a, b = (read_table(f, name) for f in folders)
        assert len(a) == len(b) > 0
        if name == "orders":
            assert a["revenue"].astype(float).sum() == pytest.approx(b["revenue"].astype(float).sum())
    a, b = (read_table(f, "sessions") for f in folders)
    assert sorted(a["pageviews"].astype(str)) == sorted(b["pageviews"].astype(str))
    assert sorted(a["landing_page"].astype(str)) == sorted(b["landing_page"].astype(str))


@pytest.mark.parametrize("fmt", ["parquet", "avro"])
def test_a_cut_parquet_or_avro_file_stops_the_import_with_exit_2_and_no_traceback(tmp_path, capsys, fmt):
    path = write_table(DAY1, tmp_path / f"events_20250310.{fmt}", fmt)
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    client = client_folder(tmp_path / "client")
    code, out, err = run(capsys, "import", path, "--into", client)
    assert code == 2 and "Traceback" not in err and path.name in err
    assert sorted(p.name for p in client.iterdir()) == ["client.yml"]
