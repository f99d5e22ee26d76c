"""Benchmark of ``kpi import`` on a GA4 BigQuery export: 10 million events as daily Parquet tables.

    .venv/bin/python benchmarks/import_ga4.py [--events 10000000] [--days 30] [--runs 2] [--reuse-data]

The export is written once (``benchmarks/data/ga4-<events>/events_YYYYMMDD.parquet``, git-ignored)
nested as BigQuery's extract writes it: ``event_params`` a list of key + value{string_value,
int_value, float_value, double_value}, ``device``, ``geo``, ``traffic_source``,
``collected_traffic_source``, ``session_traffic_source_last_click``, ``ecommerce`` structs and an
``items`` list, snappy-compressed. Synthetic visits (seed 1): about 6 events each (session_start,
page_view, user_engagement, scroll, view_item, add_to_cart, begin_checkout, purchase,
view_search_results), property timezone Europe/Paris.

Each import is ``python -m kpi_helpers import DIR --into CLIENT`` in its own process (a new folder
holding only client.yml), measured by ``run.py``'s ``measure`` (wall time of the whole process,
CPU time, peak RSS). The baseline, run in the same run the same way: a child process that reads
every file whole with ``pyarrow.parquet.read_table`` (all columns, nested, no mapping). Prints a
Markdown table for benchmarks/README.md, with the ratio of each import to the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import zoneinfo
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from run import PY, _label, _star, fmt_s, machine, measure, measure_imports, table  # noqa: E402

TZ = "Europe/Paris"
FIRST_DAY = dt.date(2025, 3, 1)
NAMES = np.array(["page_view", "user_engagement", "scroll", "view_item", "add_to_cart", "begin_checkout", "purchase",
                  "view_search_results"])
NAME_P = np.array([.42, .23, .14, .12, .04, .015, .01, .025])
SOURCES = [("google", "organic", "(organic)", "Organic Search"), ("google", "cpc", "brand", "Paid Search"),
           (None, None, None, "Direct"), ("facebook", "social", "(referral)", "Organic Social"),
           ("newsletter", "email", "promo_mars", "Email"), ("idealo.fr", "referral", "(referral)", "Referral")]
SOURCE_P = np.array([.35, .2, .25, .08, .07, .05])
VALUE = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()), ("float_value", pa.float64()),
                   ("double_value", pa.float64())])


def _struct(**cols) -> pa.StructArray:
    return pa.StructArray.from_arrays(list(cols.values()), names=list(cols))


def _params(rng, n, gsid, gnum, loc, title, engaged, name, src, med, camp, first, txid, value, term) -> pa.ListArray:
    """event_params of ``n`` events: 6 for every event, plus source/medium/campaign on a visit's first
    event, transaction_id/value/currency on purchases, value/currency on carts, search_term on searches."""
    keys, sv, iv, dv, owner = [], [], [], [], []
    idx = np.arange(n)

    def add(key, where, s=None, i=None, d=None):
        m = len(where)
        keys.append(np.full(m, key, dtype=object))
        sv.append(np.full(m, None, dtype=object) if s is None else s)
        iv.append(np.full(m, None, dtype=object) if i is None else i.astype(object))
        dv.append(np.full(m, None, dtype=object) if d is None else d.astype(object))
        owner.append(where)

    add("ga_session_id", idx, i=gsid)
    add("ga_session_number", idx, i=gnum)
    add("page_location", idx, s=loc)
    add("page_title", idx, s=title)
    add("engagement_time_msec", idx, i=rng.integers(0, 60_000, n))
    add("session_engaged", idx, s=np.where(engaged, "1", "0").astype(object))
    tagged = np.flatnonzero(first & (src != None))  # noqa: E711
    add("source", tagged, s=src[tagged])
    add("medium", tagged, s=med[tagged])
    add("campaign", tagged, s=camp[tagged])
    buy = np.flatnonzero(name == "purchase")
    add("transaction_id", buy, s=txid[buy])
    money = np.flatnonzero(np.isin(name, ["purchase", "add_to_cart", "begin_checkout"]))
    add("value", money, d=value[money])
    add("currency", money, s=np.full(len(money), "EUR", dtype=object))
    search = np.flatnonzero(name == "view_search_results")
    add("search_term", search, s=term[search])
    owner_all = np.concatenate(owner)
    order = np.argsort(owner_all, kind="stable")
    key = np.concatenate(keys)[order]
    values = _struct(string_value=pa.array(np.concatenate(sv)[order], pa.string()),
                     int_value=pa.array(np.concatenate(iv)[order], pa.int64()),
                     float_value=pa.nulls(len(order), pa.float64()),
                     double_value=pa.array(np.concatenate(dv)[order], pa.float64()))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner_all, minlength=n))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), _struct(key=pa.array(key, pa.string()), value=values))


def write_day(folder: Path, day: dt.date, n_target: int, rng, visitors: np.ndarray, next_tx: list[int]) -> int:
    """One daily table ``events_YYYYMMDD.parquet`` of about ``n_target`` events; returns events written."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(TZ)).timestamp()
    n_visits = n_target // 6
    length = 1 + rng.poisson(5, n_visits)
    start = midnight + rng.uniform(0, 22.5 * 3600, n_visits)
    visit = np.repeat(np.arange(n_visits), length)
    n = len(visit)
    pos = np.arange(n) - np.repeat(np.cumsum(length) - length, length)
    ts = (np.repeat(start, length) + pos * rng.uniform(5, 40, n)) * 1e6
    first = pos == 0
    name = np.where(first, "session_start", np.where(pos == 1, "page_view", rng.choice(NAMES, n, p=NAME_P)))
    who = visitors[rng.integers(0, len(visitors), n_visits)]
    gsid = start.astype(np.int64)
    src_i = rng.choice(len(SOURCES), n_visits, p=SOURCE_P)
    src = np.array([s[0] for s in SOURCES], dtype=object)[src_i]
    med = np.array([s[1] for s in SOURCES], dtype=object)[src_i]
    camp = np.array([s[2] for s in SOURCES], dtype=object)[src_i]
    group = np.array([s[3] for s in SOURCES], dtype=object)[src_i]
    page = rng.integers(0, 400, n)
    loc = np.char.add("https://www.maison-lune.fr/produits/article-", page.astype(str)).astype(object)
    title = np.char.add("Article ", page.astype(str)).astype(object)
    engaged = np.repeat(length > 1, length) & ~first
    txid = np.full(n, None, dtype=object)
    buy = np.flatnonzero(name == "purchase")
    txid[buy] = np.char.add("T", (next_tx[0] + np.arange(len(buy))).astype(str)).astype(object)
    next_tx[0] += len(buy)
    value = np.round(rng.gamma(3, 25, n), 2)
    term = np.array(["robe", "bougie", "lin", "vase", "coussin"], dtype=object)[rng.integers(0, 5, n)]
    ev_visit = lambda a: np.repeat(a, length)  # noqa: E731
    e_src, e_med, e_camp = ev_visit(src), ev_visit(med), ev_visit(camp)
    device = np.array(["mobile", "desktop", "tablet"], dtype=object)[rng.choice(3, n_visits, p=[.6, .35, .05])]
    is_buy = name == "purchase"
    n_items = np.where(is_buy, 1 + rng.poisson(0.6, n), 0)
    item_off = np.concatenate([[0], np.cumsum(n_items)]).astype(np.int32)
    m = int(item_off[-1])
    items = pa.ListArray.from_arrays(pa.array(item_off), _struct(
        item_id=pa.array(np.char.add("SKU", rng.integers(0, 400, m).astype(str)), pa.string()),
        item_name=pa.array(np.full(m, "Article"), pa.string()), price=pa.array(rng.gamma(3, 10, m)),
        quantity=pa.array(np.ones(m, np.int64)), item_revenue=pa.array(rng.gamma(3, 10, m))))
    none = pa.nulls(n, pa.string())
    table = pa.table({
        "event_date": pa.array(np.full(n, day.strftime("%Y%m%d")), pa.string()),
        "event_timestamp": pa.array(ts.astype(np.int64)),
        "event_name": pa.array(name, pa.string()),
        "event_params": _params(rng, n, ev_visit(gsid), np.ones(n, np.int64), loc, title, engaged, name, e_src,
                                e_med, e_camp, first, txid, value, term),
        "event_previous_timestamp": pa.nulls(n, pa.int64()),
        "event_bundle_sequence_id": pa.array(rng.integers(0, 1 << 30, n)),
        "user_id": none,
        "user_pseudo_id": pa.array(ev_visit(who), pa.string()),
        "user_first_touch_timestamp": pa.array(ts.astype(np.int64) - 86_400_000_000),
        "device": _struct(category=pa.array(ev_visit(device), pa.string()),
                          operating_system=pa.array(np.full(n, "Android"), pa.string()),
                          language=pa.array(np.full(n, "fr-fr"), pa.string()),
                          web_info=_struct(browser=pa.array(np.full(n, "Chrome"), pa.string()),
                                           browser_version=pa.array(np.full(n, "123.0"), pa.string()))),
        "geo": _struct(country=pa.array(np.full(n, "France"), pa.string()),
                       city=pa.array(np.full(n, "Lyon"), pa.string())),
        "traffic_source": _struct(name=pa.array(e_camp, pa.string()), medium=pa.array(e_med, pa.string()),
                                  source=pa.array(e_src, pa.string())),
        "stream_id": pa.array(np.full(n, 1234567890, np.int64)),
        "platform": pa.array(np.full(n, "WEB"), pa.string()),
        "collected_traffic_source": _struct(
            manual_source=pa.array(np.where(first, e_src, None), pa.string()),
            manual_medium=pa.array(np.where(first, e_med, None), pa.string()),
            manual_campaign_name=pa.array(np.where(first, e_camp, None), pa.string()), gclid=none),
        "session_traffic_source_last_click": _struct(
            manual_campaign=_struct(source=pa.array(e_src, pa.string()), medium=pa.array(e_med, pa.string()),
                                    campaign_name=pa.array(e_camp, pa.string())),
            cross_channel_campaign=_struct(default_channel_group=pa.array(ev_visit(group), pa.string()))),
        "ecommerce": _struct(
            total_item_quantity=pa.array(np.where(is_buy, n_items, None), pa.int64()),
            purchase_revenue=pa.array(np.where(is_buy, value, None), pa.float64()),
            refund_value=pa.nulls(n, pa.float64()),
            transaction_id=pa.array(txid, pa.string())),
        "items": items,
    })
    pq.write_table(table, folder / f"events_{day:%Y%m%d}.parquet", compression="snappy")
    return n


def write_export(folder: Path, events: int, days: int) -> int:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    visitors = np.char.add(rng.integers(10**8, 10**9, events // 10).astype(str), ".1740000000").astype(object)
    next_tx, total = [1], 0
    for d in range(days):
        total += write_day(folder, FIRST_DAY + dt.timedelta(days=d), events // days, rng, visitors, next_tx)
    return total


BASELINE = ("import sys, pathlib, pyarrow.parquet as pq; "
            "print(sum(pq.read_table(p).num_rows for p in sorted(pathlib.Path(sys.argv[1]).glob('*.parquet'))))")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="events of the export (about)")
    parser.add_argument("--days", type=int, default=30, help="daily tables")
    parser.add_argument("--runs", type=int, default=2, help="imports into new folders (median reported)")
    parser.add_argument("--reuse-data", action="store_true", help="keep an export already written")
    args = parser.parse_args(argv)
    root = HERE / "data" / f"ga4-{_label(args.events)}"
    export = root / "export"
    if not (args.reuse_data and (root / "events.txt").is_file()):
        shutil.rmtree(export, ignore_errors=True)
        print(f"writing {export} ...", flush=True)
        (root / "events.txt").write_text(f"{write_export(export, args.events, args.days)}\n")
    written = int((root / "events.txt").read_text())
    size = sum(p.stat().st_size for p in export.glob("*.parquet")) / 1e6
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    baseline = measure([PY, "-c", BASELINE, str(export)], log=logs / "baseline.log")
    print(f"  baseline (pyarrow read_table of every file): {baseline['wall']:.2f} s, {baseline['peak_mb']:.0f} MB",
          flush=True)
    results = measure_imports(export, root, args.runs, logs=logs,
                              client_yml=f'name: "GA4 benchmark"\ntimezone: "{TZ}"\ncurrency: "EUR"\n')
    sessions = pq.read_metadata(next((root / "client-0").glob("sessions.parquet"))).num_rows
    orders = sum(1 for _ in open(root / "client-0" / "orders.csv")) - 1 if (root / "client-0" / "orders.csv").is_file() \
        else pq.read_metadata(root / "client-0" / "orders.parquet").num_rows
    info = machine()
    wall = statistics.median(r["wall"] for r in results)
    rows = [[f"baseline: pyarrow read_table of the {args.days} files ({size:.0f} MB), all columns", fmt_s(
                baseline["wall"]) + _star(baseline), f"{baseline['cpu']:.1f}", f"{baseline['peak_mb']:.0f}", "1.00",
             f"{written:,} events"],
            [f"kpi import of the folder into a new client folder, median of {args.runs}", fmt_s(wall) + "".join(
                _star(r) for r in results), f"{statistics.median(r['cpu'] for r in results):.1f}",
             f"{max(r['peak_mb'] for r in results):.0f}", f"{wall / baseline['wall']:.2f}",
             f"{sessions:,} sessions, {orders:,} orders"]]
    print()
    print(f"{info['date']}, {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}, "
          f"pandas {info['pandas']}, pyarrow {info['pyarrow']}, DuckDB {info['duckdb']}")
    print(table(["step", "wall s", "CPU s", "peak RSS MB", "x baseline", "result"], rows))
    others = ", ".join("?" if r["other_cores"] is None else f"{r['other_cores']:.2f}" for r in [baseline] + results)
    print(f"\nruns: {', '.join(fmt_s(r['wall']) for r in results)} s; other processes during each: {others} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
