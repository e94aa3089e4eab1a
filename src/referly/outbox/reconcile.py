"""Messages left in ``sending``: the worker stopped between the server's answer and its own commit.

Whether the server took such a message cannot be known from our side, so it is never sent again blindly. It is
looked up by its Message-ID in the owner's Sent folder, through each of their IMAP sources (mail clients and many
servers file what was submitted there): found, it is ``sent``; not found (or the owner has no mailbox source), it is
``unknown`` and its owner is told to check, then to send it again or not
(``referly outbox settle ID sent|queue``, or the message's page).
"""

from __future__ import annotations

import imaplib
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q

from referly import config
from referly.capture.imap import connected
from referly.capture.models import Source, SourceKind
from referly.errors import Conflict, Unavailable
from referly.notices.services import notify
from referly.outbox.models import MessageState, OutboxMessage
from referly.outbox.states import change
from referly.outbox.timing import add_working_days

STALE_AFTER = timedelta(minutes=2)  # far longer than one SMTP conversation (each answer times out in 20 s)
SENT_FLAG = b"\\sent"


def reconcile_stale(now: datetime, stale_after: timedelta = STALE_AFTER) -> dict[str, int]:
    """Settle every message in ``sending`` since before ``now - stale_after``: ``found_sent`` or ``unknown``."""
    tally = {"found_sent": 0, "unknown": 0}
    stale = (
        OutboxMessage.objects.filter(state=MessageState.SENDING)
        .annotate(since=Max("changes__at", filter=Q(changes__to_state=MessageState.SENDING)))
        .filter(since__lte=now - stale_after)
        .select_related("owner")
    )
    for message in stale:
        found_in, looked = find_in_sent(message)
        with transaction.atomic():
            try:
                if found_in:
                    _found(message, found_in, now)
                    tally["found_sent"] += 1
                else:
                    _unknown(message, looked, now)
                    tally["unknown"] += 1
            except Conflict:  # another worker settled it meanwhile
                continue
    return tally


def find_in_sent(message: OutboxMessage) -> tuple[str, list[str]]:
    """Where the message was found (``imap host/folder``), or ""; and what was looked at, or why not."""
    looked: list[str] = []
    for source in Source.objects.filter(owner_id=message.owner_id, kind=SourceKind.IMAP).order_by("id"):
        try:
            with connected(source) as client:
                for folder in sent_folders(client, source):
                    if _holds(client, folder, message.message_id):
                        return f"{source.where}/{folder}", looked
                    looked.append(f"{source.where}/{folder}")
        except Unavailable as exc:
            looked.append(f"{source.where} could not be read ({exc})")
        except imaplib.IMAP4.error as exc:
            looked.append(f"{source.where} refused the search ({exc})")
    return "", looked


def sent_folders(client: Any, source: Source) -> list[str]:
    """The folders flagged \\Sent, then the source's own folders (where the owner files what they send)."""
    flagged = [
        str(name) for flags, _, name in client.list_folders() if any(bytes(f).lower() == SENT_FLAG for f in flags)
    ]
    return list(dict.fromkeys([*flagged, *(str(f) for f in source.folders)]))


def _holds(client: Any, folder: str, message_id: str) -> bool:
    try:
        client.select_folder(folder, readonly=True)
    except imaplib.IMAP4.error:
        return False
    return bool(client.search(["HEADER", "Message-ID", message_id]))


def _found(message: OutboxMessage, where: str, now: datetime) -> None:
    since = message.changes.filter(to_state=MessageState.SENDING).order_by("-at", "-id").first()
    change(message, MessageState.SENT, now, f"left in sending by a stopped worker; found in {where}")
    message.sent_at = since.at if since is not None else now
    message.follow_up_due = add_working_days(message.sent_at.date(), config.FOLLOW_UP_DAYS.count("days"))
    message.save(update_fields=["sent_at", "follow_up_due"])


def _unknown(message: OutboxMessage, looked: list[str], now: datetime) -> None:
    where = "; ".join(looked) if looked else "the owner has no mailbox source to look in"
    note = f"the worker stopped while sending: it may or may not have left (not found in the Sent folder: {where})"
    change(message, MessageState.UNKNOWN, now, note)
    notify(
        message.owner,
        "send_failed",
        f"Check whether your message to {message.to_name or message.to_address} left (subject "
        f"“{message.subject}”): look in your Sent folder, then send it again or cancel it",
        f"/referrals/{message.referral_id}/" if message.referral_id else "/",
        f"outbox:{message.pk}:unknown",
        now,
    )
