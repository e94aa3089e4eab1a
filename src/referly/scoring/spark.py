"""The event-level reduction on Apache Spark, for event volumes that outgrow one machine.

The same reduction as everywhere else (``reduction_sql``, rendered in Spark SQL); Spark reads the
Parquet event files, reduces them where its executors are, and only the per-pair rows come back, as
Arrow, into the embedded engine for the rest of the pipeline. ``REFERLY_SPARK_MASTER`` (or
`referly score --spark-master`) names the cluster: ``local[*]`` (every core of this machine, the
default) or a standalone master, ``spark://host:7077``. The executors run SQL only (no Python
code), so they need no Python of their own. PySpark is an optional dependency
(``pip install 'referly[spark]'``) and needs Java 17 or later.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from typing import TYPE_CHECKING, Any

from referly.errors import InvalidInput, Unavailable
from referly.scoring.config import StrengthSettings
from referly.scoring.strength import PairState, reduction_sql

if TYPE_CHECKING:
    import pyarrow as pa

VIEW = "referly_events"
COLUMNS = (
    "CAST(teammate_id AS BIGINT) AS a",
    "CAST(contact_id AS BIGINT) AS b",
    "CAST(kind AS TINYINT) AS kind",
    "CAST(occurred_at AS BIGINT) AS ts",  # a timestamp cast to BIGINT: whole seconds since 1970 (UTC)
)
STANDALONE = "spark://"
ANSWER_SECONDS = 5.0
"""How long a standalone master has to accept a connection before it is reported as not answering."""
EXECUTOR_SECONDS = 60.0
"""How long a standalone cluster has to give the application its first executor."""


def spark_session(master: str | None = None) -> Any:
    """The Spark session the reductions run on: UTC, no web UI, as little log as Spark allows.

    A session already open on another master is stopped first: one process talks to one cluster.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise Unavailable(
            "REFERLY_EVENTS_ENGINE=spark needs PySpark", detail="pip install 'referly[spark]'; Java 17+"
        ) from None
    from referly import config

    wanted = (master or config.SPARK_MASTER.value()).strip()
    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext.master == wanted:
            return active
        active.stop()
    _require_java()
    if wanted.startswith(STANDALONE):
        _require_answer(wanted)
    builder = (
        SparkSession.builder.master(wanted)
        .appName("referly")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Spark reports a missing or old Java as a bare runtime error
        raise Unavailable(f"Spark could not start: {exc}", detail="Spark needs Java 17 or later") from None
    session.sparkContext.setLogLevel("ERROR")
    if wanted.startswith(STANDALONE):
        _await_executor(session, wanted)
    return session


def reduce_on_spark(
    files: list[str], as_of: int, settings: StrengthSettings, since: int | None = None, master: str | None = None
) -> PairState:
    """The reduction of the Parquet event files, run by Spark (on ``master``, default REFERLY_SPARK_MASTER)."""
    session = spark_session(master)
    try:
        events = session.read.parquet(*files)
    except Exception as exc:
        raise InvalidInput(f"Spark cannot read the event files: {exc}") from None
    events.selectExpr(*COLUMNS).createOrReplaceTempView(VIEW)
    sql = reduction_sql(VIEW, as_of, settings.half_life_days, since, dialect="spark")
    table: pa.Table = session.sql(sql).toArrow()
    return PairState(as_of, _typed(table))


def _require_java() -> None:
    home = os.environ.get("JAVA_HOME", "").strip()
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return
    if shutil.which("java") is None:
        raise Unavailable("Spark needs Java 17 or later, and none was found", detail="install a JDK or set JAVA_HOME")


def _require_answer(master: str) -> None:
    """A standalone master (``spark://host:port``, or several, comma-separated) accepts a connection."""
    for address in master.removeprefix(STANDALONE).split(","):
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit():
            raise InvalidInput(f"The Spark master {master} is not spark://HOST:PORT", field="spark_master")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=ANSWER_SECONDS).close()
        except OSError:
            continue
        return
    raise Unavailable(
        f"The Spark master {master} does not answer",
        detail="start it, or check its host and port (7077 unless it was started with another)",
    )


def _await_executor(session: Any, master: str) -> None:
    """Wait until the cluster gives the application an executor: with none, a job would wait forever."""
    status = session.sparkContext._jsc.sc().getExecutorMemoryStatus()
    deadline = time.monotonic() + EXECUTOR_SECONDS
    while status.size() < 2:  # the driver counts as one
        if time.monotonic() > deadline:
            session.stop()
            raise Unavailable(
                f"The Spark master {master} gave no executor in {EXECUTOR_SECONDS:.0f} s",
                detail="no worker is registered, or none has the cores and memory the application asks for",
            )
        time.sleep(0.5)
        status = session.sparkContext._jsc.sc().getExecutorMemoryStatus()


def _typed(table: pa.Table) -> pa.Table:
    """The column types the other engines give: 64-bit ids, counts and times, double sums."""
    import pyarrow as pa

    from referly.scoring.strength import SUMS

    fields = [pa.field(n, pa.float64() if n in SUMS else pa.int64()) for n in table.column_names]
    return table.cast(pa.schema(fields))
