"""A sending pass: new events into deliveries, then every due delivery sent.

Called by an edge (the worker between jobs, `referly webhook test`), never inside a transaction: it commits
each batch's claims, then sends, then commits the batch's results, because an HTTP request must not hold the
database's write lock. A pass that dies between the two leaves its claims to run out: sent again, same id.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.db import transaction

from referly.connect.http import post as http_post
from referly.connect.services import Answer, Post, Request, claim_due, collect, record


def deliver_webhooks(now: Callable[[], datetime], post: Post = http_post, senders: int = 4) -> dict[str, int]:
    """One pass, until nothing is due: ``senders`` requests at a time, made outside any transaction."""
    tally = {"queued": 0, "delivered": 0, "retry": 0, "gave_up": 0, "disabled": 0}
    with transaction.atomic():
        tally["queued"] = collect(now())
    with ThreadPoolExecutor(max_workers=senders) as pool:
        while True:
            with transaction.atomic():
                requests = claim_due(now())
            if not requests:
                break
            answers = list(pool.map(lambda request: _refused(request) or post(request), requests))
            with transaction.atomic():  # a batch's results together: one commit, not one per delivery
                for outcome, count in record(list(zip(requests, answers, strict=True)), now()).items():
                    tally[outcome] += count
    return tally


def _refused(request: Request) -> Answer | None:
    """A failed try without a request, for a delivery that cannot be signed (its secret is unreadable)."""
    return Answer(None, 0.0, request.refused) if request.refused else None
