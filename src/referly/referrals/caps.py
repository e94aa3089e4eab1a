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
    past = [a for a in ledger if a.asked_at <= now]
    recent = [a for a in past if a.asked_at > now - QUARTER]
    theirs = sorted(a.asked_at for a in recent if a.contact_id == contact_id)
    at_account = [a for a in recent if a.account_id == account_id]
    limits = []
    if len(theirs) >= rules.per_contact:
        dates = ", ".join(f"{d:%Y-%m-%d}" for d in theirs)
        limits.append(f"asked {len(theirs)} times in the last quarter ({dates}); the cap is {rules.per_contact}")
    if len(at_account) >= rules.per_account:
        limits.append(
            f"their account was asked {len(at_account)} times in the last quarter; the cap is {rules.per_account}"
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
