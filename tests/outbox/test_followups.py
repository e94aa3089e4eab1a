"""Follow-ups: proposed once when an ask has no reply by its day, sent only once its owner approves it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from referly.errors import Conflict, NotPermitted
from referly.notices.models import Notice
from referly.outbox.followups import approve, propose_due
from referly.outbox.models import MessageKind, MessageState, OutboxMessage
from referly.outbox.returns import day_after
from referly.referrals.models import Referral
from tests.factories import make_account, make_contact, make_teammate

SENT_AT = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday
S = MessageState


@pytest.fixture
def ask(db: Any) -> OutboxMessage:
    owner = make_teammate("Ana Ruiz", email="ana@ourco.example")
    client = make_account("Client Co", lifecycle="client", domain="client.example")
    target = make_account("Target Co", domain="target.example")
    sponsor = make_contact(client, first_name="Jane", last_name="Doe", email="jane@client.example")
    referral = Referral.objects.create(
        referrer_contact=sponsor,
        referrer_account=client,
        target_account=target,
        target_contact=make_contact(target, first_name="Tom", last_name="Target"),
        owner=owner,
        script_key="email/measured_success/fr",
        created_at=SENT_AT,
        stage_changed_at=SENT_AT,
    )
    return OutboxMessage.objects.create(
        owner=owner,
        contact=sponsor,
        referral=referral,
        state=S.SENT,
        language="fr",
        from_address="ana@ourco.example",
        to_address="jane@client.example",
        to_name="Jane Doe",
        subject="Une introduction",
        text="Bonjour",
        message_id="<ask@ourco.example>",
        created_at=SENT_AT,
        sent_at=SENT_AT,
        follow_up_due=date(2026, 11, 9),  # 5 working days later
    )


def test_a_follow_up_is_proposed_once_on_its_day_in_the_asks_language_and_waits_for_approval(
    ask: OutboxMessage,
) -> None:
    assert propose_due(datetime(2026, 11, 8, 9, tzinfo=UTC)) == 0  # not its day yet
    assert propose_due(datetime(2026, 11, 9, 9, tzinfo=UTC)) == 1
    assert propose_due(datetime(2026, 11, 10, 9, tzinfo=UTC)) == 0  # at most one per ask
    follow_up = OutboxMessage.objects.get(kind=MessageKind.FOLLOW_UP)
    assert (follow_up.state, follow_up.follow_up_of_id, follow_up.approved_at) == (S.QUEUED, ask.pk, None)
    assert follow_up.next_try_at is None  # delivery does not take it before approval
    assert "Tom Target" in follow_up.subject and follow_up.text.startswith("Bonjour Jane")
    assert follow_up.message_id != ask.message_id
    assert Notice.objects.get(kind="follow_up").url == f"/referrals/{ask.referral_id}/"

    stranger = make_teammate("Someone Else")
    with pytest.raises(NotPermitted):
        approve(follow_up, stranger, datetime(2026, 11, 10, 9, tzinfo=UTC))
    approved = approve(follow_up, ask.owner, datetime(2026, 11, 10, 9, tzinfo=UTC))
    assert approved.approved_at == approved.next_try_at == datetime(2026, 11, 10, 9, tzinfo=UTC)
    with pytest.raises(Conflict):
        approve(follow_up, ask.owner, datetime(2026, 11, 10, 10, tzinfo=UTC))


def test_no_reply_after_the_follow_ups_own_wait(ask: OutboxMessage) -> None:
    propose_due(datetime(2026, 11, 9, 9, tzinfo=UTC))
    follow_up = OutboxMessage.objects.get(kind=MessageKind.FOLLOW_UP)
    OutboxMessage.objects.filter(pk=follow_up.pk).update(state=S.SENT, sent_at=datetime(2026, 11, 10, 9, tzinfo=UTC))
    propose_due(datetime(2026, 11, 16, 9, tzinfo=UTC))  # 4 working days: still waiting
    assert OutboxMessage.objects.get(pk=ask.pk).state == S.SENT
    propose_due(datetime(2026, 11, 17, 9, tzinfo=UTC))
    assert OutboxMessage.objects.get(pk=follow_up.pk).state == S.NO_REPLY
    assert OutboxMessage.objects.get(pk=ask.pk).state == S.NO_REPLY


def test_an_ask_without_a_referral_gets_no_follow_up(ask: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=ask.pk).update(referral=None)
    assert propose_due(datetime(2026, 11, 9, 9, tzinfo=UTC)) == 0


def test_the_day_after_a_return_is_a_working_day() -> None:
    assert day_after(date(2026, 12, 14)) == date(2026, 12, 15)  # Monday -> Tuesday
    assert day_after(date(2026, 12, 11)) == date(2026, 12, 14)  # Friday -> Monday
    assert day_after(date(2026, 12, 11)) - date(2026, 12, 11) == timedelta(days=3)


def test_a_follow_up_leaves_only_once_approved_and_in_its_asks_thread(
    ask: OutboxMessage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referly.outbox.delivery import deliver_due
    from tests.mail_server import smtp_server

    propose_due(datetime(2026, 11, 9, 9, tzinfo=UTC))
    follow_up = OutboxMessage.objects.get(kind=MessageKind.FOLLOW_UP)
    OutboxMessage.objects.filter(pk=follow_up.pk).update(next_try_at=datetime(2026, 11, 9, 9, tzinfo=UTC))
    with smtp_server(tls_folder=tmp_path, users={"relay": "right"}) as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url_for("relay"))
        monkeypatch.setenv("REFERLY_SMTP_CA_FILE", str(inbox.ca_file))
        deliver_due(datetime(2026, 11, 10, 9, tzinfo=UTC))
        assert inbox.messages == [], "an unapproved follow-up never leaves, whatever its next try says"
        approve(OutboxMessage.objects.get(pk=follow_up.pk), ask.owner, datetime(2026, 11, 10, 9, tzinfo=UTC))
        deliver_due(datetime(2026, 11, 10, 9, 1, tzinfo=UTC))
        [sent] = inbox.messages
    assert sent["In-Reply-To"] == sent["References"] == "<ask@ourco.example>"
    assert OutboxMessage.objects.get(pk=follow_up.pk).state == S.SENT
