"""The event-level reduction on Apache Spark, for event volumes that outgrow one machine.

The same reduction as everywhere else (``reduction_sql``, rendered in Spark SQL); Spark reads the
Parquet event files, reduces them where its executors are, and only the per-pair rows come back, as
Arrow, into the embedded engine for the rest of the pipeline. ``REFERLY_SPARK_MASTER`` names the
cluster (default ``local[*]``: every core of this machine). PySpark is an optional dependency
(``pip install 'referly[spark]'``) and needs Java 17 or later.
"""

from __future__ import annotations

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


def spark_session(master: str | None = None) -> Any:
    """The Spark session the reductions run on: UTC, no web UI, as little log as Spark allows."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise Unavailable(
            "REFERLY_EVENTS_ENGINE=spark needs PySpark", detail="pip install 'referly[spark]'; Java 17+"
        ) from None
    from referly import config

    builder = (
        SparkSession.builder.master(master or config.SPARK_MASTER.value())
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
    return session


def reduce_on_spark(files: list[str], as_of: int, settings: StrengthSettings, since: int | None = None) -> PairState:
    """The reduction of the Parquet event files, run by Spark."""
    session = spark_session()
    try:
        events = session.read.parquet(*files)
    except Exception as exc:
        raise InvalidInput(f"Spark cannot read the event files: {exc}") from None
    events.selectExpr(*COLUMNS).createOrReplaceTempView(VIEW)
    sql = reduction_sql(VIEW, as_of, settings.half_life_days, since, dialect="spark")
    table: pa.Table = session.sql(sql).toArrow()
    return PairState(as_of, _typed(table))


def _typed(table: pa.Table) -> pa.Table:
    """The column types the other engines give: 64-bit ids, counts and times, double sums."""
    import pyarrow as pa

    from referly.scoring.strength import SUMS

    fields = [pa.field(n, pa.float64() if n in SUMS else pa.int64()) for n in table.column_names]
    return table.cast(pa.schema(fields))
