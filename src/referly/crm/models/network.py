from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from referly.crm.models.base import ExternalRecord, one_of


class Employment(models.Model):
    """A job a contact held. Shared past employers with overlapping dates make former colleagues."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="employments")
    company_name = models.CharField(max_length=255)
    company_key = models.CharField(max_length=255, help_text="Normalised company name.")
    account = models.ForeignKey("crm.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="alumni")
    title = models.CharField(max_length=200, blank=True, default="")
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="Empty for the current job.")

    class Meta:
        ordering = ["contact", "started_on"]
        indexes = [models.Index(fields=["company_key", "started_on"], name="employment_company_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(started_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="employment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} at {self.company_name}".strip()


class ConnectionKind(models.TextChoices):
    FORMER_COLLEAGUES = "former_colleagues", "Former colleagues"
    DECLARED = "declared", "Declared connection"
    BOARD_SEAT = "board_seat", "Board seat"
    PAST_INTRODUCTION = "past_introduction", "Past introduction"


class Connection(ExternalRecord):
    """A known tie outside our interaction log: contact-contact, or contact-teammate.

    Ties are undirected; contact-contact ties are stored once with ``from_contact_id < to_contact_id``.
    """

    from_contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="connections_out")
    to_contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="connections_in"
    )
    teammate = models.ForeignKey(
        "crm.Teammate", null=True, blank=True, on_delete=models.CASCADE, related_name="connections"
    )
    kind = models.CharField(max_length=20, choices=ConnectionKind.choices)
    confidence = models.FloatField(help_text="0-1: how sure we are the tie is real and still warm.")
    provenance = models.CharField(max_length=255, help_text="Where the tie comes from.")
    since = models.DateField(null=True, blank=True)

    class Meta(ExternalRecord.Meta):
        indexes = [models.Index(fields=["to_contact"], name="connection_to_contact")]
        constraints = [
            *ExternalRecord.Meta.constraints,
            one_of("kind", ConnectionKind, "connection_kind_valid"),
            models.CheckConstraint(
                condition=(Q(to_contact__isnull=False) & Q(teammate__isnull=True))
                | (Q(to_contact__isnull=True) & Q(teammate__isnull=False)),
                name="connection_one_other_end",
            ),
            models.CheckConstraint(
                condition=Q(to_contact__isnull=True) | Q(from_contact__lt=F("to_contact")),
                name="connection_ordered_pair",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="connection_confidence_0_to_1"
            ),
            models.UniqueConstraint(
                fields=["from_contact", "to_contact", "kind"],
                condition=Q(to_contact__isnull=False),
                name="connection_unique_contact_pair",
            ),
            models.UniqueConstraint(
                fields=["from_contact", "teammate", "kind"],
                condition=Q(teammate__isnull=False),
                name="connection_unique_teammate_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.provenance})"
