"""Query results kept per client connection (kpi_helpers/results.py)."""

from __future__ import annotations

import os

import pandas as pd

from kpi_helpers import client_from_frames, load_client, traffic
from kpi_helpers.results import results_of

MARCH = dict(start="2024-03-01", end="2024-03-31")


def _sessions(n: int, visitors: int) -> pd.DataFrame:
    return pd.DataFrame({"session_id": [f"s{i}" for i in range(n)], "visitor_id": [f"v{i % visitors}" for i in range(n)],
                         "started_at": pd.date_range("2024-03-01", periods=n, freq="h", tz="UTC"),
                         "channel": ["direct", "email"] * (n // 2) + ["direct"] * (n % 2)})


def _orders(sessions: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"order_id": [f"o{i}" for i in range(len(sessions))], "customer_id": "c1", "revenue": 10.0,
                         "ordered_at": pd.Timestamp("2024-03-10", tz="UTC"), "session_id": sessions})


def test_the_same_question_is_answered_once_and_callers_get_copies():
    client = client_from_frames({"sessions": _sessions(6, 3)})
    kept = results_of(client.con)
    first = traffic.visitors(client, **MARCH)
    misses = kept.misses
    second = traffic.visitors(client, **MARCH)
    assert kept.misses == misses and kept.hits >= 1
    pd.testing.assert_frame_equal(first, second)
    second.loc[0, "value"] = -1.0  # a caller changing its frame changes nothing kept
    assert traffic.visitors(client, **MARCH)["value"].iloc[0] == 3


def test_two_clients_never_share_results():
    # every in-memory DuckDB connection is ":memory:" and Ibis backends compare equal by database
    a = client_from_frames({"sessions": _sessions(6, 3)})
    b = client_from_frames({"sessions": _sessions(6, 2)})
    assert traffic.visitors(a, **MARCH)["value"].iloc[0] == 3
    assert traffic.visitors(b, **MARCH)["value"].iloc[0] == 2
    assert traffic.visitors(a, by="channel", **MARCH)["value"].tolist() == [3, 3]  # s0..s5: v0 v1 v2 v0 v1 v2
    assert traffic.visitors(b, by="channel", **MARCH)["value"].tolist() == [1, 1]  # direct: v0; email: v1


def test_a_parquet_file_rewritten_on_disk_drops_what_was_kept(tmp_path):
    _sessions(6, 3).to_parquet(tmp_path / "sessions.parquet", index=False)
    _orders(["s0"]).to_parquet(tmp_path / "orders.parquet", index=False)
    client = load_client(tmp_path)
    assert traffic.conversion_rate(client, **MARCH)["numerator"].iloc[0] == 1  # v0 bought
    # the orders now come from s1 and s2 too (visitors v1, v2); the file is rewritten in place
    stat = (tmp_path / "orders.parquet").stat()
    _orders(["s0", "s1", "s2"]).to_parquet(tmp_path / "orders.parquet", index=False)
    os.utime(tmp_path / "orders.parquet", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    df = traffic.conversion_rate(client, **MARCH)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (3, 3)
    assert traffic.conversion_rate(client, by="channel", **MARCH)["numerator"].tolist() == [2, 1]  # direct: v0 v2


def test_a_summarised_result_is_kept_as_its_summary_even_when_the_rows_are_too_many(monkeypatch):
    import dataclasses

    import kpi_helpers.results as results

    @dataclasses.dataclass(frozen=True)
    class Total:
        column: str

        def __call__(self, frame):
            return pd.DataFrame({"total": [frame[self.column].sum()]})

    client = client_from_frames({"sessions": _sessions(6, 3)})
    kept = results_of(client.con)
    monkeypatch.setattr(results, "MAX_ROWS", 3)  # 6 rows: too many to keep as they are
    s = client.table("sessions")
    rows = s.select(n=s.session_id.length())
    assert len(results.run(rows)) == 6
    misses = kept.misses
    assert len(results.run(rows)) == 6 and kept.misses == misses + 1  # not kept: run again
    assert results.run(rows, summarise=Total("n"))["total"].iloc[0] == 12  # "s0".."s5": 2 characters each
    misses = kept.misses
    assert results.run(rows, summarise=Total("n"))["total"].iloc[0] == 12 and kept.misses == misses  # the summary is kept
    assert results.run(rows, summarise=Total("n")) is not results.run(rows, summarise=Total("n"))  # copies
