"""The KPIs compiled for BigQuery, and their timezone handling, without a BigQuery project.

A client whose tables are in BigQuery (``backend: bigquery`` and ``warehouse:`` in client.yml)
gets its tables typed by :func:`kpi_helpers.loading.warehouse.typed_table`: ``local_date`` is
BigQuery's ``DATE(timestamp, 'Europe/Paris')``. Here the tables are Ibis tables without a
backend, shaped as BigQuery holds them (TIMESTAMP columns, INT64 ids); every query a scorecard
runs is compiled to BigQuery SQL instead of being executed, and the SQL is checked: it compiles,
it compares timestamps with the UTC instants of the client's local midnights, it turns a
timestamp into a date only with the client's timezone, and it uses no function BigQuery lacks.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest

from kpi_helpers.contract import TABLES
from kpi_helpers.loading import Client, Settings, SourceFile
from kpi_helpers.loading.warehouse import typed_table

BQ_TYPES = {"id": "string", "str": "string", "timestamp": "timestamp('UTC')", "date": "date", "float": "float64",
            "int": "int64", "bool": "boolean"}


def bigquery_client(timezone: str) -> Client:
    """A client on BigQuery, compile-only: every contract table with every column."""
    tables, provided = {}, {}
    for name, spec in TABLES.items():
        raw = ibis.table({c.name: BQ_TYPES[c.type] for c in spec.columns}, name=f"shop_analytics.{name}")
        typed, cols, problems = typed_table(raw, spec, label=f"bigquery:{name}", timezone=timezone, backend="bigquery")
        assert not problems
        tables[name], provided[name] = typed, cols
    settings = Settings(name="BigQuery shop", timezone=timezone, margin_rate=0.4, backend="bigquery")
    sources = {n: SourceFile(table=n, label=f"bigquery:{n}", fmt="bigquery") for n in tables}
    return Client(settings, SimpleNamespace(name="bigquery"), tables, provided, sources, [], None)


@pytest.fixture()
def compiled(monkeypatch):
    """Every query run is compiled to BigQuery SQL (kept in the returned list) and answered with
    one row of zeros, so that the scorecard goes through all its queries."""
    sql: list[str] = []

    def to_pandas(self, **kwargs):
        sql.append(ibis.to_sql(self, dialect="bigquery"))
        dummy = {"string": "x", "date": pd.Timestamp("2026-03-02"), "boolean": False}
        return pd.DataFrame({c: [dummy.get(str(t).split("(")[0], 0)] for c, t in self.schema().items()})

    monkeypatch.setattr(ibis.expr.types.Table, "to_pandas", to_pandas)
    return sql


def _midnight_utc(day: dt.date, timezone: str) -> str:
    instant = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(timezone)).astimezone(dt.timezone.utc)
    return instant.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.mark.parametrize("timezone", ["Europe/Paris", "America/New_York"])
def test_every_scorecard_query_compiles_for_bigquery_with_the_client_s_timezone(compiled, timezone):
    from kpi_helpers.scorecard import scorecard

    client = bigquery_client(timezone)
    card = scorecard(client, start="2026-03-01", end="2026-03-31")
    assert not card["unavailable"], card["unavailable"]  # every KPI was built (compiled)
    assert len(compiled) >= 30
    text = "\n".join(compiled)
    # the period, as the UTC instants of the local midnights of 1 March and 1 April
    start, end = _midnight_utc(dt.date(2026, 3, 1), timezone), _midnight_utc(dt.date(2026, 4, 1), timezone)
    assert f"TIMESTAMP('{start}')" in text and f"TIMESTAMP('{end}')" in text
    assert "TIMESTAMP('2026-03-01T00:00:00+00:00')" not in text  # never the UTC midnight by accident
    # a timestamp becomes a date only through DATE(ts, timezone)
    for call in re.findall(r"\bDATE\(([^()]*)\)", text):
        if "`" in call:  # a column, not a literal date
            assert call.endswith(f", '{timezone}'"), call
    assert "DATE_TRUNC(DATE(" not in text or f"'{timezone}')" in text
    for missing in ("MEDIAN(", "BIT_OR(", "PERCENTILE_CONT("):  # BigQuery has none of these as aggregates
        assert missing not in text.upper()


def test_each_kpi_and_breakdown_compiles_for_bigquery(compiled, monkeypatch):
    from kpi_helpers import aggregated
    from kpi_helpers.core import KPIS, compute

    # the aggregated tables' row choice reads their (here dummy) periods first: give it the layer
    # split by what is asked, so that the KPI's own query is built and compiled
    monkeypatch.setattr(aggregated, "traffic_layer", lambda client, table, period, need, **kw: {
        **{d: d in need for d in aggregated.TRAFFIC_DIMS}, "daily": True})
    client = bigquery_client("Europe/Paris")
    failures = {}
    for kpi_id, kdef in KPIS.items():
        for by in (None, *kdef.by):
            for freq in (None, "W"):
                try:
                    df = compute(kpi_id, client, start="2026-03-01", end="2026-03-31", by=by, freq=freq, margin_rate=0.4)
                except Exception as exc:  # noqa: BLE001: collected, asserted below
                    failures[(kpi_id, by, freq)] = f"{type(exc).__name__}: {exc}"
                    continue
                assert "unavailable" not in df.attrs, (kpi_id, by, df.attrs["unavailable"])
    assert failures == {}
