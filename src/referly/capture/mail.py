"""Capture from mail: each message's headers through the rules, into touches, one transaction per batch.

``MailCapture`` is shared by mail files and IMAP mailboxes: ``take`` one message's header bytes, ``commit``
at the end of a batch. Within a capture a Message-ID is taken once (the same message in several folders
or mailboxes); across captures the interactions' unique key makes a second capture add nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from django.db import transaction

from referly.capture.headers import BadHeader, parse
from referly.capture.mailfiles import Item, read_paths
from referly.capture.recorder import Recorder
from referly.capture.rules import Skip, mail_pairs, normalise
from referly.capture.runs import outer, settle
from referly.capture.summary import CaptureError, Summary

BATCH = 5_000


class MailCapture:
    def __init__(self, recorder: Recorder, owner: str | None, now: datetime) -> None:
        self.recorder, self.now = recorder, now
        self.owner = normalise(owner) if owner else None
        self.keys: set[str] = set()
        self.summary = Summary()

    def take(self, where: str, raw: bytes) -> None:
        self.summary.read += 1
        try:
            header = parse(raw, self.now)
        except BadHeader as exc:
            self.summary.errors.append(CaptureError(where, exc.header, exc.reason))
            return
        except Exception as exc:
            self.summary.errors.append(CaptureError(where, "headers", f"unreadable ({type(exc).__name__})"))
            return
        if header.key in self.keys:
            self.summary.duplicates += 1
            return
        self.keys.add(header.key)
        pairs = mail_pairs(header, self.recorder.team, self.owner)
        if isinstance(pairs, Skip):
            self.summary.skipped[str(pairs)] += 1
        elif self.recorder.add(pairs, self.summary):
            self.summary.captured += 1
        else:
            self.summary.skipped["only people never captured"] += 1

    def error(self, error: CaptureError) -> None:
        self.summary.read += 1
        self.summary.errors.append(error)

    def commit(self) -> None:
        """Write the batch's touches (inside the caller's transaction)."""
        self.summary.added += self.recorder.flush()


def capture_files(
    paths: list[Path],
    *,
    owner: str | None,
    now: datetime,
    create_accounts: bool = False,
    strict: bool = False,
    dry_run: bool = False,
    advance: Callable[[int], None] = lambda n: None,
) -> Summary:
    """Capture mail files. A batch's good messages are kept despite its errors, unless ``strict``: then any
    error refuses the whole capture (``refused``, nothing written). ``dry_run`` rolls everything back."""
    items = read_paths(paths)
    with outer(strict=strict, dry_run=dry_run):
        with transaction.atomic():
            recorder = Recorder(create_accounts=create_accounts)
            if owner:
                recorder.teammate(owner, create=True)
        run = MailCapture(recorder, owner, now)
        while batch := _next_batch(items):
            with transaction.atomic():
                for item in batch:
                    if isinstance(item, CaptureError):
                        run.error(item)
                    else:
                        run.take(*item)
                run.commit()
            advance(len(batch))
        settle(run.summary, strict=strict, dry_run=dry_run)
    return run.summary


def _next_batch(items: Iterable[Item]) -> list[Item]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            break
    return batch
