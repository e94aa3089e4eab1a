"""Former colleagues: two people who worked at the same company at the same time.

Pure: rows in, ties out. Confidence grows with the overlap, from 0.3 (the minimum 90 days)
to 0.8 (three years or more), because people who shared years at a company know each other
better than people who crossed in a hallway for a quarter. Two people who both still work
at the company are colleagues, not former colleagues, and make no tie here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MIN_OVERLAP_DAYS = 90
FULL_OVERLAP_DAYS = 3 * 365


@dataclass(frozen=True)
class Job:
    contact_id: int
    company_key: str
    company_name: str
    started_on: date | None
    ended_on: date | None


@dataclass(frozen=True)
class ColleagueTie:
    low_contact_id: int
    high_contact_id: int
    company_name: str
    overlap_days: int
    since: date

    @property
    def confidence(self) -> float:
        span = min(self.overlap_days, FULL_OVERLAP_DAYS) - MIN_OVERLAP_DAYS
        return round(0.3 + 0.5 * span / (FULL_OVERLAP_DAYS - MIN_OVERLAP_DAYS), 4)


def former_colleagues(jobs: Iterable[Job], today: date) -> list[ColleagueTie]:
    """The strongest shared stint of every pair of contacts, ordered by pair."""
    by_company: dict[str, list[tuple[date, Job]]] = defaultdict(list)
    for job in jobs:
        if job.company_key and job.started_on is not None:
            by_company[job.company_key].append((job.started_on, job))
    best: dict[tuple[int, int], ColleagueTie] = {}
    for staff in by_company.values():
        staff.sort(key=lambda s: s[0])
        for i, (_, a) in enumerate(staff):
            a_end = a.ended_on or today
            for b_start, b in staff[i + 1 :]:
                if b_start >= a_end:
                    break  # sorted by start: nobody later overlaps with a
                if a.contact_id == b.contact_id or (a.ended_on is None and b.ended_on is None):
                    continue
                overlap = (min(a_end, b.ended_on or today) - b_start).days
                if overlap < MIN_OVERLAP_DAYS:
                    continue
                pair = (min(a.contact_id, b.contact_id), max(a.contact_id, b.contact_id))
                if pair not in best or best[pair].overlap_days < overlap:
                    best[pair] = ColleagueTie(*pair, a.company_name, overlap, b_start)
    return [best[pair] for pair in sorted(best)]
