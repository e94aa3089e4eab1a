"""Benchmark: the daily digest built for every teammate, beside a bare baseline in the same run.

    python benchmarks/digest.py --db smb.db [--repeat 3]

On a database built by `referly demo --no-serve --db smb.db` (40 teammates, scored). Works on a copy of the file:
the database given is left as it was. Every teammate with an e-mail gets a login (a digest goes only to people who
can log in), then, in a transaction rolled back after each round so every round starts from the same records:

- digest: for every teammate, what is new told as notices (replies, follow-ups, moments opening this week, new
  top actions, stage changes, credits), then the digest of their unmailed notices composed as a message (subject,
  text and HTML through the templates, headers encoded); no SMTP conversation;
- baseline: for every teammate, their three top actions of the latest run read with one query and joined into a
  plain-text body, no notices, no templates, no message.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

GOAL_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="referly-digest-"))
    copy = work / "bench.db"
    shutil.copy(args.db, copy)
    os.environ.pop("REFERLY_DATABASE_URL", None)
    os.environ["REFERLY_DB"] = str(copy)
    os.environ["REFERLY_BASE_URL"] = "https://referly.example"
    os.environ["DJANGO_SETTINGS_MODULE"] = "referly.settings"
    import django

    django.setup()
    from django.db import transaction

    from referly.access.services import create_user
    from referly.crm.models import Teammate
    from referly.notices.digest import build, choice_of, message_of, moment_windows, readers
    from referly.scoring.models import NextBestAction
    from referly.scoring.queries import latest_run

    with transaction.atomic():
        for teammate in Teammate.objects.filter(user__isnull=True).exclude(email=None).exclude(email=""):
            create_user(teammate.email or "", "member", password="benchmark-only-1", teammate=teammate.email)
    people = readers()
    now = datetime.now(UTC)
    print(f"{len(people)} teammates with an e-mail and a login, as of {now:%Y-%m-%d %H:%M} UTC")

    def digests() -> tuple[int, int]:
        items = sent = 0
        windows = moment_windows()
        for teammate in people:
            choice = choice_of(teammate)
            digest = build(teammate, choice, now.date(), now, windows)
            if digest.notices:
                message_of(digest)
                sent += 1
                items += len(digest.notices)
        return sent, items

    def baseline() -> tuple[int, int]:
        run, bodies, lines = latest_run(), 0, 0
        for teammate in people:
            top = list(
                NextBestAction.objects.filter(run=run, owner=teammate)
                .order_by("rank")
                .values_list("sponsor__first_name", "sponsor__last_name", "target_account__name")[:3]
            )
            body = "\n".join(f"- ask {first} {last} about {target}" for first, last, target in top)
            bodies += bool(body)
            lines += len(top)
        return bodies, lines

    timings: dict[str, list[float]] = {"digest": [], "baseline": []}
    counts: dict[str, tuple[int, int]] = {}
    for _ in range(args.repeat):
        for name, step in (("baseline", baseline), ("digest", digests)):
            with transaction.atomic():
                started = time.perf_counter()
                counts[name] = step()
                timings[name].append(time.perf_counter() - started)
                transaction.set_rollback(True)
    digest_s, base_s = statistics.median(timings["digest"]), statistics.median(timings["baseline"])
    print(f"{'step':<10}{'median s':>10}{'messages':>10}{'items':>8}")
    print(f"{'baseline':<10}{base_s:>10.3f}{counts['baseline'][0]:>10}{counts['baseline'][1]:>8}")
    print(f"{'digest':<10}{digest_s:>10.3f}{counts['digest'][0]:>10}{counts['digest'][1]:>8}")
    verdict = "met" if digest_s <= GOAL_SECONDS else "missed"
    print(f"digest / baseline: {digest_s / base_s:.1f}x; goal ≤ {GOAL_SECONDS:.0f} s: {verdict}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
