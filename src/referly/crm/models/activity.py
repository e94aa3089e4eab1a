from __future__ import annotations

from django.db import models
from django.db.models import Q

from referly.crm.models.base import ExternalRecord, RowIdField, one_of


class InteractionKind(models.IntegerChoices):
    EMAIL_OUT = 1, "E-mail sent"
    EMAIL_IN = 2, "E-mail received"
    MEETING = 3, "Meeting"
    CALL = 4, "Call"
    NOTE = 5, "Note"
    # A date a CRM export gives for its own activity log ("Last Activity Date", "Last Contacted"):
    # weaker evidence than a real touch (no direction, no kind), counted like a note.
    CRM_ACTIVITY = 6, "CRM activity"


class Interaction(models.Model):
    """One touch between a teammate and a contact.

    The largest table (millions of rows): integer keys, a small-integer kind and one
    timestamp, nothing else. The unique key makes re-imports idempotent and serves the
    per-contact reads of the scoring engine.
    """

    id = RowIdField(primary_key=True)
    teammate = models.ForeignKey("crm.Teammate", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.PositiveSmallIntegerField(choices=InteractionKind.choices)
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "teammate", "occurred_at", "kind"], name="interaction_unique_touch"
            ),
            one_of("kind", InteractionKind, "interaction_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class SignalKind(models.TextChoices):
    NPS = "nps", "NPS answer"
    ONBOARDING_COMPLETED = "onboarding_completed", "Onboarding completed"
    MEASURED_SUCCESS = "measured_success", "Measured success"
    RENEWAL = "renewal", "Renewal"
    EXPANSION = "expansion", "Expansion"
    CASE_STUDY = "case_study", "Case study"
    TESTIMONIAL = "testimonial", "Testimonial"
    WEBINAR = "webinar", "Webinar"
    SUPPORT_ESCALATION = "support_escalation", "Support escalation"
    CHURN_RISK = "churn_risk", "Churn risk"
    JOB_CHANGE = "job_change", "Job change"


class Signal(ExternalRecord):
    """A dated business fact about an account, or a contact at it."""

    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="signals")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=24, choices=SignalKind.choices)
    occurred_on = models.DateField()
    nps_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-10, NPS answers only.")
    value = models.DecimalField(
        max_digits=18, decimal_places=4, null=True, blank=True, help_text="The measured figure, e.g. 38."
    )
    unit = models.CharField(max_length=24, blank=True, default="", help_text="e.g. %, hours, USD.")
    metric = models.CharField(max_length=120, blank=True, default="", help_text="e.g. onboarding time.")
    detail = models.TextField(blank=True, default="")
    resolved_on = models.DateField(
        null=True, blank=True, help_text="When an escalation or churn risk was closed; empty while open."
    )

    class Meta(ExternalRecord.Meta):
        ordering = ["-occurred_on"]
        indexes = [
            models.Index(fields=["account", "kind", "occurred_on"], name="signal_account_kind_date"),
            models.Index(fields=["kind", "occurred_on"], name="signal_kind_date"),
        ]
        constraints = [
            *ExternalRecord.Meta.constraints,
            one_of("kind", SignalKind, "signal_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind="nps") & Q(nps_score__isnull=False) & Q(nps_score__lte=10))
                | (~Q(kind="nps") & Q(nps_score__isnull=True)),
                name="signal_nps_score_0_to_10",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=models.F("occurred_on")),
                name="signal_resolved_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"
