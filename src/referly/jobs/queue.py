"""The queue's operations: enqueue, claim, finish, fail, take back. The caller owns the transaction.

Several workers may share one database. Every change of a job's state is a conditional UPDATE that
names the state it expects (compare-and-set) and checks that it changed one row, so two workers can
never both claim a job, and a worker whose job was taken back cannot mark it done. On PostgreSQL the
claim also reads with ``FOR UPDATE SKIP LOCKED``, so workers skip the rows others are claiming instead
of queueing behind them; SQLite serialises writers, so the conditional UPDATE alone suffices there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from referly import config
from referly.errors import Conflict, InvalidInput, Unavailable
from referly.jobs.handlers import Outcome
from referly.jobs.models import Job, JobKind, JobRun, JobState, RunOutcome
from referly.jobs.schedule import Occurrence

# On SQLite a few candidates are read at once: if the first were taken meanwhile, the next is tried.
_CANDIDATES = 4


class LeaseLost(Conflict):
    """The job was taken back from this worker (its lease ran out): what it did is rolled back."""


def check_kind(kind: str) -> str:
    if kind not in JobKind.values:
        raise InvalidInput(f"No job kind {kind!r}: the kinds are {', '.join(JobKind.values)}")
    return kind


def lease_length() -> timedelta:
    """REFERLY_JOB_LEASE_MINUTES: whole minutes, or a fraction of one (0.5 is thirty seconds)."""
    raw = config.JOB_LEASE_MINUTES.value()
    try:
        minutes = float(raw)
    except ValueError:
        minutes = math.nan
    if not math.isfinite(minutes):
        raise Unavailable(
            f"{config.JOB_LEASE_MINUTES.name} must be a whole number of minutes or a fraction, not {raw!r}"
        )
    if minutes <= 0:
        raise Unavailable(f"{config.JOB_LEASE_MINUTES.name} must be more than 0")
    return timedelta(minutes=minutes)


def database_clock() -> datetime:
    """The time by the database's clock: the one clock every worker shares, whatever its own says.

    A lease is judged against it, so a worker whose clock runs ahead does not see a live lease as run out
    and take a running job back. SQLite lives on one machine: its clock is that machine's.
    """
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        moment: datetime = cursor.fetchone()[0]
    return moment


def attempts_allowed() -> int:
    return config.JOB_MAX_ATTEMPTS.count("attempts")


def enqueue(kind: str, run_after: datetime, now: datetime, key: str | None = None) -> Job:
    return Job.objects.create(kind=check_kind(kind), run_after=run_after, created_at=now, key=key)


def enqueue_occurrences(occurrences: Iterable[Occurrence], now: datetime) -> list[Job]:
    """Queue the occurrences not queued yet, by this worker or any other; returns the new jobs."""
    made = []
    for occurrence in occurrences:
        if Job.objects.filter(key=occurrence.key).exists():
            continue
        try:
            # A savepoint: another worker may queue the same occurrence at this very moment.
            with transaction.atomic():
                made.append(enqueue(occurrence.kind, occurrence.run_after, now, key=occurrence.key))
        except IntegrityError:
            continue
    return made


def claim_next(worker: str, now: datetime, lease: timedelta) -> Job | None:
    """The oldest due job, now running for ``worker`` until ``now + lease``; None when nothing is due."""
    due = Job.objects.filter(state=JobState.QUEUED, run_after__lte=now).order_by("run_after", "id")
    if connection.features.has_select_for_update_skip_locked:
        candidates = list(due.select_for_update(skip_locked=True)[:1])
    else:
        candidates = list(due[:_CANDIDATES])
    for job in candidates:
        taken = Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.RUNNING,
            claimed_by=worker,
            claimed_at=now,
            lease_expires_at=now + lease,
            attempts=F("attempts") + 1,
        )
        if taken:
            job.refresh_from_db()
            return job
    return None


def _still_ours(job: Job) -> QuerySet[Job]:
    """The job, if it is still in the attempt ``job`` describes (the fencing check)."""
    return Job.objects.filter(pk=job.pk, state=JobState.RUNNING, claimed_by=job.claimed_by, attempts=job.attempts)


def finish(job: Job, outcome: Outcome, started_at: datetime, now: datetime) -> JobRun:
    """Mark the claimed ``job`` done; ``LeaseLost`` (and so a rollback) if it is no longer this attempt's."""
    kept = _still_ours(job).update(
        state=JobState.DONE, finished_at=now, result=outcome.as_json(), error="", lease_expires_at=None
    )
    if not kept:
        raise LeaseLost(
            f"job {job.pk} was taken back while attempt {job.attempts} ran (its lease ran out at "
            f"{_utc(job.lease_expires_at)}): what this attempt did was rolled back"
        )
    return _record(job, RunOutcome.DONE, outcome.summary, started_at, now)


def fail(job: Job, error: str, started_at: datetime, now: datetime) -> bool:
    """Mark the claimed ``job`` failed with ``error``; False if it was taken back meanwhile."""
    kept = _still_ours(job).update(state=JobState.FAILED, finished_at=now, error=error, lease_expires_at=None)
    if kept:
        _record(job, RunOutcome.FAILED, error, started_at, now)
    return bool(kept)


def take_back(job: Job, now: datetime, reason: str, max_attempts: int) -> str | None:
    """Give up the running attempt at ``job``: queued again, or failed once ``max_attempts`` were made.

    Returns the job's new state, or None when the attempt had already ended (another worker was first).
    """
    if job.attempts >= max_attempts:
        changes = {
            "state": JobState.FAILED,
            "finished_at": now,
            "error": f"gave up after {job.attempts} attempt(s): attempt {job.attempts} lost: {reason}",
        }
    else:
        changes = {
            "state": JobState.QUEUED,
            "claimed_by": "",
            "claimed_at": None,
            "error": f"attempt {job.attempts} of {max_attempts} lost: {reason}; queued again",
        }
    if not _still_ours(job).update(lease_expires_at=None, **changes):
        return None
    _record(job, RunOutcome.LOST, reason, job.claimed_at or now, now)
    return str(changes["state"])


def requeue_expired(now: datetime, max_attempts: int) -> list[tuple[Job, str]]:
    """Jobs whose worker stopped answering (lease run out), each with its new state."""
    expired = Job.objects.filter(state=JobState.RUNNING, lease_expires_at__lt=now).order_by("id")
    taken = []
    for job in expired:
        reason = f"worker {job.claimed_by} stopped answering (its lease ran out at {_utc(job.lease_expires_at)})"
        state = take_back(job, now, reason, max_attempts)
        if state is not None:
            taken.append((job, state))
    return taken


def _record(job: Job, outcome: str, message: str, started_at: datetime, now: datetime) -> JobRun:
    return JobRun.objects.create(
        job=job,
        attempt=job.attempts,
        worker=job.claimed_by,
        started_at=started_at,
        finished_at=now,
        outcome=outcome,
        message=message,
    )


def _utc(moment: datetime | None) -> str:
    return "?" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
