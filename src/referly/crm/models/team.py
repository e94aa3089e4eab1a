from __future__ import annotations

from django.conf import settings
from django.db import models

from referly.crm.models.base import ExternalRecord, lower_case, one_of


class TeammateRole(models.TextChoices):
    ACCOUNT_EXECUTIVE = "ae", "Account executive"
    CUSTOMER_SUCCESS = "csm", "Customer success manager"
    ACCOUNT_MANAGER = "am", "Account manager"
    SALES_DEVELOPMENT = "sdr", "Sales development rep"
    MARKETER = "marketer", "Marketer"
    MANAGER = "manager", "Manager"
    OTHER = "other", "Other"


class Teammate(ExternalRecord):
    """Someone on our side: owns accounts, sends asks, may log in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="teammate"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(null=True, blank=True, unique=True, help_text="Needed to log in.")
    role = models.CharField(max_length=16, choices=TeammateRole.choices, default=TeammateRole.ACCOUNT_EXECUTIVE)
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    team = models.CharField(max_length=100, blank=True, default="", help_text="Region, office or squad.")
    is_active = models.BooleanField(default=True)

    class Meta(ExternalRecord.Meta):
        ordering = ["name"]
        constraints = [
            *ExternalRecord.Meta.constraints,
            lower_case("email", "teammate_email_lower_case"),
            one_of("role", TeammateRole, "teammate_role_valid"),
        ]

    def __str__(self) -> str:
        return self.name
