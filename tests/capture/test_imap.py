"""Syncing an IMAP mailbox from a real Dovecot: incremental, resynced on a new UIDVALIDITY, TLS and OAuth2
logins, and failures said in one sentence and recorded on the source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from referly.capture.models import Source, SourceCursor
from referly.capture.sources import add_imap_source, sync_source
from referly.crm.models import Contact, Interaction, InteractionKind
from referly.errors import Unavailable
from tests.capture.dovecot import Dovecot, message, need_dovecot, running_dovecot
from tests.factories import make_account, make_contact

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ALICE = "alice@example.com"
IN, OUT = InteractionKind.EMAIL_IN, InteractionKind.EMAIL_OUT


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    need_dovecot()
    with running_dovecot() as server:
        yield server


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Our team at example.com; Acme (with Jane) and Globex (nobody yet) are accounts."""
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "example.com")
    monkeypatch.delenv("REFERLY_SOURCE_CA_FILE", raising=False)
    acme = make_account("Acme", domain="acme.example")
    make_account("Globex", domain="globex.example")
    return {"jane": make_contact(acme, first_name="Jane", last_name="Roe", email="jane@acme.example")}


def mailbox(server: Dovecot) -> None:
    """INBOX: Jane, Bob (new at Globex), a newsletter, a stranger; Sent: to Jane, to Bob with a colleague."""
    server.append(
        ALICE,
        "INBOX",
        [
            message("Jane Roe <jane@acme.example>", ALICE, DAY),
            message("Bob Stone <bob@globex.example>", ALICE, DAY + timedelta(hours=1)),
            message("news@acme.example", ALICE, DAY, extra="List-Id: <news.acme.example>\r\n"),
            message("someone@unknown.example", ALICE, DAY),
        ],
    )
    server.append(
        ALICE,
        "Sent",
        [
            message(ALICE, "jane@acme.example", DAY + timedelta(hours=2)),
            message(ALICE, "bob@globex.example, carl@example.com", DAY + timedelta(hours=3)),
        ],
    )


def add(server: Dovecot, **changes: Any) -> Source:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.imaps_port,
        "security": "tls",
        "username": ALICE,
        "password": "alice-secret",
        "token_command": "",
        "folders": [],
        "owner_email": ALICE,
        "ca_file": str(server.ca_file),
        "now": NOW,
    }
    return add_imap_source(**(fields | changes))


def touches() -> set[tuple[str, str, int, datetime]]:
    return {
        (i.contact.email or "", i.teammate.email or "", i.kind, i.occurred_at)
        for i in Interaction.objects.select_related("contact", "teammate")
    }


def test_a_mailbox_syncs_incrementally_and_a_new_uidvalidity_reads_it_again_without_doubles(
    world: dict[str, Any], dovecot: Dovecot
) -> None:
    mailbox(dovecot)
    source = add(dovecot)

    first = sync_source(source, NOW)
    assert touches() == {
        ("jane@acme.example", ALICE, IN, DAY),
        ("bob@globex.example", ALICE, IN, DAY + timedelta(hours=1)),
        ("jane@acme.example", ALICE, OUT, DAY + timedelta(hours=2)),
        ("bob@globex.example", ALICE, OUT, DAY + timedelta(hours=3)),
    }
    assert (first.read, first.captured, first.added, first.accounted) == (6, 4, 4, 6)
    assert dict(first.skipped) == {"mailing list or bulk": 1, "only people never captured": 1}
    bob = Contact.objects.get(email="bob@globex.example")
    assert (bob.first_name, bob.last_name, bob.account.name) == ("Bob", "Stone", "Globex")
    cursors = {c.folder: c.last_uid for c in SourceCursor.objects.filter(source=source)}
    assert cursors == {"INBOX": 4, "Sent": 2}  # INBOX and the folder flagged \Sent, by default
    source.refresh_from_db()
    assert (source.last_sync_at, source.last_error) == (NOW, "")
    assert (source.last_counts["read"], source.last_counts["added"], source.last_counts["errors"]) == (6, 4, 0)

    again = sync_source(source, NOW)
    assert (again.read, again.added) == (0, 0)

    dovecot.append(
        ALICE,
        "INBOX",
        [
            message("Jane Roe <jane@acme.example>", ALICE, DAY + timedelta(days=1)),
            message("Carol Diaz <carol@globex.example>", ALICE, DAY + timedelta(days=1, hours=1)),
        ],
    )
    new = sync_source(source, NOW)
    assert (new.read, new.added) == (2, 2)
    assert Interaction.objects.count() == 6
    assert {("jane@acme.example", ALICE, IN, DAY + timedelta(days=1)),
            ("carol@globex.example", ALICE, IN, DAY + timedelta(days=1, hours=1))} <= touches()  # fmt: skip

    before = touches()
    validity = dovecot.change_uid_validity(ALICE, "INBOX")
    resync = sync_source(source, NOW)
    assert (resync.read, resync.added) == (6, 0)  # all of INBOX read again; nothing doubled
    assert touches() == before
    inbox = SourceCursor.objects.get(source=source, folder="INBOX")
    assert (inbox.uid_validity, inbox.last_uid) == (validity, 6)


def test_named_folders_are_the_only_ones_read(world: dict[str, Any], dovecot: Dovecot) -> None:
    mailbox(dovecot)
    dovecot.append(ALICE, "Clients/Acme", [message("Jane Roe <jane@acme.example>", ALICE, DAY + timedelta(days=3))])
    source = add(dovecot, folders=["Clients/Acme"])
    summary = sync_source(source, NOW)
    assert (summary.read, summary.added) == (1, 1)
    assert touches() == {("jane@acme.example", ALICE, IN, DAY + timedelta(days=3))}
    assert list(SourceCursor.objects.filter(source=source).values_list("folder", flat=True)) == ["Clients/Acme"]


def test_a_missing_folder_is_an_error_of_the_sync_not_a_crash(world: dict[str, Any], dovecot: Dovecot) -> None:
    mailbox(dovecot)
    summary = sync_source(add(dovecot, folders=["Archive", "INBOX"]), NOW)
    assert summary.read == 5 and summary.added == 2  # the error, and INBOX's four messages
    assert [(e.where, e.header) for e in summary.errors] == [(f"imap 127.0.0.1:{dovecot.imaps_port}/Archive", "folder")]


def test_starttls_on_the_plain_port_works(world: dict[str, Any], dovecot: Dovecot) -> None:
    mailbox(dovecot)
    source = add(dovecot, port=dovecot.imap_port, security="starttls")
    assert sync_source(source, NOW).added == 4


def test_a_certificate_is_trusted_from_the_source_or_the_setting_else_refused_clearly(
    world: dict[str, Any], dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox(dovecot)
    source = add(dovecot, ca_file="")
    with pytest.raises(Unavailable) as refused:
        sync_source(source, NOW)
    assert str(refused.value).startswith(
        f"imap 127.0.0.1:{dovecot.imaps_port}: the server's certificate is not trusted"
    )
    assert "--ca-file or REFERLY_SOURCE_CA_FILE" in str(refused.value)

    monkeypatch.setenv("REFERLY_SOURCE_CA_FILE", str(dovecot.ca_file))
    assert sync_source(source, NOW).added == 4
    source.refresh_from_db()
    assert source.last_error == ""


def test_xoauth2_logs_in_with_the_token_the_command_prints(world: dict[str, Any], dovecot: Dovecot) -> None:
    mailbox(dovecot)
    source = add(dovecot, password=None, token_command="echo '  alice-token  '")
    assert sync_source(source, NOW).added == 4
    assert dovecot.oauth.asked == ["alice-token"]  # stripped, and checked by the introspection endpoint
    assert "method=XOAUTH2" in dovecot.log_tail(100)
    assert Source.objects.get(pk=source.pk).secret == ""  # the token is never stored


@pytest.mark.django_db
def test_oauthbearer_logs_in_when_it_is_the_only_oauth2_mechanism(monkeypatch: pytest.MonkeyPatch) -> None:
    need_dovecot()
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "example.com")
    make_account("Acme", domain="acme.example")
    with running_dovecot(mechanisms=("plain", "oauthbearer")) as server:
        server.append(ALICE, "INBOX", [message("Jane Roe <jane@acme.example>", ALICE, DAY)])
        summary = sync_source(add(server, password=None, token_command="echo alice-token"), NOW)
        assert (summary.read, summary.added) == (1, 1)
        assert "method=OAUTHBEARER" in server.log_tail(100)


@pytest.mark.parametrize(
    ("command", "sentence"),
    [
        ("echo wrong-token", "login refused for alice@example.com (the OAuth2 token was not accepted"),
        ("echo client-secret-s3cr3t >&2; exit 3", "the OAuth2 token command failed (exit status 3; run it by hand"),
        ("true", "the OAuth2 token command printed no token: true"),
    ],
    ids=["refused token", "failing command", "no token"],
)
def test_a_bad_token_or_a_failing_token_command_is_one_clear_sentence(
    world: dict[str, Any], dovecot: Dovecot, command: str, sentence: str
) -> None:
    source = add(dovecot, password=None, token_command=command)
    with pytest.raises(Unavailable) as failed:
        sync_source(source, NOW)
    assert str(failed.value).startswith(f"imap 127.0.0.1:{dovecot.imaps_port}: {sentence}")
    source.refresh_from_db()
    assert source.last_error == str(failed.value) and "s3cr3t" not in source.last_error  # what it printed is unread


def test_a_wrong_password_and_a_stopped_server_are_recorded_and_raised_as_one_sentence(
    world: dict[str, Any], dovecot: Dovecot
) -> None:
    mailbox(dovecot)
    good = add(dovecot)
    assert sync_source(good, NOW).added == 4
    dovecot.add_user("bob@example.com", "bob-secret")
    wrong = add(dovecot, username="bob@example.com", password="not-it")
    with pytest.raises(Unavailable) as refused:
        sync_source(wrong, NOW)
    where = f"imap 127.0.0.1:{dovecot.imaps_port}"
    assert str(refused.value) == f"{where}: login refused for bob@example.com (wrong password?)"

    dovecot.stop()
    later = NOW + timedelta(days=1)
    with pytest.raises(Unavailable) as down:
        sync_source(good, later)
    assert str(down.value) == f"{where}: cannot connect (connection refused)"
    good.refresh_from_db()
    assert (good.last_sync_at, good.last_error) == (later, str(down.value))
    assert good.last_counts["added"] == 4  # a sync that read nothing keeps the last counts
