"""The outbox's state machine: which state may follow which, and the one place a state changes."""

from __future__ import annotations

from datetime import datetime

from referly.errors import Conflict
from referly.outbox.models import MessageChange, MessageState, OutboxMessage

S = MessageState
NEXT: dict[str, frozenset[str]] = {
    S.QUEUED: frozenset({S.SENDING, S.CANCELLED, S.FAILED}),
    S.SENDING: frozenset({S.SENT, S.QUEUED, S.FAILED, S.UNKNOWN}),
    S.SENT: frozenset({S.REPLIED, S.AUTO_REPLY, S.BOUNCED, S.NO_REPLY}),
    S.AUTO_REPLY: frozenset({S.REPLIED, S.BOUNCED, S.NO_REPLY}),
    S.NO_REPLY: frozenset({S.REPLIED, S.AUTO_REPLY, S.BOUNCED}),
    S.UNKNOWN: frozenset({S.SENT, S.QUEUED, S.CANCELLED}),
    S.BOUNCED: frozenset({S.QUEUED}),  # a soft bounce is tried once more
    S.REPLIED: frozenset(),
    S.FAILED: frozenset({S.QUEUED}),  # tried again by hand
    S.CANCELLED: frozenset(),
}


def allowed(current: str, wanted: str) -> bool:
    """Whether ``wanted`` may follow ``current`` (pure)."""
    return wanted in NEXT.get(current, frozenset())


def change(message: OutboxMessage, wanted: str, at: datetime, note: str = "") -> OutboxMessage:
    """Move ``message`` to ``wanted`` and keep the change in its history; a forbidden move is a Conflict.

    Saves the message's state only; the caller saves the other fields it changed (in the same transaction). The
    write is a compare-and-set on the state read: of two workers moving the same message, the second gets a Conflict.
    """
    if not allowed(message.state, wanted):
        raise Conflict(
            f"The message to {message.to_address} is {message.state}: it cannot become {wanted}",
            code="outbox_state",
        )
    if OutboxMessage.objects.filter(pk=message.pk, state=message.state).update(state=wanted) == 0:
        raise Conflict(
            f"The message to {message.to_address} changed meanwhile: it is no longer {message.state}",
            code="outbox_state_changed",
        )
    MessageChange.objects.create(message=message, from_state=message.state, to_state=wanted, at=at, note=note[:2000])
    message.state = wanted
    return message
