"""Settings → Mailboxes and calendars in a real browser: an admin connects a real IMAP mailbox (Dovecot on
loopback, TLS with its own CA), syncs it, and finds the new relationships on the account's page at once,
without a scoring run; then the same pages in French.

The suite's live server was started without REFERLY_TEAM_DOMAINS, so this module serves the same demo
database a second time (another `referly serve`, on its own port) with the setting in its environment.
Screenshots: sources, account-people, sources-fr.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from referly.ingest.demo.firmographics import OUR_DOMAIN
from tests.browser.conftest import ADMIN, DEMO_PASSWORD, LiveReferly, free_port, log_in, new_page, serving_again
from tests.capture import dovecot

MAILBOX_USER, MAILBOX_PASSWORD = "alice@example.com", "alice-secret"  # the Dovecot fixture's user

# Run in the served app's environment: a teammate of ours, and a client account with a domain and a contact
# there whose mail may be captured (an e-mail at the account's domain, never told to stop).
FIND_PEOPLE = """
import json
from referly.database import open_database
open_database(migrate=False)
from referly.crm.models import Contact, Teammate
import sys
ours = sys.argv[1]
teammate = Teammate.objects.filter(email__endswith="@" + ours, is_active=True, user=None).order_by("email").first()
contacts = Contact.objects.filter(
    account__lifecycle="client", account__domain__isnull=False, email__isnull=False, do_not_contact=False,
    opted_out_of_asks=False, erased_at=None,
).select_related("account").order_by("account__name", "pk")
contact = next(c for c in contacts if c.email.endswith("@" + c.account.domain))
print(json.dumps({
    "teammate": teammate.email, "teammate_name": teammate.name,
    "contact": contact.email, "contact_name": contact.name, "contact_id": contact.pk,
    "account_id": contact.account_id, "account": contact.account.name, "domain": contact.account.domain,
}))
"""


@dataclass(frozen=True)
class People:
    teammate: str
    teammate_name: str
    contact: str
    contact_name: str
    contact_id: int
    account_id: int
    account: str
    domain: str


@pytest.fixture
def mail_server() -> Iterator[dovecot.Dovecot]:
    if not dovecot.available():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot is missing: CI installs it")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    with dovecot.running_dovecot() as server:
        yield server


@pytest.fixture
def served(
    live: LiveReferly, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveReferly]:
    """The demo database served again, with our own domain named in REFERLY_TEAM_DOMAINS."""
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", OUR_DOMAIN)
    env = {**live.env, "REFERLY_TEAM_DOMAINS": os.environ["REFERLY_TEAM_DOMAINS"]}
    port = free_port()
    with serving_again(env, tmp_path_factory.mktemp("serve-sources"), port):
        yield LiveReferly(f"http://127.0.0.1:{port}", env, live.manager, live.screenshots)


def people_of(live: LiveReferly) -> People:
    done = subprocess.run(
        [sys.executable, "-c", FIND_PEOPLE, OUR_DOMAIN], env=live.env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return People(**json.loads(done.stdout))


def submit(page: Any, button: Any) -> None:
    """Click a form's button and wait for the page it leads to, which must not be a refusal."""
    with page.expect_navigation() as went:
        button.click()
    status = went.value.status if went.value is not None else 0
    assert status < 400, f"the form was refused ({status}): {page.locator('body').inner_text()[:300]}"


def shoot(page: Any, live: LiveReferly, name: str) -> None:
    page.screenshot(path=str(live.screenshots / f"{name}.png"), full_page=True)


def test_an_admin_connects_a_mailbox_syncs_it_and_sees_the_new_relationships(
    browser: Any, served: LiveReferly, mail_server: dovecot.Dovecot
) -> None:
    live, who = served, people_of(served)
    newcomer = f"nora.newcomer@{who.domain}"  # nobody yet: the sync makes her a contact of the account
    now = datetime.now(UTC).replace(microsecond=0)
    mail_server.append(
        MAILBOX_USER,
        "INBOX",
        [
            dovecot.message(f"{who.teammate_name} <{who.teammate}>", who.contact, now - timedelta(minutes=30)),
            dovecot.message(who.contact, who.teammate, now - timedelta(minutes=20), subject="Re: Hello"),
            dovecot.message(f"Nora Newcomer <{newcomer}>", who.teammate, now - timedelta(minutes=10)),
            dovecot.message(f"news@{who.domain}", who.teammate, now, extra="List-Id: <news.list>\r\n"),
        ],
    )

    page = new_page(browser, live)
    log_in(page, live, ADMIN)
    page.goto(f"{live.url}/settings/")
    page.get_by_role("link", name="Capture who talks to whom from your team's mailboxes and calendars").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Mailboxes and calendars"
    assert page.locator("#no-source").is_visible()

    form = page.locator("#imap-form")
    form.get_by_label("Server").fill("127.0.0.1")
    form.get_by_label("Port").fill(str(mail_server.imaps_port))
    form.get_by_label("Security").select_option("tls")
    form.get_by_label("User name").fill(MAILBOX_USER)
    form.get_by_label("Password").fill(MAILBOX_PASSWORD)
    form.get_by_label("Folders").fill("INBOX")
    form.get_by_label("Whose mailbox").select_option(who.teammate)
    form.get_by_label("CA file").fill(str(Path(mail_server.ca_file)))
    submit(page, form.get_by_role("button", name="Add the mailbox"))
    assert "Mailbox alice@example.com" in page.get_by_role("status").inner_text()
    row = page.locator("#source-list tbody tr").first
    assert who.teammate_name in row.inner_text() and "never synced" in row.inner_text()
    assert MAILBOX_PASSWORD not in page.content(), "the password is never sent back"

    submit(page, row.get_by_role("button", name="Sync now"))
    result = page.get_by_role("status").inner_text()
    assert "Read 4 messages: 3 interactions added, 1 skipped (mailing list or bulk)." in result, result
    assert "1 new person at a known account is now a contact." in result
    row = page.locator("#source-list tbody tr").first
    assert "read 4, 3 interactions added" in row.inner_text()
    assert MAILBOX_PASSWORD not in page.content()
    shoot(page, live, "sources")

    # the account's page lists the relationships at once: no scoring run in between
    page.goto(f"{live.url}/accounts/")
    page.get_by_label("Name or domain").fill(who.account)
    submit(page, page.get_by_role("button", name="Search"))
    page.locator("#accounts").get_by_role("link", name=who.account, exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/accounts/{who.account_id}/")
    people = page.locator("#talked-to tbody tr")
    first, second = people.nth(0).inner_text(), people.nth(1).inner_text()
    assert "Nora Newcomer" in first and "captured" in first and who.teammate_name in first
    assert who.contact_name in second and who.teammate_name in second and "captured" not in second
    assert (now - timedelta(minutes=10)).strftime("%Y-%m-%d") in first
    shoot(page, live, "account-people")

    # the same pages in French
    french = new_page(browser, live, lang="fr")
    french.goto(f"{live.url}/login/")
    french.get_by_label("E-mail").fill(ADMIN)
    french.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    submit(french, french.get_by_role("button", name="Se connecter"))
    french.goto(f"{live.url}/settings/sources/")
    assert french.get_by_role("heading", level=1).inner_text().strip() == "Boîtes mail et agendas"
    assert french.get_by_role("button", name="Synchroniser maintenant").count() == 1
    assert french.get_by_role("heading", name="Ajouter une boîte mail IMAP").is_visible()
    assert french.locator("#imap-form").get_by_label("Mot de passe").is_visible()
    shoot(french, live, "sources-fr")
    french.goto(f"{live.url}/accounts/{who.account_id}/")
    assert french.get_by_role("heading", name="Les personnes avec qui nous échangeons ici").is_visible()
    assert "capté" in french.locator("#talked-to tbody tr").first.inner_text()
    assert re.search(r"Échanges sur 90 jours", french.locator("#talked-to thead").inner_text())

    # removed: the source goes, what it captured stays
    page.goto(f"{live.url}/settings/sources/")
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, page.locator("#source-list tbody tr").first.get_by_role("button", name="Remove"))
    assert page.locator("#no-source").is_visible()
    page.goto(f"{live.url}/accounts/{who.account_id}/")
    assert "Nora Newcomer" in page.locator("#talked-to").inner_text()

    assert not page.problems and not french.problems, page.problems + french.problems
    assert not live.outside, live.outside
