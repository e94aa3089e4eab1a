from __future__ import annotations

from django.contrib import admin

from referly.scoring import models


@admin.register(models.ScoreRun)
class ScoreRunAdmin(admin.ModelAdmin[models.ScoreRun]):
    list_display = ["id", "as_of", "settings_hash", "started_at", "seconds"]


@admin.register(models.NextBestAction)
class NextBestActionAdmin(admin.ModelAdmin[models.NextBestAction]):
    list_display = ["run", "rank", "sponsor", "target_account", "owner", "score", "channel"]
    raw_id_fields = ["run", "sponsor", "sponsor_account", "owner", "target_account", "target_contact"]


@admin.register(models.SponsorScore)
class SponsorScoreAdmin(admin.ModelAdmin[models.SponsorScore]):
    list_display = ["run", "contact", "score", "gated"]
    raw_id_fields = ["run", "contact", "account"]


@admin.register(models.RelationshipStrength)
class RelationshipStrengthAdmin(admin.ModelAdmin[models.RelationshipStrength]):
    list_display = ["run", "teammate", "contact", "strength", "touches"]
    raw_id_fields = ["run", "teammate", "contact"]
    show_full_result_count = False


@admin.register(models.AccountFit)
class AccountFitAdmin(admin.ModelAdmin[models.AccountFit]):
    list_display = ["run", "account", "fit", "tier"]
    raw_id_fields = ["run", "account"]


@admin.register(models.RecoveryItem)
class RecoveryItemAdmin(admin.ModelAdmin[models.RecoveryItem]):
    list_display = ["run", "account", "detractors"]
    raw_id_fields = ["run", "account"]
