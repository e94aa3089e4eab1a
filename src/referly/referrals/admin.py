from __future__ import annotations

from django.contrib import admin

from referly.referrals.models import Ask, Referral, ReferralTransition


class TransitionInline(admin.TabularInline[ReferralTransition, Referral]):
    model = ReferralTransition
    extra = 0
    readonly_fields = ["from_stage", "to_stage", "at", "actor", "note"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin[Referral]):
    list_display = [
        "__str__",
        "referrer_contact",
        "target_account",
        "owner",
        "stage",
        "attribution",
        "created_at",
    ]
    list_filter = ["stage", "attribution", "channel"]
    raw_id_fields = [
        "referrer_contact",
        "referrer_account",
        "target_account",
        "target_contact",
        "owner",
        "opportunity",
        "duplicate_of",
    ]
    readonly_fields = ["version"]
    inlines = [TransitionInline]


@admin.register(ReferralTransition)
class ReferralTransitionAdmin(admin.ModelAdmin[ReferralTransition]):
    list_display = ["referral", "from_stage", "to_stage", "at", "actor"]
    list_filter = ["to_stage"]
    raw_id_fields = ["referral", "actor"]


@admin.register(Ask)
class AskAdmin(admin.ModelAdmin[Ask]):
    list_display = ["asked_at", "kind", "contact", "account", "asked_by", "outcome"]
    list_filter = ["kind", "outcome"]
    raw_id_fields = ["contact", "account", "asked_by", "referral"]
