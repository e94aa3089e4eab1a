from __future__ import annotations

from django.contrib import admin

from referly.crm import models


@admin.register(models.Teammate)
class TeammateAdmin(admin.ModelAdmin[models.Teammate]):
    list_display = ["name", "email", "role", "team", "manager", "is_active"]
    list_filter = ["role", "team", "is_active"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user", "manager"]


@admin.register(models.Account)
class AccountAdmin(admin.ModelAdmin[models.Account]):
    list_display = ["name", "domain", "lifecycle", "industry", "employees", "country", "owner"]
    list_filter = ["lifecycle", "industry", "country"]
    search_fields = ["name", "domain", "external_id"]
    raw_id_fields = ["owner"]
    readonly_fields = ["name_key", "created_at", "updated_at"]


@admin.register(models.Contact)
class ContactAdmin(admin.ModelAdmin[models.Contact]):
    list_display = ["__str__", "email", "title", "seniority", "role", "account", "do_not_contact"]
    list_filter = ["seniority", "role", "do_not_contact", "opted_out_of_asks"]
    search_fields = ["first_name", "last_name", "email", "external_id"]
    raw_id_fields = ["account"]
    show_full_result_count = False


@admin.register(models.Employment)
class EmploymentAdmin(admin.ModelAdmin[models.Employment]):
    list_display = ["contact", "company_name", "title", "started_on", "ended_on"]
    search_fields = ["company_name"]
    raw_id_fields = ["contact", "account"]
    show_full_result_count = False


@admin.register(models.Interaction)
class InteractionAdmin(admin.ModelAdmin[models.Interaction]):
    list_display = ["occurred_at", "kind", "teammate", "contact"]
    list_filter = ["kind"]
    raw_id_fields = ["teammate", "contact"]
    show_full_result_count = False
    date_hierarchy = None


@admin.register(models.Signal)
class SignalAdmin(admin.ModelAdmin[models.Signal]):
    list_display = ["occurred_on", "kind", "account", "contact", "nps_score", "value", "unit", "metric"]
    list_filter = ["kind"]
    search_fields = ["account__name", "detail"]
    raw_id_fields = ["account", "contact"]


@admin.register(models.Connection)
class ConnectionAdmin(admin.ModelAdmin[models.Connection]):
    list_display = ["kind", "from_contact", "to_contact", "teammate", "confidence", "provenance"]
    list_filter = ["kind"]
    raw_id_fields = ["from_contact", "to_contact", "teammate"]
    show_full_result_count = False


class StageChangeInline(admin.TabularInline[models.OpportunityStageChange, models.Opportunity]):
    model = models.OpportunityStageChange
    extra = 0


@admin.register(models.Opportunity)
class OpportunityAdmin(admin.ModelAdmin[models.Opportunity]):
    list_display = ["name", "account", "stage", "source", "amount", "currency", "created_on", "closed_on"]
    list_filter = ["stage", "source"]
    search_fields = ["name", "account__name", "external_id"]
    raw_id_fields = ["account", "owner", "referring_contact", "referring_account"]
    inlines = [StageChangeInline]


@admin.register(models.Merge)
class MergeAdmin(admin.ModelAdmin[models.Merge]):
    list_display = ["merged_at", "kind", "kept_id", "merged_id", "reason"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "kept_id", "merged_id", "merged_record", "moved", "reason", "merged_at"]


@admin.register(models.OpportunityStageChange)
class OpportunityStageChangeAdmin(admin.ModelAdmin[models.OpportunityStageChange]):
    list_display = ["opportunity", "stage", "changed_at"]
    list_filter = ["stage"]
    raw_id_fields = ["opportunity"]
