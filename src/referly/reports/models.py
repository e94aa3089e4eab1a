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
