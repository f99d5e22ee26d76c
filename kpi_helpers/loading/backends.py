"""Handing a validated client to another backend: its typed tables as Parquet, read by Spark.

DuckDB stays the one validator: :func:`~kpi_helpers.loading.load_client` reads and checks the
folder as always, then, for ``backend: pyspark``, each typed table (contract columns, extra
columns and ``local_date``) is written as Parquet (timestamps as UTC instants) and registered in
Spark through Ibis' PySpark backend. The KPI expressions run there unchanged.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

from ..results import register
from ._text import lit, q

__all__ = ["typed_parquet", "on_pyspark"]


def typed_parquet(client: Any, folder: Path) -> dict[str, Path]:
    """Write every table of a DuckDB client as ``<folder>/<table>.parquet``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in client.tables:
        path = folder / f"{name}.parquet"
        client.con.con.execute(f"COPY (SELECT * FROM {q(name)}) TO {lit(str(path))} (FORMAT parquet)")
        paths[name] = path
    return paths


def on_pyspark(client: Any) -> Any:
    """The same client with its tables on Spark (a new Ibis PySpark backend on the process's session)."""
    from ..spark import connect
    from .client import Client

    folder = Path(tempfile.mkdtemp(prefix="kpi-spark-"))
    paths = typed_parquet(client, folder)
    con = connect()
    prefix = f"kpi_{secrets.token_hex(4)}_"  # several clients share the session's catalogue
    tables = {name: con.read_parquet(str(path), table_name=prefix + name) for name, path in paths.items()}
    out = Client(client.settings, con, tables, client.provided, client.sources, client.warnings, client.path)
    register(con)
    weakref.finalize(out, shutil.rmtree, folder, True)
    return out
