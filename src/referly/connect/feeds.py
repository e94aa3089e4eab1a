"""The events, read from what is committed: each feed returns the events after its cursor and the new cursor.

A cursor is a number per feed (``EventCursor``): the last id read for the tables that only grow (referral
moves, asks, scoring runs); for answers to asks, the newest answer time read (epoch microseconds), read again
with a day's overlap because an answer can be recorded late (the deliveries' unique id keeps that harmless).
Credit has no history table: the attribution last announced is kept per referral (``CreditSeen``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Max

from referly.connect.events import ReferralMove, move_types
from referly.connect.models import CreditSeen
from referly.referrals.models import Ask, AskOutcome, Referral, ReferralTransition
from referly.scoring.models import ScoreRun
from referly.scoring.queries import run_actions

TOP_ACTIONS = 20
"""Actions listed in an ``action.created`` event: a run proposes thousands; the event names the best."""


@dataclass(frozen=True)
class Event:
    type: str
    message_id: str
    at: datetime
    data: dict[str, Any]


Feed = Callable[[int, datetime, int], tuple[list[Event], int]]


def referral_moves(after: int, now: datetime, batch: int) -> tuple[list[Event], int]:
    del now
    found = list(
        ReferralTransition.objects.filter(id__gt=after)
        .select_related(
            "referral__referrer_account",
            "referral__referrer_contact",
            "referral__target_account",
            "referral__owner",
            "actor",
        )
        .order_by("id")[:batch]
    )
    events = []
    for t in found:
        move = _move(t)
        for event_type in move_types(move):
            events.append(Event(event_type, f"msg_{event_type.split('.')[1]}_{t.pk}", t.at, move.data()))
    return events, found[-1].pk if found else after


def _move(t: ReferralTransition) -> ReferralMove:
    referral = t.referral
    return ReferralMove(
        referral_id=referral.pk,
        from_stage=t.from_stage,
        to_stage=t.to_stage,
        at=t.at,
        referrer_account=referral.referrer_account.name,
        referrer_contact=referral.referrer_contact.name,
        target_account=referral.target_account.name,
        owner_name=referral.owner.name,
        owner_email=referral.owner.email or "",
        channel=referral.channel,
        attribution=referral.attribution,
        actor_email=(t.actor.email or "") if t.actor else "",
    )


def _ask_data(ask: Ask) -> dict[str, Any]:
    return {
        "ask_id": ask.pk,
        "kind": ask.kind,
        "asked_at": ask.asked_at.isoformat(),
        "contact": ask.contact.name,
        "account": ask.account.name,
        "asked_by": ask.asked_by.email if ask.asked_by else None,
        "referral_id": ask.referral_id,
        "outcome": ask.outcome,
        "answered_at": ask.outcome_at.isoformat() if ask.outcome_at else None,
    }


def asks_sent(after: int, now: datetime, batch: int) -> tuple[list[Event], int]:
    del now
    found = list(
        Ask.objects.filter(id__gt=after).select_related("contact", "account", "asked_by").order_by("id")[:batch]
    )
    events = [Event("ask.sent", f"msg_ask_{a.pk}", a.asked_at, _ask_data(a)) for a in found]
    return events, found[-1].pk if found else after


def asks_answered(after: int, now: datetime, batch: int) -> tuple[list[Event], int]:
    del now
    since = datetime.fromtimestamp(after / 1_000_000, tz=UTC) - timedelta(days=1)
    found = list(
        Ask.objects.filter(outcome__in=[AskOutcome.ACCEPTED, AskOutcome.DECLINED], outcome_at__gt=since)
        .select_related("contact", "account", "asked_by")
        .order_by("outcome_at", "id")[:batch]
    )
    events = [Event("ask.replied", f"msg_replied_{a.pk}", a.outcome_at or a.asked_at, _ask_data(a)) for a in found]
    newest = max((int((a.outcome_at or a.asked_at).timestamp() * 1_000_000) for a in found), default=after)
    return events, max(newest, after)


def scoring_runs(after: int, now: datetime, batch: int) -> tuple[list[Event], int]:
    del now
    found = list(ScoreRun.objects.filter(id__gt=after).order_by("id")[:batch])
    events = []
    for run in found:
        top = run_actions(run)[:TOP_ACTIONS]
        data = {
            "run_id": run.pk,
            "as_of": run.as_of.isoformat(),
            "actions": int(dict(run.counts).get("actions", 0)),
            "top": [
                {
                    "action_id": a.pk,
                    "rank": a.rank,
                    "score": round(a.score, 4),
                    "sponsor": a.sponsor.name,
                    "sponsor_account": a.sponsor_account.name,
                    "target_account": a.target_account.name,
                    "owner": a.owner.email,
                    "channel": a.channel,
                    "why": a.explanation,
                }
                for a in top
            ],
        }
        events.append(Event("action.created", f"msg_run_{run.pk}", run.as_of, data))
    return events, found[-1].pk if found else after


def credits(after: int, now: datetime, batch: int) -> tuple[list[Event], int]:
    """Referrals whose attribution changed since it was last announced (not pending)."""
    del after
    seen = dict(CreditSeen.objects.values_list("referral_id", "attribution"))
    changed = [
        pk
        for pk, attribution in Referral.objects.order_by("id").values_list("id", "attribution")
        if seen.get(pk, "pending") != attribution
    ][:batch]
    marks = {c.referral_id: c for c in CreditSeen.objects.filter(referral_id__in=changed)}
    events = []
    for referral in Referral.objects.filter(pk__in=changed).select_related(
        "referrer_account", "target_account", "opportunity"
    ):
        mark = marks.get(referral.pk) or CreditSeen(referral_id=referral.pk, changes=0)
        mark.attribution, mark.changes = referral.attribution, mark.changes + 1
        mark.save()
        if referral.attribution != "pending":
            data = {
                "referral_id": referral.pk,
                "attribution": referral.attribution,
                "why": referral.credit_note,
                "referrer_account": referral.referrer_account.name,
                "target_account": referral.target_account.name,
                "opportunity_id": referral.opportunity_id,
                "amount": str(referral.opportunity.amount) if referral.opportunity else None,
            }
            events.append(Event("credit.assigned", f"msg_credit_{referral.pk}_{mark.changes}", now, data))
    return events, 0


FEEDS: dict[str, Feed] = {
    "referral_transition": referral_moves,
    "ask": asks_sent,
    "ask_answer": asks_answered,
    "score_run": scoring_runs,
    "credit": credits,
}


def starting_points() -> dict[str, int]:
    """Each feed's cursor as of now: events are announced from the first subscription on, never the history."""
    newest_answer = Ask.objects.aggregate(at=Max("outcome_at"))["at"]
    return {
        "referral_transition": ReferralTransition.objects.aggregate(last=Max("id"))["last"] or 0,
        "ask": Ask.objects.aggregate(last=Max("id"))["last"] or 0,
        "ask_answer": int(newest_answer.timestamp() * 1_000_000) if newest_answer else 0,
        "score_run": ScoreRun.objects.aggregate(last=Max("id"))["last"] or 0,
        "credit": 0,
    }


def mark_credits_seen() -> None:
    """Take the present attributions as announced (at the first subscription)."""
    CreditSeen.objects.bulk_create(
        [
            CreditSeen(referral_id=pk, attribution=a, changes=0)
            for pk, a in Referral.objects.values_list("id", "attribution")
        ],
        ignore_conflicts=True,
    )
