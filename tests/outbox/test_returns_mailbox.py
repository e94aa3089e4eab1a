"""Replies, automatic replies and bounces coming back through a real Dovecot mailbox, applied by the same
sync as `referly source sync`: states, follow-up dates, invalid addresses, notices and counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from referly.capture.sources import sync_source
from referly.crm.models import Teammate
from referly.notices.models import Notice
from referly.outbox.models import InvalidAddress, MessageKind, MessageState, OutboxMessage
from referly.referrals.models import Referral
from tests.capture.dovecot import Dovecot, inbox_source, message, need_dovecot, running_dovecot
from tests.factories import make_account, make_contact, make_teammate
from tests.outbox import samples
from tests.outbox.samples import OWNER

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # a Tuesday
SENT_AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
BACK = SENT_AT + timedelta(hours=2)
S = MessageState


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    need_dovecot()
    with running_dovecot() as server:
        yield server


def sent(owner: Teammate, to: str, n: int, **fields: Any) -> OutboxMessage:
    """A message the team sent (built directly: how it left does not matter here)."""
    values: dict[str, Any] = {
        "owner": owner,
        "state": S.SENT,
        "from_address": OWNER,
        "to_name": to.split("@")[0].title(),
        "to_address": to,
        "subject": "An introduction",
        "text": "Hi,",
        "message_id": f"<ask{n}@example.com>",
        "created_at": SENT_AT,
        "sent_at": SENT_AT,
        "follow_up_due": date(2026, 12, 10),
    }
    return OutboxMessage.objects.create(**(values | fields))


@pytest.fixture
def outbox(db: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, OutboxMessage]:
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "example.com")
    monkeypatch.delenv("REFERLY_SOURCE_CA_FILE", raising=False)
    owner = make_teammate("Alice", email=OWNER)
    acme, target = make_account("Acme", domain="acme.example"), make_account("Target", domain="target.example")
    jane = make_contact(acme, first_name="Jane", last_name="Roe", email="jane@acme.example")
    referral = Referral.objects.create(
        referrer_contact=jane,
        referrer_account=acme,
        target_account=target,
        owner=owner,
        created_at=SENT_AT,
        stage_changed_at=SENT_AT,
    )
    asks = {
        "reply": sent(owner, "jane@acme.example", 1, referral=referral, contact=jane),
        "ooo_en": sent(owner, "ken@acme.example", 2),
        "ooo_fr": sent(owner, "lea@acme.example", 3),
        "hard": sent(owner, "bob@acme.example", 4),
        "soft": sent(owner, "carol@acme.example", 5),
        "qmail": sent(owner, "dave@acme.example", 6),
    }
    asks["follow_up"] = sent(
        owner,
        "jane@acme.example",
        7,
        kind=MessageKind.FOLLOW_UP,
        state=S.QUEUED,
        sent_at=None,
        follow_up_of=asks["reply"],
        follow_up_due=None,
    )
    return asks


def test_replies_auto_replies_and_bounces_come_back_through_the_mailbox(
    outbox: dict[str, OutboxMessage], dovecot: Dovecot
) -> None:
    dovecot.append(
        OWNER,
        "INBOX",
        [
            samples.reply("jane@acme.example", BACK, "<ask1@example.com>"),
            samples.out_of_office_en("ken@acme.example", BACK, "<ask2@example.com>"),
            samples.out_of_office_fr("lea@acme.example", BACK),
            samples.dsn("bob@acme.example", BACK, "<ask4@example.com>", status="5.1.1"),
            samples.dsn("carol@acme.example", BACK, "<ask5@example.com>", status="4.2.2"),
            samples.qmail_bounce("dave@acme.example", BACK, "<ask6@example.com>"),
            samples.reply("stranger@elsewhere.example", BACK, "<ask1@example.com>"),  # in the thread, unknown
            samples.dsn("nobody@acme.example", BACK, "<never@example.com>", status="5.1.1"),  # never sent
            samples.garbage_dsn(BACK),
            message("news@acme.example", OWNER, BACK, subject="Our newsletter"),  # not about the outbox
        ],
    )
    source = inbox_source(dovecot, NOW)

    summary = sync_source(source, NOW)

    assert dict(summary.outbox) == {
        "reply": 1,
        "auto_reply": 2,
        "bounce_hard": 2,
        "bounce_soft": 1,
        "unrelated: a reply from an unknown address": 1,
        "unrelated: a bounce for a message we never sent": 1,
        "unrelated: unreadable bounce: a delivery report with no failed recipient and status": 1,
    }
    source.refresh_from_db()
    assert source.last_counts["outbox"]["reply"] == 1
    state = {name: OutboxMessage.objects.get(pk=m.pk) for name, m in outbox.items()}
    replied = state["reply"]
    assert (replied.state, replied.answered_at) == (S.REPLIED, BACK)
    assert replied.answer_line == "Happy to introduce you, I will write to her today."
    assert state["follow_up"].state == S.CANCELLED  # a reply cancels the pending follow-up
    # back on Monday 14 December (EN), away until the 13th inclusive (FR): the follow-up waits until the 15th
    assert (state["ooo_en"].state, state["ooo_en"].follow_up_due) == (S.AUTO_REPLY, date(2026, 12, 15))
    assert (state["ooo_fr"].state, state["ooo_fr"].follow_up_due) == (S.AUTO_REPLY, date(2026, 12, 15))
    assert (state["hard"].state, state["hard"].bounce, state["hard"].last_error) == (S.BOUNCED, "hard", "5.1.1")
    assert (state["qmail"].state, state["qmail"].bounce) == (S.BOUNCED, "hard")
    assert (state["soft"].state, state["soft"].bounce) == (S.QUEUED, "soft")  # tried once more
    assert set(InvalidAddress.objects.values_list("address", flat=True)) == {"bob@acme.example", "dave@acme.example"}
    notices = {(n.kind, n.url) for n in Notice.objects.all()}
    assert ("reply", f"/referrals/{replied.referral_id}/") in notices
    assert ("bounce", f"/outbox/{state['hard'].pk}/") in notices
    reply_notice = Notice.objects.get(kind="reply")
    assert "Happy to introduce you" in reply_notice.text

    again = sync_source(source, NOW)  # nothing new: nothing applied twice
    assert (again.read, dict(again.outbox)) == (0, {})


def test_a_second_soft_bounce_is_for_good_and_a_resync_applies_nothing_twice(
    outbox: dict[str, OutboxMessage], dovecot: Dovecot
) -> None:
    soft = outbox["soft"]
    dovecot.append(OWNER, "INBOX", [samples.dsn("carol@acme.example", BACK, "<ask5@example.com>", status="4.2.2")])
    source = inbox_source(dovecot, NOW)
    assert dict(sync_source(source, NOW).outbox) == {"bounce_soft": 1}
    soft.refresh_from_db()
    assert soft.state == S.QUEUED
    OutboxMessage.objects.filter(pk=soft.pk).update(state=S.SENT, sent_at=NOW)  # sent again
    later = NOW + timedelta(hours=1)
    dovecot.append(OWNER, "INBOX", [samples.dsn("carol@acme.example", later, "<ask5@example.com>", status="4.2.2")])
    assert dict(sync_source(source, later + timedelta(hours=1)).outbox) == {"bounce_soft": 1}
    soft.refresh_from_db()
    assert (soft.state, soft.bounce) == (S.BOUNCED, "soft")
    assert not InvalidAddress.objects.exists()  # a soft bounce never blocks the address

    dovecot.change_uid_validity(OWNER, "INBOX")  # read again from the start: already applied, nothing changes
    resync = sync_source(source, later + timedelta(hours=2))
    assert resync.outbox == {"unrelated: already bounced": 2}
