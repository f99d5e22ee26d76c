"""The same KPIs on Spark: every scorecard value and breakdown equals DuckDB's.

The client is validated by DuckDB and handed to a local Spark (``backend="pyspark"``); the KPI
expressions run there unchanged. One Spark session serves the whole module (one xdist worker).
Skipped with the reason when pyspark or Java is missing (``make java`` installs Debian's).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_helpers.paths import SAMPLE_DIR
from kpi_helpers.spark import java_problem

PROBLEM = java_problem()
pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark"),
              pytest.mark.skipif(PROBLEM is not None, reason=f"Spark cannot run here: {PROBLEM}")]

ROOT = Path(__file__).resolve().parents[1]
# March to October 2026: both daylight-saving changes of Europe/Paris (29 March, 25 October)
DST_PERIOD = {"start": "2026-03-01", "end": "2026-10-31"}


def same(a, b, path="") -> list[str]:
    """Where two scorecards differ (floats to 1e-9 relative: Spark sums in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}: keys {sorted(set(a) ^ set(b))}"] if set(a) != set(b) else []
        return out + [d for k in a if k in b for d in same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in same(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {a} vs {b}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


@pytest.fixture(scope="module")
def cards():
    """scorecard(client, **kw) on DuckDB and on Spark, the Spark clients loaded once each."""
    from kpi_helpers.loading import load_client
    from kpi_helpers.scorecard import scorecard

    loaded: dict[tuple[str, str], object] = {}

    def both(folder: Path, **kw) -> tuple[dict, dict]:
        for backend in ("duckdb", "pyspark"):
            if (str(folder), backend) not in loaded:
                loaded[(str(folder), backend)] = load_client(folder, backend=backend)
        return (scorecard(loaded[(str(folder), "duckdb")], **kw), scorecard(loaded[(str(folder), "pyspark")], **kw))

    return both


@pytest.mark.parametrize("client", ["maison-lune", "bureau-direct", "atelier-brume"])
def test_the_scorecard_of_the_last_full_month_is_the_same_on_spark(cards, client):
    duck, spark = cards(SAMPLE_DIR / client)
    assert same(duck, spark) == []
    assert duck["kpis"]  # not two empty cards


@pytest.mark.parametrize("client, segment", [("maison-lune", {"channel": "email"}),
                                             ("bureau-direct", {"device": "mobile"}),
                                             ("atelier-brume", {})])
def test_a_period_across_both_daylight_saving_changes_with_a_segment_is_the_same_on_spark(cards, client, segment):
    duck, spark = cards(SAMPLE_DIR / client, **DST_PERIOD, **segment)
    assert same(duck, spark) == []


@pytest.mark.realdata
@pytest.mark.parametrize("source", ["ga4", "online_retail"])
def test_real_data_scorecards_are_the_same_on_spark(cards, realdata_clients, source):
    duck, spark = cards(realdata_clients[source])
    assert same(duck, spark) == []


def test_local_dates_on_spark_are_the_client_s_not_utc(tmp_path):
    # a session at 23:30 UTC on 31 March is on 1 April in Paris: the April scorecard counts it
    from kpi_helpers.loading import load_client
    from kpi_helpers.scorecard import scorecard

    (tmp_path / "sessions.csv").write_text("session_id,visitor_id,started_at\n"
                                            "s1,v1,2026-03-31T23:30:00Z\ns2,v2,2026-04-30T21:59:00Z\n"
                                            "s3,v3,2026-04-30T22:01:00Z\n")
    client = load_client(tmp_path, backend="pyspark")
    card = scorecard(client, start="2026-04-01", end="2026-04-30")
    assert card["kpis"]["sessions"] == 2  # s1 (1 April 01:30) and s2 (30 April 23:59), not s3 (1 May 00:01)
    assert client.date_range() == (__import__("datetime").date(2026, 4, 1), __import__("datetime").date(2026, 5, 1))


def test_kpi_kpis_with_backend_pyspark_prints_the_same_json(tmp_path):
    def run(*extra):
        out = subprocess.run([sys.executable, "-m", "kpi_helpers", "kpis", str(SAMPLE_DIR / "bureau-direct"), *extra],
                             capture_output=True, text=True, cwd=ROOT, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout)

    assert same(run(), run("--backend", "pyspark")) == []


def test_tables_already_on_spark_are_checked_there_and_give_the_same_scorecard(tmp_path):
    # Parquet paths stand for object storage (s3a://...): read by Spark, typed and checked there
    import yaml

    from kpi_helpers.loading import load_client
    from kpi_helpers.scorecard import scorecard
    from test_warehouse import export

    tables = export(SAMPLE_DIR / "maison-lune", tmp_path / "lake")
    (tmp_path / "client").mkdir()
    (tmp_path / "client" / "client.yml").write_text(yaml.safe_dump(
        {"name": "Maison Lune", "margin_rate": 0.45, "backend": "pyspark", "warehouse": {"tables": tables}}))
    client = load_client(tmp_path / "client")
    assert client.sources["orders"].label.startswith("pyspark:")
    assert same(scorecard(load_client(SAMPLE_DIR / "maison-lune")), scorecard(client)) == []


def test_ibis_tables_on_spark_given_to_a_kpi_stay_on_spark(tmp_path):
    # never pulled into pandas: typed and checked where they are, the KPI runs there
    from kpi_helpers import traffic
    from kpi_helpers.loading import client_from_frames, load_client
    from kpi_helpers.spark import connect
    from test_warehouse import export

    tables = export(SAMPLE_DIR / "maison-lune", tmp_path / "lake")
    con = connect()
    client = client_from_frames({name: con.read_parquet(path) for name, path in tables.items()}, name="Maison Lune")
    assert client.con.name == "pyspark" and client.sources["sessions"].label == "sessions (pyspark table)"
    kw = dict(start="2026-10-01", end="2026-10-31", by="channel")
    spark = traffic.conversion_rate(client, **kw)
    duck = traffic.conversion_rate(load_client(SAMPLE_DIR / "maison-lune"), **kw)
    import pandas as pd

    pd.testing.assert_frame_equal(spark, duck)


def test_aggregated_traffic_and_site_search_give_the_same_numbers_on_spark(cards, tmp_path):
    from kpi_helpers import compute
    from kpi_helpers.importers import import_exports
    from kpi_helpers.loading import load_client

    fixtures = ROOT / "tests" / "fixtures" / "exports"
    import_exports([fixtures / "ga4_exploration_by_day_en.csv", fixtures / "matomo_site_search_keywords.csv",
                    fixtures / "matomo_site_search_no_results.csv"], tmp_path / "shop")
    for period in ({"start": "2025-03-01", "end": "2025-03-07"}, {"start": "2025-03-01", "end": "2025-03-31"}):
        duck, spark = cards(tmp_path / "shop", **period)
        assert same(duck, spark) == []
    assert duck["kpis"]["zero_result_rate"] is not None and duck["kpis"]["sessions"] is None
    clients = [load_client(tmp_path / "shop", backend=b) for b in ("duckdb", "pyspark")]
    rates = [compute("ga4_bounce_rate", c, start="2025-03-01", end="2025-03-07", by="device") for c in clients]
    assert rates[0]["value"].tolist() == pytest.approx(rates[1]["value"].tolist())
