"""How a capture holds its batches: each commits as it goes (a killed capture keeps what it wrote), except in
strict and dry runs, where one outer transaction holds them all and is rolled back at the end."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from django.db import transaction

from referly.capture.summary import Summary


def outer(*, strict: bool, dry_run: bool) -> AbstractContextManager[object]:
    """The transaction around a whole capture: one only when it may have to be undone."""
    return transaction.atomic() if (strict or dry_run) else nullcontext()


def settle(summary: Summary, *, strict: bool, dry_run: bool) -> None:
    """At the end of a capture, inside ``outer``: a strict one with errors is refused whole (the caller shows
    every error), a dry one is undone."""
    summary.refused = strict and bool(summary.errors)
    if summary.refused or dry_run:
        transaction.set_rollback(True)
