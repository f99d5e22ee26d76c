"""Read a client folder (or pandas frames) into typed Ibis tables, validated by DuckDB.

The folder follows ``shared/spec/data-contract.md``; :mod:`kpi_helpers.contract` declares it as
code. Reading happens in DuckDB: CSV and Excel files are read as text and converted column by
column with the contract's types, so every value that does not parse is reported with its row;
Parquet files stay where they are and are read through a typed view (10M sessions validate in
seconds without being copied into memory).

Timestamps are stored as ``TIMESTAMPTZ`` (instants) and every table gets ``local_date``, the
local date of its time column in the client's timezone, computed here once: the KPIs bucket by
it and compare instants, so no KPI converts a timezone, on any backend.

The package, by role: :mod:`.settings` (``client.yml``), :mod:`.reading` (discovery and reading
files), :mod:`.checks` (typing and checking a table), :mod:`.client` (the :class:`Client` and the
entry points).
"""

from __future__ import annotations

from .client import Client, as_client, client_from_frames, load_client, release, temp_table
from .reading import SourceFile, sniff_encoding
from .settings import Settings, known_timezones, read_settings

__all__ = [
    "Client",
    "Settings",
    "SourceFile",
    "load_client",
    "client_from_frames",
    "as_client",
    "temp_table",
    "release",
    "known_timezones",
    "read_settings",
    "sniff_encoding",
]
