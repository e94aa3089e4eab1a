"""The pack read the straightforward way, to check the fast path against: journeys built from ORM rows, one
``Touch`` object per touch, and every bootstrap resample computed on its own."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from referly.reports import deals, multitouch, stats, volume
from referly.reports.attribution import Journey, Touch
from referly.reports.journey_columns import EPOCH, MICROSECOND, JourneyColumns
from referly.reports.journeys import (
    CHANNELS,
    CLOSED,
    INTRODUCTION,
    LOOKBACK,
    DealJourney,
    DealTouches,
    Journeys,
    _day_start,
    closed_in_window,
)
from referly.reports.queries import Records


def reference_journeys(records: Records) -> Journeys:
    """The journeys as the pack first read them: every interaction of the deals' accounts through the ORM."""
    from referly.crm.models import Interaction, Opportunity
    from referly.referrals.models import ReferralStage, ReferralTransition

    scope = records.scope
    found = closed_in_window(records)
    if not found:
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
        for d in found
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
            to_stage=ReferralStage.INTRODUCED, referral__target_account__in=accounts, at__lt=scope.as_of
        )
        .order_by("at", "id")
        .values_list("referral_id", "referral__target_account_id", "at")
    ):
        introduced.setdefault(referral_id, (account_id, at))
    for account_id, at in introduced.values():
        touches[account_id].add((at, INTRODUCTION))
    ordered = {account_id: sorted(t) for account_id, t in touches.items()}
    built: list[DealJourney] = []
    missing = 0
    for deal in found:
        lo, hi = spans[deal.id]
        account = account_of.get(deal.id)
        timeline = ordered.get(account, []) if account is not None else []
        picked = timeline[bisect_left(timeline, (lo, "")) : bisect_left(timeline, (hi, ""))]
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


def as_columns(journeys: Sequence[Journey]) -> JourneyColumns:
    """Journey objects as columns (channels numbered in sorted order)."""
    names = tuple(sorted({t.channel for j in journeys for t in j.touches}))
    index = {name: i for i, name in enumerate(names)}
    touches = [t for j in journeys for t in j.touches]
    return JourneyColumns(
        names,
        np.asarray([index[t.channel] for t in touches], dtype=np.int64),
        np.asarray([(t.at - EPOCH) // MICROSECOND for t in touches], dtype=np.int64),
        np.concatenate(([0], np.cumsum([len(j.touches) for j in journeys]))).astype(np.int64),
        np.asarray([j.converted for j in journeys], dtype=bool),
        np.asarray([j.value for j in journeys], dtype=np.float64),
    )


def _one_at_a_time(real: Callable[..., stats.Interval]) -> Callable[..., stats.Interval]:
    def bootstrap(*args: Any, batched: Any = None, **kwargs: Any) -> stats.Interval:
        return real(*args, **kwargs)

    return bootstrap


@contextmanager
def reference_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within it, the pack reads journeys the straightforward way, runs the models over ``Journey`` objects and
    computes every bootstrap resample on its own."""

    def touches(records: Records) -> DealTouches:
        found = reference_journeys(records)
        return DealTouches(tuple(j.deal for j in found.found), as_columns(found.journeys), found.without_touches)

    def credits(columns: JourneyColumns) -> dict[str, dict[str, float]]:
        return multitouch.model_credits([columns.journey(j) for j in range(len(columns))])

    with monkeypatch.context() as patch:
        patch.setattr(multitouch, "deal_touches", touches)
        patch.setattr(multitouch, "column_credits", credits)
        for module in (deals, volume):
            patch.setattr(module, "bootstrap_interval", _one_at_a_time(stats.bootstrap_interval))
        yield
