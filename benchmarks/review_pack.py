"""Benchmark: building the monthly review pack on the smb demo, against the bare read of the month's facts.

    python benchmarks/review_pack.py [--db PATH] [--month 2026-10] [--runs 3]

Setup (not timed): the smb demo company in a SQLite file (generated unless --db names one; the file is only
read). Timed, in one run, alternately: the whole pack as `referly report --month` builds it (every metric, the
stories, the summary, the trajectory, the scenarios and the chart data), and the baseline: the same facts read
bare, i.e. the raw rows of the referrals, their moves, the deals, the asks, the NPS answers and the touches of the
window's closed deals, fetched with a plain cursor and turned into nothing. Prints one Markdown row per run with
wall-clock and CPU seconds and the ratio to the baseline (target: the pack in 1 s or less).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

from smb_demo import open_smb_demo


def bare_read(scope: object) -> int:
    """The month's facts as raw rows: what the pack reads, fetched and dropped. Returns the number of rows."""
    from django.db import connection

    from referly.reports.journeys import read_touches
    from referly.reports.scope import Scope

    assert isinstance(scope, Scope)
    ops = connection.ops
    as_of = ops.adapt_datetimefield_value(scope.as_of)
    end = ops.adapt_datefield_value(scope.end_day)
    queries = [
        ("SELECT referral_id, to_stage, at FROM referrals_referraltransition WHERE at < %s", [as_of]),
        (
            "SELECT r.id, r.owner_id, r.referrer_contact_id, r.referrer_account_id, r.target_account_id, "
            "r.target_contact_id, r.channel, r.script_key, r.attribution, r.opportunity_id, r.created_at "
            "FROM referrals_referral r WHERE r.created_at < %s",
            [as_of],
        ),
        (
            "SELECT id, name, account_id, source, amount, currency, stage, created_on, closed_on, "
            "referring_contact_id, referring_account_id FROM crm_opportunity WHERE created_on < %s",
            [end],
        ),
        (
            "SELECT asked_at, kind, outcome FROM referrals_ask WHERE asked_at >= %s AND asked_at < %s",
            [ops.adapt_datetimefield_value(scope.window_start), as_of],
        ),
        (
            "SELECT contact_id, account_id, occurred_on, nps_score FROM crm_signal "
            "WHERE nps_score IS NOT NULL AND occurred_on >= %s AND occurred_on < %s",
            [ops.adapt_datefield_value(scope.first_month), end],
        ),
    ]
    rows = 0
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows + len(read_touches(scope))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    open_smb_demo(args.db)
    from django.db import connection

    from referly.reports.review import build_pack
    from referly.reports.scope import Goal, Scope, parse_month

    scope = Scope(parse_month(args.month), UTC)
    goal = Goal(0.3, 12)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_interaction")
        (interactions,) = cursor.fetchone()

    def timed(work: object) -> tuple[float, float]:
        assert callable(work)
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        return time.perf_counter() - wall, time.process_time() - cpu

    pack = build_pack(scope, goal, None)  # warm the file cache and the imports, as a second report finds them
    rows = bare_read(scope)
    journeys = pack["metrics"]["multi_touch"]["extra"]["journeys"]
    print(f"smb demo ({interactions:,} interactions), month {args.month}: {len(pack['metrics'])} metrics,")
    print(f"{journeys} journeys in the window; the bare read fetches {rows:,} rows.")
    print(f"{date.today()} on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start.")
    print()
    print("| Run | Pack, wall | Pack, CPU | Bare read, wall | Bare read, CPU | Pack / bare (wall) |")
    print("|---|---|---|---|---|---|")
    packs = []
    for run in range(1, args.runs + 1):
        bare_wall, bare_cpu = timed(lambda: bare_read(scope))
        pack_wall, pack_cpu = timed(lambda: build_pack(scope, goal, None))
        packs.append(pack_wall)
        print(
            f"| {run} | {pack_wall:.2f} s | {pack_cpu:.2f} s | {bare_wall:.2f} s | {bare_cpu:.2f} s "
            f"| {pack_wall / bare_wall:.2f}x |"
        )
    print()
    print(f"Median pack: {statistics.median(packs):.2f} s (target ≤ 1 s); load average {os.getloadavg()[0]:.1f}.")
    print(f"Finished {datetime.now(UTC):%H:%M} UTC.")


if __name__ == "__main__":
    main()
