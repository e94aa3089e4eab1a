"""Benchmark: the CRM write-back export and webhook delivery, each beside a bare baseline in the same run.

    python benchmarks/connect.py --db smb.db [--deliveries 10000] [--senders 4]

On a database built by `referly demo --no-serve --db smb.db` (5,000 accounts, 50,000 contacts, 400 referrals,
2,900 opportunities, scored). Works on a copy of the file: the database given is left as it was.

- Write-back: `referly export crm --preset hubspot` of every record (all kinds, no --since), beside the
  baseline: the same four tables read with one SELECT each and written with the csv module, no logic.
- Webhooks: N deliveries queued for one subscription to a receiver on 127.0.0.1 (a ThreadingHTTPServer in a
  process of its own, answering 204), sent by one `deliver_webhooks` pass with ``--senders`` concurrent
  requests (claim, sign, POST, record each try), beside the baseline: the same N bodies POSTed with urllib by
  as many threads, no database and no signature.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import shutil
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Quick(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        del args


def receive(ready: multiprocessing.Queue[int]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Quick)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    server.serve_forever()


def writeback(out: Path) -> tuple[float, float]:
    from django.db import connection

    from referly.connect.writeback import export

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("crm_account", "crm_contact", "crm_opportunity", "referrals_referral"):
            cursor.execute(f"SELECT * FROM {table}")
            with (out / f"bare-{table}.csv").open("w", newline="") as handle:
                csv.writer(handle).writerows(cursor.fetchall())
    bare = time.perf_counter() - started
    started = time.perf_counter()
    export("hubspot", out / "hubspot")
    return bare, time.perf_counter() - started


def webhooks(count: int, senders: int) -> tuple[float, float]:
    from django.db import transaction
    from django.utils import timezone

    from referly.connect.models import Delivery, Subscription
    from referly.connect.sending import deliver_webhooks
    from referly.connect.signing import new_secret

    ready: multiprocessing.Queue[int] = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=receive, args=(ready,), daemon=True)
    receiver.start()  # a process of its own: the receiver must not share this one's interpreter lock
    url = f"http://127.0.0.1:{ready.get(timeout=30)}/hook"
    body = b'{"type":"referral.stage_changed","version":1,"data":{"referral_id":1,"stage":"requested"}}'

    def bare_post(_: int) -> int:
        request = urllib.request.Request(url, body, {"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        assert set(pool.map(bare_post, range(count))) == {204}
    bare = time.perf_counter() - started

    now = timezone.now()
    with transaction.atomic():
        target = Subscription.objects.create(
            url=url, events=["referral.stage_changed"], secret=new_secret(), created_at=now
        )
        Delivery.objects.bulk_create(
            Delivery(
                subscription=target,
                event_type="referral.stage_changed",
                message_id=f"msg_bench_{i}",
                payload={"type": "referral.stage_changed", "version": 1, "data": {"referral_id": i}},
                created_at=now,
                next_try_at=now,
            )
            for i in range(count)
        )
    started = time.perf_counter()
    tally = deliver_webhooks(timezone.now, senders=senders)
    full = time.perf_counter() - started
    receiver.terminate()
    assert tally["delivered"] == count, tally
    return bare, full


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="referly-connect-bench-"))
    try:
        copy = scratch / "bench.db"
        shutil.copyfile(args.db, copy)
        os.environ.pop("REFERLY_DATABASE_URL", None)
        os.environ["REFERLY_DB"] = str(copy)
        os.environ["REFERLY_WEBHOOK_ALLOW_PRIVATE"] = "1"
        from referly.database import open_database

        open_database()
        out = scratch / "out"
        out.mkdir()
        bare, full = writeback(out)
        print(f"{'step':<44}{'seconds':>9}{'ratio':>8}")
        print(f"{'baseline: 4 tables SELECT * to CSV':<44}{bare:>9.2f}{1:>7.1f}x")
        print(f"{'export crm --preset hubspot (all kinds)':<44}{full:>9.2f}{full / bare:>7.1f}x")
        bare, full = webhooks(args.deliveries, args.senders)
        print(f"{f'baseline: {args.deliveries:,} bare POSTs, {args.senders} threads':<44}{bare:>9.2f}{1:>7.1f}x")
        print(f"{f'{args.deliveries:,} deliveries, {args.senders} senders':<44}{full:>9.2f}{full / bare:>7.1f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
