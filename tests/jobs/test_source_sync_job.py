"""The daily source sync as a worker job: it commits as it goes (outside the job's transaction), names each
source's result, and fails only when every source failed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import Result
from django.db import connection

from referly.capture.sources import add_imap_source
from referly.crm.models import Interaction
from referly.jobs.handlers import HANDLERS, Outcome
from referly.jobs.models import Job, JobState
from referly.jobs.queue import enqueue
from referly.jobs.worker import Worker
from referly.reports.models import Review
from tests.capture.dovecot import Dovecot, free_port, message, need_dovecot, running_dovecot
from tests.factories import make_account

NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
ALICE = "alice@example.com"
pytestmark = pytest.mark.django_db(transaction=True)  # the job commits as it goes: no test transaction around it


def worker(handlers: Any = HANDLERS) -> Worker:
    return Worker("w1", lease=timedelta(minutes=10), max_attempts=3, zone=UTC, handlers=handlers, schedule=(),
                  clock=lambda: NOW, webhooks=None)  # fmt: skip


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    need_dovecot()
    with running_dovecot() as server:
        yield server


def add(port: int, ca_file: str, username: str = ALICE) -> int:
    return add_imap_source(
        host="127.0.0.1", port=port, security="tls", username=username, password="alice-secret", token_command="",
        folders=[], owner_email=ALICE, ca_file=ca_file, now=NOW,
    ).pk  # fmt: skip


def test_the_sync_runs_outside_the_jobs_transaction_and_keeps_its_work_if_the_job_is_taken_back() -> None:
    seen: dict[str, bool] = {}

    def sync(now: datetime) -> Outcome:
        seen["source-sync"] = connection.in_atomic_block
        Review.objects.create(month=datetime(2026, 11, 1).date(), created_at=now)
        Job.objects.filter(kind="source-sync").update(claimed_by="another worker")  # taken back meanwhile
        return Outcome("synced")

    def score(now: datetime) -> Outcome:
        seen["score"] = connection.in_atomic_block
        return Outcome("scored")

    enqueue("source-sync", NOW, NOW)
    enqueue("score", NOW, NOW)
    tally = worker({"source-sync": sync, "score": score}).work(once=True)
    assert seen == {"source-sync": False, "score": True}
    assert (tally.done, tally.given_back) == (1, 1)
    assert Review.objects.count() == 1  # committed as it went, though the job could not be marked done


def test_the_job_syncs_every_source_and_names_the_one_that_failed(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]
) -> None:
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "example.com")
    make_account("Acme", domain="acme.example")
    dovecot.append(ALICE, "INBOX", [message("Jane Roe <jane@acme.example>", ALICE, NOW - timedelta(days=1))])
    good = add(dovecot.imaps_port, str(dovecot.ca_file))
    closed = free_port()
    bad = add(closed, "", username="sales@example.com")
    job = enqueue("source-sync", NOW, NOW)

    tally = worker().work(once=True)
    assert (tally.done, tally.failed) == (1, 0)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["notice"] is True
    assert job.result["summary"] == (
        f"1 of 2 source(s) synced, 1 interaction(s) added: source {good} (imap 127.0.0.1:{dovecot.imaps_port}): "
        f"1 read, 1 added; source {bad} (imap 127.0.0.1:{closed}) failed: imap 127.0.0.1:{closed}: cannot "
        f"connect (connection refused)"
    )
    assert [s.get("error") for s in job.result["sources"]] == [
        None, f"imap 127.0.0.1:{closed}: cannot connect (connection refused)"
    ]  # fmt: skip
    assert Interaction.objects.count() == 1
    assert "alice-secret" not in json.dumps(job.result)

    listed = cli("job", "list", "--json")
    assert json.loads(listed.output)[0]["result"]["summary"] == job.result["summary"]
    table = cli("job", "list")
    assert "source-sync" in table.output and "1 of 2 source(s) synced" in table.output


def test_the_job_fails_when_every_source_failed_and_succeeds_when_there_is_none() -> None:
    assert HANDLERS["source-sync"](NOW).summary == "no mailbox or calendar to sync (`referly source add` adds one)"
    closed = free_port()
    source = add(closed, "")
    job = enqueue("source-sync", NOW, NOW)
    assert worker().work(once=True).failed == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.summary == (
        f"every source failed: source {source} (imap 127.0.0.1:{closed}) failed: imap 127.0.0.1:{closed}: "
        f"cannot connect (connection refused)"
    )
