"""`referly worker` and `referly job add|list`."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table
from rich.text import Text

from referly.terminal import console, database_option, err_console

if TYPE_CHECKING:  # Django loads only when a command runs: `referly --help` stays quick
    from referly.jobs.models import Job
    from referly.jobs.worker import Worker

# The same as JobState's values (a test checks): click needs them before Django is loaded.
STATES = ("queued", "running", "done", "failed")
_STYLES = {"done": "green", "notice": "bold yellow", "failed": "red", "warning": "yellow"}


@click.command()
@click.option("--once", is_flag=True, help="Run the jobs that are due, then exit (e.g. from cron).")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    default=30.0,
    show_default=True,
    help="Seconds between two looks at the queue when it is empty.",
)
@click.option(
    "--max-jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Exit after taking up this many jobs (a supervisor restarts it).",
)
@click.option("--id", "worker_id", metavar="NAME", help="This worker's name in the queue. Default: HOST:PID.")
@database_option
def worker(once: bool, poll: float, max_jobs: int | None, worker_id: str | None) -> None:
    """Run background jobs (mailbox sync, scoring, referral refresh, review reminder) and the daily schedule.

    Several workers may run at once, on one machine or several: each job runs once. Ctrl-C or
    SIGTERM lets the job under way finish, then the worker exits.
    """
    from referly.database import describe, open_database

    open_database()
    from django.db import connection
    from django.utils import timezone

    from referly.jobs.queue import attempts_allowed, database_clock, lease_length
    from referly.jobs.worker import SQLITE_PAUSE, Worker

    name = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    runner = Worker(
        name,
        lease=lease_length(),
        max_attempts=attempts_allowed(),
        zone=timezone.get_current_timezone(),
        clock=database_clock,
        say=_say,
        pause=SQLITE_PAUSE if connection.vendor == "sqlite" else 0.0,
    )
    how = "running the jobs that are due" if once else f"looking for jobs every {poll:g} s"
    with _stop_on_signals(runner):
        console.print(
            f"Worker {name} started on the {describe()}, {how}; Ctrl-C or SIGTERM stops it after the job under way.",
            highlight=False,
        )
        tally = runner.work(once=once, poll=poll, max_jobs=max_jobs)
    given_back = f", {tally.given_back} given back" if tally.given_back else ""
    console.print(
        f"Worker {name} stopped: {tally.done} job(s) done, {tally.failed} failed{given_back}, "
        f"{tally.queued} scheduled job(s) queued.",
        highlight=False,
    )


def _say(text: str, style: str) -> None:
    console.print(text, style=_STYLES.get(style), markup=False, highlight=False)


@contextmanager
def _stop_on_signals(runner: Worker) -> Iterator[None]:
    """The first Ctrl-C or SIGTERM lets the job under way finish; a second Ctrl-C interrupts it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        del frame
        if runner.stopping.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if not runner.stopping.is_set():
            err_console.print("Stopping after the job under way (Ctrl-C again to interrupt it).", highlight=False)
        runner.stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.group()
def job() -> None:
    """Background jobs: queue one by hand, see the queue."""


@job.command("add")
@click.argument("kind")
@click.option(
    "--at",
    "at",
    metavar="DATETIME",
    help="Not before this time: 2026-11-24 09:00 (in REFERLY_TIME_ZONE) or ISO 8601 with an offset. Default: now.",
)
@database_option
def add(kind: str, at: str | None) -> None:
    """Queue a job of KIND (source-sync, score, referral-refresh, review-reminder) for the next worker.

    \b
    Example:
      referly job add source-sync --at "2026-11-24 09:00"
    """
    from referly.database import open_database, start_django

    start_django()
    from django.db import transaction
    from django.utils import timezone

    from referly.jobs.queue import check_kind, enqueue

    check_kind(kind)
    now = timezone.now()
    run_after = _moment(at) if at else now
    open_database()
    with transaction.atomic():
        made = enqueue(kind, run_after, now)
    console.print(
        f"Job {made.pk} ({kind}) queued to run after {_local(run_after)}. `referly worker` runs it.", highlight=False
    )


def _moment(text: str) -> datetime:
    from django.utils import timezone

    from referly.errors import InvalidInput

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--at {text!r} is not a date and time, e.g. 2026-11-24 09:00") from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _local(moment: datetime | None) -> str:
    from django.utils import timezone

    return "" if moment is None else f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def _row(j: Job) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": j.pk,
        "kind": j.kind,
        "state": j.state,
        "key": j.key,
        "run_after": iso(j.run_after),
        "attempts": j.attempts,
        "claimed_by": j.claimed_by or None,
        "claimed_at": iso(j.claimed_at),
        "lease_expires_at": iso(j.lease_expires_at),
        "finished_at": iso(j.finished_at),
        "result": j.result,
        "error": j.error or None,
    }


@job.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only the jobs in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_command(state: str | None, limit: int, as_json: bool) -> None:
    """Jobs, latest first: when each runs, who ran it, what it did or why it failed."""
    from referly.database import open_database

    open_database()
    from referly.jobs.models import Job

    found = Job.objects.all()
    if state:
        found = found.filter(state=state)
    jobs = list(found.order_by("-run_after", "-id")[:limit])
    if as_json:
        console.print_json(json.dumps([_row(j) for j in jobs]))
        return
    table = Table(show_edge=False)
    for column in ("Id", "Kind", "State", "Run after", "Attempts", "Worker", "Finished", "What happened"):
        table.add_column(column, overflow="fold")
    for j in jobs:
        table.add_row(
            str(j.pk),
            j.kind,
            j.state,
            _local(j.run_after),
            str(j.attempts),
            j.claimed_by,
            _local(j.finished_at),
            Text(j.summary),
        )
    console.print(table)
    if not jobs:
        console.print("No jobs yet: `referly worker` queues the daily ones; `referly job add KIND` queues one now.")
