"""Credit rules: which referral gets credit for which deal. A pure function of the registrations.

The rules, applied in this order to the referrals sorted by registration time (then id):

1. **Duplicate.** A referral to a target (the same target account, or the same target e-mail) that an
   earlier referral still *holds* is a duplicate of it. A referral holds its target from its
   registration for the attribution window (default 90 days), unless it ended before any introduction
   (declined, no response, withdrawn): such a referral holds nothing and gets no credit. Only credited
   referrals hold, so ``duplicate_of`` always names the credited one.
2. **Influenced.** The target account already had an open deal when it was referred (a deal opened
   on or before the registration day that is not the referral's own): the referral influenced it.
3. **Sourced.** The referral's own deal: linked to it and opened after its registration day (or on
   that day with the source *referral*, as the deal Referly opens when the referral reaches opportunity).
4. **Suspected.** No deal of its own, but a won deal at the target that no referral is linked to
   opened within the window after the registration: timing suggests it, nobody confirmed it.
5. Otherwise **pending**: no deal yet.

A duplicate's deal is credited to the referral it duplicates when that one has no deal of its own
(credit follows the earliest registration); otherwise it stays linked to the duplicate. Suspected
deals are named in the reason, never linked: only a confirmed link makes a deal the referral's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Registration:
    id: int
    created_at: datetime
    target_account_id: int
    target_email: str | None
    ended_unintroduced_at: datetime | None
    opportunity_id: int | None


@dataclass(frozen=True)
class Deal:
    id: int
    account_id: int | None
    created_on: date | None
    closed_on: date | None
    stage: str
    source: str = ""


@dataclass(frozen=True)
class Credit:
    attribution: str
    duplicate_of: int | None
    opportunity_id: int | None
    reason: str


def assign(registrations: Iterable[Registration], deals: Iterable[Deal], window_days: int = 90) -> dict[int, Credit]:
    """Each registration's credit under the rules above."""
    window = timedelta(days=window_days)
    ordered = sorted(registrations, key=lambda r: (r.created_at, r.id))
    by_id = {d.id: d for d in deals}
    at_account: dict[int, list[Deal]] = {}
    for deal in by_id.values():
        if deal.account_id is not None:
            at_account.setdefault(deal.account_id, []).append(deal)
    linked = {r.opportunity_id for r in ordered if r.opportunity_id is not None}
    credits: dict[int, Credit] = {}
    holders: list[Registration] = []
    registered = {r.id: r for r in ordered}
    for reg in ordered:
        holder = next((h for h in holders if _same_target(h, reg) and _holds(h, reg.created_at, window)), None)
        if holder is not None:
            credits[reg.id] = Credit(
                "duplicate",
                holder.id,
                reg.opportunity_id,
                f"same target as referral {holder.id}, registered {holder.created_at:%Y-%m-%d}, "
                f"within the {window_days}-day window",
            )
            continue
        holders.append(reg)
        credits[reg.id] = _credit(reg, at_account.get(reg.target_account_id, []), by_id, linked, window)
    # credit follows the earliest registration: a duplicate's deal goes to the referral it duplicates
    for reg in ordered:
        mine = credits[reg.id]
        if mine.attribution != "duplicate" or reg.opportunity_id is None:
            continue
        root = registered[mine.duplicate_of or 0]
        if credits[root.id].opportunity_id is None and credits[root.id].attribution == "pending":
            through = replace(root, opportunity_id=reg.opportunity_id)
            found = _credit(through, at_account.get(root.target_account_id, []), by_id, linked, window)
            credits[root.id] = replace(found, reason=f"{found.reason}, through its duplicate referral {reg.id}")
    return credits


def _opened_by(deal: Deal, day: date) -> bool:
    """A linked deal is the referral's own when it opened after the registration day, or on it as a referral deal."""
    if deal.created_on is None:
        return deal.source == "referral"
    return deal.created_on > day or (deal.created_on == day and deal.source == "referral")


def _same_target(a: Registration, b: Registration) -> bool:
    return a.target_account_id == b.target_account_id or (
        a.target_email is not None and a.target_email == b.target_email
    )


def _holds(holder: Registration, when: datetime, window: timedelta) -> bool:
    """Within the window, and not ended before an introduction (such a referral claims nothing)."""
    return when - holder.created_at <= window and holder.ended_unintroduced_at is None


def _credit(
    reg: Registration, deals: list[Deal], by_id: dict[int, Deal], linked: set[int], window: timedelta
) -> Credit:
    day = reg.created_at.date()
    linked_deal = by_id.get(reg.opportunity_id) if reg.opportunity_id is not None else None
    if reg.ended_unintroduced_at is not None:
        return Credit("pending", None, reg.opportunity_id, "ended before any introduction: no credit")
    own = linked_deal if linked_deal is not None and _opened_by(linked_deal, day) else None
    if linked_deal is not None and own is None:  # linked to a deal that was there before the referral
        return Credit("influenced", None, linked_deal.id, f"linked to deal {linked_deal.id}, open before the referral")
    for deal in sorted(deals, key=lambda d: (d.created_on or date.min, d.id)):
        if deal.created_on is None or deal is own:
            continue
        opened_before = deal.created_on <= day
        still_open = deal.closed_on >= day if deal.closed_on else deal.stage not in ("won", "lost")
        if opened_before and still_open:
            return Credit(
                "influenced",
                None,
                reg.opportunity_id or deal.id,
                f"deal {deal.id} was already open at the target (since {deal.created_on:%Y-%m-%d}) when referred",
            )
    if own is not None:
        return Credit("sourced", None, own.id, f"opened deal {own.id}")
    for deal in sorted(deals, key=lambda d: (d.created_on or date.min, d.id)):
        if (
            deal.stage == "won"
            and deal.id not in linked
            and deal.created_on is not None
            and day <= deal.created_on <= day + window
        ):
            linked.add(deal.id)
            gap = (deal.created_on - day).days
            return Credit(
                "suspected",
                None,
                deal.id,
                f"deal {deal.id} at the target was won without a link to this referral; it opened {gap} days after",
            )
    return Credit("pending", None, reg.opportunity_id, "no deal yet")
