from __future__ import annotations

from django.contrib import admin

from referly.reports.models import Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin[Review]):
    list_display = ["month", "created_at", "created_by"]
    raw_id_fields = ["created_by"]
