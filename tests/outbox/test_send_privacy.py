"""A forgotten person's messages: nothing of them stays in the outbox, and one not sent yet never leaves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from referly.outbox.delivery import deliver_due
from referly.outbox.models import InvalidAddress, OutboxMessage
from referly.outbox.services import queue_ask
from referly.privacy.services import export_person, forget
from tests.mail_server import Inbox, smtp_server
from tests.outbox.sending import NOW, ready_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server() as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url)
        yield inbox


def test_export_person_lists_the_messages_sent_to_them(server: Inbox) -> None:
    made = ready_referral()
    queue_ask(made.referral, now=NOW)
    deliver_due(NOW)
    (message,) = export_person(made.sponsor.email or "")["messages"]
    assert message["state"] == "sent" and message["to_address"] == made.sponsor.email
    assert "Hi Jane" in message["text"] and message["sent_at"] == NOW


def test_forget_erases_their_messages_and_cancels_one_not_sent_yet(server: Inbox) -> None:
    made = ready_referral()
    queued = queue_ask(made.referral, now=NOW)
    address = made.sponsor.email or ""
    InvalidAddress.objects.create(address=address, since=NOW, reason="5.1.1")
    with transaction.atomic():
        done = forget(address, NOW)
    assert done["outbox messages erased"] == 1
    kept = OutboxMessage.objects.get(pk=queued.pk)
    held = " ".join([kept.to_name, kept.to_address, kept.subject, kept.text, kept.html])
    assert "Jane" not in held and address not in held
    assert not InvalidAddress.objects.filter(address=address).exists()
    assert all("Jane" not in c.note for c in kept.changes.all())

    assert deliver_due(NOW)["cancelled"] == 1
    assert OutboxMessage.objects.get(pk=queued.pk).state == "cancelled"
    assert server.messages == []
