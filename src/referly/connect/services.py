"""Webhooks: subscribe, turn committed changes into deliveries, send them, retry, give up. The caller commits.

Events are read from what is already committed (the referrals' audit trail), by the worker, so a delivery
can never announce a change that was rolled back, and a request never waits on a receiver. Each delivery
is claimed with a lease before its HTTP request: a worker killed mid-request leaves it due again once the
lease runs out, and it is sent again with the same ``webhook-id`` (at least once; receivers dedupe on it).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from referly.connect.addresses import check_url
from referly.connect.backoff import next_try
from referly.connect.events import body, chat_message
from referly.connect.feeds import FEEDS, mark_credits_seen, starting_points
from referly.connect.models import (
    Delivery,
    DeliveryState,
    DeliveryTry,
    EventCursor,
    EventType,
    Subscription,
    SubscriptionKind,
)
from referly.connect.signing import new_secret, signature_headers
from referly.errors import InvalidInput, NotFound, Unavailable

LEASE = timedelta(minutes=2)
GIVE_UPS_BEFORE_DISABLING = 5
EMITTED = tuple(e for e in EventType if e != EventType.TEST)
"""The event types a subscription may ask for (the test event goes to whoever asks for it)."""


def parse_events(given: str | Iterable[str]) -> list[str]:
    """Event types, as a list or comma-separated, each one Referly raises."""
    chosen = [item.strip() for item in (given.split(",") if isinstance(given, str) else given) if item.strip()]
    if not chosen:
        raise InvalidInput("Name at least one event", field="events", code="webhook_events")
    known = [str(e.value) for e in EMITTED]
    unknown = [item for item in chosen if item not in known]
    if unknown:
        raise InvalidInput(
            f"Unknown event {unknown[0]!r}",
            detail=f"the events are {', '.join(known)}",
            field="events",
            code="webhook_events",
        )
    return list(dict.fromkeys(chosen))


def subscribe(url: str, events: list[str], kind: str, language: str, now: datetime) -> Subscription:
    if kind not in SubscriptionKind.values:
        raise InvalidInput(f"No webhook kind {kind!r}: {', '.join(SubscriptionKind.values)}", field="kind")
    if language not in ("en", "fr"):
        raise InvalidInput(f"Chat messages are in en or fr, not {language!r}", field="language")
    _start_cursors()
    made = Subscription(url=check_url(url), events=events, kind=kind, language=language, created_at=now)
    made.secret = new_secret()  # kept sealed (Subscription.sealed_secret)
    made.save()
    return made


def subscription(subscription_id: int) -> Subscription:
    found = Subscription.objects.filter(pk=subscription_id).first()
    if found is None:
        raise NotFound(f"No webhook {subscription_id}", field="id")
    return found


def unsubscribe(subscription_id: int) -> None:
    subscription(subscription_id).delete()


def queue_test(subscription_id: int, now: datetime) -> Delivery:
    """A ``webhook.test`` delivery to one subscription, sent at the worker's next pass."""
    target = subscription(subscription_id)
    message_id = f"msg_test_{target.pk}_{int(now.timestamp() * 1000)}"
    return _queue(target, EventType.TEST, message_id, body(EventType.TEST, now, {"subscription_id": target.pk}), now)


def redeliver(delivery_id: int, now: datetime) -> Delivery:
    """Send a delivery again (same id), whatever became of it."""
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id}", field="id")
    delivery.state, delivery.next_try_at, delivery.tries = DeliveryState.PENDING, now, 0
    delivery.save(update_fields=["state", "next_try_at", "tries"])
    return delivery


def _start_cursors() -> None:
    """Events are announced from the first subscription on, never the history before it."""
    if EventCursor.objects.exists():
        return
    EventCursor.objects.bulk_create([EventCursor(source=name, last_id=at) for name, at in starting_points().items()])
    mark_credits_seen()


def collect(now: datetime, batch: int = 2000) -> int:
    """Turn what was committed since the last pass into deliveries; returns how many were queued."""
    subscriptions = list(Subscription.objects.filter(active=True))
    if not subscriptions:
        return 0
    queued = 0
    for cursor in EventCursor.objects.filter(source__in=FEEDS):
        events, last = FEEDS[cursor.source](cursor.last_id, now, batch)
        if last != cursor.last_id:
            cursor.last_id = last
            cursor.save(update_fields=["last_id"])
        wanted = [
            (event, target)
            for event in events
            for target in subscriptions
            if event.type in target.events and event.at >= target.created_at
        ]
        # Feeds read again what may be queued already (answers are re-read with a day's overlap): skip those.
        known = set(
            Delivery.objects.filter(message_id__in={e.message_id for e, _ in wanted}).values_list(
                "subscription_id", "message_id"
            )
        )
        for event, target in wanted:
            if (target.pk, event.message_id) not in known:
                _queue(target, event.type, event.message_id, body(event.type, event.at, event.data), now)
                queued += 1
    return queued


def _queue(target: Subscription, event_type: str, message_id: str, payload: dict[str, Any], now: datetime) -> Delivery:
    if target.kind == SubscriptionKind.SLACK:
        payload = chat_message(event_type, payload["data"], target.language)
    delivery, _ = Delivery.objects.get_or_create(
        subscription=target,
        message_id=message_id,
        defaults={"event_type": event_type, "payload": payload, "created_at": now, "next_try_at": now},
    )
    return delivery


@dataclass(frozen=True)
class Request:
    """One HTTP request to make: the claimed delivery, its URL, headers and body."""

    delivery_id: int
    url: str
    headers: dict[str, str]
    body: str
    refused: str = ""
    """Why it must not be sent (its subscription's secret cannot be read): a failed try, and no request."""


@dataclass(frozen=True)
class Answer:
    status: int | None
    seconds: float
    error: str = ""


Post = Callable[[Request], Answer]


def claim_due(now: datetime, limit: int = 200) -> list[Request]:
    """Due deliveries, leased to this pass: one conditional UPDATE sets their ``next_try_at`` to this pass's own
    lease end (``now + LEASE`` and a random microsecond), and only the rows that carry it are this pass's."""
    due = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_try_at__lte=now, subscription__active=True)
        .order_by("next_try_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not due:
        return []
    lease = (now + LEASE).replace(microsecond=secrets.randbelow(1_000_000))
    Delivery.objects.filter(pk__in=due, state=DeliveryState.PENDING, next_try_at__lte=now).update(next_try_at=lease)
    mine = Delivery.objects.filter(pk__in=due, next_try_at=lease).select_related("subscription").order_by("id")
    requests = []
    for delivery in mine:
        text = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
        headers = {"content-type": "application/json", "user-agent": "Referly-Webhooks/1"}
        refused = ""
        if delivery.subscription.kind == SubscriptionKind.STANDARD:
            try:
                headers |= signature_headers(delivery.subscription.secret, delivery.message_id, now, text)
            except Unavailable as exc:
                refused = exc.sentence
        requests.append(Request(delivery.pk, delivery.subscription.url, headers, text, refused))
    return requests


def record(results: list[tuple[Request, Answer]], now: datetime) -> Counter[str]:
    """Log each try and decide what follows: delivered, tried again later, gave up, or subscription disabled."""
    deliveries = Delivery.objects.select_related("subscription").in_bulk([r.delivery_id for r, _ in results])
    targets: dict[int, Subscription] = {}
    before: dict[int, tuple[bool, int]] = {}
    outcomes: Counter[str] = Counter()
    for request, answer in results:
        delivery = deliveries[request.delivery_id]
        target = targets.setdefault(delivery.subscription_id, delivery.subscription)
        before.setdefault(target.pk, (target.active, target.failures_in_a_row))
        outcomes[_decide(delivery, target, answer, now)] += 1
    DeliveryTry.objects.bulk_create(
        DeliveryTry(
            delivery_id=request.delivery_id,
            at=now,
            status=answer.status,
            seconds=answer.seconds,
            error=answer.error[:2000],
        )
        for request, answer in results
    )
    Delivery.objects.bulk_update(deliveries.values(), ["state", "tries", "next_try_at", "delivered_at"])
    for target in targets.values():
        if (target.active, target.failures_in_a_row) != before[target.pk]:
            target.save(update_fields=["active", "disabled_reason", "failures_in_a_row"])
    return outcomes


def _decide(delivery: Delivery, target: Subscription, answer: Answer, now: datetime) -> str:
    delivery.tries += 1
    if answer.status is not None and 200 <= answer.status < 300:
        delivery.state, delivery.delivered_at, delivery.next_try_at = DeliveryState.DELIVERED, now, None
        target.failures_in_a_row = 0
        return "delivered"
    if answer.status == 410:  # the receiver says it is gone for good (Standard Webhooks: disable)
        delivery.state, delivery.next_try_at = DeliveryState.GAVE_UP, None
        target.active, target.disabled_reason = False, f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC"
        return "disabled"
    later = next_try(delivery.created_at, delivery.tries, now)
    if later is not None:
        delivery.next_try_at = later
        return "retry"
    delivery.state, delivery.next_try_at = DeliveryState.GAVE_UP, None
    target.failures_in_a_row += 1
    if target.failures_in_a_row >= GIVE_UPS_BEFORE_DISABLING:
        target.active = False
        target.disabled_reason = f"{target.failures_in_a_row} deliveries in a row failed for 24 hours"
        return "disabled"
    return "gave_up"


def recent(subscription_id: int | None = None, limit: int = 50) -> Iterable[Delivery]:
    found = Delivery.objects.prefetch_related("log")
    if subscription_id is not None:
        found = found.filter(subscription_id=subscription_id)
    return found[:limit]
