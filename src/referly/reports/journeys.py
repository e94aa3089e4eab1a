"""Opportunity journeys: the touches recorded before each deal closed, for the multi-touch attribution models.

One journey per opportunity closed (won or lost) in the scope's trailing window (``Scope.window_period``, by
``closed_on``, as the other rates), made of what the database records at the deal's account, in time order:

- every interaction (``crm.Interaction``) between a teammate and a contact at the deal's account, from 180 days
  before the deal was created to the end of the day it closed, as the channel named by its kind ("e-mail sent",
  "e-mail received", "meeting", "call", "note"). The same kind at the same moment with several contacts of the
  account (one meeting, three attendees) is one touch;
- a "referral introduction" touch when a referral targeting the account first entered ``introduced`` in that
  same span.

Converted means won. The value is the amount in the report's currency (``DealRecord.amount``); a deal recorded in
another currency, or without an amount, is worth 0 by value. A closed deal with no recorded touch has no journey
and is counted apart. Nothing recorded at or after the as-of moment is read. Three queries (deals' accounts,
interactions, introductions), each filtered by a subquery on the closed deals' accounts and grouped in Python.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from referly.crm.models import InteractionKind
from referly.referrals.models import ReferralStage
from referly.reports.attribution import Journey, Touch
from referly.reports.queries import DealRecord, Records

LOOKBACK = timedelta(days=180)
"""How long before a deal's creation its account's touches still count."""
INTRODUCTION = "referral introduction"
CHANNELS: dict[int, str] = {kind.value: str(kind.label).lower() for kind in InteractionKind}
"""Interaction kind → channel name, e.g. 1 → "e-mail sent"."""
CLOSED = ("won", "lost")


@dataclass(frozen=True)
class DealJourney:
    deal: DealRecord
    journey: Journey


@dataclass(frozen=True)
class Journeys:
    """The journeys of the deals closed in the window, and how many closed deals had no recorded touch."""

    found: tuple[DealJourney, ...]
    without_touches: int

    @property
    def journeys(self) -> list[Journey]:
        return [j.journey for j in self.found]

    @property
    def won(self) -> int:
        return sum(1 for j in self.found if j.journey.converted)

    @property
    def lost(self) -> int:
        return len(self.found) - self.won


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def closed_in_window(records: Records) -> list[DealRecord]:
    period = records.scope.window_period
    return [
        d
        for d in records.deals
        if d.outcome in CLOSED and d.closed_on is not None and period.start <= d.closed_on <= period.end
    ]


def build_journeys(records: Records) -> Journeys:
    """The journey of every deal won or lost in the window (see the module docstring)."""
    from referly.crm.models import Interaction, Opportunity
    from referly.referrals.models import ReferralTransition

    scope = records.scope
    deals = closed_in_window(records)
    if not deals:
        return Journeys((), 0)
    period = scope.window_period
    closed = Opportunity.objects.filter(
        stage__in=CLOSED,
        closed_on__gte=period.start,
        closed_on__lte=period.end,
        created_on__lt=scope.end_day,
        account__isnull=False,
    )
    account_of: dict[int, int | None] = dict(closed.values_list("id", "account_id"))
    spans = {
        d.id: (
            _day_start(d.created_on - LOOKBACK, scope.zone),
            min(_day_start(d.closed_on + timedelta(days=1), scope.zone), scope.as_of),
        )
        for d in deals
        if d.closed_on is not None
    }
    earliest = min(lo for lo, _ in spans.values())
    latest = max(hi for _, hi in spans.values())
    accounts = closed.values("account_id")

    touches: dict[int, set[tuple[datetime, str]]] = defaultdict(set)
    for account_id, kind, at in Interaction.objects.filter(
        contact__account__in=accounts, occurred_at__gte=earliest, occurred_at__lt=latest
    ).values_list("contact__account_id", "kind", "occurred_at"):
        touches[account_id].add((at, CHANNELS.get(kind, f"interaction {kind}")))
    introduced: dict[int, tuple[int, datetime]] = {}
    for referral_id, account_id, at in (
        ReferralTransition.objects.filter(
            to_stage=ReferralStage.INTRODUCED,
            referral__target_account__in=accounts,
            at__lt=scope.as_of,
        )
        .order_by("at", "id")
        .values_list("referral_id", "referral__target_account_id", "at")
    ):
        introduced.setdefault(referral_id, (account_id, at))  # the first time each referral was introduced
    for account_id, at in introduced.values():
        touches[account_id].add((at, INTRODUCTION))
    ordered = {account_id: sorted(found) for account_id, found in touches.items()}

    built: list[DealJourney] = []
    missing = 0
    for deal in deals:
        lo, hi = spans[deal.id]
        account = account_of.get(deal.id)
        timeline = ordered.get(account, []) if account is not None else []
        start = bisect_left(timeline, (lo, ""))
        end = bisect_left(timeline, (hi, ""))
        picked = timeline[start:end]
        if not picked:
            missing += 1
            continue
        journey = Journey(
            tuple(Touch(channel, at) for at, channel in picked),
            converted=deal.outcome == "won",
            value=deal.amount if deal.amount is not None else 0.0,
        )
        built.append(DealJourney(deal, journey))
    return Journeys(tuple(built), missing)
