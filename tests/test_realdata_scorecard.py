"""The kit's scorecard agrees with an independent pandas reference on every real public dataset.

For each client imported from ``../shared/realdata`` (fixture ``realdata_clients``), the kit's
:func:`kpi_helpers.scorecard.scorecard` and :func:`reference_scorecard.reference_scorecard` (pandas,
written from ``shared/spec/kpis.md`` without ``kpi_helpers``) are run on

* ``default``: the kit's default period (taken from the kit's output, passed to the reference);
* ``full``: the whole data range (first to last local date over every table), margin rate 0.4;
* ``channel``: the whole range with a channel filter on the client's most frequent known channel
  (clients whose sessions have a channel column only), margin rate 0.4;

and must agree on every headline KPI (integers exactly, other numbers within 1e-9 relative; the
kit writes floats rounded to 10 decimals, hence an absolute slack of 1e-10), on which KPIs are
unavailable (null; the reason texts may differ) and on every breakdown (same keys, same values;
the same [query, count] lists). A failure lists every difference with the id and both values.

``test_reference_reads_naive_timestamps_like_duckdb`` checks the one reading rule where pandas
and DuckDB differ by default: wall times that are repeated or skipped at daylight-saving changes.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kpi_helpers.loading import load_client
from kpi_helpers.scorecard import scorecard
from realdata import REALDATA_MARKS  # the realdata_clients fixture comes from the plugin of conftest.py
from reference_scorecard import (BREAKDOWNS, HEADLINE_KPIS, INTEGER_KPIS, data_range, load_reference_client,
                                 reference_scorecard)

pytestmark = REALDATA_MARKS

SOURCES = ("ga360", "ga4", "online_retail", "rees46", "online_shoppers", "facebook_posts", "facebook_ads")
CASES = ("default", "full", "channel")
MARGIN_RATE = 0.4
REL_TOL = 1e-9
ABS_TOL = 1e-10  # the kit rounds floats to 10 decimals in the scorecard


@pytest.fixture(scope="module")
def kit_client():
    """Each client folder loaded once by the kit for this module: {folder: Client}."""
    cache: dict[Path, Any] = {}

    def get(folder: Path):
        if folder not in cache:
            cache[folder] = load_client(folder)
        return cache[folder]

    return get


def most_frequent_channel(folder: Path) -> str | None:
    """The most frequent known channel of the client's sessions (None without a channel column)."""
    client = load_reference_client(folder)
    if not client.has("sessions", "channel"):
        return None
    counts = Counter(c for c in client.tables["sessions"]["channel"] if isinstance(c, str) and c != "unknown")
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _same_number(kit: Any, ref: Any, integer: bool) -> bool:
    if kit is None or ref is None:
        return kit is None and ref is None
    if integer:
        return type(kit) is int and kit == ref
    return math.isclose(kit, ref, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def differences(kit: dict, ref: dict) -> tuple[list[str], int]:
    """(every difference between the two scorecards, number of values compared)."""
    out: list[str] = []
    n = 0
    if list(kit["kpis"]) != list(HEADLINE_KPIS) or list(ref["kpis"]) != list(HEADLINE_KPIS):
        out.append(f"kpi ids: kit={list(kit['kpis'])} reference={list(ref['kpis'])}")
    if list(kit["breakdowns"]) != list(BREAKDOWNS) or list(ref["breakdowns"]) != list(BREAKDOWNS):
        out.append(f"breakdown ids: kit={list(kit['breakdowns'])} reference={list(ref['breakdowns'])}")
    for kpi_id in HEADLINE_KPIS:
        k, r = kit["kpis"].get(kpi_id), ref["kpis"].get(kpi_id)
        n += 1
        if not _same_number(k, r, kpi_id in INTEGER_KPIS):
            out.append(f"{kpi_id}: kit={k!r} reference={r!r}")
        if (kpi_id in kit["unavailable"]) != (kpi_id in ref["unavailable"]):
            out.append(f"{kpi_id} unavailable: kit={kit['unavailable'].get(kpi_id)!r} "
                       f"reference={ref['unavailable'].get(kpi_id)!r}")
    for bid in BREAKDOWNS:
        k, r = kit["breakdowns"].get(bid), ref["breakdowns"].get(bid)
        if (bid in kit["unavailable"]) != (bid in ref["unavailable"]):
            out.append(f"{bid} unavailable: kit={kit['unavailable'].get(bid)!r} "
                       f"reference={ref['unavailable'].get(bid)!r}")
        if k is None or r is None:
            n += 1
            if not (k is None and r is None):
                out.append(f"{bid}: kit={k!r} reference={r!r}")
            continue
        if isinstance(r, list):
            n += max(len(r), 1)
            if k != r:
                out.append(f"{bid}: kit={k!r} reference={r!r}")
            continue
        if list(k) != list(r):
            out.append(f"{bid} keys: kit={list(k)} reference={list(r)}")
        integer = bid in ("days_to_purchase", "visits_to_purchase")
        for key in dict.fromkeys([*k, *r]):
            n += 1
            if key not in k or key not in r or not _same_number(k[key], r[key], integer):
                out.append(f"{bid}[{key!r}]: kit={k.get(key, '<missing>')!r} reference={r.get(key, '<missing>')!r}")
    return out, n


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("source", SOURCES)
def test_the_kit_scorecard_equals_the_reference(realdata_clients, kit_client, source, case):
    folder = realdata_clients[source]
    client = kit_client(folder)
    if case == "default":
        kit = scorecard(client)
        options = dict(start=kit["period"]["start"], end=kit["period"]["end"])
    else:
        first, last = data_range(folder)
        options = dict(start=first.isoformat(), end=last.isoformat(), margin_rate=MARGIN_RATE)
        if case == "channel":
            channel = most_frequent_channel(folder)
            if channel is None:
                pytest.skip(f"{source}: no sessions with a known channel to filter on")
            options["channel"] = channel
        kit = scorecard(client, **options)
        assert kit["period"]["start"] == options["start"] and kit["period"]["end"] == options["end"]
    ref = reference_scorecard(folder, **options)
    diffs, _ = differences(kit, ref)
    assert not diffs, (f"{source} {case} {options}: {len(diffs)} difference(s) between the kit and the "
                       "reference:\n  " + "\n  ".join(diffs))


def test_reference_reads_naive_timestamps_like_duckdb():
    """Wall times without offset, every quarter hour of 2024, in zones with odd DST rules: the
    reference gives the instants DuckDB's ``CAST(text AS TIMESTAMPTZ)`` gives (repeated hour: the
    later instant; skipped hour: the offset before the change)."""
    import duckdb

    from reference_scorecard import _epoch_us, _to_timestamp

    walls = pd.Series(pd.date_range("2024-01-01", "2025-01-01", freq="15min")).dt.strftime("%Y-%m-%d %H:%M:%S")
    for tz in ("Europe/Paris", "America/Los_Angeles", "Australia/Lord_Howe", "America/Havana", "Europe/London"):
        con = duckdb.connect()
        con.execute(f"SET TimeZone = '{tz}'")
        con.register("frame", pd.DataFrame({"t": walls}))
        duck = con.execute("SELECT epoch_us(TRY_CAST(t AS TIMESTAMPTZ)) AS us FROM frame").df()["us"]
        mine = _epoch_us(_to_timestamp(walls.astype(object), tz, False))
        bad = mine.to_numpy() != duck.to_numpy()
        assert not bad.any(), f"{tz}: {list(walls[bad][:5])}"
