"""Notifications: what needs a teammate, in the app and in their daily digest."""

from __future__ import annotations

from django.db import models

from referly.crm.models.base import one_of


class NoticeKind(models.TextChoices):
    REPLY = "reply", "Reply waiting"
    FOLLOW_UP = "follow_up", "Follow-up to approve"
    BOUNCE = "bounce", "Address bounced"
    SEND_FAILED = "send_failed", "Message not sent"
    MOMENT = "moment", "Moment opening"
    ACTION = "action", "New top action"
    STAGE = "stage", "Referral stage change"
    CREDIT = "credit", "Credit"


class Notice(models.Model):
    """One item for one teammate: a sentence, a link, when it came, when it was read and when mailed."""

    teammate = models.ForeignKey("crm.Teammate", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True, default="", help_text="A path inside the app.")
    key = models.CharField(max_length=120, help_text="What it is about, so the same news is told once.")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True, help_text="When a digest carried it.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["teammate", "read_at"], name="notice_unread")]
        constraints = [
            one_of("kind", NoticeKind, "notice_kind_valid"),
            models.UniqueConstraint(fields=["teammate", "kind", "key"], name="notice_told_once"),
        ]

    def __str__(self) -> str:
        return self.text


class DigestChoice(models.Model):
    """A teammate's digest: on or off, the hour and time zone of their morning, their language."""

    teammate = models.OneToOneField("crm.Teammate", on_delete=models.CASCADE, related_name="digest_choice")
    enabled = models.BooleanField(default=True)
    hour = models.PositiveSmallIntegerField(default=8)
    time_zone = models.CharField(max_length=64, blank=True, default="", help_text="Empty: REFERLY_TIME_ZONE.")
    language = models.CharField(max_length=2, default="en")
    last_sent_on = models.DateField(null=True, blank=True, help_text="The local day of the last digest sent.")

    def __str__(self) -> str:
        return f"digest of {self.teammate_id}: {'on' if self.enabled else 'off'}"
