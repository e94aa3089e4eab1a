"""Benchmark: the whole scoring pipeline at enterprise scale, from Parquet files to Parquet score tables.

    referly demo-data --scale enterprise --until 2026-11-23 --out ent   # once: 100M interactions, 1M contacts
    python benchmarks/enterprise_pipeline.py ent [--runs 3]

Timed in one process, per run: the full recompute as `referly score --folder ent` runs it (reduce the
100M events straight from the files, read the other tables and derive the former-colleague ties,
every scoring step, write the score tables), and in the same run the baseline: one hand-written
DuckDB query computing only the decayed per-pair sum over the same files. Peak memory is the
process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from baseline import decayed_sum_sql


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referly.settings")
    from referly.database import start_django

    start_django()
    from referly.scoring.config import load_settings
    from referly.scoring.folder import event_files, events_source, folder_inputs, reduce_files, write_results
    from referly.scoring.pipeline import as_of_moment, run_pipeline

    settings = load_settings()
    files = event_files([args.folder / "interactions"])
    as_of = as_of_moment(args.as_of)
    now = int(as_of.timestamp())
    con = duckdb.connect()
    events = con.execute(f"SELECT count(*) FROM {events_source(files)}").fetchall()[0][0]  # warms the file cache
    print(
        "| run | events | pairs | reduction | read the rest | scoring steps | write | full recompute | "
        "decayed sum alone | full / it | reduction / it |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        con.sql(decayed_sum_sql(events_source(files), now, settings.strength.half_life_days)).to_arrow_table()
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        pairs = reduce_files(files, now, settings.strength)
        reduced = time.perf_counter()
        inputs = folder_inputs(args.folder, args.as_of)
        read = time.perf_counter()
        results = run_pipeline(inputs, as_of, settings, pairs=pairs)
        scored = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            write_results(results, Path(out))
            written = time.perf_counter()
        full = written - started
        reduction = reduced - started
        print(
            f"| {run} | {events:,} | {pairs.table.num_rows:,} | {reduction:.1f} s | {read - reduced:.1f} s | "
            f"{scored - read:.1f} s | {written - scored:.1f} s | {full:.1f} s | {baseline:.1f} s | "
            f"{full / baseline:.2f}x | {reduction / baseline:.2f}x |"
        )
        print("    steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in results.timings.items()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory {peak:.1f} GiB; {len(results.actions):,} actions, {results.sponsors.num_rows:,} sponsors")


if __name__ == "__main__":
    main()
