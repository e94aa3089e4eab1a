"""Opportunities with their stage history: clients' first deals and expansions, and prospects' pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from referly.crm.models import (
    Lifecycle,
    Opportunity,
    OpportunitySource,
    OpportunityStage,
    OpportunityStageChange,
)
from referly.ingest.demo.context import DAY, DemoContext, as_times, dates_or_none
from referly.ingest.demo.firmographics import Market
from referly.ingest.demo.frame import Frame

OPEN_PATH = [
    OpportunityStage.PROSPECTING,
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
]
SOURCE_MIX = [
    (OpportunitySource.OUTBOUND, 0.30, ["Cold outreach", "SDR sequence"]),
    (OpportunitySource.INBOUND, 0.27, ["Website demo request", "Free trial"]),
    (OpportunitySource.EVENT, 0.12, ["Trade show", "Webinar"]),
    (OpportunitySource.PARTNER, 0.10, ["Partner Referral", "Reseller"]),
    (OpportunitySource.REFERRAL, 0.14, ["Customer Referral", "Word of mouth"]),
    (OpportunitySource.OTHER, 0.07, ["Other"]),
]
PRODUCTS = ["Northbeam Pipeline", "Northbeam Forecast", "Northbeam Suite"]
CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP"}


@dataclass
class Deal:
    """One generated opportunity, before it becomes a row."""

    id: int
    account: int  # index into the market
    stage: str
    source: str
    created: int  # day
    closed: int  # day, -1 while open
    amount: float
    product: str
    source_detail: str
    name: str = ""
    referring_contact: int | None = None
    referring_account: int | None = None


@dataclass
class Pipeline:
    deals: list[Deal] = field(default_factory=list)

    def add(self, **kwargs: Any) -> Deal:
        deal = Deal(id=len(self.deals) + 1, **kwargs)
        self.deals.append(deal)
        return deal


def generate_pipeline(ctx: DemoContext, market: Market) -> Pipeline:
    rng = ctx.rng("deals")
    pipeline = Pipeline()
    weights = np.array([w for _, w, _ in SOURCE_MIX])
    for a in range(len(market.ids)):
        size = float(market.employees[a]) ** 0.6 * 900 * rng.lognormal(0, 0.4)
        source_idx = int(rng.choice(len(SOURCE_MIX), p=weights / weights.sum()))
        source, _, details = SOURCE_MIX[source_idx]
        detail = details[int(rng.integers(len(details)))]
        product = PRODUCTS[int(rng.integers(len(PRODUCTS)))]
        if market.is_customer[a]:
            won = int(market.client_since[a])
            pipeline.add(
                account=a,
                stage=OpportunityStage.WON,
                source=source,
                created=won - int(rng.integers(30, 150)),
                closed=won,
                amount=round(size, -2),
                product=product,
                source_detail=detail,
            )
            _expansions(ctx, rng, pipeline, market, a, size)
        elif market.lifecycle[a] == Lifecycle.PROSPECT and rng.random() < 0.35:
            created = int(rng.integers(ctx.first_day, ctx.today - 3))
            still_open = ctx.today - created < 200 and rng.random() < 0.7
            stage = OPEN_PATH[int(rng.integers(len(OPEN_PATH)))] if still_open else OpportunityStage.LOST
            closed = -1 if still_open else min(created + int(rng.integers(20, 200)), ctx.today - 1)
            pipeline.add(
                account=a,
                stage=stage,
                source=source,
                created=created,
                closed=closed,
                amount=round(size, -2),
                product=product,
                source_detail=detail,
            )
    return pipeline


def _expansions(
    ctx: DemoContext, rng: np.random.Generator, pipeline: Pipeline, market: Market, a: int, size: float
) -> None:
    end = int(market.churned_on[a]) if market.churned_on[a] >= 0 else ctx.today
    day = int(market.client_since[a]) + int(rng.integers(200, 500))
    while day < end - 30 and rng.random() < 0.25 + 0.4 * float(market.health[a]):
        closed = day + int(rng.integers(15, 90))
        won = closed < ctx.today and rng.random() < 0.7
        stage = OpportunityStage.WON if won else (OpportunityStage.LOST if closed < ctx.today else OPEN_PATH[1])
        pipeline.add(
            account=a,
            stage=stage,
            source=OpportunitySource.OTHER,
            created=day,
            closed=closed if closed < ctx.today else -1,
            amount=round(size * rng.uniform(0.15, 0.5), -2),
            product=PRODUCTS[int(rng.integers(len(PRODUCTS)))],
            source_detail="Expansion",
        )
        day = closed + int(rng.integers(150, 400))


def pipeline_frames(ctx: DemoContext, market: Market, pipeline: Pipeline) -> tuple[Frame, Frame]:
    rng = ctx.rng("stage-history")
    deals = pipeline.deals
    opportunities = Frame(
        Opportunity,
        {
            "id": [d.id for d in deals],
            "account_id": [int(market.ids[d.account]) for d in deals],
            "name": [f"{market.names[d.account]} - {d.product}" for d in deals],
            "amount": [d.amount for d in deals],
            "currency": [CURRENCY.get(market.locales[d.account].split("_")[1], "EUR") for d in deals],
            "stage": [str(d.stage) for d in deals],
            "source": [str(d.source) for d in deals],
            "source_detail": [d.source_detail for d in deals],
            "product": [d.product for d in deals],
            "owner_id": [int(market.owner[d.account]) for d in deals],
            "created_on": dates_or_none(np.array([d.created for d in deals], dtype=np.int64)),
            "closed_on": dates_or_none(np.array([d.closed for d in deals], dtype=np.int64)),
            "referring_contact_id": [d.referring_contact for d in deals],
            "referring_account_id": [d.referring_account for d in deals],
            "source_system": "demo",
            "external_id": [f"opp-{d.id:06d}" for d in deals],
        },
    )
    opp_ids, stages, seconds = [], [], []
    for d in deals:
        if d.stage in (OpportunityStage.WON, OpportunityStage.LOST):
            steps = 4 if d.stage == OpportunityStage.WON else int(rng.integers(1, 5))
            reached = [*OPEN_PATH[:steps], OpportunityStage(d.stage)]
            end = d.closed
        else:
            reached = OPEN_PATH[: OPEN_PATH.index(OpportunityStage(d.stage)) + 1]
            end = ctx.today - 1
        moments = np.sort(rng.uniform(d.created, max(end, d.created + 1), len(reached)))
        moments[0], moments[-1] = d.created, max(moments[-1], d.created)
        if d.stage in (OpportunityStage.WON, OpportunityStage.LOST):
            moments[-1] = end
        for stage, day in zip(reached, moments, strict=True):
            opp_ids.append(d.id)
            stages.append(str(stage))
            seconds.append(int(day) * DAY + int(rng.integers(8 * 3600, 18 * 3600)))
    history = Frame(
        OpportunityStageChange,
        {
            "id": np.arange(1, len(opp_ids) + 1),
            "opportunity_id": opp_ids,
            "stage": stages,
            "changed_at": as_times(np.array(seconds, dtype=np.int64)),
        },
    )
    return opportunities, history
