"""The executive summary that opens the pack: what the channel produced this month, against last month and the
quarter, the referrals to celebrate and the actions that matter.

- *Sourced pipeline*: amount of opportunities created in the period with source ``referral``.
- *Influenced pipeline*: amount of opportunities created in the period that a referral credited ``influenced``
  touched (and that a referral did not source).
- *Won from referrals*: amount of referral-sourced opportunities closed won in the period.
- *Requested*, *introduced*, *won*: referrals that first entered the stage in the period.

The quarter is the three months that end with the reviewed month. Amounts are in the base currency; a deal
without an exchange rate counts in no amount (the pack says how many).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from referly.reports.deals import REFERRAL
from referly.reports.evidence import Period
from referly.reports.queries import DealRecord, Records, ReferralRecord
from referly.reports.scope import add_months, month_period
from referly.reports.tables import count, total

CELEBRATE = 3
ACTIONS = 3
STAGES = ("requested", "introduced", "won")


def _periods(records: Records) -> dict[str, Period]:
    month = records.scope.month
    last = month_period(add_months(month, -1))
    this = records.scope.month_period
    return {"month": this, "last_month": last, "quarter": Period(month_period(add_months(month, -2)).start, this.end)}


def _within(day: date | None, period: Period) -> bool:
    return day is not None and period.start <= day <= period.end


def _amount(deals: Sequence[DealRecord], period: Period, records: Records) -> dict[str, object]:
    amounts = [d.amount for d in deals if d.amount is not None]
    return total(float(sum(amounts)), len(amounts), period, records.scope.as_of).as_dict()


def _entered(referral: ReferralRecord, stage: str, records: Records) -> date | None:
    at = referral.entered(stage)
    return None if at is None else at.astimezone(records.scope.zone).date()


def produced(records: Records) -> dict[str, dict[str, object]]:
    """Each headline figure for the month, the month before and the quarter, as evidence-labelled figures."""
    influenced_ids = {
        r.opportunity_id for r in records.referrals if r.attribution == "influenced" and r.opportunity_id is not None
    }
    figures: dict[str, dict[str, object]] = {}
    for name, period in _periods(records).items():
        created = [d for d in records.deals if _within(d.created_on, period)]
        sourced = [d for d in created if d.source == REFERRAL]
        influenced = [d for d in created if d.id in influenced_ids and d.source != REFERRAL]
        won = [d for d in records.deals if d.source == REFERRAL and d.outcome == "won" and _within(d.closed_on, period)]
        found: dict[str, object] = {
            "period": period.as_dict(),
            "sourced_pipeline": _amount(sourced, period, records),
            "influenced_pipeline": _amount(influenced, period, records),
            "won_revenue": _amount(won, period, records),
        }
        for stage in STAGES:
            n = sum(1 for r in records.referrals if _within(_entered(r, stage, records), period))
            found[stage] = count(n, period, records.scope.as_of).as_dict()
        figures[name] = found
    return figures


def to_celebrate(records: Records) -> list[dict[str, object]]:
    """The referrals won this month with the largest deals (the window's latest wins when none was won this month)."""
    deals = {d.id: d for d in records.deals}
    scope = records.scope

    def won_in(period: Period) -> list[ReferralRecord]:
        return [r for r in records.referrals if r.stage == "won" and _within(_entered(r, "won", records), period)]

    chosen = won_in(scope.month_period) or won_in(scope.window_period)
    in_month = bool(won_in(scope.month_period))

    def size(r: ReferralRecord) -> tuple[float, date]:
        deal = deals.get(r.opportunity_id or 0)
        won_on = _entered(r, "won", records)
        assert won_on is not None
        return (deal.amount or 0.0) if deal else 0.0, won_on

    found = []
    for r in sorted(chosen, key=size, reverse=True)[:CELEBRATE]:
        deal = deals.get(r.opportunity_id or 0)
        target = f"{r.target_contact} ({r.target_account})" if r.target_contact else r.target_account
        found.append(
            {
                "referral": r.id,
                "referrer": r.referrer,
                "referrer_account": r.referrer_account,
                "target": target,
                "owner": r.owner,
                "won_on": str(_entered(r, "won", records)),
                "in_month": in_month,
                "deal": None if deal is None else deal.name,
                "amount": None if deal is None else deal.amount,
                "recorded_amount": None if deal is None else deal.recorded_amount,
                "recorded_currency": None if deal is None else deal.currency,
            }
        )
    return found


def executive_summary(records: Records, actions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary's data: figures for three periods, referrals to celebrate, the next best actions."""
    return {
        "figures": produced(records),
        "celebrate": to_celebrate(records),
        "actions": list(actions)[:ACTIONS],
    }
