"""Interactions: who on our team touched whom, how, and when. Heavy-tailed, like real activity logs.

Each (teammate, contact) pair gets an activity level (log-normal: most pairs are quiet, a few
are very busy), an active window (the client relationship, or a prospecting burst) and its own
mix of touches (some relationships are two-way, some are one-way mail). Events are drawn per
block of pairs, so the enterprise scale streams 100M events without holding them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from referly.crm.models import ContactRole, Interaction, InteractionKind, Lifecycle
from referly.ingest.demo.context import DAY, DemoContext, FloatArray, IntArray, as_times
from referly.ingest.demo.firmographics import Market, Team
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.people import People

KINDS = [InteractionKind.EMAIL_OUT, InteractionKind.EMAIL_IN, InteractionKind.MEETING, InteractionKind.CALL]
Touches = np.ndarray[Any, Any]  # structured: contact, teammate, at (epoch seconds), kind


@dataclass
class TouchPlan:
    contact: IntArray
    teammate: IntArray
    counts: IntArray
    begin: IntArray  # first active day
    end: IntArray  # last active day (exclusive)
    cuts: FloatArray  # cumulative probabilities of KINDS per pair; the rest are notes
    today: int


def plan_touches(ctx: DemoContext, market: Market, team: Team, people: People) -> TouchPlan:
    rng = ctx.rng("touches")
    acc_of = people.account - 1
    n = len(people.ids)
    customer_contact = market.is_customer[acc_of]
    owner_pairs = np.flatnonzero(customer_contact | (rng.random(n) < 0.55))
    csm_pairs = np.flatnonzero(customer_contact & (market.csm[acc_of] > 0) & (rng.random(n) < 0.8))
    stray = np.flatnonzero(rng.random(n) < 0.08)
    contact_idx = np.concatenate([owner_pairs, csm_pairs, stray])
    teammate = np.concatenate(
        [market.owner[acc_of[owner_pairs]], market.csm[acc_of[csm_pairs]], rng.choice(team.ids, len(stray))]
    )
    m = len(contact_idx)
    acc = acc_of[contact_idx]
    customer = market.is_customer[acc]
    roles = np.array(people.role, dtype=object)[contact_idx]
    key_person = (roles == ContactRole.EXECUTIVE_SPONSOR) | (roles == ContactRole.CHAMPION)

    level = rng.lognormal(0.0, 1.25, m) * np.where(customer, 4.0, 0.6) * np.where(key_person, 2.5, 1.0)
    counts = rng.poisson(level * ctx.volumes.interactions / level.sum())

    first, last = ctx.first_day, ctx.today
    churned = np.array(market.lifecycle, dtype=object)[acc] == Lifecycle.CHURNED
    burst_start = rng.integers(first, last - 14, m)
    burst_len = np.clip(rng.lognormal(np.log(120), 0.8, m), 14, 700).astype(np.int64)
    begin = np.where(customer, np.maximum(first, market.client_since[acc] - 120), burst_start)
    end = np.where(customer, np.where(churned, market.churned_on[acc] + 30, last), burst_start + burst_len)
    end = np.minimum(np.maximum(end, begin + 1), last)
    begin = np.minimum(begin, end - 1)

    # Reciprocity: how much of the mail comes back. Clients write back; cold prospects mostly do not.
    reciprocity = np.where(customer, rng.beta(3, 2, m), rng.beta(1, 4, m))
    p_meeting = np.where(customer, 0.12, 0.04) * np.where(key_person, 1.5, 1.0)
    p_call = np.where(customer, 0.08, 0.10)
    p_mail = 1 - p_meeting - p_call - 0.04
    p_in = p_mail * reciprocity * 0.5
    cuts = np.cumsum(np.stack([p_mail - p_in, p_in, p_meeting, p_call], axis=1), axis=1)
    return TouchPlan(people.ids[contact_idx], teammate, counts, begin, end, cuts, last)


def touch_events(plan: TouchPlan, rng: np.random.Generator, pairs: slice) -> Touches:
    """The events of a block of pairs, unique on (contact, teammate, time, kind) and sorted by it."""
    counts = plan.counts[pairs]
    pair = np.repeat(np.arange(len(counts)), counts)
    e = len(pair)
    u = rng.random(e)
    cuts = plan.cuts[pairs][pair]
    kind = np.full(e, InteractionKind.NOTE.value, dtype=np.int8)
    for column in range(len(KINDS) - 1, -1, -1):
        kind[u < cuts[:, column]] = KINDS[column].value
    begin, end = plan.begin[pairs][pair], plan.end[pairs][pair]
    day = begin + ((end - begin) * rng.random(e) ** 0.85).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 5 and 6 are the weekend
    day = np.minimum(day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0)), plan.today - 1)
    seconds = day * DAY + rng.integers(7 * 3600, 19 * 3600, e)
    events = np.empty(e, dtype=[("contact", "i8"), ("teammate", "i8"), ("at", "i8"), ("kind", "i1")])
    events["contact"] = plan.contact[pairs][pair]
    events["teammate"] = plan.teammate[pairs][pair]
    events["at"] = seconds
    events["kind"] = kind
    unique: Touches = np.unique(events)
    return unique


def event_blocks(ctx: DemoContext, plan: TouchPlan, pairs_per_block: int) -> Iterator[Touches]:
    rng = ctx.rng("touch-events")
    for start in range(0, len(plan.counts), pairs_per_block):
        yield touch_events(plan, rng, slice(start, start + pairs_per_block))


def touches_frame(ctx: DemoContext, plan: TouchPlan) -> Frame:
    """Every planned event at once (the smb and tiny scales load them into the database)."""
    events = np.concatenate(list(event_blocks(ctx, plan, len(plan.counts) or 1)))
    return Frame(
        Interaction,
        {
            "id": np.arange(1, len(events) + 1, dtype=np.int64),
            "contact_id": events["contact"],
            "teammate_id": events["teammate"],
            "kind": events["kind"],
            "occurred_at": as_times(events["at"]),
        },
    )
