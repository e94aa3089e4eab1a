"""Who brings the referrals: referring clients and contacts, the teammates who own referrals, and success stories."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable

from referly.reports.queries import LADDER, DealRecord, Records, ReferralRecord
from referly.reports.tables import Cell, Column, Row, Table, count, total

TOP = 10
"""Rows of each leaderboard."""
STORIES = 5


def _revenue(records: Records, key: Callable[[DealRecord], tuple[Hashable, str] | None]) -> Table:
    scope = records.scope
    period = scope.window_period
    won: dict[Hashable, list[DealRecord]] = defaultdict(list)
    pipeline: dict[Hashable, list[DealRecord]] = defaultdict(list)
    names: dict[Hashable, str] = {}
    for deal in records.deals:
        found = key(deal)
        if found is None:
            continue
        ident, name = found
        if deal.outcome == "won" and deal.closed_on is not None and period.start <= deal.closed_on <= period.end:
            won[ident].append(deal)
        elif deal.is_open:
            pipeline[ident].append(deal)
        else:
            continue
        names[ident] = name

    def amounts(deals: list[DealRecord]) -> list[float]:
        return [d.amount for d in deals if d.amount is not None]

    def rank(i: Hashable) -> tuple[float, int, str]:
        return (-(sum(amounts(won[i])) + sum(amounts(pipeline[i]))), -len(won[i]) - len(pipeline[i]), names[i])

    ranked = sorted(names, key=rank)
    rows = []
    for i in ranked[:TOP]:
        won_amounts, open_amounts = amounts(won[i]), amounts(pipeline[i])
        cells: dict[str, Cell] = {
            "won": total(sum(won_amounts), len(won_amounts), period, scope.as_of),
            "pipeline": total(sum(open_amounts), len(open_amounts), period, scope.as_of),
            "deals": count(len(won[i]), period, scope.as_of),
            "open": count(len(pipeline[i]), period, scope.as_of),
        }
        rows.append(Row(names[i], cells))
    columns = (
        Column("won", "Won in the window", "amount"),
        Column("pipeline", "Open pipeline at the end", "amount"),
        Column("deals", "Deals won", "count"),
        Column("open", "Deals open", "count"),
    )
    note = f"Top {TOP} of {len(ranked)}." if len(ranked) > TOP else ""
    return Table(columns, tuple(rows), period, note)


def revenue_by_referring_client(records: Records, minimum: int) -> Table:
    """Revenue won in the window and open pipeline, per referring client account."""

    def key(deal: DealRecord) -> tuple[Hashable, str] | None:
        if deal.referring_account_id is None:
            return None
        return deal.referring_account_id, deal.referring_account or f"account {deal.referring_account_id}"

    return _revenue(records, key)


def revenue_by_referrer(records: Records, minimum: int) -> Table:
    """Revenue won in the window and open pipeline, per referring contact."""

    def key(deal: DealRecord) -> tuple[Hashable, str] | None:
        if deal.referring_contact_id is None:
            return None
        where = f" ({deal.referring_account})" if deal.referring_account else ""
        return deal.referring_contact_id, f"{deal.referring_contact}{where}"

    return _revenue(records, key)


def _in_window(records: Records, referral: ReferralRecord, stage: str) -> bool:
    at = referral.entered(stage)
    return at is not None and records.scope.window_start <= at < records.scope.as_of


def _leaderboard(
    records: Records, key: Callable[[ReferralRecord], tuple[Hashable, str]], first: str, first_label: str
) -> Table:
    scope = records.scope
    period = scope.window_period
    deals = {d.id: d for d in records.deals}
    tallies: dict[Hashable, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    amounts: dict[Hashable, list[float]] = defaultdict(list)
    names: dict[Hashable, str] = {}
    for referral in records.referrals:
        ident, name = key(referral)
        for stage in (first, "introduced", "won"):
            if _in_window(records, referral, stage):
                names[ident] = name
                tallies[ident][stage] += 1
        deal = deals.get(referral.opportunity_id or 0)
        if _in_window(records, referral, "won") and deal is not None and deal.amount is not None:
            amounts[ident].append(deal.amount)
    ranked = sorted(names, key=lambda i: (-tallies[i]["won"], -tallies[i]["introduced"], -tallies[i][first], names[i]))
    rows = []
    for i in ranked[:TOP]:
        cells: dict[str, Cell] = {s: count(tallies[i][s], period, scope.as_of) for s in (first, "introduced", "won")}
        cells["amount"] = total(sum(amounts[i]), len(amounts[i]), period, scope.as_of)
        rows.append(Row(names[i], cells))
    columns = (
        Column(first, first_label, "count"),
        Column("introduced", "Introduced", "count"),
        Column("won", "Won", "count"),
        Column("amount", "Amount won", "amount"),
    )
    note = f"Top {TOP} of {len(ranked)}." if len(ranked) > TOP else ""
    return Table(columns, tuple(rows), period, note)


def leaderboard_owners(records: Records, minimum: int) -> Table:
    """Teammates who own referrals: asked (requested), introduced and won in the window."""
    return _leaderboard(records, lambda r: (r.owner_id, r.owner), "requested", "Asked")


def leaderboard_clients(records: Records, minimum: int) -> Table:
    """Referring client accounts: referrals started, introduced and won in the window."""
    return _leaderboard(records, lambda r: (r.referrer_account_id, r.referrer_account), "identified", "Started")


def success_stories(records: Records) -> list[dict[str, object]]:
    """Referrals won in the window, newest first: who referred whom, through whom, and the deal."""
    scope = records.scope
    deals = {d.id: d for d in records.deals}
    won = [r for r in records.referrals if _in_window(records, r, "won")]
    won.sort(key=lambda r: (r.entered("won"), r.id), reverse=True)
    stories = []
    for r in won[:STORIES]:
        won_at = r.entered("won")
        asked = r.entered("requested") or r.created_at
        assert won_at is not None
        deal = deals.get(r.opportunity_id or 0)
        target = f"{r.target_contact} ({r.target_account})" if r.target_contact else r.target_account
        stories.append(
            {
                "referral": r.id,
                "referrer": r.referrer,
                "referrer_account": r.referrer_account,
                "target": target,
                "owner": r.owner,
                "channel": r.channel,
                "script": r.script_key,
                "attribution": r.attribution,
                "path": f"{r.owner} → {r.referrer} ({r.referrer_account}) → {target}",
                "stages": [
                    {"stage": s, "on": at.astimezone(scope.zone).date().isoformat()} for s, at in r.moves if s in LADDER
                ],
                "won_on": won_at.astimezone(scope.zone).date().isoformat(),
                "in_month": won_at >= scope.month_start,
                "days_from_ask": (won_at - asked).days,
                "deal": None
                if deal is None
                else {
                    "name": deal.name,
                    "amount": deal.recorded_amount,
                    "currency": deal.currency,
                    "source": deal.source,
                },
            }
        )
    return stories
