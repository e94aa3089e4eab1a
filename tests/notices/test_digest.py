"""The daily digest: at each teammate's local morning hour, once a day, in their language, what needs them,
through a real SMTP server; nothing when there is nothing to tell."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from referly.crm.models import Teammate
from referly.notices.digest import due_day, send_due
from referly.notices.models import DigestChoice, Notice
from referly.outbox.models import MessageState, OutboxMessage
from referly.outbox.returns import apply_incoming
from tests.mail_server import Inbox, _free_port, smtp_server
from tests.personas import make_login

pytestmark = pytest.mark.django_db
MORNING = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)  # a Tuesday, 9:30 in Paris


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server(tls_folder=tmp_path, users={"relay": "right"}) as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url_for("relay"))
        monkeypatch.setenv("REFERLY_SMTP_CA_FILE", str(inbox.ca_file))
        monkeypatch.setenv("REFERLY_BASE_URL", "https://referly.ourco.example/")
        monkeypatch.setenv("REFERLY_TIME_ZONE", "UTC")
        yield inbox


def owner(email: str = "ana@ourco.example", name: str = "Ana Ruiz") -> Teammate:
    login = make_login(email, "member", name=name)
    teammate = login.teammate
    assert teammate is not None
    return teammate


def replied(teammate: Teammate, person: str = "Jane Doe", line: str = "Happy to introduce you!") -> OutboxMessage:
    """A sent ask, and the sponsor's reply handed to the outbox as the mailbox sync hands it over."""
    sent = OutboxMessage.objects.create(
        owner=teammate,
        state=MessageState.SENT,
        from_address=teammate.email or "",
        to_name=person,
        to_address="jane@client.example",
        subject="An introduction?",
        text="Hello",
        message_id=f"<{abs(hash(person))}@ourco.example>",
        created_at=MORNING - timedelta(days=2),
        sent_at=MORNING - timedelta(days=2),
    )
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = "jane@client.example", teammate.email, "Re: An introduction?"
    reply["In-Reply-To"] = sent.message_id
    reply["Date"] = format_datetime(MORNING - timedelta(hours=12))
    reply.set_content(f"{line}\n\nJane\n")
    assert apply_incoming(reply.as_bytes(), teammate.email or "", MORNING - timedelta(hours=12)) == "reply"
    sent.refresh_from_db()
    return sent


def test_the_digest_is_due_at_the_local_hour_once_a_day() -> None:
    paris = DigestChoice(hour=8, time_zone="Europe/Paris")
    assert due_day(paris, datetime(2026, 11, 3, 6, 59, tzinfo=UTC)) is None  # 7:59 in Paris
    assert due_day(paris, datetime(2026, 11, 3, 7, 0, tzinfo=UTC)) == date(2026, 11, 3)
    assert due_day(paris, datetime(2026, 11, 3, 22, 30, tzinfo=UTC)) == date(2026, 11, 3)  # 23:30 there
    paris.last_sent_on = date(2026, 11, 3)
    assert due_day(paris, datetime(2026, 11, 3, 18, 0, tzinfo=UTC)) is None
    assert due_day(paris, datetime(2026, 11, 4, 6, 30, tzinfo=UTC)) is None  # 7:30 the next morning there
    assert due_day(paris, datetime(2026, 11, 4, 7, 0, tzinfo=UTC)) == date(2026, 11, 4)
    assert due_day(DigestChoice(enabled=False), MORNING) is None
    assert due_day(DigestChoice(hour=8, time_zone="Not/AZone"), MORNING) == date(2026, 11, 3)  # the team's zone


def test_a_reply_reaches_its_owner_in_the_morning_digest_with_a_link_and_once(server: Inbox) -> None:
    ana = owner()
    message = replied(ana)
    link = f"https://referly.ourco.example/referrals/{message.referral_id}/" if message.referral_id else ""
    link = link or f"https://referly.ourco.example/outbox/{message.pk}/"

    assert send_due(MORNING) == {"due": 1, "sent": 1, "empty": 0, "failed": 0}

    (mail,) = server.to("ana@ourco.example")
    assert mail["Subject"] == "Referly: 1 thing needs you today"
    assert mail["Message-ID"]
    text = mail.get_body(("plain",)).get_content()
    assert "Replies waiting" in text
    assert "Jane Doe replied to your ask: “Happy to introduce you!”" in text
    assert link in text
    html = mail.get_body(("html",)).get_content()
    assert f'href="{link}"' in html
    notice = Notice.objects.get(teammate=ana)
    assert notice.mailed_at == MORNING and notice.read_at is None  # still unread in the app

    assert send_due(MORNING + timedelta(hours=3)) == {"due": 0, "sent": 0, "empty": 0, "failed": 0}
    tomorrow = MORNING + timedelta(days=1)
    assert send_due(tomorrow) == {"due": 1, "sent": 0, "empty": 1, "failed": 0}  # nothing new: no message
    assert len(server.to("ana@ourco.example")) == 1


def test_a_french_teammate_gets_it_in_french_and_names_are_escaped_in_the_html(server: Inbox) -> None:
    claire = owner("claire@ourco.example", "Claire Martin")
    DigestChoice.objects.create(teammate=claire, language="fr", hour=9, time_zone="Europe/Paris")
    replied(claire, person="<b>Zoé</b> & Cie", line="Avec plaisir")

    assert send_due(datetime(2026, 11, 3, 7, 30, tzinfo=UTC))["due"] == 0  # 8:30 in Paris: not yet
    assert send_due(datetime(2026, 11, 3, 8, 0, tzinfo=UTC))["sent"] == 1

    (mail,) = server.to("claire@ourco.example")
    assert mail["Subject"] == "Referly : 1 élément vous attend aujourd’hui"
    text = mail.get_body(("plain",)).get_content()
    assert "Réponses en attente" in text and "<b>Zoé</b> & Cie a répondu à votre demande : « Avec plaisir »" in text
    html = mail.get_body(("html",)).get_content()
    assert "&lt;b&gt;Zoé&lt;/b&gt; &amp; Cie" in html and "<b>Zoé</b>" not in html
    assert DigestChoice.objects.get(teammate=claire).last_sent_on == date(2026, 11, 3)


def test_no_digest_without_a_login_or_when_turned_off(server: Inbox) -> None:
    no_login = Teammate.objects.create(name="Nina NoLogin", email="nina@ourco.example")
    replied(no_login)
    off = owner("otto@ourco.example", "Otto Off")
    DigestChoice.objects.create(teammate=off, enabled=False)
    replied(off, person="Pat Sponsor")

    assert send_due(MORNING) == {"due": 0, "sent": 0, "empty": 0, "failed": 0}
    assert server.messages == []


def test_a_server_that_refuses_loses_nothing_and_the_digest_goes_on_the_next_pass(
    server: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = owner()
    replied(ana)
    monkeypatch.setenv("REFERLY_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")

    assert send_due(MORNING)["failed"] == 1
    assert Notice.objects.get(teammate=ana).mailed_at is None
    assert not DigestChoice.objects.filter(teammate=ana, last_sent_on__isnull=False).exists()

    monkeypatch.setenv("REFERLY_SMTP_URL", server.url_for("relay"))
    assert send_due(MORNING + timedelta(minutes=1))["sent"] == 1
    assert len(server.to("ana@ourco.example")) == 1
