"""The worker: it queues the schedule's due occurrences, then runs due jobs one at a time, until told to stop.

Each job runs in a transaction of its own, which also marks it done: the job's work and its "done"
commit together or not at all (a kind that commits its own work as it goes, like a mailbox sync, runs
outside it: only its "done" is atomic). A worker that dies mid-job leaves nothing of that attempt behind, and
its job is taken back by another worker once the lease runs out.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from referly.connect.sending import deliver_webhooks
from referly.database import database_errors
from referly.errors import ReferlyError, Unavailable
from referly.jobs.handlers import COMMITS_ITS_OWN_WORK, HANDLERS, Handler
from referly.jobs.models import Job, JobState
from referly.jobs.queue import LeaseLost, claim_next, enqueue_occurrences, fail, finish, requeue_expired, take_back
from referly.jobs.schedule import SCHEDULE, Recurring, due_occurrences

Webhooks = Callable[[Callable[[], datetime]], dict[str, int]]
Mail = Callable[[datetime], dict[str, int]]

# SQLite has one write lock, and a writer waiting for it (the web app, another worker) only looks again
# every 100 ms or so: a worker draining many short jobs back to back would keep it out. Pausing this
# long between two jobs gives the lock away most of the time, at the cost of a second per hundred jobs.
SQLITE_PAUSE = 0.01

# A line of the worker's log and its style: "", "done", "notice" (someone should act), "failed", "warning".
Say = Callable[[str, str], None]


def _quiet(text: str, style: str) -> None:
    del text, style


@dataclass
class Tally:
    done: int = 0
    failed: int = 0
    given_back: int = 0
    queued: int = 0

    @property
    def jobs(self) -> int:
        """Jobs this worker took up, whatever became of them."""
        return self.done + self.failed + self.given_back


class Worker:
    def __init__(
        self,
        name: str,
        *,
        lease: timedelta,
        max_attempts: int,
        zone: tzinfo,
        handlers: Mapping[str, Handler] = HANDLERS,
        schedule: tuple[Recurring, ...] = SCHEDULE,
        clock: Callable[[], datetime] = timezone.now,
        say: Say = _quiet,
        pause: float = 0.0,
        webhooks: Webhooks | None = deliver_webhooks,
        mail: tuple[tuple[str, Mail], ...] | None = None,
    ) -> None:
        self.name = name
        self.lease = lease
        self.max_attempts = max_attempts
        self.zone = zone
        self.handlers = handlers
        self.schedule = schedule
        self.clock = clock
        self.say = say
        self.pause = pause
        self.webhooks = webhooks
        self.mail = mail_senders() if mail is None else mail
        self.tally = Tally()
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Finish the job under way, then stop (safe to call from a signal handler)."""
        self.stopping.set()

    def work(self, *, once: bool = False, poll: float = 30.0, max_jobs: int | None = None) -> Tally:
        """Run until stopped; ``once``: until nothing is due; ``max_jobs``: until that many jobs were taken up.

        Losing the database for a while does not stop a long-running worker: it says so and tries again
        at the next poll. With ``once`` it is an error (``Unavailable``).
        """
        while not self.stopping.is_set():
            try:
                with database_errors():
                    self.upkeep()
                    self.deliver()
                    self.send_mail()
                    while not self.stopping.is_set() and not self._enough(max_jobs):
                        if self.run_next() is None:
                            break
                        self.stopping.wait(self.pause)
            except Unavailable as exc:
                if once:
                    raise
                self.say(f"{exc}; trying again in {poll:g} s", "warning")
                if not connection.in_atomic_block:  # a broken connection is replaced at the next query
                    with contextlib.suppress(DatabaseError):
                        connection.close()
            if once or self._enough(max_jobs):
                break
            self.stopping.wait(poll)
        return self.tally

    def _enough(self, max_jobs: int | None) -> bool:
        return max_jobs is not None and self.tally.jobs >= max_jobs

    def upkeep(self) -> None:
        """Take back the jobs of workers that stopped answering; queue the schedule's due occurrences."""
        now = self.clock()
        with transaction.atomic():
            taken = requeue_expired(now, self.max_attempts)
        for job, state in taken:
            self.say(f"Job {job.pk} ({job.kind}): attempt {job.attempts} lost by {job.claimed_by}; {state}.", "warning")
        with transaction.atomic():
            queued = enqueue_occurrences(due_occurrences(now, self.zone, self.schedule), now)
        for job in queued:
            self.tally.queued += 1
            self.say(f"Queued job {job.pk}: {job.kind} for {job.key}.", "")

    def deliver(self) -> None:
        """Send the webhook deliveries that are due (between jobs: a receiver never delays a job long)."""
        if self.webhooks is None:
            return
        tally = self.webhooks(self.clock)
        if tally["delivered"] or tally["gave_up"] or tally["disabled"]:
            self.say(
                f"Webhooks: {tally['delivered']} delivered, {tally['retry']} to try again, "
                f"{tally['gave_up']} given up, {tally['disabled']} subscription(s) disabled.",
                "failed" if tally["disabled"] else "",
            )

    def send_mail(self) -> None:
        """Hand the due outbox messages and digests to the SMTP server; a failure of one is said, never fatal."""
        for what, send in self.mail:
            try:
                tally = send(self.clock())
            except ReferlyError as exc:
                self.say(f"{what}: {exc}", "warning")
                continue
            except Exception:
                self.say(f"{what} failed: {traceback.format_exc()}", "failed")
                continue
            if any(tally.values()):
                counts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in tally.items() if count)
                self.say(f"{what}: {counts}.", "failed" if tally.get("failed") else "")

    def run_next(self) -> Job | None:
        """Claim the oldest due job and run it; None when nothing is due."""
        with transaction.atomic():
            job = claim_next(self.name, self.clock(), self.lease)
        if job is not None:
            self.run(job)
        return job

    def run(self, job: Job) -> None:
        """Run a claimed job in its own transaction, and record what became of it."""
        started = self.clock()
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise Unavailable(f"this version of Referly cannot run {job.kind} jobs")
            if job.kind in COMMITS_ITS_OWN_WORK:
                outcome = handler(started)  # what it did stays even if the job cannot be marked done
                with transaction.atomic():
                    finish(job, outcome, started, self.clock())
            else:
                with transaction.atomic():
                    outcome = handler(started)
                    finish(job, outcome, started, self.clock())
        except LeaseLost as exc:
            self.tally.given_back += 1
            self.say(f"Job {job.pk} ({job.kind}): {exc}.", "warning")
            return
        except ReferlyError as exc:
            error = str(exc)
        except KeyboardInterrupt:
            # Asked to stop at once: the attempt was rolled back; hand the job back rather than wait for its lease.
            with contextlib.suppress(DatabaseError), transaction.atomic():
                take_back(job, self.clock(), f"interrupted on worker {self.name}", self.max_attempts)
            raise
        except Exception:
            error = traceback.format_exc()
        else:
            self.tally.done += 1
            self.say(f"Job {job.pk} ({job.kind}) done: {outcome.summary}.", "notice" if outcome.notice else "done")
            return
        with transaction.atomic():
            recorded = fail(job, error, started, self.clock())
        if not recorded:
            self.tally.given_back += 1
            self.say(f"Job {job.pk} ({job.kind}) failed after it was taken back; not recorded: {error}", "warning")
            return
        self.tally.failed += 1
        job.error = error
        job.state = JobState.FAILED
        kept = " (its traceback is kept: referly job list --state failed --json)" if _unexpected(error) else ""
        self.say(f"Job {job.pk} ({job.kind}) failed: {job.summary}{kept}", "failed")


def mail_senders() -> tuple[tuple[str, Mail], ...]:
    """The outbox's deliveries, the follow-ups whose day has come, and the daily digests."""
    from referly.notices.digest import send_due
    from referly.outbox.delivery import deliver_due
    from referly.outbox.followups import upkeep

    return (("Outbox", deliver_due), ("Follow-ups", upkeep), ("Digests", send_due))


def _unexpected(error: str) -> bool:
    return error.startswith("Traceback")
