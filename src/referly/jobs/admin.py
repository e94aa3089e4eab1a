from __future__ import annotations

from django.contrib import admin

from referly.jobs.models import Job, JobRun


class RunInline(admin.TabularInline[JobRun, Job]):
    model = JobRun
    extra = 0
    readonly_fields = ["attempt", "worker", "started_at", "finished_at", "outcome", "message"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ["__str__", "kind", "state", "key", "run_after", "attempts", "claimed_by", "finished_at"]
    list_filter = ["kind", "state"]
    search_fields = ["key", "claimed_by"]
    inlines = [RunInline]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin[JobRun]):
    list_display = ["__str__", "worker", "started_at", "finished_at", "outcome"]
    list_filter = ["outcome"]
    raw_id_fields = ["job"]
