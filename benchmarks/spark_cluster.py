"""Benchmark: `referly score --folder` with the events reduced on a Spark standalone cluster, against DuckDB.

    referly demo-data --scale enterprise --until 2026-11-23 --out ent   # once
    pip install -e '.[dev]'                                              # PySpark; Java 17+
    python benchmarks/spark_cluster.py ent [--runs 2] [--workers 2] [--memory 3g]

Starts a master and ``--workers`` workers (one core and ``--memory`` for executors each) as processes of
their own on this machine (``tests/spark_cluster.py``), then, each run, as a user would: `referly score
--folder ent --engine spark --spark-master spark://127.0.0.1:PORT` and `referly score --folder ent
--engine duckdb` (each its own process, score tables written under a scratch folder, the export is
only read), and the baseline in this process, DuckDB's hand-written decayed sum over the same files.
The reduction step's time is the command's own ("reduce the event files": for Spark it includes
starting the driver and getting the executors); the command's wall time is shown too. The score
tables of the two engines are compared column by column (numbers relative 1e-9). The cluster is
stopped at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from baseline import decayed_sum_sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.spark_cluster import standalone_cluster

REDUCE_STEP = re.compile(r"reduce the event files\W+([0-9.]+)")
TABLES = {"relationship_strength": ["a", "b"], "sponsor_scores": ["contact_id"], "next_best_actions": ["rank"]}


def score(folder: Path, out: Path, as_of: date, options: list[str], env: dict[str, str]) -> tuple[float, float]:
    """`referly score --folder` in a process of its own: (the reduction step, the whole command), in seconds."""
    args = ["score", "--folder", str(folder), "--as-of", as_of.isoformat(), "--out", str(out), *options]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "referly", *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"referly {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    found = REDUCE_STEP.search(done.stdout)
    if found is None:
        raise SystemExit(f"No reduction time in the output of referly {' '.join(args)}:\n{done.stdout}")
    return float(found.group(1)), wall


def same_tables(left: Path, right: Path) -> bool:
    for name, keys in TABLES.items():
        order = [(k, "ascending") for k in keys]
        a, b = pq.read_table(left / f"{name}.parquet").sort_by(order), pq.read_table(right / f"{name}.parquet")
        b = b.sort_by(order)
        if a.schema.names != b.schema.names or a.num_rows != b.num_rows:
            return False
        for column in a.schema.names:
            x, y = a.column(column), b.column(column)
            if pa.types.is_floating(x.type):
                if not np.allclose(x.to_numpy(), y.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True):
                    return False
            elif x.to_pylist() != y.to_pylist():
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="3g", help="memory of each worker's executor, and of the driver")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referly.settings")
    from referly.database import start_django

    start_django()
    from referly.scoring.config import load_settings
    from referly.scoring.folder import event_files, events_source
    from referly.scoring.pipeline import as_of_moment

    half_life = load_settings(stored=False).strength.half_life_days
    source = events_source(event_files([args.folder / "interactions"]))
    now = int(as_of_moment(args.as_of).timestamp())
    con = duckdb.connect()
    events = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    con.sql(decayed_sum_sql(source, now, half_life)).to_arrow_table()  # the files in the page cache

    scratch = Path(tempfile.mkdtemp(prefix="referly-spark-bench-"))
    plain = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
    plain["COLUMNS"] = "200"  # the timings table on one line a step
    rows = []
    try:
        with standalone_cluster(scratch / "cluster", workers=args.workers, memory=args.memory, timeout=600) as cluster:
            driver = {**plain, **cluster.driver_env(args.memory)}
            on_cluster = ["--engine", "spark", "--spark-master", cluster.master_url]
            for run in range(1, args.runs + 1):
                on_duckdb, on_spark = scratch / f"duckdb-{run}", scratch / f"spark-{run}"
                duck = score(args.folder, on_duckdb, args.as_of, ["--engine", "duckdb"], plain)
                spark = score(args.folder, on_spark, args.as_of, on_cluster, driver)
                started = time.perf_counter()
                pairs = con.sql(decayed_sum_sql(source, now, half_life)).to_arrow_table().num_rows
                baseline = time.perf_counter() - started
                rows.append((run, pairs, spark, duck, baseline, same_tables(on_spark, on_duckdb)))
                shutil.rmtree(on_duckdb)
                shutil.rmtree(on_spark)
            apps = [a for a in cluster.status()["completedapps"] if a["name"] == "referly"]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        "| Run | events, pairs | reduction on the cluster (command) | on DuckDB (command) | decayed sum (DuckDB) "
        "| cluster / DuckDB | cluster / decayed sum | same scores |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run, pairs, spark, duck, baseline, same in rows:
        print(
            f"| {run} | {events:,}, {pairs:,} | {spark[0]:.1f} s ({spark[1]:.1f} s) "
            f"| {duck[0]:.1f} s ({duck[1]:.1f} s) | {baseline:.1f} s | {spark[0] / duck[0]:.1f}x "
            f"| {spark[0] / baseline:.1f}x | {'yes' if same else 'NO'} |"
        )
    print(f"{args.workers} workers; executor cores of each application: {', '.join(str(a['cores']) for a in apps)}")


if __name__ == "__main__":
    main()
