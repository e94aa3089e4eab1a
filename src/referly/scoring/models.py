"""Score tables: each scoring run's results, kept with its as-of time and the hash of its settings."""

from __future__ import annotations

from django.db import models


class ScoreRun(models.Model):
    as_of = models.DateTimeField()
    settings_hash = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    timings = models.JSONField(default=dict, help_text="Seconds per step.")
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Run {self.pk} as of {self.as_of:%Y-%m-%d}"


class RelationshipStrength(models.Model):
    """How well a teammate knows a contact, with the components of the score."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="+")
    teammate = models.ForeignKey("crm.Teammate", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+", db_index=False)
    strength = models.FloatField()
    volume = models.FloatField()
    reciprocity = models.FloatField()
    depth = models.FloatField()
    touches = models.IntegerField()
    first_touch = models.DateTimeField()
    last_touch = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["contact", "run"], name="strength_contact_run")]

    def __str__(self) -> str:
        return f"{self.strength:.2f}"


class AccountFit(models.Model):
    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    fit = models.FloatField()
    tier = models.CharField(max_length=1)
    criteria = models.JSONField(help_text="Each criterion, met or missed, with the account's value.")

    def __str__(self) -> str:
        return f"{self.tier} ({self.fit:.0f})"


class SponsorScore(models.Model):
    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    gated = models.BooleanField()
    gates = models.JSONField(default=list, help_text="Why this contact must not be asked now.")
    components = models.JSONField(help_text="Each component, 0-1, and the risk penalty in points.")

    class Meta:
        indexes = [models.Index(fields=["run", "score"], name="sponsor_run_score")]

    def __str__(self) -> str:
        return f"{self.score:.0f}"


class NextBestAction(models.Model):
    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="actions")
    rank = models.PositiveIntegerField()
    sponsor = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    sponsor_account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey("crm.Teammate", on_delete=models.CASCADE, related_name="+")
    target_account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    target_contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    channel = models.CharField(max_length=16)
    explanation = models.TextField()
    components = models.JSONField()

    class Meta:
        ordering = ["run", "rank"]
        indexes = [models.Index(fields=["run", "rank"], name="action_run_rank")]

    def __str__(self) -> str:
        return f"Action {self.pk}"


class RecoveryItem(models.Model):
    """A client account with a detractor: recover it before anyone there is asked for anything."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="+")
    detractors = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"Recovery {self.account_id}"


class SettingsSource(models.TextChoices):
    FORM = "form", "Settings page form"
    TEXT = "text", "Settings page TOML text"
    ICP_SUGGEST = "icp_suggest", "icp suggest"
    TIE_TUNING = "tie_tuning", "evaluate ties --tune"
    FILE = "file", "Back to the REFERLY_SCORING file or the defaults"


class ScoringSettingsVersion(models.Model):
    """One version of the scoring settings as edited in Referly: the newest one is in force.

    ``document`` is the whole settings document (every table of defaults.toml); a version with no document
    hands the settings back to the REFERLY_SCORING file, or to the shipped defaults.
    """

    document = models.JSONField(null=True, blank=True)
    changed_by = models.CharField(max_length=255, help_text="Who saved it: a login or a teammate's e-mail.")
    changed_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=SettingsSource.choices)
    note = models.TextField(blank=True, default="", help_text="Why: e.g. the deals an ICP suggestion rests on.")
    icp_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version whose ICP criteria this one keeps: itself when it changed them.",
    )

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"Scoring settings {self.pk} ({self.source})"
