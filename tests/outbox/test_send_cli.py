"""`referly ask send` on the tiny demo, as a new user would: the top action leaves for a real SMTP server, and
`referly outbox list|show` say what happened."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from referly.referrals.models import Ask, Referral
from tests.mail_server import smtp_server


@pytest.mark.django_db
def test_the_top_action_is_sent_from_the_command_line(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0
    assert cli("score", "--as-of", "2026-11-01").exit_code == 0
    top = json.loads(cli("actions", "--json", "--limit", "1").output)[0]
    with smtp_server() as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url)
        sent = cli("ask", "send", str(top["id"]), "--yes", "--now")
    assert sent.exit_code == 0, sent.output
    assert "Queued as outbox message" in sent.output and "Sent" in sent.output
    (received,) = inbox.messages
    referral = Referral.objects.get(pk=listed_referral(cli))
    assert referral.stage == "requested" and Ask.objects.filter(referral=referral).count() == 1
    assert referral.owner.email in str(received["From"])
    assert str(received["To"]).endswith(f"<{referral.referrer_contact.email}>")

    listed = json.loads(cli("outbox", "list", "--json").output)
    assert [(m["state"], m["message_id"]) for m in listed] == [("sent", str(received["Message-ID"]))]
    shown = cli("outbox", "show", str(listed[0]["id"])).output
    assert "new -> queued" in shown and "queued -> sending" in shown and "sending -> sent" in shown


def listed_referral(cli: Callable[..., Result]) -> int:
    return int(json.loads(cli("outbox", "list", "--json").output)[0]["referral"])


@pytest.mark.django_db
def test_sending_twice_or_nothing_is_refused_with_a_sentence(cli: Callable[..., Result]) -> None:
    refused = cli("ask", "send")
    assert refused.exit_code != 0 and "Give either an ACTION_ID" in refused.output
    missing = cli("outbox", "show", "99")
    assert missing.exit_code != 0 and "No outbox message with id 99" in missing.output


@pytest.mark.django_db
def test_a_message_of_unknown_fate_is_settled_from_the_command_line(cli: Callable[..., Result]) -> None:
    from django.utils import timezone

    from referly.outbox.models import MessageState, OutboxMessage
    from tests.factories import make_teammate

    owner = make_teammate("Ana Ruiz", email="ana@ourco.example")
    message = OutboxMessage.objects.create(
        owner=owner,
        state=MessageState.UNKNOWN,
        from_address=owner.email,
        to_address="jane@client.example",
        subject="An introduction",
        text="Hi",
        message_id="<lost@ourco.example>",
        created_at=timezone.now(),
    )
    wrong = cli("outbox", "settle", str(message.pk), "resend")
    assert wrong.exit_code == 2 and "'resend' is not one of 'sent', 'queue'" in wrong.output
    settled = cli("outbox", "settle", str(message.pk), "queue", "--by", "Ana")
    assert settled.exit_code == 0, settled.output
    message.refresh_from_db()
    assert (message.state, message.next_try_at is not None) == (MessageState.QUEUED, True)
    assert message.changes.get(from_state="unknown").note == "queued again by Ana"
    again = cli("outbox", "settle", str(message.pk), "sent")
    assert again.exit_code != 0 and "is queued, not unknown: there is nothing to settle" in again.output
