from __future__ import annotations

from django.db import models
from django.db.models import Q

from referly.crm.models.base import ExternalRecord, one_of


class OpportunityStage(models.TextChoices):
    PROSPECTING = "prospecting", "Prospecting"
    QUALIFICATION = "qualification", "Qualification"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_STAGES = (
    OpportunityStage.PROSPECTING,
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)


class OpportunitySource(models.TextChoices):
    REFERRAL = "referral", "Referral"
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"
    PARTNER = "partner", "Partner"
    EVENT = "event", "Event"
    OTHER = "other", "Other"


class Opportunity(ExternalRecord):
    """A deal. A referral-sourced deal names the contact and account that referred it."""

    # An early deal may not be tied to a company yet; an open deal may have no amount yet. Both stay
    # unknown (NULL) rather than pretend: a zero amount would drag averages down.
    account = models.ForeignKey(
        "crm.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities"
    )
    name = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    stage = models.CharField(max_length=16, choices=OpportunityStage.choices, default=OpportunityStage.PROSPECTING)
    source = models.CharField(max_length=16, choices=OpportunitySource.choices, default=OpportunitySource.OTHER)
    source_detail = models.CharField(
        max_length=120, blank=True, default="", help_text="The source as the CRM spelled it."
    )
    product = models.CharField(max_length=120, blank=True, default="")
    owner = models.ForeignKey(
        "crm.Teammate", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    created_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True, help_text="When it was won or lost.")
    expected_close_on = models.DateField(null=True, blank=True, help_text="When an open deal should close.")
    referring_contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="referred_opportunities"
    )
    referring_account = models.ForeignKey(
        "crm.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="referred_opportunities"
    )

    class Meta(ExternalRecord.Meta):
        verbose_name_plural = "opportunities"
        ordering = ["-created_on"]
        indexes = [
            models.Index(fields=["account", "stage"], name="opportunity_account_stage"),
            models.Index(fields=["source", "created_on"], name="opportunity_source_created"),
        ]
        constraints = [
            *ExternalRecord.Meta.constraints,
            one_of("stage", OpportunityStage, "opportunity_stage_valid"),
            one_of("source", OpportunitySource, "opportunity_source_valid"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="opportunity_amount_not_negative",
                violation_error_message="amount must not be negative",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("created_on")),
                name="opportunity_closes_after_creation",
                violation_error_message="closed_on must not be before created_on",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OpportunityStageChange(models.Model):
    """The history of an opportunity's stage: one row each time it moved."""

    opportunity = models.ForeignKey("crm.Opportunity", on_delete=models.CASCADE, related_name="stage_changes")
    stage = models.CharField(max_length=16, choices=OpportunityStage.choices)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["opportunity", "changed_at"]
        indexes = [models.Index(fields=["opportunity", "changed_at"], name="opp_stage_change_when")]
        constraints = [one_of("stage", OpportunityStage, "opp_stage_change_valid")]

    def __str__(self) -> str:
        return f"{self.stage} at {self.changed_at:%Y-%m-%d}"
