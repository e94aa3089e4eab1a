"""Benchmark: importing 1,000,000 interaction rows from CSV, against a bare parse-and-insert baseline.

    python benchmarks/import_interactions.py [--rows 1000000] [--database-url postgresql://...]

Setup (not timed): an empty database with the tiny demo company (2,500 contacts, 12 teammates),
and a CSV of new interactions among them, referring to people by their external ids. Timed:
`referly import interactions FILE` in-process (read, check, resolve, insert what is new), then
the same import again (everything unchanged). Baseline, in the same run: the same file read with
Python's csv module and written, unchecked, into a bare table through the same driver path.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import time
from datetime import UTC, date, datetime

import numpy as np

from empty_database import open_empty_database

MAPPING = """source_system = "demo"
[interactions.fields]
teammate = "teammate"
contact = "contact"
kind = "kind"
occurred_at = "at"
[interactions.references]
teammate = { by = "external_id" }
contact = { by = "external_id" }
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", default="", help="write a cProfile of the first import to this file")
    args = parser.parse_args()
    folder = open_empty_database(args.database_url)
    from django.db import connection, transaction

    from referly.crm.models import Interaction
    from referly.ingest.demo import DemoContext, generate, load, volumes_for
    from referly.ingest.importer import run_import
    from referly.ingest.mapping import parse_mapping
    from referly.kit.bulk import write_rows

    ctx = DemoContext(volumes_for("tiny"), 7, date(2026, 11, 1))
    with transaction.atomic():
        load(ctx, generate(ctx))
    before = Interaction.objects.count()

    rng = np.random.default_rng(1)
    contacts = rng.integers(1, 2_501, args.rows)
    teammates = rng.integers(1, 13, args.rows)
    seconds = 1_600_000_000 + np.arange(args.rows) * 37  # distinct times: every row is a new touch
    kinds = np.array(["email_out", "email_in", "meeting", "call", "note"])[rng.integers(0, 5, args.rows)]
    path = folder / "interactions.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["teammate", "contact", "kind", "at"])
        stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
        for t, c, k, s in zip(teammates.tolist(), contacts.tolist(), kinds.tolist(), stamps.tolist(), strict=True):
            writer.writerow([f"team-{t:03d}", f"cont-{c:07d}", k, s + "Z"])
    mapping = parse_mapping(MAPPING, "benchmark")
    now = datetime(2026, 11, 1, tzinfo=UTC)

    timings = {}
    for label in ("first import", "same file again"):
        profiler = cProfile.Profile() if args.profile and label == "first import" else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = run_import([("interactions", path)], mapping, now=now)
        timings[label] = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        outcome = result.outcomes[0]
        assert not outcome.errors, outcome.errors[:3]
    assert Interaction.objects.count() == before + args.rows

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (teammate text, contact text, kind text, "
            f"occurred_at {'text' if connection.vendor == 'sqlite' else 'timestamptz'})"
        )
    started = time.perf_counter()
    with transaction.atomic(), path.open(newline="") as source:
        reader = csv.reader(source)
        next(reader)
        write_rows("bench_bare", ["teammate", "contact", "kind", "occurred_at"], (tuple(r) for r in reader))
    bare = time.perf_counter() - started

    n = args.rows
    first, again = timings["first import"], timings["same file again"]
    print(
        f"| {connection.vendor} | {n:,} | {first:.1f} s ({n / first:,.0f} rows/s) | "
        f"{again:.1f} s ({n / again:,.0f} rows/s) | {bare:.1f} s ({n / bare:,.0f} rows/s) | "
        f"{first / bare:.1f}x |"
    )


if __name__ == "__main__":
    main()
