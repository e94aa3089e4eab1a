"""Sending an ask: queued in the caller's transaction with the ledger and the referral, then handed to a real SMTP
server (aiosmtpd, STARTTLS and a login) by the delivery pass; refused at send time by a gate or a cap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import transaction

from referly.crm.models import Signal
from referly.errors import Conflict, InvalidInput, NotPermitted
from referly.outbox.delivery import deliver_due
from referly.outbox.models import InvalidAddress, OutboxMessage
from referly.outbox.services import queue_ask
from referly.privacy.services import forget
from referly.referrals.ledger import record_ask
from referly.referrals.models import Ask, Referral
from tests.mail_server import Inbox, smtp_server
from tests.outbox.sending import NOW, RESULT, ready_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server(tls_folder=tmp_path, users={"relay": "s3cret pass"}) as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", f"smtp://relay@127.0.0.1:{inbox.port}?starttls=1")
        monkeypatch.setenv("REFERLY_SMTP_PASSWORD", "s3cret pass")
        monkeypatch.setenv("REFERLY_SMTP_CA_FILE", str(inbox.ca_file))
        yield inbox


def test_an_ask_leaves_from_its_owner_with_the_sponsors_result_and_the_stored_message_id(server: Inbox) -> None:
    made = ready_referral()
    queued = queue_ask(made.referral, now=NOW)

    referral = Referral.objects.get(pk=made.referral.pk)
    assert referral.stage == "requested"
    assert referral.transitions.last().actor == made.owner  # type: ignore[union-attr]
    ask = Ask.objects.get(referral=referral)
    assert (ask.contact, ask.asked_by, ask.asked_at) == (made.sponsor, made.owner, NOW)
    assert queued.state == "queued" and queued.ask == ask
    assert server.messages == []  # nothing leaves before the worker's pass

    assert deliver_due(NOW) == {
        "sent": 1,
        "retry": 0,
        "failed": 0,
        "held": 0,
        "cancelled": 0,
        "found_sent": 0,
        "unknown": 0,
    }
    (received,) = server.messages
    assert server.logins == 1
    assert str(received["From"]) == "Ana Ruiz <ana@ourco.example>"
    assert str(received["To"]) == f"Jane Doe <{made.sponsor.email}>"
    assert str(received["Message-ID"]) == queued.message_id and queued.message_id.endswith("@ourco.example>")
    text = received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert RESULT[:1].lower() + RESULT[1:] in text and "Tom Target" in text
    html = received.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<p>Hi Jane,</p>" in html
    sent = OutboxMessage.objects.get(pk=queued.pk)
    assert sent.state == "sent" and sent.sent_at == NOW
    assert sent.follow_up_due == date(2026, 11, 9)  # five working days after a Monday
    assert [c.to_state for c in sent.changes.all()] == ["queued", "sending", "sent"]


def test_with_a_team_address_the_owner_is_in_reply_to(server: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_ASK_FROM", "referrals@ourco.example")
    queue_ask(ready_referral().referral, now=NOW)
    deliver_due(NOW)
    (received,) = server.messages
    assert str(received["From"]) == "referrals@ourco.example"
    assert str(received["Reply-To"]) == "Ana Ruiz <ana@ourco.example>"


def test_an_edited_text_is_sent_as_written_and_escaped_in_html(server: Inbox) -> None:
    made = ready_referral()
    queued = queue_ask(made.referral, subject="Quick one", text="Hi Jane,\n\n<b>bold</b> & more", now=NOW)
    assert "edited" in queued.changes.get().note
    deliver_due(NOW)
    (received,) = server.messages
    assert received["Subject"] == "Quick one"
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in received.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_line_breaks_and_accents_in_names_and_subjects_cannot_add_a_header(server: Inbox) -> None:
    made = ready_referral(sponsor_name=("Zoë\r\nBcc: victim@evil.example", "Ørsted"))
    queue_ask(made.referral, subject="Merci, Zoë\r\nBcc: victim@evil.example\nX-Evil: 1", now=NOW)
    deliver_due(NOW)
    (received,) = server.messages
    (raw,) = server.raw
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Evil:" not in headers
    assert received["Bcc"] is None and received["X-Evil"] is None
    assert received["Subject"] == "Merci, Zoë Bcc: victim@evil.example X-Evil: 1"
    assert received["To"].addresses[0].display_name == "Zoë Bcc: victim@evil.example Ørsted"
    assert b"=?utf-8?" in headers  # the accents travel encoded (RFC 2047), never as raw 8-bit header bytes
    assert headers.isascii()


def _nothing_written(referral: Referral) -> None:
    assert Referral.objects.get(pk=referral.pk).stage == "identified"
    assert not Ask.objects.filter(referral=referral).exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("what", "reason"),
    [
        ("detractor", "detractor: their last NPS answer is 3"),
        ("escalation", "a support escalation is open at their account since 2026-10-30"),
        ("churn_risk", "their account is a churn risk since 2026-10-30"),
        ("opted_out", "opted out of asks"),
        ("hard_bounce", "bounced on 2026-10-31 (5.1.1 user unknown)"),
    ],
)
def test_a_gate_reached_since_the_draft_refuses_the_send_with_the_reason(what: str, reason: str) -> None:
    made = ready_referral()
    client, sponsor = made.referral.referrer_account, made.sponsor
    if what == "detractor":
        Signal.objects.create(account=client, contact=sponsor, kind="nps", nps_score=9, occurred_on=date(2026, 6, 1))
        Signal.objects.create(account=client, contact=sponsor, kind="nps", nps_score=3, occurred_on=date(2026, 10, 30))
    elif what in ("escalation", "churn_risk"):
        kind = "support_escalation" if what == "escalation" else "churn_risk"
        Signal.objects.create(account=client, kind=kind, occurred_on=date(2026, 10, 30))
    elif what == "opted_out":
        type(sponsor).objects.filter(pk=sponsor.pk).update(opted_out_of_asks=True)
    else:
        InvalidAddress.objects.create(address=sponsor.email, since=NOW - timedelta(days=2), reason="5.1.1 user unknown")
    with pytest.raises(NotPermitted) as refused:
        queue_ask(made.referral, now=NOW)
    assert reason in refused.value.sentence
    _nothing_written(made.referral)


def test_a_resolved_escalation_and_a_promoter_answer_let_the_ask_go() -> None:
    made = ready_referral()
    client = made.referral.referrer_account
    Signal.objects.create(
        account=client, kind="support_escalation", occurred_on=date(2026, 9, 1), resolved_on=date(2026, 9, 5)
    )
    Signal.objects.create(account=client, contact=made.sponsor, kind="nps", nps_score=10, occurred_on=NOW.date())
    assert queue_ask(made.referral, now=NOW).state == "queued"


def test_a_cap_reached_since_the_draft_refuses_the_send() -> None:
    made = ready_referral()
    for days in (40, 20):
        record_ask(made.sponsor.pk, asked_by=made.owner, now=NOW - timedelta(days=days))
    with pytest.raises(NotPermitted, match="asked 2 times within a quarter"):
        queue_ask(made.referral, now=NOW)
    _nothing_written(made.referral)
    assert Ask.objects.count() == 2


def test_a_forgotten_person_is_never_sent_to() -> None:
    made = ready_referral()
    with transaction.atomic():
        forget(made.sponsor.email or "", NOW - timedelta(days=1))
    with pytest.raises(NotPermitted, match="erased at their request"):
        queue_ask(Referral.objects.get(pk=made.referral.pk), now=NOW)


def test_a_referral_already_asked_or_a_channel_that_cannot_be_mailed_is_refused() -> None:
    made = ready_referral()
    with pytest.raises(InvalidInput, match="Only e-mail"):
        queue_ask(made.referral, channel="linkedin", now=NOW)
    queue_ask(made.referral, now=NOW)
    with pytest.raises(Conflict, match="is requested"):
        queue_ask(Referral.objects.get(pk=made.referral.pk), now=NOW)
    assert OutboxMessage.objects.count() == 1
