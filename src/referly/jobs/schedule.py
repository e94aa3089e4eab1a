"""The recurring jobs and when each occurrence is due. Pure: the time and the time zone are passed in.

Each recurring job runs once a day at a local time of day. An occurrence is named by its kind and its
local day (``score:2026-11-24``); that name is the job's unique key, so however many workers look at
the schedule, and however often, an occurrence is enqueued once. Only the latest due occurrence is
enqueued: a worker started after a week off runs each job once, not seven times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from referly.jobs.models import JobKind


@dataclass(frozen=True)
class Recurring:
    kind: str
    at: time  # local time of day, in REFERLY_TIME_ZONE


# Early morning, clear of the 01:00-03:00 window where daylight saving time changes; the mailboxes and
# calendars are synced first, then the refresh, so the scoring run sees yesterday's touches and referrals
# that fell silent overnight; the reminder comes in working hours.
SCHEDULE: tuple[Recurring, ...] = (
    Recurring(JobKind.SOURCE_SYNC, time(3, 30)),
    Recurring(JobKind.REFERRAL_REFRESH, time(4, 0)),
    Recurring(JobKind.SCORE, time(4, 30)),
    Recurring(JobKind.REVIEW_REMINDER, time(8, 0)),
)


@dataclass(frozen=True)
class Occurrence:
    kind: str
    day: date
    run_after: datetime

    @property
    def key(self) -> str:
        return occurrence_key(self.kind, self.day)


def occurrence_key(kind: str, day: date) -> str:
    return f"{kind}:{day.isoformat()}"


def due_occurrences(now: datetime, zone: tzinfo, schedule: tuple[Recurring, ...] = SCHEDULE) -> list[Occurrence]:
    """The latest occurrence of each recurring job at or before ``now`` (an aware datetime)."""
    local = now.astimezone(zone)
    due = []
    for recurring in schedule:
        day = local.date() if local.time() >= recurring.at else local.date() - timedelta(days=1)
        due.append(Occurrence(recurring.kind, day, datetime.combine(day, recurring.at, tzinfo=zone)))
    return due
