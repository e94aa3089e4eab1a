"""Webhook subscriptions, the deliveries made to them and every try of each delivery."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from referly.crm.models.base import one_of
from referly.errors import Unavailable
from referly.kit.sealing import InvalidToken, seal, unseal

SECRET_PURPOSE = b"referly webhook signing secret v1"
"""Fixed: a new value would make every stored signing secret unreadable."""


class EventType(models.TextChoices):
    REFERRAL_CREATED = "referral.created", "A referral was created"
    REFERRAL_STAGE_CHANGED = "referral.stage_changed", "A referral moved to another stage"
    REFERRAL_WON = "referral.won", "A referral's deal was won"
    CREDIT_ASSIGNED = "credit.assigned", "A referral was credited"
    ACTION_CREATED = "action.created", "A scoring run proposed next best actions"
    ASK_SENT = "ask.sent", "An ask was recorded"
    ASK_REPLIED = "ask.replied", "An ask got its answer"
    TEST = "webhook.test", "A test sent by hand"


class SubscriptionKind(models.TextChoices):
    STANDARD = "standard", "Signed JSON (Standard Webhooks)"
    SLACK = "slack", "Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat)"


class Subscription(models.Model):
    """A receiver of events: where, which events, how (signed JSON or a chat message), and its secret.

    The signing secret is kept sealed (``referly.kit.sealing``, under a key derived from the deployment's secret
    key): ``secret`` reads and sets it in clear, ``sealed_secret`` is what the database holds.
    """

    url = models.URLField(max_length=2000)
    kind = models.CharField(max_length=16, choices=SubscriptionKind.choices, default=SubscriptionKind.STANDARD)
    events = models.JSONField(default=list, help_text="The event types sent, e.g. ['referral.stage_changed'].")
    sealed_secret = models.CharField(
        max_length=400, help_text="The whsec_ + base64 key that signs each delivery, encrypted (Fernet)."
    )
    language = models.CharField(max_length=2, default="en", help_text="Language of chat messages: en or fr.")
    active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True, default="")
    failures_in_a_row = models.PositiveIntegerField(default=0, help_text="Deliveries that ran out of tries in a row.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [one_of("kind", SubscriptionKind, "subscription_kind_valid")]

    def __str__(self) -> str:
        return f"Webhook #{self.pk} {self.url}"

    @property
    def secret(self) -> str:
        """The signing secret in clear; refused in one sentence when the secret key changed since it was made."""
        if not self.sealed_secret:
            return ""
        try:
            return unseal(self.sealed_secret, SECRET_PURPOSE)
        except (InvalidToken, ValueError):
            raise Unavailable(
                f"webhook {self.pk}: its signing secret cannot be decrypted (the secret key changed since it was "
                f"added): remove the webhook and add it again"
            ) from None

    @secret.setter
    def secret(self, plain: str) -> None:
        self.sealed_secret = seal(plain, SECRET_PURPOSE)


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    GAVE_UP = "gave_up", "Gave up after its tries"


class Delivery(models.Model):
    """One event for one subscription. Its ``message_id`` is the same on every try, so receivers can dedupe."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    message_id = models.CharField(max_length=80)
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    tries = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True, help_text="Also the lease of the worker sending it.")
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_try_at"], name="delivery_due")]
        constraints = [
            one_of("state", DeliveryState, "delivery_state_valid"),
            models.UniqueConstraint(fields=["subscription", "message_id"], name="delivery_once_per_subscription"),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.PENDING) | Q(next_try_at__isnull=False),
                name="delivery_pending_has_next_try",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} -> {self.subscription_id}"


class DeliveryTry(models.Model):
    """The log: one HTTP request of a delivery, its answer (or why there was none) and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    status = models.PositiveIntegerField(null=True, blank=True, help_text="HTTP status; empty when none came.")
    seconds = models.FloatField()
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["delivery", "at", "id"]

    def __str__(self) -> str:
        return f"{self.status or self.error} at {self.at:%Y-%m-%d %H:%M:%S}"


class EventCursor(models.Model):
    """How far the events have been read from each source table (its last id turned into deliveries)."""

    source = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.source} read to {self.last_id}"


class CreditSeen(models.Model):
    """The attribution last announced for a referral, so that a change of credit is announced once."""

    referral_id = models.BigIntegerField(unique=True)
    attribution = models.CharField(max_length=16)
    changes = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"referral {self.referral_id}: {self.attribution}"
