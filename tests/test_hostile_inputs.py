"""Hostile client folders and settings: exit status 2, a message naming the file and what was
expected, no traceback, nothing quoted that may be personal, in bounded time and memory.

Each case runs the command line as a user does (``kpi validate`` then ``kpi kpis``) in a child
process with a deadline and an address-space limit, so a case that loops or balloons fails
instead of taking the suite down.
"""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kpi_helpers.paths import SAMPLE_DIR

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = "session_id,visitor_id,started_at\ns1,v1,2026-03-02 10:00:00\ns2,v2,2026-03-03 11:00:00\n"
ORDERS = "order_id,customer_id,ordered_at,revenue\no1,c1,2026-03-02 10:05:00,10.5\n"
MEMORY_LIMIT = 3 << 30  # bytes of address space for one command
DEADLINE = 60  # seconds for one command


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def kpi(*args: str, timeout: float = DEADLINE) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "kpi_helpers", *args], capture_output=True, text=True, cwd=ROOT,
                         timeout=timeout, preexec_fn=_limits)
    return out, time.perf_counter() - t0


def folder(tmp_path: Path, **files: str | bytes) -> Path:
    d = tmp_path / "client"
    d.mkdir(exist_ok=True)
    for name, content in files.items():
        name = name.replace("__", ".")
        (d / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return d


def assert_refused(client: Path, *expected: str, commands=("validate", "kpis"), absent: tuple[str, ...] = ()) -> None:
    for command in commands:
        out, seconds = kpi(command, str(client))
        assert out.returncode == 2, (command, out.stdout[-500:], out.stderr[-2000:])
        assert "Traceback" not in out.stderr and out.stdout == "", out.stderr[-2000:]
        for text in expected:
            assert text in out.stderr, (text, out.stderr[-2000:])
        for text in absent:
            assert text not in out.stderr, (text, out.stderr[-2000:])
        assert seconds < DEADLINE


# --- files that cannot be read ------------------------------------------------------------------

def test_a_csv_field_longer_than_any_reader_takes(tmp_path):
    huge = "x" * 3_000_000  # past DuckDB's 2 MB line and the csv module's 131,072 characters
    client = folder(tmp_path, sessions__csv=SESSIONS + f's3,v3,"{huge}\n')
    assert_refused(client, "sessions.csv", "an unclosed quote?")


def test_a_truncated_gzip_file(tmp_path):
    data = gzip.compress((SESSIONS * 2000).encode())
    client = folder(tmp_path, **{"sessions__csv__gz": data[: len(data) // 2]})
    assert_refused(client, "sessions.csv.gz", "cannot be read as gzip", "a complete gzip-compressed CSV file")


def test_a_file_named_gzip_that_is_not(tmp_path):
    client = folder(tmp_path, **{"sessions__csv__gz": SESSIONS})
    assert_refused(client, "sessions.csv.gz", "cannot be read as gzip")


def test_a_header_of_a_hundred_thousand_columns_is_refused_at_once(tmp_path):
    header = ",".join(["session_id", "visitor_id", "started_at"] + [f"c{i}" for i in range(100_000)])
    client = folder(tmp_path, sessions__csv=header + "\n" + "s1,v1,2026-03-02 10:00:00" + ",x" * 100_000 + "\n")
    out, seconds = kpi("validate", str(client))
    assert out.returncode == 2 and "the header has 100,003 columns" in out.stderr and "at most 500 columns" in out.stderr
    assert seconds < 20


# --- symbolic links -----------------------------------------------------------------------------

def test_a_symbolic_link_loop(tmp_path):
    client = folder(tmp_path, sessions__csv=SESSIONS)
    (client / "orders.csv").symlink_to(client / "orders.csv")
    assert_refused(client, "orders.csv", "leads back to itself")


def test_a_dangling_symbolic_link(tmp_path):
    client = folder(tmp_path, sessions__csv=SESSIONS)
    (client / "orders.csv").symlink_to(tmp_path / "gone.csv")
    assert_refused(client, "orders.csv", "leads to nothing")


def test_a_symbolic_link_out_of_the_client_folder_is_refused_without_quoting_its_target(tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("jean.dupont@example.com,Jean Dupont,06 12 34 56 78\n")
    client = folder(tmp_path, sessions__csv=SESSIONS)
    (client / "orders.csv").symlink_to(outside)
    assert_refused(client, "orders.csv", "leads out of the client folder", absent=("jean", "Dupont", "06 12"))


# --- client.yml -----------------------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))


@pytest.mark.parametrize("text, expected", [
    (BOMB, "client.yml: line 1: anchors and aliases (&name, *name) are not accepted"),
    ("name: " + "[" * 100_000 + "]" * 100_000 + "\n", "client.yml: line 1: nested more than 16 levels deep"),
    ("margin_rate: 1" + "0" * 4000 + "\n", "invalid margin_rate <a number of about 4,001 digits>"),
    ("margin_rate: 0.3\nname: " + "x" * 10_000 + "\n", "client.yml: line 2: a value of 10,000 characters"),
    ("name: 2026-02-30\nmargin_rate: 2026-02-30\n", "invalid margin_rate '2026-02-30'"),
    ("timezone: posix/Europe/Paris\n", "unknown timezone 'posix/Europe/Paris'"),
    ("timezone: right/UTC\n", "unknown timezone 'right/UTC'"),
    ("timezone: localtime\n", "unknown timezone 'localtime'"),
], ids=["alias-bomb", "deep-nesting", "huge-integer", "long-value", "invalid-date", "posix-tz", "right-tz", "localtime"])
def test_a_hostile_client_yml(tmp_path, text, expected):
    client = folder(tmp_path, sessions__csv=SESSIONS, client__yml=text)
    assert_refused(client, "client.yml", expected)


# --- dates no calendar counts in ---------------------------------------------------------------

@pytest.mark.parametrize("value", ["9999-12-31 10:00:00", "10000-01-01 00:00:00", "0001-01-01 00:00:00", "infinity",
                                   "-infinity"])
def test_a_timestamp_outside_the_years_the_kit_counts_in(tmp_path, value):
    client = folder(tmp_path, sessions__csv=SESSIONS + f"s3,v3,{value}\n")
    assert_refused(client, "sessions.csv", "column 'started_at'", "outside the years 1900 to 2199", "line 4")


def test_a_future_dated_typo_is_named_and_does_not_move_the_default_period(tmp_path):
    client = folder(tmp_path, sessions__csv=SESSIONS, orders__csv=ORDERS + "o2,c2,2062-03-04 10:00:00,20\n")
    out, _ = kpi("validate", str(client))
    assert out.returncode == 0 and "1 row dated after today (the latest on 2062-03-04)" in out.stdout
    out, _ = kpi("kpis", str(client))
    assert out.returncode == 0, out.stderr
    import json

    card = json.loads(out.stdout)
    assert card["period"]["start"] == "2026-03-02" and card["period"]["end"] == "2026-03-03"  # the data's range


# --- personal data in messages ------------------------------------------------------------------

def test_personal_data_in_the_wrong_column_is_never_quoted(tmp_path):
    orders = ("order_id,customer_id,ordered_at,revenue\n"
              "o1,jean.dupont@example.com,Jean Dupont,marie@example.org\n"
              "o1,c2,2026-03-02 10:00:00,06 12 34 56 78\n")
    client = folder(tmp_path, orders__csv=orders)
    assert_refused(client, "orders.csv", "column 'ordered_at'", "column 'revenue'", "duplicated id",
                   absent=("jean", "Jean", "Dupont", "marie", "06 12", "example"))
    out, _ = kpi("validate", str(client), "--show-values")  # the analyst may ask to see them
    assert "Jean Dupont" in out.stderr


def test_a_data_line_taken_for_the_header_is_not_quoted(tmp_path):
    client = folder(tmp_path, orders__csv="jean.dupont@example.com,Jean,Dupont,12.5\nmarie@example.org,Marie,Curie,3\n")
    assert_refused(client, "orders.csv", "is the header row missing?", absent=("jean", "Dupont", "example"))


def test_the_sample_clients_still_load(tmp_path):
    out, _ = kpi("validate", str(SAMPLE_DIR / "maison-lune"))
    assert out.returncode == 0 and "OK" in out.stdout
