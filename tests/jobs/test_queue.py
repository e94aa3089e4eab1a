"""The queue's rules: who gets a job, what happens when a worker vanishes, and the daily schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from referly.errors import InvalidInput, Unavailable
from referly.jobs.models import Job, JobRun
from referly.jobs.queue import (
    attempts_allowed,
    check_kind,
    claim_next,
    enqueue,
    enqueue_occurrences,
    lease_length,
    requeue_expired,
)
from referly.jobs.schedule import due_occurrences

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
pytestmark = pytest.mark.django_db


def test_due_jobs_are_claimed_oldest_first_each_by_one_worker_and_not_before_their_time() -> None:
    later = enqueue("score", NOW - timedelta(hours=1), NOW)
    first = enqueue("review-reminder", NOW - timedelta(hours=2), NOW)
    enqueue("referral-refresh", NOW + timedelta(minutes=1), NOW)

    a = claim_next("w1", NOW, LEASE)
    b = claim_next("w2", NOW, LEASE)
    assert (a and a.pk, b and b.pk) == (first.pk, later.pk)
    assert claim_next("w1", NOW, LEASE) is None  # the third is not due for a minute
    assert a is not None
    assert (a.state, a.claimed_by, a.attempts, a.lease_expires_at) == ("running", "w1", 1, NOW + LEASE)
    assert claim_next("w3", NOW + timedelta(minutes=1), LEASE) is not None


def test_a_job_whose_worker_stopped_answering_is_queued_again_once_its_lease_runs_out() -> None:
    job = enqueue("score", NOW, NOW)
    claim_next("w1", NOW, LEASE)

    assert requeue_expired(NOW + LEASE - timedelta(seconds=1), max_attempts=3) == []
    taken = requeue_expired(NOW + LEASE + timedelta(seconds=1), max_attempts=3)
    assert [(j.pk, state) for j, state in taken] == [(job.pk, "queued")]
    job.refresh_from_db()
    assert (job.state, job.attempts, job.claimed_by, job.lease_expires_at) == ("queued", 1, "", None)
    assert job.error.startswith("attempt 1 of 3 lost: worker w1 stopped answering")
    run = JobRun.objects.get(job=job)
    assert (run.attempt, run.worker, run.outcome) == (1, "w1", "lost")

    again = claim_next("w2", NOW + LEASE * 2, LEASE)
    assert again is not None and (again.pk, again.attempts, again.claimed_by) == (job.pk, 2, "w2")


def test_a_job_lost_as_many_times_as_allowed_fails_with_the_reason() -> None:
    job = enqueue("score", NOW, NOW)
    moment = NOW
    states = []
    for _ in range(3):
        assert claim_next("w1", moment, LEASE) is not None
        moment += LEASE * 2
        states += [state for _, state in requeue_expired(moment, max_attempts=3)]
    assert states == ["queued", "queued", "failed"]
    job.refresh_from_db()
    assert (job.state, job.attempts, job.finished_at) == ("failed", 3, moment)
    assert job.error.startswith("gave up after 3 attempt(s): attempt 3 lost: worker w1 stopped answering")
    assert list(JobRun.objects.filter(job=job).values_list("attempt", "outcome")) == [
        (1, "lost"),
        (2, "lost"),
        (3, "lost"),
    ]
    assert claim_next("w1", moment, LEASE) is None


def test_the_schedule_queues_each_daily_occurrence_once_however_often_it_is_read() -> None:
    assert len(enqueue_occurrences(due_occurrences(NOW, UTC), NOW)) == 4
    assert enqueue_occurrences(due_occurrences(NOW, UTC), NOW) == []
    assert enqueue_occurrences(due_occurrences(NOW + timedelta(hours=5), UTC), NOW) == []
    assert sorted(j.key or "" for j in Job.objects.all()) == [
        "referral-refresh:2026-11-24",
        "review-reminder:2026-11-24",
        "score:2026-11-24",
        "source-sync:2026-11-24",
    ]
    next_day = enqueue_occurrences(due_occurrences(NOW + timedelta(days=1), UTC), NOW)
    assert sorted(j.key or "" for j in next_day) == [
        "referral-refresh:2026-11-25",
        "review-reminder:2026-11-25",
        "score:2026-11-25",
        "source-sync:2026-11-25",
    ]


def test_each_recurring_job_is_due_from_its_local_time_of_day() -> None:
    early = {o.kind: o for o in due_occurrences(datetime(2026, 11, 24, 3, 29, tzinfo=UTC), UTC)}
    assert {o.day for o in early.values()} == {date(2026, 11, 23)}
    at_four = {o.kind: o.key for o in due_occurrences(datetime(2026, 11, 24, 4, 0, tzinfo=UTC), UTC)}
    assert at_four == {
        "referral-refresh": "referral-refresh:2026-11-24",
        "score": "score:2026-11-23",
        "review-reminder": "review-reminder:2026-11-23",
        "source-sync": "source-sync:2026-11-24",
    }
    paris = ZoneInfo("Europe/Paris")  # UTC+1 in November: 03:30 UTC is 04:30 in Paris
    local = {o.kind: o for o in due_occurrences(datetime(2026, 11, 24, 3, 30, tzinfo=UTC), paris)}
    assert local["score"].key == "score:2026-11-24"
    assert local["score"].run_after == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    assert local["review-reminder"].key == "review-reminder:2026-11-23"


def test_an_unknown_kind_is_refused_with_the_kinds_there_are() -> None:
    with pytest.raises(InvalidInput, match="the kinds are score, referral-refresh, review-reminder"):
        check_kind("scoring")


def test_lease_and_attempts_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (lease_length(), attempts_allowed()) == (timedelta(minutes=60), 3)
    monkeypatch.setenv("REFERLY_JOB_LEASE_MINUTES", "soon")
    with pytest.raises(Unavailable, match="REFERLY_JOB_LEASE_MINUTES must be a whole number of minutes"):
        lease_length()
    monkeypatch.setenv("REFERLY_JOB_MAX_ATTEMPTS", "0")
    with pytest.raises(Unavailable, match="REFERLY_JOB_MAX_ATTEMPTS must be at least 1"):
        attempts_allowed()
