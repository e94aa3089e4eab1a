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
