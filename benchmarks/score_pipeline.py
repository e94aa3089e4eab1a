"""Benchmark: `referly score` end to end on the smb demo, against a hand-written decayed-sum query.

    python benchmarks/score_pipeline.py [--db PATH]

Setup (not timed): the smb demo company in a SQLite file (generated unless --db names one).
Timed, in one run: the whole pipeline as `referly score` runs it (read the database, every step,
write the results); the reduction step alone on the same events; and the baseline, one DuckDB
query that computes only the decayed per-pair sum over the same in-memory events. Prints the
times and the ratios to the baseline (targets: pipeline ≤ 3x, reduction ≤ 1.3x; end to end under
10 s on the smb demo).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from baseline import decayed_sum_sql


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="referly-bench-")) / "smb.db"
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "referly",
                "demo-data",
                "--scale",
                "smb",
                "--until",
                "2026-11-23",
                "--db",
                str(path),
            ],
            check=True,
            capture_output=True,
        )
    os.environ.pop("REFERLY_DATABASE_URL", None)
    os.environ["REFERLY_DB"] = str(path)
    from referly.database import open_database

    open_database()
    import duckdb
    from django.db import transaction

    from referly.scoring.config import load_settings
    from referly.scoring.pipeline import as_of_moment
    from referly.scoring.services import score_database
    from referly.scoring.store import load_events
    from referly.scoring.strength import reduce_events

    day = date(2026, 11, 23)
    with transaction.atomic():
        score_database(day, [])  # warm the file cache, as a daily run finds it
    started = time.perf_counter()
    with transaction.atomic():
        run = score_database(day, [])
    pipeline = time.perf_counter() - started

    events = load_events()
    settings = load_settings().strength
    now = int(as_of_moment(day).timestamp())
    started = time.perf_counter()
    reduce_events(events, now, settings)
    reduction = time.perf_counter() - started

    con = duckdb.connect()
    con.register("events", events)
    started = time.perf_counter()
    con.sql(decayed_sum_sql("events", now, settings.half_life_days)).to_arrow_table()
    baseline = time.perf_counter() - started

    from django.db import connection

    from referly.scoring.store import interactions_source, reduce_in_database

    started = time.perf_counter()
    reduce_in_database(now, settings)
    reduction_db = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(decayed_sum_sql(interactions_source(), now, settings.half_life_days))
        cursor.fetchall()
    baseline_db = time.perf_counter() - started
    n = events.num_rows
    print("| where the events are | pipeline | reduction | decayed sum alone | pipeline / it | reduction / it |")
    print(f"| in memory (DuckDB), {n:,} | - | {reduction:.3f} s | {baseline:.3f} s | - | {reduction / baseline:.2f}x |")
    print(
        f"| in the database ({connection.vendor}), {n:,} | {pipeline:.2f} s | {reduction_db:.2f} s | "
        f"{baseline_db:.2f} s | {pipeline / baseline_db:.2f}x | {reduction_db / baseline_db:.2f}x |"
    )
    print("steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in run.timings.items()))


if __name__ == "__main__":
    main()
