"""Benchmark: generating and loading the smb demo company, against a bare-insert baseline.

    python benchmarks/demo_data.py [--scale smb] [--database-url postgresql://...]

Generation and load are timed separately. The baseline, in the same run, writes the same
interaction rows into a bare table with no key, index or constraint, using the same driver
path (executemany on SQLite, COPY on PostgreSQL): it is the floor that constraints and
indexes are measured against. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="smb")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="referly-bench-"))
    if args.database_url:
        os.environ["REFERLY_DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("REFERLY_DATABASE_URL", None)
        os.environ["REFERLY_DB"] = str(folder / "bench.db")

    from referly.database import open_database

    open_database()
    from django.db import connection, transaction

    from referly.census import record_counts
    from referly.ingest.demo import DemoContext, generate, load, volumes_for
    from referly.kit.bulk import column_values, write_rows

    ctx = DemoContext(volumes_for(args.scale), 7, date(2026, 11, 1))
    started = time.perf_counter()
    frames = generate(ctx)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        load(ctx, frames)
    loaded = time.perf_counter() - started
    counts = record_counts()

    touches = next(f for f in frames if f.model.__name__ == "Interaction")
    from referly.crm.models import Interaction

    names = ["id", "contact_id", "teammate_id", "kind", "occurred_at"]
    fields = [Interaction._meta.get_field(n.removesuffix("_id")) for n in names]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (id bigint, contact_id bigint, teammate_id bigint, kind smallint, "
            f"occurred_at {'text' if connection.vendor == 'sqlite' else 'timestamptz'})"
        )
    started = time.perf_counter()
    with transaction.atomic():
        columns = [column_values(f, touches.columns[n], len(touches)) for f, n in zip(fields, names, strict=True)]
        write_rows("bench_bare", names, zip(*columns, strict=True))
    bare = time.perf_counter() - started

    touch_table = time.perf_counter()
    with transaction.atomic():
        Interaction.objects.all().delete()
        columns = [column_values(f, touches.columns[n], len(touches)) for f, n in zip(fields, names, strict=True)]
        write_rows(Interaction._meta.db_table, names, zip(*columns, strict=True))
    interactions_alone = time.perf_counter() - touch_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare")
        if connection.vendor == "sqlite":
            connection.close()
            size = (folder / "bench.db").stat().st_size
        else:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]

    rows = sum(counts.values())
    n = counts["interactions"]
    print(
        f"| {connection.vendor} | {args.scale} | {rows:,} ({n:,} interactions) | {generated:.1f} s | "
        f"{loaded:.1f} s | {n / interactions_alone:,.0f} rows/s | {n / bare:,.0f} rows/s | "
        f"{interactions_alone / bare:.2f}x | {size / 2**20:,.0f} MiB |"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
