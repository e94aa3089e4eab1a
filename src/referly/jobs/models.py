"""The job queue kept in the database: what is to be done, who is doing it, and every run of it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from referly.crm.models.base import one_of


class JobKind(models.TextChoices):
    SCORE = "score", "Scoring run"
    REFERRAL_REFRESH = "referral-refresh", "Referral refresh"
    REVIEW_REMINDER = "review-reminder", "Monthly review reminder"
    SOURCE_SYNC = "source-sync", "Mailbox and calendar sync"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RunOutcome(models.TextChoices):
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    LOST = "lost", "Lost: the worker stopped answering or was interrupted"


class Job(models.Model):
    """One piece of background work. A worker claims it (state running, with a lease), then finishes it.

    The lease is how a dead worker is noticed: past ``lease_expires_at`` another worker takes the job
    back, counting the attempt; the work of the lost attempt was never committed.
    """

    kind = models.CharField(max_length=24, choices=JobKind.choices)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    # NULL, not "", for a job enqueued by hand: the unique constraint must ignore those.
    key = models.CharField(
        max_length=80,
        null=True,
        blank=True,
        unique=True,
        help_text="The occurrence of a scheduled job, e.g. score:2026-11-24; the schedule enqueues each once.",
    )
    run_after = models.DateTimeField(help_text="Not before this time.")
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker claimed it.")
    claimed_by = models.CharField(max_length=120, blank=True, default="", help_text="The worker's id.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While running: after this, the worker is presumed gone."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="What the job did: a summary and its figures.")
    error = models.TextField(blank=True, default="", help_text="Why it failed (with the traceback if unexpected).")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-run_after", "-id"]
        indexes = [
            models.Index(fields=["state", "run_after"], name="job_state_due"),
            models.Index(fields=["state", "lease_expires_at"], name="job_state_lease"),
        ]
        constraints = [
            one_of("kind", JobKind, "job_kind_valid"),
            one_of("state", JobState, "job_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=JobState.RUNNING) | Q(lease_expires_at__isnull=False),
                name="job_running_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.kind}, {self.state})"

    @property
    def summary(self) -> str:
        """One line: what it did, or the first line of why it failed."""
        if self.error:
            # A bug's traceback: its last line names the exception.
            return self.error.strip().splitlines()[-1] if self.error.startswith("Traceback") else self.error
        return str(self.result.get("summary", "")) if isinstance(self.result, dict) else ""


class JobRun(models.Model):
    """The audit trail of the queue: one row per attempt at a job, whatever became of it."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="runs")
    attempt = models.PositiveIntegerField()
    worker = models.CharField(max_length=120)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=RunOutcome.choices)
    message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["job", "attempt"]
        constraints = [
            one_of("outcome", RunOutcome, "job_run_outcome_valid"),
            # One row per attempt: an attempt recorded twice would mean the job ran twice.
            models.UniqueConstraint(fields=["job", "attempt"], name="job_run_one_per_attempt"),
        ]

    def __str__(self) -> str:
        return f"Job {self.job_id} attempt {self.attempt}: {self.outcome}"
