"""The loader's Spark session: started once per process, with a deadline, in UTC.

``load_client(path, backend="pyspark")`` validates the client with DuckDB as always, writes its
typed tables as Parquet and hands them to Spark through Ibis' PySpark backend; this module starts
(or reuses) the Spark session. Local mode by default; ``KPI_SPARK_MASTER`` names another master
(``spark://host:7077``, ``yarn``...), ``KPI_SPARK_DRIVER_MEMORY`` the driver's memory (``2g``).

The session's timezone is UTC and is checked: the KPIs compare timestamps with instants (UTC
literals) and read local dates from the loader's ``local_date`` column, so nothing depends on a
session timezone except those comparisons, which need UTC. The JVM must start within
:data:`START_TIMEOUT` seconds (it is killed otherwise), and a query running past the current
deadline (:mod:`kpi_helpers.deadline`) is cancelled.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

from .errors import KpiInputError, Problem

__all__ = ["session", "connect", "java_problem", "START_TIMEOUT"]

START_TIMEOUT = 120.0  # seconds for the JVM to start and answer
_LOCK = threading.Lock()


def java_problem() -> str | None:
    """Why Spark cannot run here (no pyspark, no Java), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "the pyspark package is not installed (pip install -e '.[spark]')"
    java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not Path(java).exists():
        return "no Java runtime for Spark (apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
    return None


def _spark_jvms() -> set[int]:
    """Processes of this process's Spark JVMs (children running SparkSubmit)."""
    me = str(os.getpid())
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat[1] == me and b"org.apache.spark.deploy.SparkSubmit" in cmd:
            out.add(int(entry.name))
    return out


def session(*, timeout: float = START_TIMEOUT) -> Any:
    """The process's Spark session, started on first use within ``timeout`` seconds."""
    from pyspark.sql import SparkSession

    with _LOCK:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        problem = java_problem()
        if problem:
            raise KpiInputError(Problem(f"cannot start Spark: {problem}", column="backend",
                                        expected="Java 17 and the pyspark package, or the duckdb backend"))
        builder = (SparkSession.builder.master(os.environ.get("KPI_SPARK_MASTER", "local[2]")).appName("kpi-kit")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", os.environ.get("KPI_SPARK_PARTITIONS", "2"))
                   .config("spark.driver.memory", os.environ.get("KPI_SPARK_DRIVER_MEMORY", "2g"))
                   .config("spark.sql.session.timeZone", "UTC"))
        result: dict[str, Any] = {}

        def start() -> None:
            try:
                result["session"] = builder.getOrCreate()
            except BaseException as exc:  # noqa: BLE001: reported below
                result["error"] = exc

        thread = threading.Thread(target=start, name="kpi-spark-start", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            for pid in _spark_jvms():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            raise KpiInputError(Problem(f"Spark did not start within {timeout:g} s; its JVM was stopped",
                                        column="backend", expected="a working Java 17 and Spark"))
        if "session" in result:
            result["session"].sparkContext.setLogLevel("ERROR")
        if "error" in result:
            raise KpiInputError(Problem(f"cannot start Spark ({type(result['error']).__name__}: "
                                        f"{str(result['error']).splitlines()[0][:300]})", column="backend")) from None
        return result["session"]


class _Cancel:
    """What :func:`kpi_helpers.deadline.watch` interrupts: every running job of the session."""

    def __init__(self, spark: Any):
        self.spark = spark

    def interrupt(self) -> None:
        self.spark.sparkContext.cancelAllJobs()


def connect() -> Any:
    """A new Ibis PySpark backend on the process's session (one per client: kept results and
    temporary tables are per backend object), its timezone checked to be UTC."""
    import ibis

    from . import deadline

    spark = session()
    con = ibis.pyspark.connect(spark)
    tz = spark.conf.get("spark.sql.session.timeZone")
    if tz != "UTC":
        raise KpiInputError(Problem(f"Spark's session timezone is {tz!r}", column="backend",
                                    expected="UTC (the KPIs compare timestamps with UTC instants)"))
    deadline.watch(_Cancel(spark))
    return con
