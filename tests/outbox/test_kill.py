"""A worker killed (SIGKILL) while the SMTP server holds its message, between DATA and "250 OK": the next worker
never sends it again. It finds it in the owner's Sent folder (a real Dovecot) and says sent, or says unknown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.capture import dovecot
from tests.conftest import ROOT
from tests.mail_server import Inbox, smtp_server

SEED = """
from django.db import transaction
from django.utils import timezone
from referly.database import open_database
open_database()
from referly.crm.models import Account, Contact, Signal, Teammate
from referly.crm.services import add_record
from referly.outbox.services import queue_ask
from referly.referrals.models import Referral

now = timezone.now()
with transaction.atomic():
    owner = add_record(Teammate(name="Ana Ruiz", email="ana@ourco.example"))
    client = add_record(Account(name="Client Co", domain="client.example", lifecycle="client"))
    target = add_record(Account(name="Target Co", domain="target.example"))
    sponsor = add_record(Contact(account=client, first_name="Jane", last_name="Doe", email="jane@client.example"))
    Signal.objects.create(account=client, contact=sponsor, kind="measured_success", occurred_on=now.date(),
                          detail="Cut onboarding time by 42%")
    referral = Referral.objects.create(referrer_contact=sponsor, referrer_account=client, target_account=target,
                                       owner=owner, created_at=now, stage_changed_at=now)
    message = queue_ask(referral, now=now)
    if SOURCE:
        from referly.capture.sources import add_imap_source
        add_imap_source(host="127.0.0.1", port=SOURCE["port"], security="tls", username="alice@example.com",
                        password="alice-secret", token_command="", folders=[], owner_email="ana@ourco.example",
                        ca_file=SOURCE["ca_file"], now=now)
print(message.message_id)
"""

AGE = """
from datetime import timedelta
from referly.database import open_database
open_database()
from referly.outbox.models import MessageChange
for change in MessageChange.objects.all():
    MessageChange.objects.filter(pk=change.pk).update(at=change.at - timedelta(minutes=3))
"""

STATE = """
import json
from referly.database import open_database
open_database()
from referly.notices.models import Notice
from referly.outbox.models import OutboxMessage
m = OutboxMessage.objects.get()
notices = list(Notice.objects.values_list("kind", flat=True))
notes = [c.note for c in m.changes.all()]
print(json.dumps({"state": m.state, "attempts": m.attempts, "sent": m.sent_at is not None, "notes": notes,
                  "notices": notices}))
"""


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def environment(scratch_database: dict[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, str], Inbox]]:
    with smtp_server(tls_folder=tmp_path, users={"relay": "right"}) as inbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
        env.update(scratch_database)
        env.update(
            REFERLY_SMTP_URL=inbox.url_for("relay"),
            REFERLY_SMTP_CA_FILE=str(inbox.ca_file),
            REFERLY_SECRET_KEY="kill-test-key",
            PYTHONPATH=str(ROOT / "src"),
        )
        yield env, inbox


def _kill_mid_send(env: dict[str, str], inbox: Inbox) -> None:
    """Start a worker, let the server hold its message after DATA, and kill the worker there."""
    inbox.hold.set()
    worker = subprocess.Popen(
        [sys.executable, "-m", "referly", "worker", "--poll", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert inbox.held.wait(120), "the worker never reached the server"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    assert worker.returncode == -signal.SIGKILL
    inbox.hold.clear()
    inbox.release.set()  # the server's "250 OK" goes to a dead socket


def _restart(env: dict[str, str]) -> str:
    _python(AGE, env)  # minutes pass: the message has been in `sending` longer than any conversation lasts
    done = subprocess.run(
        [sys.executable, "-m", "referly", "worker", "--once"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_message_left_in_sending_without_a_mailbox_is_unknown_and_never_sent_twice(
    environment: tuple[dict[str, str], Inbox],
) -> None:
    env, inbox = environment
    message_id = _python("SOURCE = None\n" + SEED, env)
    _kill_mid_send(env, inbox)
    assert json.loads(_python(STATE, env))["state"] == "sending"

    said = _restart(env)
    state = json.loads(_python(STATE, env))
    assert "Outbox: 1 unknown." in said, said
    assert (state["state"], state["attempts"], state["sent"]) == ("unknown", 1, False)
    assert "no mailbox source" in state["notes"][-1] and state["notices"] == ["send_failed"]
    assert len(inbox.with_id(message_id)) == 1 and len(inbox.messages) == 1


def test_a_message_left_in_sending_found_in_the_sent_folder_is_sent_and_never_sent_twice(
    environment: tuple[dict[str, str], Inbox],
) -> None:
    dovecot.need_dovecot()
    env, inbox = environment
    with dovecot.running_dovecot() as imap:
        source = {"port": imap.imaps_port, "ca_file": str(imap.ca_file)}
        message_id = _python(f"SOURCE = {source!r}\n" + SEED, env)
        _kill_mid_send(env, inbox)
        imap.append("alice@example.com", "Sent", inbox.raw)  # the owner's server filed what it took

        said = _restart(env)
    state = json.loads(_python(STATE, env))
    assert "Outbox: 1 found sent." in said
    assert (state["state"], state["attempts"], state["sent"]) == ("sent", 1, True)
    assert "found in imap 127.0.0.1" in state["notes"][-1] and "/Sent" in state["notes"][-1]
    assert len(inbox.with_id(message_id)) == 1 and len(inbox.messages) == 1
