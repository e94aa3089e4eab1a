"""Webhook subscriptions (admins): add one (its secret is in this answer only), list, remove, read the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema

from referly.access.roles import Permission
from referly.api import idempotency
from referly.api.auth import actor
from referly.api.schemas import READ, READ_ONE, WRITE, ShortText, path_id
from referly.connect import services
from referly.connect.models import Subscription

router = Router(tags=["webhooks"])


class SubscriptionIn(Schema):
    url: str = Field(..., max_length=2000, description="http(s) URL of the receiver.")
    events: list[ShortText] = Field(..., min_length=1, max_length=10, description="Event types, e.g. referral.won.")
    kind: ShortText = Field("standard", description="standard (signed JSON) or slack (a chat message).")
    language: ShortText = Field("en", description="en or fr: the language of chat messages.")


class SubscriptionOut(Schema):
    id: int
    url: str
    kind: str
    events: list[str]
    language: str
    active: bool
    disabled_reason: str
    created_at: datetime


class SubscriptionMade(SubscriptionOut):
    secret: str = Field(..., description="whsec_...: verifies each delivery's signature. Shown in this answer only.")


class TryOut(Schema):
    at: datetime
    status: int | None
    seconds: float
    error: str


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_type: str
    webhook_id: str = Field(..., alias="message_id")
    state: str
    tries: list[TryOut] = Field(..., alias="log")

    @staticmethod
    def resolve_log(delivery: Any) -> list[Any]:
        return list(delivery.log.all())


@router.get("", response={200: list[SubscriptionOut], **READ}, summary="List webhook subscriptions")
def list_subscriptions(request: HttpRequest) -> list[Subscription]:
    actor(request).require(Permission.ADMINISTER)
    return list(Subscription.objects.all())


@router.post("", response={201: SubscriptionMade, **WRITE}, summary="Subscribe a receiver to events")
def add_subscription(
    request: HttpRequest, body: SubscriptionIn, idempotency_key: str | None = idempotency.Key
) -> HttpResponse:
    """Refused for a URL to a private, loopback or link-local address unless REFERLY_WEBHOOK_ALLOW_PRIVATE=1."""
    actor(request).require(Permission.ADMINISTER)

    def run() -> tuple[int, Any]:
        made = services.subscribe(
            body.url, services.parse_events(body.events), body.kind, body.language, timezone.now()
        )
        return 201, SubscriptionMade.from_orm(made).model_dump(mode="json")

    return idempotency.once(request, idempotency_key, body.model_dump(mode="json"), run)


@router.delete("/{subscription_id}", response={204: None, **READ_ONE}, summary="Remove a subscription")
def remove_subscription(request: HttpRequest, subscription_id: int = path_id()) -> HttpResponse:
    actor(request).require(Permission.ADMINISTER)
    with transaction.atomic():
        services.unsubscribe(subscription_id)
    return HttpResponse(status=204)


@router.get(
    "/{subscription_id}/deliveries", response={200: list[DeliveryOut], **READ_ONE}, summary="A subscription's log"
)
def deliveries(request: HttpRequest, subscription_id: int = path_id()) -> list[Any]:
    actor(request).require(Permission.ADMINISTER)
    services.subscription(subscription_id)
    return list(services.recent(subscription_id, limit=100))
