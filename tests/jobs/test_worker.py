"""The worker in one process: each job in its own transaction, failures recorded, stopping politely."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from referly.errors import InvalidInput
from referly.jobs.commands import STATES
from referly.jobs.handlers import HANDLERS, Handler, Outcome, review_reminder
from referly.jobs.models import Job, JobRun, JobState
from referly.jobs.queue import claim_next, enqueue, requeue_expired
from referly.jobs.schedule import SCHEDULE, Recurring
from referly.jobs.worker import Worker
from referly.reports.models import Review
from referly.scoring.models import ScoreRun

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
pytestmark = pytest.mark.django_db


def make_worker(
    name: str = "w1", handlers: dict[str, Handler] | None = None, schedule: tuple[Recurring, ...] = ()
) -> tuple[Worker, list[str]]:
    """A worker on a fixed clock, with no schedule unless given one; ``said`` collects what it prints."""
    said: list[str] = []
    worker = Worker(
        name,
        lease=LEASE,
        max_attempts=3,
        zone=UTC,
        handlers=HANDLERS if handlers is None else handlers,
        schedule=schedule,
        clock=lambda: NOW,
        say=lambda text, style: said.append(text),
    )
    return worker, said


def write_a_review(now: datetime) -> None:
    """A handler's side effect that a rollback must undo."""
    Review.objects.create(month=date(2026, 10, 1), created_at=now)


def test_a_failing_job_is_recorded_failed_and_what_it_did_is_rolled_back() -> None:
    def refused(now: datetime) -> Outcome:
        write_a_review(now)
        raise InvalidInput("REFERLY_SCORING names no such file")

    def buggy(now: datetime) -> Outcome:
        write_a_review(now)
        raise ValueError("a bug in the handler")

    expected = enqueue("score", NOW, NOW)
    unexpected = enqueue("referral-refresh", NOW, NOW)
    worker, said = make_worker(handlers={"score": refused, "referral-refresh": buggy})
    tally = worker.work(once=True)

    assert (tally.done, tally.failed) == (0, 2)
    assert not Review.objects.exists()
    expected.refresh_from_db()
    unexpected.refresh_from_db()
    assert (expected.state, expected.error) == ("failed", "REFERLY_SCORING names no such file")
    assert unexpected.state == "failed"
    assert unexpected.error.startswith("Traceback (most recent call last):")
    assert unexpected.error.rstrip().endswith("ValueError: a bug in the handler")
    assert unexpected.summary == "ValueError: a bug in the handler"
    assert list(JobRun.objects.order_by("job_id").values_list("outcome", "worker")) == [("failed", "w1")] * 2
    assert not any("Traceback" in line for line in said)
    assert f"Job {expected.pk} (score) failed: REFERLY_SCORING names no such file" in said
    assert any(line.startswith(f"Job {unexpected.pk} (referral-refresh) failed: ValueError") for line in said)


def test_a_worker_whose_lease_ran_out_cannot_finish_the_job_and_its_work_is_rolled_back() -> None:
    def writes(now: datetime) -> Outcome:
        write_a_review(now)
        return Outcome("wrote a review")

    job = enqueue("review-reminder", NOW, NOW)
    slow = claim_next("slow", NOW, LEASE)
    assert slow is not None
    requeue_expired(NOW + LEASE * 2, max_attempts=3)
    assert claim_next("fast", NOW + LEASE * 2, LEASE) is not None

    worker, said = make_worker("slow", {"review-reminder": writes})
    worker.run(slow)  # the slow worker comes back and tries to finish attempt 1

    assert worker.tally.given_back == 1
    assert not Review.objects.exists()
    job.refresh_from_db()
    assert (job.state, job.claimed_by, job.attempts) == ("running", "fast", 2)
    assert list(JobRun.objects.values_list("attempt", "outcome")) == [(1, "lost")]
    assert "taken back while attempt 1 ran" in said[0]


def test_stopping_lets_the_job_under_way_finish_and_leaves_the_rest_queued() -> None:
    worker, _ = make_worker()

    def stopped_midway(now: datetime) -> Outcome:
        worker.stop()  # what Ctrl-C or SIGTERM does
        return Outcome("finished anyway")

    worker.handlers = {"review-reminder": stopped_midway}
    jobs = [enqueue("review-reminder", NOW, NOW) for _ in range(3)]
    tally = worker.work(poll=3600)  # returns without waiting: it was asked to stop

    assert tally.done == 1
    states = [Job.objects.get(pk=j.pk).state for j in jobs]
    assert states == ["done", "queued", "queued"]


def test_max_jobs_ends_the_worker_after_that_many() -> None:
    for _ in range(5):
        enqueue("review-reminder", NOW, NOW)
    worker, _ = make_worker(handlers={"review-reminder": lambda now: Outcome("ok")})
    assert worker.work(poll=3600, max_jobs=2).done == 2
    assert Job.objects.filter(state=JobState.QUEUED).count() == 3


def test_once_also_runs_the_schedules_occurrences_with_the_real_handlers() -> None:
    worker, said = make_worker(schedule=SCHEDULE)
    tally = worker.work(once=True)

    assert (tally.queued, tally.done, tally.failed) == (4, 4, 0)
    results = {j.kind: j.result for j in Job.objects.all()}
    assert results["score"]["run"] == ScoreRun.objects.get().pk
    assert results["referral-refresh"]["no_response"] == 0
    assert results["review-reminder"]["summary"] == "no review yet: time for the first monthly referral review"
    assert "Job" in said[-1] and "review-reminder" in said[-1]


@pytest.mark.parametrize(
    ("created", "text", "due"),
    [
        (NOW - timedelta(days=12), "last review 2026-10, 12 days ago: up to date", False),
        (NOW - timedelta(days=30), "last review 2026-10, 30 days ago: up to date", False),
        (
            NOW - timedelta(days=30, seconds=1),
            "last review 2026-10, 30 days ago: the monthly referral review is due",
            True,
        ),
        (NOW - timedelta(days=45), "last review 2026-10, 45 days ago: the monthly referral review is due", True),
    ],
)
def test_the_review_reminder_says_when_the_last_review_was_and_whether_one_is_due(
    created: datetime, text: str, due: bool
) -> None:
    outcome = review_reminder((date(2026, 10, 1), created), NOW)
    assert (outcome.summary, outcome.notice, outcome.figures["due"]) == (text, due, due)
    assert review_reminder(None, NOW).summary == "no review yet: time for the first monthly referral review"


def test_the_review_reminder_job_reads_the_latest_review() -> None:
    Review.objects.create(month=date(2026, 9, 1), created_at=NOW - timedelta(days=70))
    Review.objects.create(month=date(2026, 10, 1), created_at=NOW - timedelta(days=40))
    outcome = HANDLERS["review-reminder"](NOW)
    assert outcome.summary == "last review 2026-10, 40 days ago: the monthly referral review is due"


def test_the_list_commands_states_are_the_models() -> None:
    assert list(STATES) == list(JobState.values)


def test_losing_the_database_stops_a_once_worker_and_a_long_running_one_tries_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import OperationalError

    from referly.errors import Unavailable

    worker, said = make_worker()
    calls = []

    def unreachable_once(*args: object) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        worker.stop()  # the second look succeeded (nothing due): end the test there

    monkeypatch.setattr("referly.jobs.worker.claim_next", unreachable_once)
    worker.work(poll=0.01)
    assert len(calls) == 2
    assert any(line.endswith("server closed the connection unexpectedly; trying again in 0.01 s") for line in said)

    calls.clear()
    worker.stopping.clear()
    with pytest.raises(Unavailable, match="server closed the connection unexpectedly"):
        worker.work(once=True)


def test_a_job_interrupted_at_once_is_rolled_back_and_queued_again() -> None:
    def interrupted(now: datetime) -> Outcome:
        write_a_review(now)
        raise KeyboardInterrupt  # a second Ctrl-C

    job = enqueue("review-reminder", NOW, NOW)
    worker, _ = make_worker(handlers={"review-reminder": interrupted})
    with pytest.raises(KeyboardInterrupt):
        worker.work(once=True)

    assert not Review.objects.exists()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.claimed_by) == ("queued", 1, "")
    assert list(JobRun.objects.values_list("outcome", "message")) == [("lost", "interrupted on worker w1")]
