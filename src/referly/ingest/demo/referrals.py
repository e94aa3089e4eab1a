"""Past referrals with their outcomes, the asks behind them, and the ties they and others created.

Referral-sourced deals in the pipeline each get the referral that produced them (won, open or
lost); more referrals end earlier (declined, no response, withdrawn) or are still under way. Who is asked, the
ties recorded before the ask, and how the ask ends come from ``world`` (see docs/demo-data.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from referly.crm.models import Connection, ConnectionKind, ContactRole, Lifecycle, OpportunitySource
from referly.crm.models.pipeline import OpportunityStage
from referly.ingest.demo.context import DAY, DemoContext, IntArray, as_times, dates_or_none
from referly.ingest.demo.deals import Pipeline
from referly.ingest.demo.firmographics import Market, Team
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.people import People
from referly.ingest.demo.touches import TouchPlan
from referly.ingest.demo.world import CANDIDATES, Candidate, World
from referly.outreach.scripts import SCRIPT_CHANNEL, script_key
from referly.referrals.models import (
    Ask,
    AskKind,
    AskOutcome,
    Attribution,
    Channel,
    Referral,
    ReferralStage,
    ReferralTransition,
)

S = ReferralStage
LADDER = [S.IDENTIFIED, S.REQUESTED, S.INTRODUCED, S.MEETING, S.OPPORTUNITY]
ENDINGS = {
    # final stage: the stages reached before it
    S.DECLINED: [S.IDENTIFIED, S.REQUESTED],
    S.NO_RESPONSE: [S.IDENTIFIED, S.REQUESTED],
    S.WITHDRAWN: [S.IDENTIFIED, S.REQUESTED, S.INTRODUCED],
    S.INTRODUCED: [S.IDENTIFIED, S.REQUESTED],
    S.MEETING: [S.IDENTIFIED, S.REQUESTED, S.INTRODUCED],
    S.REQUESTED: [S.IDENTIFIED],
    S.IDENTIFIED: [],
}
WAITING = 0.01
"""The share of referrals only identified, and the share still waiting for the referrer's answer: the last weeks'."""
RECENT = 0.3
"""The share of decided asks made in the last two months and still under way (introduced or at a meeting)."""
MOMENTS = ["onboarding_completed", "measured_success", "renewal", "case_study", "nps_promoter"]
NOTES = {
    S.IDENTIFIED: "Spotted a warm path",
    S.REQUESTED: "Asked after the quarterly review",
    S.INTRODUCED: "Referrer sent the introduction",
    S.MEETING: "First meeting held",
    S.OPPORTUNITY: "Qualified into an opportunity",
    S.WON: "Closed won",
    S.LOST: "Closed lost",
    S.DECLINED: "Referrer preferred not to",
    S.NO_RESPONSE: "No answer after 21 days",
    S.WITHDRAWN: "Withdrawn by the owner",
}


@dataclass
class History:
    referrals: dict[str, list[object]] = field(default_factory=dict)
    transitions: dict[str, list[object]] = field(default_factory=dict)
    asks: dict[str, list[object]] = field(default_factory=dict)

    def add(self, table: dict[str, list[object]], **row: object) -> None:
        for k, v in row.items():
            table.setdefault(k, []).append(v)


class _Referrers:
    """Contacts who can refer: sponsors and champions at client accounts, by the day they became clients."""

    def __init__(self, market: Market, people: People, rng: np.random.Generator) -> None:
        roles = np.array(people.role, dtype=object)
        key = np.isin(roles, [ContactRole.EXECUTIVE_SPONSOR, ContactRole.CHAMPION])
        acc = people.account - 1
        self.pool = np.flatnonzero(key & market.is_customer[acc] & (market.health[acc] > 0.45))
        self.market, self.people, self.rng = market, people, rng

    def pick(self, day: int, not_account: int) -> int | None:
        """A contact index whose account was a client for 90+ days on ``day`` and is not ``not_account``."""
        for _ in range(40):
            c = int(self.pool[self.rng.integers(len(self.pool))])
            a = int(self.people.account[c]) - 1
            ended = int(self.market.churned_on[a])
            if a != not_account and self.market.client_since[a] + 90 <= day and (ended < 0 or ended > day):
                return c
        return None

    def pick_many(self, day: int, not_account: int, k: int) -> list[int]:
        """Up to ``k`` distinct contacts as ``pick`` draws them."""
        found: list[int] = []
        for _ in range(3 * k):
            c = self.pick(day, not_account)
            if c is not None and c not in found:
                found.append(c)
            if len(found) == k:
                break
        return found


def generate_referrals(
    ctx: DemoContext,
    market: Market,
    team: Team,
    people: People,
    pipeline: Pipeline,
    plan: TouchPlan,
    signals: Frame,
) -> tuple[list[Frame], list[Frame]]:
    """The referrals, their transitions and asks; then the ties: those recorded before the asks, and the
    introductions the asks led to. Who is asked and how it ends come from ``world.World``."""
    rng = ctx.rng("referrals")
    referrers = _Referrers(market, people, rng)
    world = World(market, people, plan, signals, ctx.rng("referral-world"))
    first_contact = np.r_[0, np.flatnonzero(np.diff(people.account)) + 1]
    recorded: dict[tuple[int, int], tuple[float, int]] = {}

    def asked(target: int, day: int, worked: bool) -> Candidate | None:
        """The referrer asked about ``target`` on ``day``: chosen as the team would choose, or, when it
        ``worked`` (a deal came of it), given that it did; records the candidates' ties. None when no client
        contact can refer."""
        found = world.candidates(referrers.pick_many(day, target, CANDIDATES), day)
        if not found:
            return None
        weights = world.choice_weights(found)
        if worked:  # who was asked, given that it led to an introduction
            weights = weights * np.array([world.chance(c, target) for c in found])
        chosen = found[int(rng.choice(len(found), p=weights / weights.sum()))]
        target_contact = int(people.ids[first_contact[target]])
        for c in found:
            if c.recorded:
                key = (min(int(people.ids[c.contact]), target_contact), max(int(people.ids[c.contact]), target_contact))
                recorded.setdefault(key, (c.confidence, c.since))
        return chosen

    plans: list[tuple[int, int, list[ReferralStage], list[int], int | None, str]] = []
    for deal in pipeline.deals:
        if deal.source != OpportunitySource.REFERRAL:
            continue
        influenced = deal.stage != OpportunityStage.WON and rng.random() < 0.15
        if influenced:  # the deal existed before anyone referred it
            start = deal.created + int(rng.integers(5, 30))
            ladder = [S.IDENTIFIED, S.REQUESTED, S.INTRODUCED, S.OPPORTUNITY]
            days = list(np.linspace(start, start + int(rng.integers(10, 40)), len(ladder)).astype(int))
        else:
            ladder = list(LADDER)
            days = list(np.linspace(deal.created - int(rng.integers(20, 70)), deal.created, len(ladder)).astype(int))
        if deal.stage in (OpportunityStage.WON, OpportunityStage.LOST):
            ladder.append(S.WON if deal.stage == OpportunityStage.WON else S.LOST)
            days.append(max(deal.closed, days[-1]))
        chosen = asked(deal.account, days[1], worked=True)
        if chosen is None:
            deal.source, deal.source_detail = OpportunitySource.OUTBOUND, "Cold outreach"
            continue
        if days[-1] >= ctx.today:
            continue
        c = chosen.contact
        deal.referring_contact = int(people.ids[c])
        deal.referring_account = int(people.account[c])
        plans.append(
            (
                c,
                deal.account,
                ladder,
                days,
                deal.id,
                Attribution.INFLUENCED if influenced else Attribution.SOURCED,
            )
        )
    prospects = np.flatnonzero(np.array(market.lifecycle, dtype=object) == Lifecycle.PROSPECT)
    for state in _states(rng, ctx.volumes.extra_referrals):
        recent = state in (S.IDENTIFIED, S.REQUESTED) or rng.random() < RECENT
        start = (
            ctx.today - 16 - int(rng.integers(1, 60))
            if recent
            else int(rng.integers(ctx.first_day + 120, ctx.today - 30))
        )
        target = int(rng.choice(prospects))
        chosen = asked(target, start + 4, worked=False)
        if chosen is None:
            continue
        if state is None:  # the ask's outcome, from the world it was made in
            state = _ending(rng, bool(rng.random() < world.chance(chosen, target)), recent)
        ladder = [*ENDINGS[state], state]
        days = [start + 4 * i for i in range(len(ladder))]
        plans.append((chosen.contact, target, ladder, days, None, Attribution.PENDING))
    plans.sort(key=lambda p: (p[3][0], p[0]))
    frames, introductions = _frames(ctx, rng, market, people, first_contact, plans)
    return frames, [_recorded_ties(recorded), introductions]


def _states(rng: np.random.Generator, n: int) -> list[ReferralStage | None]:
    """Referrals not asked yet (identified) or still waiting for an answer (requested), in their shares but at
    least one of each; None for each of the others, whose ending the ask's outcome decides."""
    waiting = [S.IDENTIFIED] * max(1, round(n * WAITING)) + [S.REQUESTED] * max(1, round(n * WAITING))
    states: list[ReferralStage | None] = [*waiting, *([None] * max(0, n - len(waiting)))]
    return [states[i] for i in rng.permutation(len(states))]


def _ending(rng: np.random.Generator, worked: bool, recent: bool) -> ReferralStage:
    """Where a decided ask stands now: introduced (still at introduction or meeting, or withdrawn after it),
    or declined or unanswered."""
    if not worked:
        return S.DECLINED if rng.random() < 0.52 else S.NO_RESPONSE
    if recent:
        return S.INTRODUCED if rng.random() < 0.5 else S.MEETING
    return (S.INTRODUCED, S.MEETING, S.WITHDRAWN)[int(rng.choice(3, p=[0.35, 0.35, 0.3]))]


def _recorded_ties(recorded: dict[tuple[int, int], tuple[float, int]]) -> Frame:
    """The ties between candidate referrers and target contacts that were in the records before the asks."""
    return Frame(
        Connection,
        {
            "from_contact_id": [low for low, _ in recorded],
            "to_contact_id": [high for _, high in recorded],
            "kind": ConnectionKind.DECLARED.value,
            "confidence": [confidence for confidence, _ in recorded.values()],
            "provenance": "Declared by the contact (LinkedIn connection)",
            "since": dates_or_none(np.array([since for _, since in recorded.values()], dtype=np.int64)),
        },
    )


def _frames(
    ctx: DemoContext,
    rng: np.random.Generator,
    market: Market,
    people: People,
    first_contact: IntArray,
    plans: list[tuple[int, int, list[ReferralStage], list[int], int | None, str]],
) -> tuple[list[Frame], Frame]:
    h = History()
    ties: dict[tuple[int, int], tuple[int, int]] = {}
    seen_targets: dict[int, tuple[int, int]] = {}
    channels = [Channel.EMAIL, Channel.EMAIL, Channel.LINKEDIN, Channel.CALL, Channel.IN_PERSON]
    for rid, (c, target, ladder, days, opp, attribution) in enumerate(plans, 1):
        a = int(people.account[c]) - 1
        owner = int(market.csm[a] or market.owner[a])
        target_contact = int(people.ids[first_contact[target]]) if len(ladder) > 1 else None
        seconds = [d * DAY + int(rng.integers(8 * 3600, 18 * 3600)) for d in days]
        seconds = [max(s, seconds[0] + i) for i, s in enumerate(seconds)]
        duplicate_of = None
        earlier = seen_targets.get(target)
        if earlier and days[0] - earlier[1] <= 90 and attribution == Attribution.PENDING:
            attribution, duplicate_of = Attribution.DUPLICATE, earlier[0]
        seen_targets.setdefault(target, (rid, days[0]))
        channel = channels[int(rng.integers(len(channels)))]
        lang = "fr" if market.locales[a].startswith("fr") else "en"
        introduced = [s for st, s in zip(ladder, seconds, strict=True) if st == S.INTRODUCED]
        h.add(
            h.referrals,
            id=rid,
            referrer_contact_id=int(people.ids[c]),
            referrer_account_id=a + 1,
            target_account_id=target + 1,
            target_contact_id=target_contact,
            owner_id=owner,
            channel=str(channel),
            script_key=script_key(SCRIPT_CHANNEL[str(channel)], MOMENTS[int(rng.integers(len(MOMENTS)))], lang),
            stage=str(ladder[-1]),
            attribution=str(attribution),
            opportunity_id=opp,
            duplicate_of_id=duplicate_of,
            consent_confirmed_at=introduced[0] if introduced else None,
            version=len(ladder),
            created_at=seconds[0],
            stage_changed_at=seconds[-1],
        )
        previous = ""
        for stage, at in zip(ladder, seconds, strict=True):
            h.add(
                h.transitions,
                referral_id=rid,
                from_stage=previous,
                to_stage=str(stage),
                at=at,
                actor_id=owner,
                note=NOTES[stage],
            )
            previous = str(stage)
        if S.REQUESTED in ladder:
            asked = seconds[ladder.index(S.REQUESTED)]
            after = ladder.index(S.REQUESTED) + 1
            outcome = {S.DECLINED: AskOutcome.DECLINED, S.NO_RESPONSE: AskOutcome.NO_RESPONSE}.get(
                ladder[-1], AskOutcome.ACCEPTED if after < len(ladder) else AskOutcome.PENDING
            )
            h.add(
                h.asks,
                contact_id=int(people.ids[c]),
                account_id=a + 1,
                asked_by_id=owner,
                kind=AskKind.REFERRAL.value,
                asked_at=asked,
                outcome=str(outcome),
                outcome_at=seconds[after] if after < len(ladder) else None,
                referral_id=rid,
            )
        if introduced and target_contact is not None:
            pair = (min(int(people.ids[c]), target_contact), max(int(people.ids[c]), target_contact))
            ties.setdefault(pair, (rid, introduced[0] // DAY))
    return [
        Frame(Referral, _timestamps(h.referrals, "created_at", "stage_changed_at", "consent_confirmed_at")),
        Frame(ReferralTransition, _timestamps(h.transitions, "at")),
        Frame(Ask, _timestamps(h.asks, "asked_at", "outcome_at")),
    ], Frame(
        Connection,
        {
            "from_contact_id": [low for low, _ in ties],
            "to_contact_id": [high for _, high in ties],
            "kind": ConnectionKind.PAST_INTRODUCTION.value,
            "confidence": 0.9,
            "provenance": [f"Referral #{rid}" for rid, _ in ties.values()],
            "since": dates_or_none(np.array([day for _, day in ties.values()], dtype=np.int64)),
        },
    )


def _timestamps(table: dict[str, list[object]], *names: str) -> dict[str, object]:
    """Second counts as datetime64 columns, None as NaT (written as NULL)."""
    out: dict[str, object] = dict(table)
    for name in names:
        values = table.get(name, [])
        times = as_times(np.array([-1 if v is None else v for v in values], dtype=np.int64))
        times[np.array([v is None for v in values], dtype=bool)] = np.datetime64("NaT")
        out[name] = times
    return out
