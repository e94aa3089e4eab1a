"""When a message is tried again, and when its follow-up is due (pure)."""

from __future__ import annotations

from datetime import date, timedelta

BACKOFF_MINUTES = (1, 5, 15, 60, 240)  # after the 1st, 2nd, ... failed try; the last one repeats


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its ``attempts``-th failed try."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def add_working_days(day: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``day``."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day
