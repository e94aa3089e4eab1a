"""The delivery pass against a real SMTP server: down, refusing the login or the message, the hourly limit,
the last try, and the worker's pass that runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from referly.jobs.worker import Worker
from referly.notices.models import Notice
from referly.outbox.delivery import deliver_due
from referly.outbox.models import OutboxMessage
from referly.outbox.services import queue_ask
from referly.outbox.timing import add_working_days
from tests.factories import make_teammate
from tests.mail_server import Inbox, _free_port, smtp_server
from tests.outbox.sending import NOW, ready_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server(tls_folder=tmp_path, users={"relay": "right"}) as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url_for("relay"))
        monkeypatch.setenv("REFERLY_SMTP_CA_FILE", str(inbox.ca_file))
        yield inbox


def _state(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


def test_a_server_down_keeps_the_message_queued_then_fails_it_after_the_last_try_and_tells_the_owner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFERLY_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("REFERLY_SMTP_MAX_ATTEMPTS", "3")
    queued = queue_ask(ready_referral().referral, now=NOW)

    assert deliver_due(NOW)["retry"] == 1
    first = _state(queued)
    assert (first.state, first.attempts, first.next_try_at) == ("queued", 1, NOW + timedelta(minutes=1))
    assert "refused" in first.last_error.lower()
    assert deliver_due(NOW + timedelta(seconds=30))["retry"] == 0  # not due yet
    assert deliver_due(NOW + timedelta(minutes=1))["retry"] == 1
    assert _state(queued).next_try_at == NOW + timedelta(minutes=6)
    assert deliver_due(NOW + timedelta(minutes=6))["failed"] == 1

    failed = _state(queued)
    assert (failed.state, failed.attempts) == ("failed", 3)
    notice = Notice.objects.get(kind="send_failed")
    assert notice.teammate == queued.owner and "after 3 tries" in notice.text and failed.last_error in notice.text
    assert [c.to_state for c in failed.changes.all()] == ["queued", *["sending", "queued"] * 2, "sending", "failed"]


def test_a_refused_login_is_retried_with_the_servers_sentence(server: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_SMTP_URL", server.url_for("relay", "wrong"))
    queued = queue_ask(ready_referral().referral, now=NOW)
    deliver_due(NOW)
    kept = _state(queued)
    assert kept.state == "queued" and kept.last_error.startswith("535")
    assert server.messages == []
    monkeypatch.setenv("REFERLY_SMTP_URL", server.url_for("relay"))
    assert deliver_due(NOW + timedelta(minutes=1))["sent"] == 1
    assert len(server.messages) == 1 and _state(queued).last_error == ""


def test_a_temporary_refusal_is_retried_and_a_refused_recipient_fails_at_once(server: Inbox) -> None:
    server.refuse_data = "451 4.3.0 Mailbox busy, try later"
    queued = queue_ask(ready_referral().referral, now=NOW)
    deliver_due(NOW)
    assert (_state(queued).state, _state(queued).last_error) == ("queued", "451 4.3.0 Mailbox busy, try later")
    server.refuse_data = "550 5.1.1 No such user"
    deliver_due(NOW + timedelta(minutes=1))
    assert (_state(queued).state, _state(queued).last_error) == ("failed", "550 5.1.1 No such user")


def test_an_owner_over_the_hourly_limit_waits_for_the_next_hour(server: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_SMTP_HOURLY_LIMIT", "2")
    owner = make_teammate("Ana Ruiz", email="ana@ourco.example")
    other = make_teammate("Bo Lin", email="bo@ourco.example")
    mine = [queue_ask(ready_referral(owner=owner).referral, now=NOW + timedelta(minutes=i)) for i in range(3)]
    theirs = queue_ask(ready_referral(owner=other).referral, now=NOW + timedelta(minutes=3))

    tally = deliver_due(NOW + timedelta(minutes=5))
    assert (tally["sent"], tally["held"]) == (3, 1)
    assert [_state(m).state for m in mine] == ["sent", "sent", "queued"]
    assert _state(theirs).state == "sent"  # one owner's limit never holds another's
    assert _state(mine[2]).next_try_at == NOW + timedelta(minutes=5, hours=1)
    assert deliver_due(NOW + timedelta(minutes=30))["sent"] == 0
    assert deliver_due(NOW + timedelta(minutes=65))["sent"] == 1
    assert len(server.messages) == 4


def test_follow_ups_are_due_after_working_days() -> None:
    friday = NOW.date() + timedelta(days=4)
    assert add_working_days(friday, 1) == friday + timedelta(days=3)
    assert add_working_days(friday, 5) == friday + timedelta(days=7)


def test_the_worker_sends_on_every_pass_and_says_how_many(server: Inbox) -> None:
    queue_ask(ready_referral().referral, now=NOW)
    lines: list[str] = []
    worker = Worker(
        "w1",
        lease=timedelta(minutes=10),
        max_attempts=3,
        zone=UTC,
        schedule=(),
        clock=lambda: NOW,
        say=lambda text, style: lines.append(text),
        webhooks=None,
    )
    worker.work(once=True)
    assert "Outbox: 1 sent." in lines
    assert len(server.messages) == 1


def test_one_failing_sender_never_stops_the_worker(server: Inbox) -> None:
    queue_ask(ready_referral().referral, now=NOW)
    lines: list[str] = []

    def broken(now: object) -> dict[str, int]:
        raise RuntimeError("digest template missing")

    worker = Worker(
        "w1",
        lease=timedelta(minutes=10),
        max_attempts=3,
        zone=UTC,
        schedule=(),
        clock=lambda: NOW,
        say=lambda text, style: lines.append(text),
        webhooks=None,
        mail=(("Digests", broken), ("Outbox", deliver_due)),
    )
    worker.work(once=True)
    assert any(line.startswith("Digests failed") and "digest template missing" in line for line in lines)
    assert "Outbox: 1 sent." in lines
