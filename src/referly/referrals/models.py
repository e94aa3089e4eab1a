from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from referly.crm.models.base import one_of


class ReferralStage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    REQUESTED = "requested", _("Requested")
    INTRODUCED = "introduced", _("Introduced")
    MEETING = "meeting", _("Meeting")
    OPPORTUNITY = "opportunity", _("Opportunity")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    DECLINED = "declined", _("Declined")
    NO_RESPONSE = "no_response", _("No response")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Attribution(models.TextChoices):
    PENDING = "pending", _("Not yet credited")
    SOURCED = "sourced", _("Sourced")
    INFLUENCED = "influenced", _("Influenced")
    SUSPECTED = "suspected", _("Suspected")
    DUPLICATE = "duplicate", _("Duplicate")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LINKEDIN = "linkedin", _("LinkedIn")
    CALL = "call", _("Call")
    IN_PERSON = "in_person", _("In person")
    PORTAL = "portal", _("Sponsor portal")


class Referral(models.Model):
    """One introduction, from the referrer's account to a target account, tracked to revenue."""

    referrer_contact = models.ForeignKey("crm.Contact", on_delete=models.PROTECT, related_name="referrals_made")
    referrer_account = models.ForeignKey("crm.Account", on_delete=models.PROTECT, related_name="referrals_made")
    target_account = models.ForeignKey("crm.Account", on_delete=models.PROTECT, related_name="referrals_received")
    target_contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_received"
    )
    owner = models.ForeignKey("crm.Teammate", on_delete=models.PROTECT, related_name="referrals")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    script_key = models.CharField(
        max_length=120, blank=True, default="", help_text="The ask template used, e.g. email/renewal/en."
    )
    stage = models.CharField(max_length=16, choices=ReferralStage.choices, default=ReferralStage.IDENTIFIED)
    attribution = models.CharField(max_length=16, choices=Attribution.choices, default=Attribution.PENDING)
    opportunity = models.ForeignKey(
        "crm.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    credit_note = models.TextField(blank=True, default="", help_text="Why the credit rules gave this attribution.")
    consent_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the referrer confirmed the person agreed to be introduced."
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: bumped by every change.")
    created_at = models.DateTimeField()
    stage_changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["stage", "stage_changed_at"], name="referral_stage_since"),
            models.Index(fields=["owner", "stage"], name="referral_owner_stage"),
        ]
        constraints = [
            one_of("stage", ReferralStage, "referral_stage_valid"),
            one_of("attribution", Attribution, "referral_attribution_valid"),
            one_of("channel", Channel, "referral_channel_valid"),
            models.CheckConstraint(
                condition=~Q(referrer_account=F("target_account")), name="referral_targets_another_account"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="referral_version_positive"),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk} ({self.stage})"


class ReferralTransition(models.Model):
    """The audit trail: every stage a referral entered, when, by whom and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=16, blank=True, default="", help_text="Empty at creation.")
    to_stage = models.CharField(max_length=16, choices=ReferralStage.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey("crm.Teammate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True, default="")
    draft = models.TextField(blank=True, default="", help_text="The thank-you draft for the referrer, if any.")

    class Meta:
        ordering = ["referral", "at", "id"]
        constraints = [one_of("to_stage", ReferralStage, "referral_transition_stage_valid")]

    def __str__(self) -> str:
        return f"{self.from_stage or 'new'} -> {self.to_stage}"


class AskKind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    REFERENCE_CALL = "reference_call", "Reference call"
    CASE_STUDY = "case_study", "Case study"
    REVIEW = "review", "Review"


class AskOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    NO_RESPONSE = "no_response", "No response"


class Ask(models.Model):
    """One request made of a client contact. Caps and cool-downs are counted over this ledger."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="asks")
    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="asks")
    asked_by = models.ForeignKey(
        "crm.Teammate", null=True, blank=True, on_delete=models.SET_NULL, related_name="asks_made"
    )
    kind = models.CharField(max_length=16, choices=AskKind.choices, default=AskKind.REFERRAL)
    asked_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=AskOutcome.choices, default=AskOutcome.PENDING)
    outcome_at = models.DateTimeField(null=True, blank=True)
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="asks")
    override_reason = models.TextField(
        blank=True, default="", help_text="Why a cap or cool-down was overridden; empty when none was."
    )

    class Meta:
        ordering = ["-asked_at"]
        indexes = [
            models.Index(fields=["contact", "asked_at"], name="ask_contact_when"),
            models.Index(fields=["account", "asked_at"], name="ask_account_when"),
        ]
        constraints = [
            one_of("kind", AskKind, "ask_kind_valid"),
            one_of("outcome", AskOutcome, "ask_outcome_valid"),
            models.CheckConstraint(
                condition=Q(outcome_at__isnull=True) | Q(outcome_at__gte=F("asked_at")),
                name="ask_outcome_after_ask",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ask {self.asked_at:%Y-%m-%d}"
