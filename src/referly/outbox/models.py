"""The outbox: every message Referly sends for a teammate, its state, and every change of that state."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from referly.crm.models.base import one_of


class MessageKind(models.TextChoices):
    ASK = "ask", "Ask"
    FOLLOW_UP = "follow_up", "Follow-up"


class MessageState(models.TextChoices):
    """queued → sending → sent, then replied | auto_reply | bounced | no_reply; failed after the last try.

    ``unknown``: left in ``sending`` by a stopped worker and not found in the owner's Sent folder; a person
    decides (it is never re-sent blindly). ``cancelled``: refused at send time (a gate or a cap since the
    draft) or withdrawn before it left.
    """

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    REPLIED = "replied", "Replied"
    AUTO_REPLY = "auto_reply", "Automatic reply"
    BOUNCED = "bounced", "Bounced"
    NO_REPLY = "no_reply", "No reply"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown: check"
    CANCELLED = "cancelled", "Cancelled"


class BounceKind(models.TextChoices):
    NONE = "", "None"
    HARD = "hard", "Hard"
    SOFT = "soft", "Soft"


class OutboxMessage(models.Model):
    """One message to one person. Its text is what was sent; a reply's text is never stored, only its first line."""

    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.ASK)
    state = models.CharField(max_length=16, choices=MessageState.choices, default=MessageState.QUEUED)
    owner = models.ForeignKey("crm.Teammate", on_delete=models.PROTECT, related_name="outbox_messages")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    ask = models.ForeignKey(
        "referrals.Ask", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    language = models.CharField(max_length=2, default="en")
    channel = models.CharField(max_length=16, default="email")
    from_address = models.CharField(max_length=320)
    reply_to = models.CharField(max_length=320, blank=True, default="")
    to_name = models.CharField(max_length=200, blank=True, default="")
    to_address = models.CharField(max_length=320)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True, default="")
    message_id = models.CharField(max_length=250, unique=True, help_text="The Message-ID header, angle brackets kept.")
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True, help_text="When a queued message may be tried.")
    last_error = models.TextField(blank=True, default="", help_text="The server's sentence at the last failed try.")
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When the reply, auto-reply or bounce came.")
    answer_line = models.CharField(
        max_length=300, blank=True, default="", help_text="The first line of the reply, nothing more."
    )
    bounce = models.CharField(max_length=8, choices=BounceKind.choices, blank=True, default="")
    follow_up_due = models.DateField(null=True, blank=True, help_text="The day a follow-up is proposed, if no reply.")
    approved_at = models.DateTimeField(
        null=True, blank=True, help_text="A follow-up leaves only once its owner approves it."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_try_at"], name="outbox_due"),
            models.Index(fields=["owner", "created_at"], name="outbox_owner_when"),
        ]
        constraints = [
            one_of("kind", MessageKind, "outbox_kind_valid"),
            one_of("state", MessageState, "outbox_state_valid"),
            one_of("bounce", BounceKind, "outbox_bounce_valid"),
            models.CheckConstraint(condition=~Q(to_address=""), name="outbox_has_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address} ({self.state})"


class MessageChange(models.Model):
    """Each state change of a message, dated, with why (the server's answer, the reply's first line...)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="changes")
    from_state = models.CharField(max_length=16, blank=True, default="")
    to_state = models.CharField(max_length=16, choices=MessageState.choices)
    at = models.DateTimeField()
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["message", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or 'new'} -> {self.to_state}"


class InvalidAddress(models.Model):
    """An address that bounced hard: no more asks to it, shown on the contact."""

    address = models.CharField(max_length=320, unique=True, help_text="Lower-cased.")
    since = models.DateTimeField()
    reason = models.TextField(blank=True, default="", help_text="The delivery status, e.g. 5.1.1 user unknown.")
    message = models.ForeignKey(OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return self.address
