"""Benchmark: the interaction reduction at enterprise scale, on Parquet event files.

    referly demo-data --scale enterprise --out ent          # once: ~100M interactions in ent/interactions/
    python benchmarks/enterprise_reduction.py ent [--runs 3]

Timed in one process: the full reduction (every pair's decayed sums, counts, first and last touch) read
straight from the Parquet files by DuckDB; the baseline, one hand-written query that computes only the
decayed per-pair sum over the same files; and the incremental update: yesterday's state folded forward
with the ~1M events of the last days. Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import duckdb

from baseline import decayed_sum_sql


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--new-events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from referly.scoring.config import load_settings
    from referly.scoring.folder import event_files, events_source
    from referly.scoring.strength import PairState, fold, reduction_sql

    settings = load_settings().strength
    source = events_source(event_files([args.folder / "interactions"]))
    con = duckdb.connect()
    events, last = con.execute(f"SELECT count(*), max(ts) FROM {source}").fetchall()[0]
    now = int(last) + 1

    # Both read every file once before anything is timed (the file cache as a daily run finds it).
    con.sql(decayed_sum_sql(source, now, settings.half_life_days)).to_arrow_table()
    runs = []
    for _ in range(args.runs):
        started = time.perf_counter()
        con.sql(decayed_sum_sql(source, now, settings.half_life_days)).to_arrow_table()
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        state = con.sql(reduction_sql(source, now, settings.half_life_days)).to_arrow_table()
        runs.append((time.perf_counter() - started, baseline))

    # Yesterday: the moment before which all but the last `new_events` events happened.
    cut = int(con.execute(f"SELECT quantile_disc(ts, 1 - {args.new_events / events}) FROM {source}").fetchall()[0][0])
    yesterday = PairState(cut, con.sql(reduction_sql(source, cut, settings.half_life_days)).to_arrow_table())
    new = con.sql(f"SELECT * FROM {source} WHERE ts >= {cut}").to_arrow_table()
    started = time.perf_counter()
    folded = fold(yesterday, new, now, settings)
    incremental = time.perf_counter() - started
    assert folded.table.num_rows == state.num_rows

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    for run, (full, baseline) in enumerate(runs, 1):
        print(
            f"| {run} | {events:,} events, {state.num_rows:,} pairs | {full:.1f} s | {baseline:.1f} s | "
            f"{full / baseline:.2f}x |"
        )
    print(f"{new.num_rows:,} new events folded in {incremental:.2f} s; peak memory {peak:.1f} GiB")


if __name__ == "__main__":
    main()
