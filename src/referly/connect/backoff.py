"""When a failed delivery is tried again: exponential backoff for 24 hours, then it gives up. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=4)
GIVE_UP_AFTER = timedelta(hours=24)


def next_try(created_at: datetime, tries: int, now: datetime) -> datetime | None:
    """After the ``tries``-th failed try (1 for the first): 30 s, 1 min, 2 min... doubling up to 4 h a wait.

    None once the next try would fall more than 24 hours after the event: the delivery gives up.
    """
    wait = min(FIRST_WAIT * 2 ** max(tries - 1, 0), LONGEST_WAIT)
    at = now + wait
    return None if at > created_at + GIVE_UP_AFTER else at
