from __future__ import annotations

from django.db import models
from django.db.models import Q


class Review(models.Model):
    """The monthly referral review: the month's figures frozen as they were, and the decisions taken."""

    month = models.DateField(unique=True, help_text="First day of the reviewed month.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("crm.Teammate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    figures = models.JSONField(default=dict, help_text="Every figure with its evidence label.")
    decisions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="review_month_first_day")]

    def __str__(self) -> str:
        return f"Review {self.month:%Y-%m}"


class ExchangeRate(models.Model):
    """Units of ``currency`` for 1 euro on ``day`` (the ECB's reference-rate convention)."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=8)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["currency", "day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "currency"], name="exchange_rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} per EUR on {self.day}"
