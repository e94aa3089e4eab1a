"""What a report covers: the reviewed month, the trailing window before it, and the moment it is read.

A report on month M is read *as of* the first instant of month M + 1 in the configured time zone: records
made later are left out, so the same month gives the same figures whenever it is computed. Counts per month
use the month itself; rates, medians and shares use the trailing window (the month and the 11 before it),
because one month rarely holds enough observations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from referly import config
from referly.errors import InvalidInput, Unavailable
from referly.reports.evidence import Period

WINDOW_MONTHS = 12
"""Months in the trailing window of rates, medians and shares (the reviewed month included)."""

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """``YYYY-MM`` → the first day of that month."""
    found = _MONTH.match(text.strip())
    # From 1900: a month's figures reach a year back, and dates before year 1 do not exist.
    if not found or not 1 <= int(found.group(2)) <= 12 or not 1900 <= int(found.group(1)) <= 9000:
        raise InvalidInput(f"A month is written YYYY-MM, e.g. 2026-10, from 1900 on; not {text!r}")
    return date(int(found.group(1)), int(found.group(2)), 1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after (or before, if negative) ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """Whole months from ``first``'s month to ``last``'s month (0 when they are the same month)."""
    return (last.year - first.year) * 12 + last.month - first.month


def start_of(month: date, zone: tzinfo) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=zone)


def month_period(month: date) -> Period:
    return Period(month, add_months(month, 1) - timedelta(days=1))


@dataclass(frozen=True)
class Goal:
    """The referral channel's goal: ``share`` of new pipeline within ``months`` months."""

    share: float
    months: int


def configured_goal() -> Goal:
    """REFERLY_REFERRAL_GOAL_SHARE and REFERLY_REFERRAL_GOAL_MONTHS, checked."""
    share_text, months_text = config.REFERRAL_GOAL_SHARE.value(), config.REFERRAL_GOAL_MONTHS.value()
    try:
        share = float(share_text)
    except ValueError:
        raise Unavailable(
            f"{config.REFERRAL_GOAL_SHARE.name} must be a share such as 0.40, not {share_text!r}"
        ) from None
    if not 0.0 < share < 1.0:
        raise Unavailable(f"{config.REFERRAL_GOAL_SHARE.name} must be above 0 and below 1, not {share_text!r}")
    try:
        months = int(months_text)
    except ValueError:
        raise Unavailable(f"{config.REFERRAL_GOAL_MONTHS.name} must be a whole number, not {months_text!r}") from None
    if months < 1:
        raise Unavailable(f"{config.REFERRAL_GOAL_MONTHS.name} must be at least 1 month, not {months_text!r}")
    return Goal(share, months)


@dataclass(frozen=True)
class Scope:
    """The reviewed month and its trailing window, cut in ``zone``."""

    month: date
    zone: tzinfo
    window_months: int = WINDOW_MONTHS

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise InvalidInput("a reviewed month starts on its first day", detail=str(self.month))

    @property
    def as_of(self) -> datetime:
        """The first instant after the month: nothing recorded at or after it is read."""
        return start_of(add_months(self.month, 1), self.zone)

    @property
    def month_start(self) -> datetime:
        return start_of(self.month, self.zone)

    @property
    def first_month(self) -> date:
        return add_months(self.month, 1 - self.window_months)

    @property
    def window_start(self) -> datetime:
        return start_of(self.first_month, self.zone)

    @property
    def months(self) -> tuple[date, ...]:
        """The window's months, oldest first; the last is the reviewed month."""
        return tuple(add_months(self.first_month, i) for i in range(self.window_months))

    @property
    def month_period(self) -> Period:
        return month_period(self.month)

    @property
    def window_period(self) -> Period:
        return Period(self.first_month, self.month_period.end)

    @property
    def end_day(self) -> date:
        """The first day after the month (dates before it are in the report)."""
        return add_months(self.month, 1)

    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    def is_over(self, now: datetime) -> bool:
        return now >= self.as_of

    def month_of(self, moment: datetime | date) -> date:
        """The first day of the month ``moment`` falls in, in this scope's time zone."""
        day = moment.astimezone(self.zone).date() if isinstance(moment, datetime) else moment
        return day.replace(day=1)
