"""Benchmark: one request at a time to Today, the board and the actions API, with the queries each runs.

    python benchmarks/web_requests.py --db smb.db | --database-url postgresql://... [--repeat 20]

On a database built by `referly demo --no-serve` (its manager login), in this process through
Django's test client (no server, no network): the median time of each page after one warm-up request,
beside the baseline in the same run, the app's stylesheet (the same middleware, no page work).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="A SQLite file.")
    where.add_argument("--database-url", help="A PostgreSQL database (postgresql://...).")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.pop("REFERLY_DATABASE_URL", None)
    if args.database_url:
        os.environ["REFERLY_DATABASE_URL"] = args.database_url
    else:
        os.environ["REFERLY_DB"] = str(args.db)
    os.environ["DJANGO_SETTINGS_MODULE"] = "referly.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    manager = User.objects.filter(member__role="manager").first()
    if manager is None:
        raise SystemExit(
            f"{args.db or args.database_url} has no manager login: build it with `referly demo --no-serve`"
        )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    print(f"{'request':<24}{'median ms':>10}{'queries':>9}{'ratio':>8}")
    rows = {}
    for name, path in [
        ("baseline: stylesheet", "/static/web/app.css"),
        ("today", "/"),
        ("board", "/referrals/"),
        ("actions api", "/api/v1/actions?limit=20"),
    ]:
        assert client.get(path).status_code == 200, path  # warm-up: connection, caches, templates
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(path)
                times.append(time.perf_counter() - started)
        rows[name] = statistics.median(times) * 1000
        ratio = rows[name] / rows["baseline: stylesheet"]
        print(f"{name:<24}{rows[name]:>10.1f}{len(queries.captured_queries):>9}{ratio:>7.0f}x")


if __name__ == "__main__":
    main()
