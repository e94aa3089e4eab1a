"""The whole loop on the tiny demo, as a new user would try it: the top action is sent to a real SMTP server,
the sponsor's reply lands in the owner's real IMAP mailbox, the sync marks the ask replied, and the owner's
notifications and morning digest carry it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from django.test import Client
from django.urls import reverse

from referly.access.services import create_user
from referly.capture.sources import sync_source
from referly.crm.models import Signal
from referly.notices.digest import send_due
from referly.notices.models import Notice
from referly.outbox.models import MessageState, OutboxMessage
from referly.outreach.context import measured_result
from referly.referrals.models import Ask, Referral
from referly.scoring.models import NextBestAction
from tests.capture.dovecot import Dovecot, inbox_source, need_dovecot, running_dovecot
from tests.mail_server import smtp_server
from tests.outbox import samples
from tests.outbox.samples import OWNER


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    need_dovecot()
    with running_dovecot() as server:
        yield server


@pytest.mark.django_db(transaction=True)
def test_an_ask_goes_out_comes_back_replied_and_reaches_the_digest(
    cli: Callable[..., Result], dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_TIME_ZONE", "UTC")
    monkeypatch.delenv("REFERLY_SOURCE_CA_FILE", raising=False)
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0
    assert cli("score", "--as-of", "2026-11-01").exit_code == 0
    # the best action whose sponsor has a measured result on record: the ask must quote it
    proven = Signal.objects.filter(kind="measured_success").values("account_id")
    candidates = (
        NextBestAction.objects.select_related("owner", "sponsor", "sponsor__account")
        .filter(sponsor__account_id__in=proven)
        .order_by("-run_id", "rank")
    )
    action = next((a for a in candidates if measured_result(a.sponsor.account, a.sponsor)), None)
    assert action is not None
    owner, sponsor = action.owner, action.sponsor
    owner.email = OWNER  # the owner's mailbox is the one the IMAP server holds
    owner.save(update_fields=["email"])
    login, _ = create_user(OWNER, "member")

    with smtp_server(tls_folder=tmp_path, users={"relay": "right"}) as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url_for("relay"))
        monkeypatch.setenv("REFERLY_SMTP_CA_FILE", str(inbox.ca_file))
        sent = cli("ask", "send", str(action.pk), "--yes", "--now")
        assert sent.exit_code == 0, sent.output
        (ask,) = inbox.messages
        message = OutboxMessage.objects.get()
        assert OWNER in str(ask["From"]) + str(ask["Reply-To"] or "")
        assert str(ask["Message-ID"]) == message.message_id and message.state == MessageState.SENT
        result = measured_result(sponsor.account, sponsor)
        assert result and result in ask.get_body(("plain",)).get_content()  # the sponsor's own result
        referral = Referral.objects.get(pk=message.referral_id)
        assert referral.stage == "requested" and Ask.objects.filter(referral=referral).count() == 1

        back = datetime.now(tz=UTC) + timedelta(minutes=5)
        dovecot.append(OWNER, "INBOX", [samples.reply(sponsor.email, back, message.message_id)])
        source = inbox_source(dovecot, back)
        assert sync_source(source, back).outbox["reply"] == 1
        message.refresh_from_db()
        assert message.state == MessageState.REPLIED
        assert message.answer_line == "Happy to introduce you, I will write to her today."

        page = Client()
        page.force_login(login)
        shown = page.get(reverse("web:referral", args=[referral.pk])).content.decode()
        assert "replied" in shown.lower()
        (notice,) = Notice.objects.filter(teammate=owner, kind="reply")
        assert notice.url and notice.read_at is None
        listed = page.get(reverse("web:notices")).content.decode()
        assert notice.text in listed

        morning = (back + timedelta(days=1)).replace(hour=9, minute=0)
        assert send_due(morning)["sent"] == 1
        digest = inbox.to(OWNER)[-1]
        assert "Happy to introduce you" in digest.get_body(("plain",)).get_content()
