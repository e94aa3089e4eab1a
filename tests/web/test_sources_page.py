"""Settings → Mailboxes and calendars (admins only), and the account page's people we talk to, from the
interactions themselves."""

from __future__ import annotations

import os
import re
import socket
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from referly.capture.models import Source
from referly.capture.summary import Summary
from referly.crm.models import Account, Contact, Interaction, InteractionKind
from referly.crm.queries import people_we_talk_to
from referly.web.views.sources import sync_sentence
from tests.capture import dovecot
from tests.factories import make_account, make_contact, make_teammate
from tests.personas import Team
from tests.web.conftest import logged_in, text_of

pytestmark = pytest.mark.django_db

SECRET = "Wh0-Kn0ws-This-Pa55"


def imap_form(team: Team, **changes: str) -> dict[str, str]:
    form = {
        "host": "imap.northbeam.example",
        "port": "",
        "security": "tls",
        "username": "ada.admin@northbeam.example",
        "password": SECRET,
        "folders": "INBOX, Sent",
        "owner_email": team.admin.email,
        "ca_file": "",
    }
    return {**form, **changes}


def a_source(team: Team, **fields: object) -> Source:
    values: dict[str, object] = {
        "kind": "imap",
        "host": "imap.northbeam.example",
        "username": "mo.member@northbeam.example",
        "secret": "encrypted-elsewhere",
        "owner": team.member.teammate,
        "created_at": timezone.now(),
    }
    return Source.objects.create(**{**values, **fields})


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_admin_opens_the_page_from_the_settings(client: Client, team: Team) -> None:
    c = logged_in(client, team.admin)
    settings = c.get(reverse("web:settings")).content.decode()
    assert f'href="{reverse("web:sources")}"' in settings
    page = c.get(reverse("web:sources"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="imap-form"' in html and 'id="caldav-form"' in html and 'id="no-source"' in html
    assert f'<option value="{team.member.email}"' in html, "the owners are the teammates with an e-mail"
    assert f'<option value="{team.admin.email}" selected' in html, "the admin's own mailbox by default"
    assert 'type="password"' in html


def test_other_roles_are_refused_the_page_and_its_forms(team: Team) -> None:
    source = a_source(team)
    for who in (team.manager, team.member, team.other, team.viewer):
        c = logged_in(Client(), who)
        assert c.get(reverse("web:sources")).status_code == 403
        assert c.post(reverse("web:source_add_imap"), imap_form(team)).status_code == 403
        assert c.post(reverse("web:source_remove", args=[source.pk])).status_code == 403
        assert c.post(reverse("web:source_sync", args=[source.pk])).status_code == 403
    assert list(Source.objects.values_list("pk", flat=True)) == [source.pk]


@pytest.mark.parametrize(
    ("changes", "field", "label"),
    [
        ({"host": ""}, "host", "Server"),
        ({"username": " "}, "username", "User name"),
        ({"password": ""}, "password", "Password"),
        ({"port": "nine"}, "port", "Port"),
        ({"port": "70000"}, "port", "Port"),
        ({"owner_email": ""}, "owner_email", "Whose mailbox"),
        ({"ca_file": "/nowhere/ca.pem"}, "ca_file", "CA file"),
    ],
)
def test_a_refused_mailbox_names_its_field_stores_nothing_and_never_echoes_the_password(
    client: Client, team: Team, changes: dict[str, str], field: str, label: str
) -> None:
    refused = logged_in(client, team.admin).post(reverse("web:source_add_imap"), imap_form(team, **changes))
    html = refused.content.decode()
    assert refused.status_code == 422
    assert re.search(rf'id="imap-{field}"[^>]*aria-invalid="true"', html), "the field at fault is marked"
    assert html.count('aria-invalid="true"') == 1
    alert = re.search(r'id="imap-error"><p>(.*?)</p>', html)
    assert alert and f'<a href="#imap-{field}">{label}</a>:' in alert[1], "the error names the field"
    assert SECRET not in html
    if field != "host":
        assert 'value="imap.northbeam.example"' in html, "what was typed is kept, but the password"
    assert not Source.objects.exists()


def test_a_refused_calendar_names_its_field(client: Client, team: Team) -> None:
    form = {
        "url": "ftp://calendar.example.com/",
        "username": "ada",
        "password": SECRET,
        "owner_email": team.admin.email,
    }
    refused = logged_in(client, team.admin).post(reverse("web:source_add_caldav"), form)
    html = refused.content.decode()
    assert refused.status_code == 422 and re.search(r'id="caldav-url"[^>]*aria-invalid="true"', html)
    assert 'href="#caldav-url">Calendar address</a>' in html and SECRET not in html
    assert 'id="imap-error"' not in html and not Source.objects.exists()


def test_a_mailbox_and_a_calendar_are_added_listed_without_their_secret_and_removed(client: Client, team: Team) -> None:
    c = logged_in(client, team.admin)
    added = c.post(reverse("web:source_add_imap"), imap_form(team, owner_email=team.member.email, port="993"))
    assert added.status_code == 302
    mailbox = Source.objects.get()
    assert added["Location"].endswith(f"#source-{mailbox.pk}")
    assert (mailbox.host, mailbox.port, mailbox.folders, mailbox.owner) == (
        "imap.northbeam.example", 993, ["INBOX", "Sent"], team.member.teammate,
    )  # fmt: skip
    calendar_form = {
        "url": "https://calendar.northbeam.example/dav/ada/",
        "username": "ada",
        "password": SECRET,
        "owner_email": team.admin.email,
    }
    assert c.post(reverse("web:source_add_caldav"), calendar_form).status_code == 302
    page = c.get(reverse("web:sources"))
    html = page.content.decode()
    assert SECRET not in html and mailbox.secret not in html, "neither the password nor its encrypted form"
    row = text_of(html.split(f'id="source-{mailbox.pk}"')[1].split("</tr>")[0])
    assert "IMAP mailbox" in row and "imap.northbeam.example:993" in row and "INBOX, Sent" in row
    assert "Mo Member" in row and "never synced" in row
    assert "CalDAV calendar" in html and "https://calendar.northbeam.example/dav/ada/" in html
    assert 'id="sync-note"' in html

    removed = c.post(reverse("web:source_remove", args=[mailbox.pk]), follow=True)
    assert removed.status_code == 200 and not Source.objects.filter(pk=mailbox.pk).exists()
    assert "removed: it is no longer synced" in removed.content.decode()
    assert Source.objects.count() == 1
    assert c.post(reverse("web:source_remove", args=[mailbox.pk])).status_code == 404


def test_the_forms_need_their_csrf_token(team: Team) -> None:
    source = a_source(team)
    c = logged_in(Client(enforce_csrf_checks=True), team.admin)
    for name, args, data in [
        ("web:source_add_imap", [], imap_form(team)),
        ("web:source_add_caldav", [], {"url": "https://c.example/", "username": "a", "password": SECRET}),
        ("web:source_sync", [source.pk], {}),
        ("web:source_remove", [source.pk], {}),
    ]:
        assert c.post(reverse(name, args=args), data).status_code == 403, name
    assert list(Source.objects.values_list("pk", flat=True)) == [source.pk]
    html = c.get(reverse("web:sources")).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 5  # the two forms, sync, remove, the language picker
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]  # type: ignore[index]
    removed = c.post(reverse("web:source_remove", args=[source.pk]), {"csrfmiddlewaretoken": token})
    assert removed.status_code == 302 and not Source.objects.exists()


def test_a_failed_sync_is_one_sentence_and_is_kept_on_the_list(client: Client, team: Team) -> None:
    source = a_source(team, host="127.0.0.1", port=closed_port(), security="tls", secret="")
    c = logged_in(client, team.admin)
    synced = c.post(reverse("web:source_sync", args=[source.pk]), follow=True)
    html = synced.content.decode()
    assert synced.status_code == 200
    error = re.search(r'<li class="error">(.*?)</li>', html, re.S)
    assert error and error[1].startswith("Not synced: ") and "Traceback" not in html
    source.refresh_from_db()
    assert source.last_error and source.last_sync_at is not None
    row = html.split(f'id="source-{source.pk}"')[1].split("</tr>")[0]
    assert source.last_error.replace("'", "&#x27;") in row
    settings = c.get(reverse("web:settings")).content.decode()
    assert 'id="sources-failing"' in settings
    assert c.post(reverse("web:source_sync", args=[10**6])).status_code == 404


def test_the_sync_result_reads_as_a_sentence_in_english_and_french() -> None:
    summary = Summary(read=12, captured=9, added=9, skipped=Counter({"mailing list or bulk": 3}))
    assert sync_sentence("imap", summary) == "Read 12 messages: 9 interactions added, 3 skipped (mailing list or bulk)."
    summary.skipped["robot sender"] = 1
    summary.people["created"] = 2
    summary.unknown_domains["elsewhere.example"] = 1
    many = sync_sentence("imap", summary)
    assert "4 skipped (mailing list or bulk: 3, robot sender: 1)." in many
    assert "2 new people at known accounts are now contacts." in many and "elsewhere.example" in many
    assert sync_sentence("caldav", Summary(read=1, added=1)) == "Read 1 event: 1 interaction added."
    with translation.override("fr"):
        french = sync_sentence("imap", Summary(read=12, added=9, skipped=Counter({"mailing list or bulk": 3})))
    assert french == "12 messages lus : 9 interactions ajoutées, 3 ignorés (liste de diffusion ou envoi en masse)."


@pytest.fixture
def mail_server() -> Iterator[dovecot.Dovecot]:
    if not dovecot.available():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot is missing: CI installs it")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    with dovecot.running_dovecot() as server:
        yield server


def test_sync_now_reads_a_real_mailbox_and_the_account_shows_the_people_at_once(
    client: Client, team: Team, mail_server: dovecot.Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "northbeam.example")
    acme = make_account("Acme", domain="acme.example")
    jane = make_contact(acme, first_name="Jane", last_name="Client", email="jane@acme.example")
    now = timezone.now()
    mail_server.append(
        "alice@example.com",
        "INBOX",
        [
            dovecot.message("Mo Member <mo.member@northbeam.example>", "jane@acme.example", now - timedelta(hours=3)),
            dovecot.message("jane@acme.example", "mo.member@northbeam.example", now - timedelta(hours=2)),
            dovecot.message("Nora Newcomer <nora@acme.example>", "mo.member@northbeam.example", now),
            dovecot.message("news@acme.example", "mo.member@northbeam.example", now, extra="List-Id: <n.acme>\r\n"),
        ],
    )
    c = logged_in(client, team.admin)
    form = imap_form(
        team,
        host="127.0.0.1",
        port=str(mail_server.imaps_port),
        username="alice@example.com",
        password="alice-secret",
        folders="INBOX",
        owner_email=team.member.email,
        ca_file=str(mail_server.ca_file),
    )
    assert c.post(reverse("web:source_add_imap"), form).status_code == 302
    source = Source.objects.get()
    synced = c.post(reverse("web:source_sync", args=[source.pk]), follow=True).content.decode()
    assert "Read 4 messages: 3 interactions added, 1 skipped (mailing list or bulk)." in synced
    assert "1 new person at a known account is now a contact." in synced
    assert "alice-secret" not in synced
    row = text_of(synced.split(f'id="source-{source.pk}"')[1].split("</tr>")[0])
    assert "read 4, 3 interactions added" in row

    nora = Contact.objects.get(email="nora@acme.example")
    html = c.get(reverse("web:account", args=[acme.pk])).content.decode()
    people = html.split('id="talked-to"')[1].split("</table>")[0]
    assert people.index(f'id="talked-to-{nora.pk}"') < people.index(f'id="talked-to-{jane.pk}"'), "latest first"
    nora_row = people.split(f'id="talked-to-{nora.pk}"')[1].split("</tr>")[0]
    assert "Nora Newcomer" in nora_row and "captured" in nora_row and "Mo Member" in nora_row
    jane_row = text_of(people.split(f'id="talked-to-{jane.pk}"')[1].split("</tr>")[0])
    assert "Jane Client" in jane_row and "captured" not in jane_row and " 2 " in jane_row


def test_the_account_lists_the_people_we_talk_to_from_the_interactions(
    client: Client, team: Team, django_assert_num_queries: object
) -> None:
    account = make_account("Globex", domain="globex.example")
    quiet = make_account("Initech", domain="initech.example")
    now = timezone.now()
    bea = make_contact(account, first_name="Bea", last_name="Old", title="CFO")
    cal = make_contact(account, first_name="Cal", last_name="Found", source_system="capture")
    make_contact(account, first_name="Dee", last_name="Untouched")
    alice = make_teammate("Alice Martin", email="alice.martin@northbeam.example")
    touches = [
        (bea, team.member.teammate, now - timedelta(days=200)),
        (bea, alice, now - timedelta(days=30)),
        (bea, alice, now - timedelta(days=20)),
        (cal, team.member.teammate, now - timedelta(days=2)),
    ]
    Interaction.objects.bulk_create(
        Interaction(contact=c, teammate=t, kind=InteractionKind.EMAIL_OUT, occurred_at=at) for c, t, at in touches
    )
    with django_assert_num_queries(1):  # type: ignore[operator]
        people = people_we_talk_to(account.pk, now)
    assert [(p.contact.pk, p.recent, p.by, p.captured) for p in people] == [
        (cal.pk, 1, ["Mo Member"], True),
        (bea.pk, 2, ["Alice Martin", "Mo Member"], False),
    ]
    html = logged_in(client, team.viewer).get(reverse("web:account", args=[account.pk])).content.decode()
    section = text_of(html.split('id="people"')[1].split("</section>")[0])
    assert "People we talk to here" in section and "Touches in 90 days" in section
    assert "Bea Old, CFO 2" in section and "Alice Martin, Mo Member" in section and "Dee" not in section
    assert (
        html.count('class="tag captured"') == 1
        and timezone.localtime(now - timedelta(days=2)).strftime("%Y-%m-%d") in section
    )

    empty = logged_in(Client(), team.viewer).get(reverse("web:account", args=[quiet.pk])).content.decode()
    assert "No interaction with anyone here yet: an admin can connect a mailbox" in empty
    as_admin = logged_in(Client(), team.admin).get(reverse("web:account", args=[quiet.pk])).content.decode()
    assert f'connect a mailbox in <a href="{reverse("web:sources")}">Settings → Mailboxes and calendars</a>' in as_admin
    french = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), team.admin)
    assert (
        "Les personnes avec qui nous échangeons ici"
        in french.get(reverse("web:account", args=[account.pk])).content.decode()
    )
    assert (
        "Aucune interaction avec qui que ce soit ici"
        in french.get(reverse("web:account", args=[quiet.pk])).content.decode()
    )
    assert Account.objects.count() == 2
