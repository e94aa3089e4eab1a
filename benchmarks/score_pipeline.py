"""Benchmark: `referly score` end to end on the smb demo, against a hand-written decayed-sum query.

    python benchmarks/score_pipeline.py [--db PATH] [--runs 3]

Setup (not timed): the smb demo company in a SQLite file (generated unless --db names one), and one
warm-up run of the pipeline. Timed, in each run: the whole pipeline as `referly score` runs it (read
the database, every step, write the results, commit); the reduction step alone on the same events,
in memory (DuckDB) and where they are stored (the database); and the baselines, one query that
computes only the decayed per-pair sum over the same events, run by DuckDB in memory and by the
database itself. Prints the times, the ratios to the baselines and the load average (targets:
pipeline ≤ 2.0 s, reduction in the database ≤ 1.5x the decayed sum run by the database).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path

from baseline import decayed_sum_sql
from smb_demo import open_smb_demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    open_smb_demo(args.db)
    import duckdb
    from django.db import connection, transaction

    from referly.scoring.config import load_settings
    from referly.scoring.pipeline import as_of_moment
    from referly.scoring.services import score_database
    from referly.scoring.store import interactions_source, load_events, reduce_in_database
    from referly.scoring.strength import reduce_events, reduction_sql

    day = date(2026, 11, 23)
    with transaction.atomic():
        score_database(day, [])  # warm the file cache, as a daily run finds it
    events = load_events()
    settings = load_settings().strength
    now = int(as_of_moment(day).timestamp())
    dialect = "sqlite" if connection.vendor == "sqlite" else "postgres"
    n = events.num_rows
    print(f"{n:,} interactions; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "| run | pipeline | reduction in the database | decayed sum in the database | reduction / it | "
        "generic rendering / it | reduction in memory (DuckDB) | decayed sum in memory | reduction / it |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for number in range(1, args.runs + 1):
        started = time.perf_counter()
        with transaction.atomic():
            run = score_database(day, [])
        pipeline = time.perf_counter() - started

        started = time.perf_counter()
        reduce_events(events, now, settings)
        reduction = time.perf_counter() - started
        con = duckdb.connect()
        con.register("events", events)
        started = time.perf_counter()
        con.sql(decayed_sum_sql("events", now, settings.half_life_days)).to_arrow_table()
        baseline = time.perf_counter() - started
        con.close()

        started = time.perf_counter()
        reduce_in_database(now, settings)
        reduction_db = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(decayed_sum_sql(interactions_source(), now, settings.half_life_days))
            cursor.fetchall()
        baseline_db = time.perf_counter() - started
        started = time.perf_counter()
        generic = reduction_sql(interactions_source(), now, settings.half_life_days, dialect=dialect)
        with connection.cursor() as cursor:
            cursor.execute(generic)
            cursor.fetchall()
        generic_db = time.perf_counter() - started
        print(
            f"| {number} | {pipeline:.2f} s | {reduction_db:.2f} s | {baseline_db:.2f} s | "
            f"{reduction_db / baseline_db:.2f}x | {generic_db / baseline_db:.2f}x | "
            f"{reduction:.3f} s | {baseline:.3f} s | {reduction / baseline:.2f}x |"
        )
        print("    steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in run.timings.items()))
    print(f"{connection.vendor}; load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
