from django.contrib import admin

from referly.access.models import ApiToken, Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin[Member]):
    list_display = ("user", "role")
    list_filter = ("role",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "prefix", "scope", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")
    list_filter = ("scope",)
