from __future__ import annotations

from django.db import models

from referly.crm.models.base import ExternalRecord, lower_case, one_of


class Seniority(models.TextChoices):
    EXECUTIVE = "executive", "C-level / owner"
    VP = "vp", "VP"
    DIRECTOR = "director", "Director"
    MANAGER = "manager", "Manager"
    INDIVIDUAL = "individual", "Individual contributor"
    UNKNOWN = "unknown", "Unknown"


class ContactRole(models.TextChoices):
    """The part a person plays toward us at their account."""

    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    CHAMPION = "champion", "Champion"
    USER = "user", "User"
    GATEKEEPER = "gatekeeper", "Gatekeeper"
    OTHER = "other", "Other"


class Contact(ExternalRecord):
    """A person at an account. Personal data here is what `referly forget` erases."""

    account = models.ForeignKey("crm.Account", on_delete=models.PROTECT, related_name="contacts")
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    email = models.EmailField(null=True, blank=True, unique=True)
    phone = models.CharField(max_length=40, blank=True, default="")
    title = models.CharField(max_length=200, blank=True, default="")
    seniority = models.CharField(max_length=16, choices=Seniority.choices, default=Seniority.UNKNOWN)
    role = models.CharField(max_length=20, choices=ContactRole.choices, default=ContactRole.OTHER)
    do_not_contact = models.BooleanField(default=False, help_text="Never contact this person, for any reason.")
    opted_out_of_asks = models.BooleanField(default=False, help_text="Never ask this person for referrals.")
    erased_at = models.DateTimeField(null=True, blank=True, help_text="When personal data was erased.")

    class Meta(ExternalRecord.Meta):
        ordering = ["last_name", "first_name"]
        constraints = [
            *ExternalRecord.Meta.constraints,
            lower_case("email", "contact_email_lower_case"),
            one_of("seniority", Seniority, "contact_seniority_valid"),
            one_of("role", ContactRole, "contact_role_valid"),
        ]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or (self.email or f"contact {self.pk}")

    def __str__(self) -> str:
        return self.name
