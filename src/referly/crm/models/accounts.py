from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from referly.crm.lifecycle import Lifecycle
from referly.crm.models.base import ExternalRecord, lower_case, one_of


class Account(ExternalRecord):
    """A company: client, prospect, partner or churned, with the firmographics the ICP reads."""

    name = models.CharField(max_length=255)
    name_key = models.CharField(
        max_length=255, db_index=True, help_text="Normalised name (no case, accents or legal suffix)."
    )
    domain = models.CharField(max_length=255, null=True, blank=True, unique=True)
    industry = models.CharField(max_length=100, blank=True, default="")
    employees = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, default="", help_text="ISO 3166-1 alpha-2 code.")
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.PROSPECT)
    client_since = models.DateField(null=True, blank=True)
    churned_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey("crm.Teammate", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts")
    custom = models.JSONField(default=dict, blank=True, help_text="Extra attributes the ICP may weigh.")

    class Meta(ExternalRecord.Meta):
        ordering = ["name"]
        indexes = [models.Index(fields=["lifecycle", "owner"], name="account_lifecycle_owner")]
        constraints = [
            *ExternalRecord.Meta.constraints,
            lower_case("domain", "account_domain_lower_case"),
            one_of("lifecycle", Lifecycle, "account_lifecycle_valid"),
            models.CheckConstraint(
                condition=Q(annual_revenue__isnull=True) | Q(annual_revenue__gte=0),
                name="account_revenue_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(churned_on__isnull=True)
                | Q(client_since__isnull=True)
                | Q(churned_on__gte=F("client_since")),
                name="account_churn_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name
