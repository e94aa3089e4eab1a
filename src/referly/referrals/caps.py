"""Ask caps and cool-downs: whether a contact may be asked now. A pure function of the ledger.

The same rules gate the scoring engine's suggestions (``scoring/gates.py``) and every ask someone
records by hand, so a suggestion is never refused at ask time for a reason the ranking ignored.
Caps and cool-downs may be overridden with a reason; do-not-contact and an opt-out may not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

QUARTER = timedelta(days=91)


@dataclass(frozen=True)
class PastAsk:
    contact_id: int
    account_id: int
    asked_at: datetime
    outcome: str
    outcome_at: datetime | None


@dataclass(frozen=True)
class AskRules:
    per_contact: int = 2
    per_account: int = 4
    cooldown_days: int = 90


@dataclass(frozen=True)
class Verdict:
    """Why an ask is refused: ``forbidden`` can never be overridden, ``limits`` can, with a reason."""

    forbidden: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.forbidden and not self.limits


def judge(
    contact_id: int,
    account_id: int,
    ledger: Iterable[PastAsk],
    now: datetime,
    rules: AskRules,
    *,
    do_not_contact: bool = False,
    opted_out: bool = False,
) -> Verdict:
    """May ``contact_id`` (of ``account_id``) be asked at ``now``, given the asks already made?"""
    forbidden = []
    if do_not_contact:
        forbidden.append("marked do-not-contact")
    if opted_out:
        forbidden.append("opted out of asks")
    asks = list(ledger)
    past = [a for a in asks if a.asked_at <= now]
    # an ask at `now` counts in every 91-day window holding it: the one ending now and those ending at
    # later asks already on record (so a back-dated ask cannot slip between them)
    ends = [now, *(a.asked_at for a in asks if now < a.asked_at < now + QUARTER)]
    theirs: list[datetime] = []
    at_account: list[PastAsk] = []
    for end in ends:
        window = [a for a in asks if end - QUARTER < a.asked_at <= end]
        mine = sorted(a.asked_at for a in window if a.contact_id == contact_id)
        theirs = mine if len(mine) > len(theirs) else theirs
        shared = [a for a in window if a.account_id == account_id]
        at_account = shared if len(shared) > len(at_account) else at_account
    limits = []
    if len(theirs) >= rules.per_contact:
        dates = ", ".join(f"{d:%Y-%m-%d}" for d in theirs)
        limits.append(f"asked {len(theirs)} times within a quarter ({dates}); the cap is {rules.per_contact}")
    if len(at_account) >= rules.per_account:
        limits.append(
            f"their account was asked {len(at_account)} times within a quarter; the cap is {rules.per_account}"
        )
    cooling_since = now - timedelta(days=rules.cooldown_days)
    declines = sorted(
        (a.outcome_at or a.asked_at)
        for a in past
        if a.contact_id == contact_id and a.outcome == "declined" and (a.outcome_at or a.asked_at) > cooling_since
    )
    if declines:
        until = declines[-1] + timedelta(days=rules.cooldown_days)
        limits.append(
            f"declined an ask on {declines[-1]:%Y-%m-%d}: cooling down until {until:%Y-%m-%d} "
            f"({rules.cooldown_days} days)"
        )
    return Verdict(tuple(forbidden), tuple(limits))
