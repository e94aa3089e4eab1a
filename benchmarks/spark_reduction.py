"""Benchmark: the event reduction on Spark (local mode) against DuckDB, over the same Parquet files.

    referly demo-data --scale enterprise --until 2026-11-23 --out ent   # once
    pip install -e '.[spark]'                                            # PySpark; Java 17+
    python benchmarks/spark_reduction.py ent [--master 'local[2]'] [--memory 8g]

Timed in one process: the reduction on Spark (the session already started; time to start it shown
apart), the same reduction on DuckDB, and the baseline, DuckDB's hand-written decayed sum. The
results of the two engines are compared pair by pair (relative 1e-9). Peak memory: this Python
process and the Spark JVM (a child process), each its maximum resident set size (VmHWM for the JVM).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from baseline import decayed_sum_sql


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--memory", default="8g", help="Spark driver memory (local mode: the whole engine)")
    args = parser.parse_args()
    os.environ["REFERLY_SPARK_MASTER"] = args.master
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referly.settings")
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {args.memory} pyspark-shell"
    from referly.database import start_django

    start_django()
    from referly.scoring.config import load_settings
    from referly.scoring.folder import event_files, events_source, reduce_files
    from referly.scoring.pipeline import as_of_moment
    from referly.scoring.spark import reduce_on_spark, spark_session
    from referly.scoring.strength import SUMS

    settings = load_settings().strength
    files = event_files([args.folder / "interactions"])
    now = int(as_of_moment(args.as_of).timestamp())

    started = time.perf_counter()
    spark_session()
    startup = time.perf_counter() - started
    started = time.perf_counter()
    on_spark = reduce_on_spark(files, now, settings).table
    spark = time.perf_counter() - started

    started = time.perf_counter()
    on_duckdb = reduce_files(files, now, settings).table
    duck = time.perf_counter() - started
    con = duckdb.connect()
    started = time.perf_counter()
    con.sql(decayed_sum_sql(events_source(files), now, settings.half_life_days)).to_arrow_table()
    baseline = time.perf_counter() - started

    keys = [("a", "ascending"), ("b", "ascending")]
    s, d = on_spark.sort_by(keys), on_duckdb.sort_by(keys)
    same = s.num_rows == d.num_rows and all(
        np.allclose(s.column(n).to_numpy().astype(float), d.column(n).to_numpy().astype(float), rtol=1e-9, atol=0)
        for n in ("a", "b", *SUMS, "touches", "first_ts", "last_ts")
    )
    events = con.execute(f"SELECT count(*) FROM {events_source(files)}").fetchall()[0][0]
    python_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    jvm = spark_session()._jvm.java.lang.ProcessHandle.current().pid()
    status = Path(f"/proc/{jvm}/status").read_text()
    jvm_peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 2**20
    spark_session().stop()
    print(
        "| events | pairs | Spark start | reduction on Spark | on DuckDB | decayed sum (DuckDB) | Spark / DuckDB "
        "| same result | peak: Python, Spark JVM |"
    )
    print(
        f"| {events:,} | {s.num_rows:,} | {startup:.1f} s | {spark:.1f} s ({args.master}) | {duck:.1f} s | "
        f"{baseline:.1f} s | {spark / duck:.1f}x | {'yes' if same else 'NO'} | "
        f"{python_peak:.1f} GiB, {jvm_peak:.1f} GiB |"
    )


if __name__ == "__main__":
    main()
