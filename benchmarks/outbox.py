"""Benchmark: 1,000 queued asks delivered to a real SMTP server, beside a bare baseline in the same run.

    python benchmarks/outbox.py [--asks 1000] [--database-url postgresql://...]

A fresh database (a temporary SQLite file unless --database-url names an empty one) gets N referrals, each
sponsor at an account of their own, and their asks are queued with `queue_ask` (rendered script, gates, ledger,
referral moved to requested). The SMTP server is aiosmtpd on 127.0.0.1, in a process of its own, keeping a count.

- Delivery: one `deliver_due` pass (claim and commit each message, send it on the pass's one connection, record
  it as sent with its follow-up date), the hourly limit raised above N.
- Baseline: the same N messages, composed once, sent with smtplib over one connection: no database at all.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any


def serve(ready: Any, received: Any) -> None:
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            del server, session, envelope
            with received.get_lock():
                received.value += 1
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.put(port)
    while True:
        time.sleep(3600)


def seed(count: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from referly.crm.models import Account, Contact, Signal, Teammate
    from referly.outbox.services import queue_ask
    from referly.referrals.models import Referral

    now = timezone.now()
    with transaction.atomic():
        owner = Teammate.objects.create(name="Ana Ruiz", email="ana@ourco.example")
        target = Account.objects.create(name="Target Co", domain="target.example", name_key="target co")
        clients = Account.objects.bulk_create(
            Account(name=f"Client {i}", domain=f"client{i}.example", name_key=f"client {i}", lifecycle="client")
            for i in range(count)
        )
        sponsors = Contact.objects.bulk_create(
            Contact(account=a, first_name="Jane", last_name=f"Doe {i}", email=f"jane{i}@client{i}.example")
            for i, a in enumerate(clients)
        )
        Signal.objects.bulk_create(
            Signal(account=a, contact=c, kind="measured_success", occurred_on=date(2026, 1, 5), detail="Cut costs 30%")
            for a, c in zip(clients, sponsors, strict=True)
        )
        referrals = Referral.objects.bulk_create(
            Referral(
                referrer_contact=c,
                referrer_account=a,
                target_account=target,
                owner=owner,
                script_key="email/measured_success/en",
                created_at=now,
                stage_changed_at=now,
            )
            for a, c in zip(clients, sponsors, strict=True)
        )
    started = time.perf_counter()
    with transaction.atomic():
        for referral in referrals:
            queue_ask(referral, now=now)
    return time.perf_counter() - started


def baseline(port: int) -> float:
    from referly.outbox.delivery import composed
    from referly.outbox.models import OutboxMessage

    messages = [composed(m) for m in OutboxMessage.objects.all()]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for message in messages:
            client.send_message(message)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--asks", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="referly-outbox-bench-"))
    if options.database_url:
        os.environ["REFERLY_DATABASE_URL"] = options.database_url
    else:
        os.environ["REFERLY_DB"] = str(folder / "bench.db")
    ready: multiprocessing.Queue[int] = multiprocessing.Queue()
    received = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(ready, received), daemon=True)
    server.start()  # a process of its own: the server must not share this one's interpreter lock
    port = ready.get(timeout=30)
    os.environ["REFERLY_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["REFERLY_SMTP_HOURLY_LIMIT"] = str(options.asks + 1)

    from referly.database import open_database

    open_database(create=True)
    from django.db import connection
    from django.utils import timezone

    from referly.outbox.delivery import deliver_due

    queueing = seed(options.asks)
    bare = baseline(port)
    received.value = 0
    started = time.perf_counter()
    tally = deliver_due(timezone.now())
    delivery = time.perf_counter() - started
    server.terminate()
    assert tally["sent"] == options.asks == received.value, (tally, received.value)
    n = options.asks
    print("| Database | Asks | Queued (`queue_ask`) | Delivered (`deliver_due`) | smtplib alone (baseline) | Ratio |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {connection.vendor} | {n:,} | {queueing:.1f} s | {delivery:.1f} s ({n / delivery:,.0f} msg/s) | "
        f"{bare:.1f} s ({n / bare:,.0f} msg/s) | {delivery / bare:.1f}x |"
    )


if __name__ == "__main__":
    main()
