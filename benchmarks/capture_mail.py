"""Benchmark: capturing 100,000 messages from an mbox, against Python's own header parser on the same file.

    python benchmarks/capture_mail.py [--messages 100000] [--database-url postgresql://...]

Setup (not timed): an empty database with the smb demo company's people (40 teammates, 5,000 accounts,
50,000 contacts; no interactions), and an mbox written from them: e-mails out and in between teammates
and contacts, a tenth mailing-list traffic, each with a few lines of body, LF endings. Timed:
``capture_files`` (split the mbox, parse each header block, apply the rules, resolve both people, insert
the touches one transaction per 5,000 messages), then the same file again (every touch already there).
Baseline in the same run: the same file split at its ``From`` lines and each header block parsed by the
standard library's ``BytesHeaderParser`` (compat32), nothing else. Target: the first capture in 30 s and
within 2x of the baseline.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime
from pathlib import Path

import numpy as np

from empty_database import open_empty_database

BODY = b"Hi,\n\nFollowing up on our call: the numbers are in the shared folder.\nTalk soon,\n\n--\nSent from my desk\n"


def write_mbox(path: Path, teammates: list[str], contacts: list[str], messages: int) -> None:
    rng = np.random.default_rng(5)
    who = rng.integers(0, len(contacts), messages)
    mate = rng.integers(0, len(teammates), messages)
    way = rng.random(messages)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    with path.open("wb") as out:
        for n in range(messages):
            at = format_datetime(start + timedelta(seconds=n * 97))
            ours, theirs = teammates[mate[n]], contacts[who[n]]
            sender, to, extra = (ours, theirs, "") if way[n] < 0.55 else (theirs, ours, "")
            if way[n] >= 0.9:
                extra = "List-Id: <news.lists.example>\nPrecedence: list\n"
            out.write(
                f"From {n}@xxx Mon Jan 05 08:00:00 +0000 2026\nFrom: {sender}\nTo: {to}\nDate: {at}\n"
                f"Message-ID: <m{n}@bench.example>\nSubject: Follow-up {n}\n{extra}\n".encode()
                + BODY
                + b"\n"
            )


def baseline(path: Path) -> int:
    parser, count, headers, in_headers, blank = BytesHeaderParser(policy=compat32), 0, [], False, True
    with path.open("rb") as handle:
        for line in handle:
            if blank and line.startswith(b"From "):
                in_headers, headers, blank = True, [], False
                continue
            blank = line in (b"\n", b"\r\n")
            if in_headers:
                if blank:
                    parser.parsebytes(b"".join(headers))
                    count, in_headers = count + 1, False
                else:
                    headers.append(line)
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", action="store_true", help="Print where the first capture spends its time.")
    args = parser.parse_args()
    folder = open_empty_database(args.database_url)
    from django.db import connection, transaction

    from referly.capture.mail import capture_files
    from referly.crm.models import Contact, Interaction, Teammate
    from referly.ingest.demo import DemoContext, generate_records, volumes_for
    from referly.kit.bulk import insert_rows

    ctx = DemoContext(volumes_for("smb"), 7, date(2026, 11, 1))
    frames, _ = generate_records(ctx)
    with transaction.atomic():
        for frame in frames[:3]:  # teammates, accounts, contacts
            insert_rows(frame.model, frame.columns, stamped_at=ctx.now)
    teammates = sorted(e for e in Teammate.objects.values_list("email", flat=True) if e)
    contacts = sorted(e for e in Contact.objects.values_list("email", flat=True) if e)
    domains = sorted({t.rsplit("@", 1)[1] for t in teammates})
    os.environ["REFERLY_TEAM_DOMAINS"] = ",".join(domains)
    path = folder / "bench.mbox"
    write_mbox(path, teammates, contacts, args.messages)
    size = path.stat().st_size

    started = time.perf_counter()
    parsed = baseline(path)
    bare = time.perf_counter() - started
    assert parsed == args.messages

    now = datetime(2026, 12, 7, tzinfo=UTC)
    timings = {}
    for label in ("first capture", "same file again"):
        profile = cProfile.Profile() if args.profile and label == "first capture" else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        summary = capture_files([path], owner=None, now=now)
        timings[label] = time.perf_counter() - started
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        assert summary.read == args.messages and not summary.errors, summary.errors[:3]
        print(f"{label}: {summary.added:,} interactions added, skipped {dict(summary.skipped)}")
    added = Interaction.objects.count()
    first = timings["first capture"]
    print(f"| {connection.vendor} | {args.messages:,} ({size / 1e6:.0f} MB) | {first:.1f} s "
          f"({args.messages / first:,.0f} msg/s) | {timings['same file again']:.1f} s | {bare:.1f} s "
          f"({args.messages / bare:,.0f} msg/s) | {first / bare:.1f}x | {added:,} |")  # fmt: skip
    connection.close()
    shutil.rmtree(folder, ignore_errors=True)  # the mbox and the SQLite file: tens of MB


if __name__ == "__main__":
    main()
