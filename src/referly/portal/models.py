"""Sponsor links, the sponsor's answers about each target, and the consent asked of the people they name."""

from __future__ import annotations

from django.db import models

from referly.crm.models.base import one_of


class SponsorLink(models.Model):
    """A private link to a sponsor's page. The token holds this row's id and a random nonce; only the nonce's
    digest is stored, so the database alone cannot rebuild a working link."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="portal_links")
    nonce_digest = models.CharField(max_length=64)
    language = models.CharField(max_length=2, default="en")
    created_by = models.ForeignKey("crm.Teammate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Sponsor link {self.pk} of contact {self.contact_id}"


class Answer(models.TextChoices):
    INTRODUCE = "introduce", "I can introduce you"
    NOT_WELL = "not_well", "I don't know them well"
    NOT_NOW = "not_now", "Not now"


class PathAnswer(models.Model):
    """What the sponsor said of a warm path through them: an outcome the path evaluation can learn from."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="path_answers")
    target_account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    target_contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.CharField(max_length=16, choices=Answer.choices)
    answered_at = models.DateTimeField()
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="path_answers"
    )

    class Meta:
        constraints = [
            one_of("answer", Answer, "path_answer_valid"),
            models.UniqueConstraint(fields=["contact", "target_account"], name="one_answer_per_path"),
        ]

    def __str__(self) -> str:
        return f"{self.answer} for account {self.target_account_id}"


class OptIn(models.Model):
    """The consent asked of a person a sponsor recommended. Their address is kept for the one message and is
    erased (set to NULL) once they decline or the request expires; on confirmation it moves to their contact."""

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="opt_in")
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, null=True, blank=True)  # noqa: DJ001 - NULL: erased, not "no address"
    company = models.CharField(max_length=200)
    how_they_know = models.CharField(max_length=500, blank=True, default="")
    note = models.TextField(blank=True, default="")
    nonce_digest = models.CharField(max_length=64)
    language = models.CharField(max_length=2, default="en")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.TextField(blank=True, default="")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Opt-in for referral {self.referral_id}"


class DeclinedAddress(models.Model):
    """Someone who declined an introduction: a keyed digest of their address, never the address itself, so
    that nobody can recommend them again, and nothing in the database names them."""

    digest = models.CharField(max_length=64, unique=True)
    declined_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"declined {self.declined_at:%Y-%m-%d}"
