"""kpi import of web analytics as clients have it: GA4 report downloads, Matomo visits logs and
Site Search reports, end to end (import, validate, scorecard).

Every expectation is computed here from the raw fixture files with the csv and json modules (never
with the importers' code): sessions and their totals, orders and revenue, searches and their result
counts. The period is March 2025 in Europe/Paris (the folder's default timezone).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
import io
import json
import math
import unicodedata
import zoneinfo
from pathlib import Path

import pytest

from kpi_helpers import compute
from kpi_helpers.cli import main as kpi
from kpi_helpers.importers import import_exports
from kpi_helpers.loading import load_client

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START, END = "2025-03-01", "2025-03-31"


def run(capsys, *args) -> tuple[int, str, str]:
    code = kpi([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def imported(capsys, client: Path, *names: str, source: str | None = None) -> None:
    extra = ["--source", source] if source else []
    code, _, err = run(capsys, "import", *(FIXTURES / n for n in names), "--into", client, *extra)
    assert code == 0, err
    code, out, err = run(capsys, "validate", client)
    assert code == 0 and "OK: the folder follows the data contract." in out, err


def card(capsys, folder: Path, start: str = START, end: str = END) -> dict:
    code, out, err = run(capsys, "kpis", folder, "--start", start, "--end", end)
    assert code == 0, err
    return json.loads(out)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def norm(q: str) -> str:
    d = unicodedata.normalize("NFKD", q)
    return " ".join("".join(c for c in d if not unicodedata.combining(c)).casefold().split())


# ----------------------------------------------------------------------------------------------
# GA4 report downloads


def ga4_table(name: str) -> tuple[list[str], list[dict], dict | None]:
    """(comment lines, data rows, total row) of a GA4 download, read with the csv module: the
    table is the last block after a blank line."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    body = [line for line in text.splitlines() if not line.startswith("#")]
    blocks = "\n".join(body).split("\n\n")
    rows = list(csv.DictReader(io.StringIO(blocks[-1].strip("\n"))))
    first = next(iter(rows[0]))
    total = next((r for r in rows if r[first] in ("Total général", "Grand total")), None)
    return comments, [r for r in rows if r is not total], total


def fr_number(text: str) -> float:
    return float(text.replace(" ", "").replace("\u202f", "").replace(",", "."))


def test_a_french_ga4_report_scorecard_for_its_exact_period_gives_the_export_total_sessions(capsys, tmp_path):
    comments, rows, total = ga4_table("ga4_acquisition_trafic_fr.csv")
    assert any("Date de début : 20250301" in c for c in comments)
    client = tmp_path / "shop"
    imported(capsys, client, "ga4_acquisition_trafic_fr.csv")
    sc = card(capsys, client)
    assert sc["kpis"]["sessions"] == int(total["Sessions"]) == sum(int(r["Sessions"]) for r in rows)
    # bounce as GA4 defines it: 1 - engaged sessions / sessions, from the export's own columns
    c = load_client(client)
    bounce = compute("ga4_bounce_rate", c, start=START, end=END)
    assert bounce["value"].iloc[0] == pytest.approx(1 - int(total["Sessions avec engagement"]) / int(total["Sessions"]))
    by_channel = compute("sessions", c, start=START, end=END, by="channel").set_index("channel")["value"].to_dict()
    assert by_channel == {"organic_search": 800.0, "direct": 400.0, "paid_social": 300.0}
    # revenue is the report's (French numbers): in the table, not in orders
    written = list(csv.DictReader((client / "traffic.csv").open(encoding="utf-8")))
    assert sum(float(r["revenue"]) for r in written) == pytest.approx(fr_number(total["Revenu total"]))


def test_another_period_than_the_report_s_gives_null_with_the_period_it_covers(capsys, tmp_path):
    client = tmp_path / "shop"
    imported(capsys, client, "ga4_acquisition_trafic_fr.csv")
    inside = card(capsys, client, "2025-03-10", "2025-03-20")
    assert inside["kpis"]["sessions"] is None
    assert "2025-03-01 to 2025-03-31" in inside["unavailable"]["sessions"]
    assert "never prorated" in inside["unavailable"]["sessions"]
    wider = card(capsys, client, "2025-03-01", "2025-04-30")
    assert wider["kpis"]["sessions"] is None and "2025-03-01 to 2025-03-31 only" in wider["unavailable"]["sessions"]


def test_kpis_that_need_visitors_are_null_and_name_the_export_that_gives_them(capsys, tmp_path):
    client = tmp_path / "shop"
    imported(capsys, client, "ga4_acquisition_trafic_fr.csv")
    sc = card(capsys, client)
    for kpi_id in ("visitors", "conversion_rate", "median_days_to_purchase", "median_visits_to_purchase"):
        assert sc["kpis"][kpi_id] is None
        reason = sc["unavailable"][kpi_id]
        assert "BigQuery export" in reason and "Live.getLastVisitsDetails" in reason, reason
    assert "BigQuery export" in sc["unavailable"]["days_to_purchase"]


def test_an_english_exploration_by_day_and_device_sums_its_days(capsys, tmp_path):
    comments, rows, total = ga4_table("ga4_exploration_by_day_en.csv")
    assert total is not None and total["Date"] == "Grand total"
    client = tmp_path / "shop"
    imported(capsys, client, "ga4_exploration_by_day_en.csv")
    c = load_client(client)
    week = compute("sessions", c, start="2025-03-01", end="2025-03-07")
    assert week["value"].iloc[0] == int(total["Sessions"])
    days = compute("sessions", c, start="2025-03-02", end="2025-03-03")
    assert days["value"].iloc[0] == sum(int(r["Sessions"]) for r in rows if r["Date"] in ("20250302", "20250303"))
    by_device = compute("sessions", c, start="2025-03-01", end="2025-03-07", by="device")
    assert dict(zip(by_device["device"], by_device["value"])) == {
        d: sum(int(r["Sessions"]) for r in rows if r["Device category"] == d) for d in ("desktop", "mobile")}
    mobile = compute("sessions", c, start="2025-03-01", end="2025-03-07", device="mobile")
    assert mobile["value"].iloc[0] == sum(int(r["Sessions"]) for r in rows if r["Device category"] == "mobile")
    ops = compute("orders_per_session", c, start="2025-03-01", end="2025-03-07")
    assert ops["value"].iloc[0] == pytest.approx(int(total["Transactions"]) / int(total["Sessions"]))
    daily = compute("sessions", c, start="2025-03-01", end="2025-03-07", freq="D")
    assert daily["value"].tolist() == [sum(int(r["Sessions"]) for r in rows if r["Date"] == f"202503{d:02d}")
                                       for d in range(1, 8)]
    month = compute("sessions", c, start=START, end=END)
    assert math.isnan(month["value"].iloc[0]) and "2025-03-01 to 2025-03-07 only" in month.attrs["unavailable"]
    by_channel = compute("sessions", c, start="2025-03-01", end="2025-03-07", by="channel")
    assert "not split by channel" in by_channel.attrs["unavailable"]


def test_two_reports_of_other_shapes_stay_side_by_side_and_each_answers_its_breakdown(capsys, tmp_path):
    client = tmp_path / "shop"
    imported(capsys, client, "ga4_acquisition_trafic_fr.csv", "ga4_exploration_by_day_en.csv")
    c = load_client(client)
    _, fr_rows, _ = ga4_table("ga4_acquisition_trafic_fr.csv")
    _, en_rows, _ = ga4_table("ga4_exploration_by_day_en.csv")
    by_channel = compute("sessions", c, start=START, end=END, by="channel")
    assert by_channel["value"].sum() == sum(int(r["Sessions"]) for r in fr_rows)
    by_device = compute("sessions", c, start="2025-03-01", end="2025-03-07", by="device")
    assert by_device["value"].sum() == sum(int(r["Sessions"]) for r in en_rows)


def test_importing_a_newer_report_of_the_same_shape_replaces_its_period(capsys, tmp_path):
    client = tmp_path / "shop"
    imported(capsys, client, "ga4_acquisition_trafic_fr.csv")
    newer = tmp_path / "newer.csv"
    text = (FIXTURES / "ga4_acquisition_trafic_fr.csv").read_text(encoding="utf-8")
    newer.write_text(text.replace("Total général,1500,", "Total général,1510,").replace("Direct,400,", "Direct,410,"),
                     encoding="utf-8")
    code, _, err = run(capsys, "import", newer, "--into", client)
    assert code == 0, err
    assert card(capsys, client)["kpis"]["sessions"] == 1510


@pytest.mark.parametrize("edit, line, words", [
    (lambda t: t.replace("Direct,400,200", "Direct,4OO,200"), 18, "cannot be read as a number"),
    (lambda t: t.replace("Total général,1500,", "Total général,1600,"), 16, "add up to 1,500, the total row says 1,600"),
    (lambda t: t.replace("Paid Social,300,140,\"0,466\",30,\"4,1\",4,500", "Paid Social,300,140"), 19, "field(s)"),
    (lambda t: t.replace("Direct,400,200", "Direct,400,450"), 18, "engaged sessions above the sessions"),
])
def test_a_bad_ga4_report_exits_2_naming_file_line_and_column_and_changes_nothing(capsys, tmp_path, edit, line, words):
    client = tmp_path / "shop"
    imported(capsys, client, "ga4_acquisition_trafic_fr.csv")
    before = snapshot(client)
    bad = tmp_path / "rapport.csv"
    bad.write_text(edit((FIXTURES / "ga4_acquisition_trafic_fr.csv").read_text(encoding="utf-8")), encoding="utf-8")
    code, out, err = run(capsys, "import", bad, "--into", client)
    assert code == 2 and "Traceback" not in err
    assert str(bad) in err and f"line {line}" in err and words in err, err
    assert snapshot(client) == before


def test_a_ga4_report_without_its_dates_is_refused_rather_than_guessed(capsys, tmp_path):
    bad = tmp_path / "rapport.csv"
    text = (FIXTURES / "ga4_acquisition_trafic_fr.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace("# Date de fin : 20250331\n", ""), encoding="utf-8")
    code, _, err = run(capsys, "import", bad, "--into", tmp_path / "shop")
    assert code == 2 and "no start and end dates" in err and "Start date" in err
    assert not (tmp_path / "shop").exists()


# ----------------------------------------------------------------------------------------------
# Matomo visits log


def matomo_visits(name: str) -> list[dict]:
    """The visits of a fixture, each with its actions, read with json or csv (UTF-16)."""
    path = FIXTURES / name
    if name.endswith(".json"):
        return json.loads(path.read_text(encoding="utf-8"))
    raw = path.read_bytes()
    assert raw.startswith(b"\xff\xfe"), "Matomo writes UTF-16LE with a byte-order mark"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-16")), delimiter="\t" if name.endswith(".tsv") else ","))
    visits = []
    for r in rows:
        actions, i = [], 0
        while f"actionDetails_{i}_type" in r:
            if r[f"actionDetails_{i}_type"]:
                actions.append({k.split("_", 2)[2]: v for k, v in r.items() if k.startswith(f"actionDetails_{i}_")})
            i += 1
        visits.append({**r, "actionDetails": actions})
    return visits


def local_day(seconds) -> dt.date:
    return dt.datetime.fromtimestamp(int(seconds), tz=PARIS).date()


def in_march(seconds) -> bool:
    return local_day(seconds).month == 3


@pytest.mark.parametrize("name", ["matomo_visits_log.csv", "matomo_visits_log.tsv", "matomo_visits_log.json"])
def test_a_matomo_visits_log_gives_sessions_orders_carts_and_searches(capsys, tmp_path, name):
    visits = matomo_visits(name)
    march = [v for v in visits if in_march(v["firstActionTimestamp"])]
    actions = [a for v in visits for a in v["actionDetails"]]
    orders = [a for a in actions if a["type"] == "ecommerceOrder" and in_march(a["timestamp"])]
    searches = [a for a in actions if a["type"] == "search" and in_march(a["timestamp"])]
    known = [a for a in searches if str(a.get("siteSearchCount") if a.get("siteSearchCount") is not None else "") != ""]
    zero = [a for a in known if int(a["siteSearchCount"]) == 0]
    abandoned = [a for a in actions if a["type"] == "ecommerceAbandonedCart" and in_march(a["timestamp"])]
    client = tmp_path / "shop"
    imported(capsys, client, name)
    sc = card(capsys, client)
    k = sc["kpis"]
    assert k["sessions"] == len(march) == 4  # the visit at 22:30 UTC on 31 March is on 1 April in Paris
    assert k["visitors"] == len({v["visitorId"] for v in march})
    assert k["orders"] == len(orders)
    assert k["revenue"] == pytest.approx(sum(float(a["revenue"]) for a in orders))
    assert k["searches"] == len(searches)
    assert k["zero_result_rate"] == pytest.approx(len(zero) / len(known))
    assert k["carts"] == len(orders) + len(abandoned) and k["abandoned_carts"] == len(abandoned)
    buyers = {v["visitorId"] for v in march if any(a["type"] == "ecommerceOrder" for a in v["actionDetails"])}
    assert k["conversion_rate"] == pytest.approx(len(buyers) / len({v["visitorId"] for v in march}))
    top = dict(sc["breakdowns"]["top_zero_result_queries"])
    assert top == dict(Counter(norm(a["siteSearchKeyword"]) for a in zero))
    # referrer types through the channel rules: search engine, direct, a comparison site, a social network
    assert sorted(sc["breakdowns"]["conversion_rate_by_channel"]) == ["direct", "organic_search", "organic_social",
                                                                      "price_comparator"]
    assert sorted(v["referrerType"] for v in march) == ["direct", "search", "social", "website"]
    # personal data: visitor ids, the e-mail used as user id and IPs never reach the folder
    text = b"".join(snapshot(client).values()).decode("utf-8", errors="replace")
    for v in visits:
        assert v["visitorId"] not in text and v["visitIp"] not in text
        if v.get("userId"):
            assert v["userId"] not in text


def test_the_three_forms_of_one_visits_log_give_the_same_folder_tables(capsys, tmp_path):
    tables = {}
    for name in ("matomo_visits_log.csv", "matomo_visits_log.tsv", "matomo_visits_log.json"):
        client = tmp_path / name.replace(".", "_")
        imported(capsys, client, name)
        key = (client / ".kpi-import" / "key").read_bytes()
        tables[name] = {t: (client / f"{t}.csv").read_text(encoding="utf-8")
                        for t in ("orders", "carts", "searches")}
        sessions = list(csv.DictReader((client / "sessions.csv").open(encoding="utf-8")))
        tables[name]["sessions"] = [{k: v for k, v in r.items() if k not in ("visitor_id", "customer_id")}
                                    for r in sessions]
        assert key  # each folder has its own key, so visitor hashes differ between folders
    first = tables["matomo_visits_log.csv"]
    for name, t in tables.items():
        assert t["searches"] == first["searches"], name
        assert t["sessions"] == first["sessions"], name


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace(",89.90,14.98,", ",8a.90,14.98,"), "cannot be read as a number"),
    (lambda t: t.replace("101,a1b2c3d4e5f60001", "101,"), "visitorId is empty"),
])
def test_a_bad_matomo_csv_exits_2_naming_file_line_and_column(capsys, tmp_path, edit, words):
    text = (FIXTURES / "matomo_visits_log.csv").read_bytes().decode("utf-16")
    changed = edit(text)
    assert changed != text
    bad = tmp_path / "export.csv"
    bad.write_bytes(b"\xff\xfe" + changed.encode("utf-16-le"))
    code, _, err = run(capsys, "import", bad, "--into", tmp_path / "shop")
    assert code == 2 and "Traceback" not in err and str(bad) in err and words in err and "line 2" in err, err
    assert not (tmp_path / "shop").exists()


def test_a_truncated_matomo_json_exits_2_with_the_line(capsys, tmp_path):
    bad = tmp_path / "export.json"
    bad.write_text((FIXTURES / "matomo_visits_log.json").read_text(encoding="utf-8")[:900], encoding="utf-8")
    code, _, err = run(capsys, "import", bad, "--into", tmp_path / "shop")
    assert code == 2 and "cannot be read as JSON" in err and "line" in err and str(bad) in err


# ----------------------------------------------------------------------------------------------
# Matomo Site Search reports


def site_search(name: str) -> list[list[str]]:
    raw = (FIXTURES / name).read_bytes()
    assert raw.startswith(b"\xff\xfe")
    return list(csv.reader(io.StringIO(raw.decode("utf-16"))))[1:]


def test_site_search_reports_give_zero_result_searches_without_the_visits_log(capsys, tmp_path):
    every = site_search("matomo_site_search_keywords.csv")
    none = site_search("matomo_site_search_no_results.csv")
    client = tmp_path / "shop"
    imported(capsys, client, "matomo_site_search_keywords.csv", "matomo_site_search_no_results.csv")
    sc = card(capsys, client)
    assert sc["kpis"]["searches"] == sum(int(r[2]) for r in every)
    assert sc["kpis"]["zero_result_rate"] == pytest.approx(sum(int(r[2]) for r in none) / sum(int(r[2]) for r in every))
    expected: dict[str, int] = {}
    for r in none:
        expected[norm(r[1])] = expected.get(norm(r[1]), 0) + int(r[2])
    assert dict(sc["breakdowns"]["top_zero_result_queries"]) == expected
    assert sc["kpis"]["search_rate"] is None and "sessions table not provided" in sc["unavailable"]["search_rate"]
    # a part of the month is never prorated
    part = card(capsys, client, "2025-03-01", "2025-03-15")
    assert part["kpis"]["zero_result_rate"] is None and "2025-03-01 to 2025-03-31" in part["unavailable"]["zero_result_rate"]


def test_the_no_result_report_alone_gives_the_queries_but_not_the_rate(capsys, tmp_path):
    client = tmp_path / "shop"
    imported(capsys, client, "matomo_site_search_no_results.csv")
    sc = card(capsys, client)
    assert sc["kpis"]["zero_result_rate"] is None and "all keywords" in sc["unavailable"]["zero_result_rate"]
    assert sc["breakdowns"]["top_zero_result_queries"][0] == ["echarpe laine", 14]


def test_a_raw_api_site_search_export_is_the_no_result_report_when_the_source_says_so(capsys, tmp_path):
    raw = tmp_path / "export.json"
    raw.write_text(json.dumps({"2025-03-01": [{"label": "bottes pluie", "nb_visits": 3, "nb_pages_per_search": 1,
                                              "exit_rate": "50%"}],
                               "2025-03-02": [{"label": "Bottes  pluie", "nb_visits": 2, "nb_pages_per_search": 1,
                                              "exit_rate": "0%"}]}), encoding="utf-8")
    client = tmp_path / "shop"
    imported(capsys, client, "matomo_site_search_keywords.csv")
    code, _, err = run(capsys, "import", raw, "--into", client, "--source", "matomo_search_no_results")
    assert code == 0, err
    df = load_client(client)
    from kpi_helpers.search import top_zero_result_queries

    top = top_zero_result_queries(df, start="2025-03-01", end="2025-03-02")
    assert top.to_dict("records") == [{"query": "bottes pluie", "searches": 5, "variants": 2}]


def test_a_site_search_report_without_dates_is_refused(capsys, tmp_path):
    bad = tmp_path / "keywords.csv"
    bad.write_bytes(b"\xff\xfe" + "label,nb_visits,nb_pages_per_search,exit_rate\nrobe,3,1,0%\n".encode("utf-16-le"))
    code, _, err = run(capsys, "import", bad, "--into", tmp_path / "shop")
    assert code == 2 and "does not say which days it covers" in err and str(bad) in err


def test_import_exports_from_python_reports_every_table_of_a_visits_log(tmp_path):
    reports = import_exports(FIXTURES / "matomo_visits_log.json", tmp_path / "shop")
    assert {r["table"]: r["rows_written"] for r in reports} == {"sessions": 5, "orders": 2, "carts": 3, "searches": 5}


@pytest.mark.parametrize("first_shop", [True, False])
def test_an_order_in_the_shop_export_and_the_visits_log_is_the_shop_s_with_the_visit_it_was_placed_in(
        capsys, tmp_path, first_shop):
    shop = list(csv.DictReader((FIXTURES / "shopify_orders_export.csv").open(encoding="utf-8-sig")))
    shop_ids = sorted({r["Name"] for r in shop})
    log = json.loads((FIXTURES / "matomo_visits_log.json").read_text(encoding="utf-8"))
    order = next(a for v in log for a in v["actionDetails"] if a["type"] == "ecommerceOrder")
    order["orderId"] = shop_ids[0]  # the shop's order, as Matomo's e-commerce tracking saw it
    path = tmp_path / "visits.json"
    path.write_text(json.dumps(log), encoding="utf-8")
    client = tmp_path / "shop"
    files = [FIXTURES / "shopify_orders_export.csv", path]
    for f in (files if first_shop else files[::-1]):
        code, _, err = run(capsys, "import", f, "--into", client)
        assert code == 0, err
    orders = {r["order_id"]: r for r in csv.DictReader((client / "orders.csv").open(encoding="utf-8"))}
    matomo_only = {a["orderId"] for v in log for a in v["actionDetails"] if a["type"] == "ecommerceOrder"} - set(shop_ids)
    assert set(orders) == set(shop_ids) | matomo_only
    linked = orders[shop_ids[0]]
    visit = next(v for v in log if any(a.get("orderId") == shop_ids[0] for a in v["actionDetails"]))
    assert linked["session_id"] == str(visit["idVisit"]) and linked["visitor_id"].startswith("c")
    sessions = {r["session_id"]: r for r in csv.DictReader((client / "sessions.csv").open(encoding="utf-8"))}
    assert linked["visitor_id"] == sessions[str(visit["idVisit"])]["visitor_id"]
    shop_revenue = {r["Name"]: r["Total"] for r in shop if r["Total"]}
    assert float(linked["revenue"]) == pytest.approx(float(shop_revenue[shop_ids[0]]))  # the shop's revenue
    code, out, err = run(capsys, "validate", client)
    assert code == 0, err
