"""Tables already in a warehouse (client.yml's ``warehouse``): the same KPIs, the same messages.

DuckDB stands in for the warehouse here (Parquet paths read where they are); tests/test_spark.py
runs the same on Spark and tests/test_bigquery.py compiles for BigQuery.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from kpi_helpers.errors import KpiInputError
from kpi_helpers.loading import load_client
from kpi_helpers.paths import SAMPLE_DIR

ROOT = Path(__file__).resolve().parents[1]


def export(folder: Path, out: Path) -> dict[str, str]:
    """The typed tables of a sample client as Parquet files, without the loader's local_date."""
    from kpi_helpers.loading.backends import typed_parquet

    paths = typed_parquet(load_client(folder), out / "typed")
    con = duckdb.connect()
    tables = {}
    for name, path in paths.items():
        target = out / f"{name}.parquet"
        con.execute(f"COPY (SELECT * EXCLUDE (local_date) FROM '{path}') TO '{target}' (FORMAT parquet)")
        tables[name] = str(target)
    return tables


def warehouse_client(folder: Path, tables: dict[str, str], **settings) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client.yml").write_text(yaml.safe_dump({"name": "Warehouse shop", "backend": "duckdb",
                                                       "warehouse": {"tables": tables}, **settings}, allow_unicode=True))
    return folder


def test_a_client_read_from_warehouse_tables_has_the_same_scorecard(tmp_path):
    from kpi_helpers.scorecard import scorecard

    tables = export(SAMPLE_DIR / "maison-lune", tmp_path / "dw")
    client = load_client(warehouse_client(tmp_path / "client", tables, margin_rate=0.45, name="Maison Lune"))
    assert client.sources["sessions"].label.startswith("duckdb:") and client.has("sessions", "channel")
    expected = scorecard(load_client(SAMPLE_DIR / "maison-lune"))
    for period in ({}, {"start": "2026-03-01", "end": "2026-10-31", "channel": "email"}):
        assert scorecard(client, **period) == scorecard(load_client(SAMPLE_DIR / "maison-lune"), **period)
    assert expected["kpis"]["sessions"] > 0


def test_the_channel_is_derived_by_the_rules_when_the_warehouse_has_source_and_medium(tmp_path):
    from kpi_helpers.scorecard import scorecard

    tables = export(SAMPLE_DIR / "bureau-direct", tmp_path / "dw")  # no channel column: source/medium
    con = duckdb.connect()
    sessions = tables["sessions"]
    con.execute(f"COPY (SELECT * EXCLUDE (channel) FROM '{sessions}') TO '{tmp_path}/s.parquet' (FORMAT parquet)")
    client = load_client(warehouse_client(tmp_path / "client", {**tables, "sessions": f"{tmp_path}/s.parquet"},
                                          margin_rate=0.3, name="Bureau Direct"))
    assert scorecard(client)["breakdowns"] == scorecard(load_client(SAMPLE_DIR / "bureau-direct"))["breakdowns"]


def test_a_broken_warehouse_table_gets_the_loader_s_messages(tmp_path):
    rows = ("order_id,customer_id,ordered_at,revenue\n"
            "o1,c1,2026-03-02T10:00:00Z,10.5\n"
            "o1,c2,2026-03-02T11:00:00Z,-5\n"
            "o3,,2026-03-03T11:00:00Z,7\n")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "orders.csv").write_text(rows)
    with pytest.raises(KpiInputError) as from_file:
        load_client(tmp_path / "files")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT order_id, NULLIF(customer_id, '') AS customer_id, CAST(ordered_at AS TIMESTAMPTZ) AS "
                f"ordered_at, revenue FROM read_csv('{tmp_path}/files/orders.csv', all_varchar=false)) "
                f"TO '{tmp_path}/orders.parquet' (FORMAT parquet)")
    with pytest.raises(KpiInputError) as from_warehouse:
        load_client(warehouse_client(tmp_path / "client", {"orders": f"{tmp_path}/orders.parquet"}))

    def essence(problems):
        return sorted((p.column, p.message.split(" (the first")[0], p.expected) for p in problems)

    assert essence(from_warehouse.value.problems) == essence(from_file.value.problems)
    assert {p.file for p in from_warehouse.value.problems} == {f"duckdb:{tmp_path}/orders.parquet"}
    assert len(from_warehouse.value.problems) == 3  # the empty customer, the negative revenue, the repeated id


def test_a_warehouse_column_of_the_wrong_type_or_missing_is_named(tmp_path):
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 's1' AS session_id, 'yesterday' AS started_at) TO '{tmp_path}/s.parquet' (FORMAT parquet)")
    with pytest.raises(KpiInputError) as err:
        load_client(warehouse_client(tmp_path / "client", {"sessions": f"{tmp_path}/s.parquet"}))
    text = err.value.render()
    assert "column 'visitor_id': required column is missing" in text
    assert "column 'started_at': is string; expected a TIMESTAMP (an instant)" in text


@pytest.mark.parametrize("warehouse, expected", [
    ({"tables": {"visits": "x"}}, "invalid warehouse"),
    ({"tables": {"sessions": "x"}, "schema": "y"}, "unknown warehouse keys 'schema'"),
    (None, "backend bigquery needs the client's tables"),
])
def test_bad_warehouse_settings_exit_2(tmp_path, warehouse, expected):
    settings = {"name": "x", "backend": "bigquery" if warehouse is None else "duckdb"}
    if warehouse is not None:
        settings["warehouse"] = warehouse
    (tmp_path / "client.yml").write_text(yaml.safe_dump(settings))
    out = subprocess.run([sys.executable, "-m", "kpi_helpers", "validate", str(tmp_path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2 and expected in out.stderr and "Traceback" not in out.stderr
