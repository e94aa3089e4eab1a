"""The referral funnel: how many move from each stage to the next, where they are lost, and what is stuck.

A step "A → B" follows the referrals that first entered A in the window. One *moved on* if it reached B or any
later stage of the ladder by the as-of moment (a referral that went straight from introduced to opportunity
moved on from introduced → meeting too); one *ended here* if it left the ladder (declined, no response,
withdrawn, lost) without reaching B; the rest are *still here*, and count as not converted (yet).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from referly.reports.evidence import Period, measured_rate
from referly.reports.queries import EXITS, LADDER, OPEN_STAGES, Records, ReferralRecord
from referly.reports.tables import Cell, Column, Row, Table, count

STALE_DAYS = 21
"""A referral still under way with no move for this many days is stale."""

STEPS: tuple[tuple[str, str], ...] = tuple(pairwise(LADDER))


@dataclass(frozen=True)
class Step:
    start: str
    end: str
    entered: int
    moved_on: int
    ended: Counter[str]
    still_here: int

    @property
    def name(self) -> str:
        return f"{self.start} → {self.end}"

    @property
    def ended_here(self) -> int:
        return sum(self.ended.values())


def cohort(records: Records, stage: str) -> list[ReferralRecord]:
    """Referrals that first entered ``stage`` in the window."""
    scope = records.scope
    found = []
    for referral in records.referrals:
        at = referral.entered(stage)
        if at is not None and scope.window_start <= at < scope.as_of:
            found.append(referral)
    return found


def step(records: Records, start: str, end: str) -> Step:
    goal = LADDER.index(end)
    cohort_ = cohort(records, start)
    moved = [r for r in cohort_ if r.highest_rung >= goal]
    rest = [r for r in cohort_ if r.highest_rung < goal]
    ended = Counter(r.stage for r in rest if r.stage in EXITS)
    still = sum(1 for r in rest if r.stage in OPEN_STAGES)
    return Step(start, end, len(cohort_), len(moved), ended, still)


def _reasons(ended: Counter[str]) -> str:
    return ", ".join(f"{stage.replace('_', ' ')} {n}" for stage, n in ended.most_common())


def stage_conversion(records: Records, minimum: int) -> Table:
    """Stage-to-stage conversion in the window, with Wilson intervals, and requested → won end to end."""
    scope = records.scope
    period = scope.window_period
    rows = []
    for start, end in (*STEPS, ("requested", "won")):
        s = step(records, start, end)
        cells: dict[str, Cell] = {
            "rate": measured_rate(s.moved_on, s.entered, period=period, as_of=scope.as_of, minimum=minimum),
            "entered": count(s.entered, period, scope.as_of),
            "moved_on": count(s.moved_on, period, scope.as_of),
            "ended": count(s.ended_here, period, scope.as_of),
            "still_here": count(s.still_here, period, scope.as_of),
        }
        rows.append(Row(s.name, cells, _reasons(s.ended)))
    columns = (
        Column("rate", "Conversion", "share"),
        Column("entered", "Entered", "count"),
        Column("moved_on", "Moved on", "count"),
        Column("ended", "Ended there", "count"),
        Column("still_here", "Still there", "count"),
    )
    funnel = {stage: len(cohort(records, stage)) for stage in LADDER}
    return Table(columns, tuple(rows), period, extra={"entered": funnel})


def friction(records: Records, minimum: int) -> Table:
    """Where referrals are lost: per step, how many ended there; the first row loses most."""
    scope = records.scope
    period = scope.window_period
    steps = sorted(
        (step(records, a, b) for a, b in STEPS),
        key=lambda s: (-s.ended_here, -(s.ended_here / s.entered if s.entered else 0.0), LADDER.index(s.start)),
    )
    rows = tuple(
        Row(
            s.name,
            {
                "lost": count(s.ended_here, period, scope.as_of),
                "loss_rate": measured_rate(s.ended_here, s.entered, period=period, as_of=scope.as_of, minimum=minimum),
            },
            _reasons(s.ended),
        )
        for s in steps
    )
    worst = steps[0]
    note = (
        f"Loses most: {worst.name}, {worst.ended_here} of {worst.entered} ended there ({_reasons(worst.ended)})."
        if worst.ended_here
        else "No referral that entered a stage in the window has ended without moving on."
    )
    columns = (Column("lost", "Ended there", "count"), Column("loss_rate", "Share of those who entered", "share"))
    return Table(columns, rows, period, note, {"worst": worst.name if worst.ended_here else None})


def stale_items(records: Records) -> list[dict[str, object]]:
    """Referrals still under way at the as-of moment whose last move is ``STALE_DAYS`` days old or more."""
    as_of = records.scope.as_of
    items = []
    for r in records.referrals:
        idle = (as_of - r.last_move).days
        if r.stage in OPEN_STAGES and idle >= STALE_DAYS:
            items.append(
                {
                    "referral": r.id,
                    "stage": r.stage,
                    "since": r.last_move.astimezone(records.scope.zone).date().isoformat(),
                    "days": idle,
                    "referrer": r.referrer,
                    "referrer_account": r.referrer_account,
                    "target_account": r.target_account,
                    "owner": r.owner,
                }
            )
    return sorted(items, key=lambda i: (-int(str(i["days"])), int(str(i["referral"]))))


def stale_referrals(records: Records, minimum: int) -> Table:
    """Referrals under way at the end of the month, and how many of them had not moved for 21 days or more."""
    scope = records.scope
    period = Period(scope.month_period.end, scope.month_period.end)
    items = stale_items(records)
    rows = []
    for stage in OPEN_STAGES:
        under_way = sum(1 for r in records.referrals if r.stage == stage)
        stale = sum(1 for i in items if i["stage"] == stage)
        rows.append(
            Row(stage, {"under_way": count(under_way, period, scope.as_of), "stale": count(stale, period, scope.as_of)})
        )
    columns = (Column("under_way", "Under way", "count"), Column("stale", f"No move for {STALE_DAYS}+ days", "count"))
    return Table(columns, tuple(rows), period, extra={"items": items, "days": STALE_DAYS})
