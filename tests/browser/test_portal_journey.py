"""The sponsor portal as a new user meets it: a link made by the owner, the sponsor's page in a browser with no
login, an offer to introduce, a recommendation, the recommended person's consent by e-mail, and the refusals.

The suite's live server sends no mail, so this module serves the same demo database a second time (another
`referly serve`, on its own port) with REFERLY_SMTP_URL pointing at a real SMTP server on loopback (aiosmtpd)
and REFERLY_BASE_URL at itself, so the links in the messages open in the browser. The existing fixtures are
left as they are. Screenshots: portal-sponsor, portal-sponsor-phone-fr, portal-consent, portal-refused.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ADMIN, LiveReferly, free_port, log_in, new_page, serving_again
from tests.mail_server import Inbox, smtp_server

CONSENT_LINK = re.compile(r"https?://[^\s\"<>]+/o/[^/\s\"<>]+/")

# Run in the served app's environment: the sponsors of the latest run's next best actions whom a page may be made
# for (an e-mail, never asked to stop, no referral yet so that every test reads its own), and their targets.
FIND_SPONSORS = """
import json
from referly.database import open_database
open_database(migrate=False)
from referly.portal.queries import targets
from referly.referrals.models import Referral
from referly.scoring.models import NextBestAction
from referly.scoring.queries import latest_run
found, seen = [], set()
actions = NextBestAction.objects.filter(run=latest_run()).select_related("sponsor__account", "owner").order_by("rank")
for action in actions:
    s = action.sponsor
    if s.pk in seen or not s.email or s.do_not_contact or s.opted_out_of_asks or s.erased_at is not None:
        continue
    seen.add(s.pk)
    if action.owner is None or not action.owner.email or Referral.objects.filter(referrer_contact=s).exists():
        continue
    offered = targets(s, "en")
    if any(t.reason for t in offered):
        found.append({"email": s.email, "first_name": s.first_name or s.name, "owner": action.owner.email,
                      "targets": [t.account_name for t in offered]})
    if len(found) == 6:
        break
print(json.dumps(found))
"""

CONSENT_ROW = """
import json, sys
from referly.database import open_database
open_database(migrate=False)
from referly.portal.models import OptIn
fields = ("email", "name", "declined_at", "erased_at", "send_error")
rows = OptIn.objects.filter(referral_id=int(sys.argv[1])).values(*fields)
print(json.dumps([{k: (str(v) if v is not None else None) for k, v in row.items()} for row in rows]))
"""

COUNT_CONSENTS = """
from referly.database import open_database
open_database(migrate=False)
from referly.portal.models import OptIn
print(OptIn.objects.count())
"""


@dataclass(frozen=True)
class Sponsor:
    email: str
    first_name: str
    owner: str  # the teammate who sends the link, and is told when a recommended person agrees
    targets: list[str]


@dataclass
class Mailing:
    live: LiveReferly  # the second server: the same database, with mail
    inbox: Inbox
    sponsors: list[Sponsor]
    log: Path

    def python(self, code: str, *args: str) -> Any:
        """Run ``code`` with Django against the served database; its printed JSON."""
        done = subprocess.run(
            [sys.executable, "-c", code, *args], env=self.live.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def link(self, sponsor: Sponsor, lang: str) -> str:
        """The sponsor's page, made as an owner makes it: `referly portal link EMAIL --lang LANG --by OWNER`."""
        made = self.live.referly("portal", "link", sponsor.email, "--days", "30", "--lang", lang, "--by", sponsor.owner)
        assert made.returncode == 0, made.stdout + made.stderr
        url = made.stdout.strip().splitlines()[-1].strip()
        assert url.startswith(f"{self.live.url}/p/") and url.endswith("/"), made.stdout
        return url

    def referrals_of(self, sponsor: Sponsor) -> list[dict[str, Any]]:
        listed = self.live.referly("referral", "list", "--referrer", sponsor.email, "--json")
        assert listed.returncode == 0, listed.stderr
        return list(json.loads(listed.stdout))

    def wait_for(self, address: str, subject: str = "") -> EmailMessage:
        """The first message to ``address`` (whose subject holds ``subject``), polled for at most 20 seconds."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for message in self.inbox.to(address):
                if subject in str(message["Subject"]):
                    return message
            time.sleep(0.1)
        pytest.fail(
            f"no message to {address} ({subject!r}) arrived; received: {[m['To'] for m in self.inbox.messages]}"
        )


@pytest.fixture(scope="module")
def mailing(live: LiveReferly, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailing]:
    cwd = tmp_path_factory.mktemp("serve-mail")
    log = cwd / "serve.log"
    with smtp_server() as inbox:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **live.env,
            "REFERLY_SMTP_URL": inbox.url,
            "REFERLY_BASE_URL": url,
            "REFERLY_MAIL_FROM": "referrals@northbeam.example",
            # one key for this server and the CLI that signs the links, wherever each runs (PostgreSQL keeps its
            # key file in the working folder, which differs between them)
            "REFERLY_SECRET_KEY": secrets.token_urlsafe(50),
        }
        with serving_again(env, cwd, port):
            served = LiveReferly(url, env, live.manager, live.screenshots)
            found = Mailing(served, inbox, [], log)
            found.sponsors = [Sponsor(**s) for s in found.python(FIND_SPONSORS)]
            assert len(found.sponsors) >= 3, "the tiny demo has sponsors with targets and reasons"
            yield found


def submit(page: Any, button: Any) -> None:
    """Click a form's button and wait for the page it leads to, which must not be a refusal.

    A 403 "CSRF verification failed" here is what a page served with ``Referrer-Policy: no-referrer`` gets:
    Chromium then sends ``Origin: null`` with the form, and Django's CSRF check refuses that origin."""
    with page.expect_navigation() as went:
        button.click()
    status = went.value.status if went.value is not None else 0
    assert status < 400, f"the form was refused ({status}): {page.locator('body').inner_text()[:300]}"


def shoot(page: Any, mailing: Mailing, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(mailing.live.screenshots / f"{name}.png"), full_page=full_page)


def consent_link(message: EmailMessage) -> str:
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = CONSENT_LINK.search(body)
    assert found, body
    return found[0]


def recommend(page: Any, name: str, email: str, company: str, how: str) -> None:
    form = page.locator("#recommend-form")
    form.get_by_label("Their name").fill(name)
    form.get_by_label("Their work e-mail").fill(email)
    form.get_by_label("Their company").fill(company)
    form.get_by_label("How you know them").fill(how)
    submit(page, form.get_by_role("button", name="Recommend", exact=True))
    page.wait_for_selector("#done-recommend")


def test_a_sponsor_offers_an_introduction_and_recommends_someone_who_agrees(browser: Any, mailing: Mailing) -> None:
    live, sponsor = mailing.live, mailing.sponsors[0]
    url = mailing.link(sponsor, "en")

    # the sponsor opens the link: a fresh browser, no login
    page = new_page(browser, live)
    answer = page.goto(url)
    assert answer.status == 200
    headers = answer.headers
    assert headers["x-robots-tag"] == "noindex, nofollow"
    assert headers["referrer-policy"] == "same-origin" and headers["cache-control"] == "no-store"
    assert page.get_by_role("heading", level=1).inner_text().strip() == f"Thank you, {sponsor.first_name}"
    cards = page.locator("#targets .card")
    assert 1 <= cards.count() <= 5
    names = [cards.nth(i).get_by_role("heading", level=3).inner_text().strip() for i in range(cards.count())]
    assert names == sponsor.targets[: len(names)]
    reasons = page.locator("#targets .card > p:not(.muted)").all_inner_texts()
    assert reasons and all(r.startswith("You ") for r in reasons), reasons
    text = page.locator("body").inner_text().lower()
    assert "score" not in text and "strength" not in text, "no score reaches the sponsor"
    assert "login" not in page.url
    shoot(page, mailing, "portal-sponsor", full_page=True)

    # "I can introduce you" on the first target: the page thanks them and a requested referral exists
    first = cards.first
    target = first.get_by_role("heading", level=3).inner_text().strip()
    card_id = first.get_attribute("id")
    submit(page, first.get_by_role("button", name="I can introduce you"))
    page.wait_for_selector("#done-answer")
    assert "Noted, thank you." in page.locator("#done-answer").inner_text()
    assert "You offered to introduce us" in page.locator(f"#{card_id}").inner_text()
    [offered] = [r for r in mailing.referrals_of(sponsor) if r["target_account"] == target]
    assert (offered["stage"], offered["channel"], offered["owner"]) == ("requested", "portal", sponsor.owner)
    assert target in page.locator(f"#yours #referral-{offered['id']}").inner_text()

    # "Recommend someone else": the consent request reaches the person, naming the sponsor
    person = "nina.newcomb@newco-browser.example"
    recommend(page, "Nina Newcomb", person, "Newco Browser", "We ran a project together")
    message = mailing.wait_for(person)
    assert "suggested we get in touch" in str(message["Subject"])
    assert message["Reply-To"] == sponsor.owner
    link = consent_link(message)
    assert link.startswith(f"{live.url}/o/")
    [recommended] = [r for r in mailing.referrals_of(sponsor) if r["target_account"] == "Newco Browser"]
    assert recommended["stage"] == "requested"

    # the person opens the link from the message (a browser of their own) and agrees
    theirs = new_page(browser, live, height=480)
    assert theirs.goto(link).status == 200
    assert theirs.get_by_role("heading", level=1).inner_text().strip() == "May we contact you?"
    assert "Nina Newcomb" in theirs.locator("main").inner_text()
    shoot(theirs, mailing, "portal-consent")
    [still] = [r for r in mailing.referrals_of(sponsor) if r["id"] == recommended["id"]]
    assert still["stage"] == "requested", "opening the link changes nothing: mail scanners open links"
    submit(theirs, theirs.get_by_role("button", name="Yes, you may contact me"))
    theirs.wait_for_selector("#done-confirmed")
    [agreed] = [r for r in mailing.referrals_of(sponsor) if r["id"] == recommended["id"]]
    assert agreed["stage"] == "introduced" and agreed["target_contact"] == "Nina Newcomb"
    notice = mailing.wait_for(sponsor.owner, "agreed to be contacted")
    assert person in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mailing.python(CONSENT_ROW, str(recommended["id"]))[0]["email"] is None, "the address moved to the contact"
    assert theirs.goto(link).status == 404, "answered: the link is spent"

    # the owner sees it on the referral's page
    owner = new_page(browser, live)
    log_in(owner, live, ADMIN)
    owner.goto(f"{live.url}/referrals/{recommended['id']}/")
    assert owner.locator("#referral-stage").inner_text().strip() == "Introduced"
    assert not page.problems and not owner.problems, page.problems + owner.problems
    assert [p for p in theirs.problems if "404" not in p] == [], "only the spent link's 404 is reported"
    assert not live.outside, live.outside


def test_a_person_who_declines_is_erased_and_cannot_be_recommended_again(browser: Any, mailing: Mailing) -> None:
    live, sponsor = mailing.live, mailing.sponsors[1]
    page = new_page(browser, live)
    page.goto(mailing.link(sponsor, "en"))
    person = "dan.decline@elsewhere-browser.example"
    recommend(page, "Dan Decline", person, "Elsewhere Browser", "A conference")
    link = consent_link(mailing.wait_for(person))
    [recommended] = [r for r in mailing.referrals_of(sponsor) if r["target_account"] == "Elsewhere Browser"]

    theirs = new_page(browser, live)
    theirs.goto(link)
    submit(theirs, theirs.get_by_role("button", name="No, thank you"))
    theirs.wait_for_selector("#done-declined")
    assert "your address has been erased" in theirs.locator("#done-declined").inner_text()
    [closed] = [r for r in mailing.referrals_of(sponsor) if r["id"] == recommended["id"]]
    assert closed["stage"] == "declined"
    [row] = mailing.python(CONSENT_ROW, str(recommended["id"]))
    assert (row["email"], row["name"]) == (None, "") and row["declined_at"] and row["erased_at"]
    assert theirs.goto(link).status == 404

    # recommended again: thanked as if it went well, but no second request and no second message
    consents = mailing.python(COUNT_CONSENTS)
    page.goto(mailing.link(sponsor, "en"))
    recommend(page, "Dan D.", person, "Elsewhere Browser", "A conference")
    assert mailing.python(COUNT_CONSENTS) == consents
    assert len(mailing.inbox.to(person)) == 1
    assert not page.problems and [p for p in theirs.problems if "404" not in p] == []
    assert not live.outside, live.outside


def test_the_sponsor_page_in_french_on_a_phone(browser: Any, mailing: Mailing) -> None:
    live, sponsor = mailing.live, mailing.sponsors[2]
    page = new_page(browser, live, width=390, height=844, lang="fr-FR")
    assert page.goto(mailing.link(sponsor, "fr")).status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text().strip() == f"Merci, {sponsor.first_name}"
    assert page.locator("#targets-title").inner_text().strip() == "Des personnes que vous connaissez peut-être"
    assert page.locator("#recommend-title").inner_text().strip() == "Recommander quelqu’un d’autre"
    assert page.get_by_role("button", name="Je peux vous présenter").count() >= 1
    reasons = page.locator("#targets .card > p:not(.muted)").all_inner_texts()
    assert reasons and all(r.startswith("Vous ") for r in reasons), reasons
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page scrolls sideways on a phone ({width}px for {inner}px)"
    shoot(page, mailing, "portal-sponsor-phone-fr")
    assert not page.problems and not live.outside


def test_a_bad_link_gets_the_one_refusal_page(browser: Any, mailing: Mailing) -> None:
    live = mailing.live
    page = new_page(browser, live, height=480)
    good = mailing.link(mailing.sponsors[3], "en")
    token = good.rstrip("/").rsplit("/", 1)[1]
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    seen = []
    for path in ("/p/not-a-token/", f"/p/{altered}/", f"/o/{token}/"):  # forged, altered, another kind's token
        answer = page.goto(f"{live.url}{path}")
        assert answer.status == 404
        seen.append(page.locator("main").inner_html())
        assert page.get_by_role("heading", level=1).inner_text().strip() == "This link does not work"
    assert len(set(seen)) == 1, "every bad link reads the same"
    shoot(page, mailing, "portal-refused")
    revoked = mailing.live.referly("portal", "revoke", mailing.sponsors[3].email)
    assert revoked.returncode == 0 and "1 link(s) revoked." in revoked.stdout
    assert page.goto(good).status == 404 and page.locator("main").inner_html() == seen[0]
    # the console reports the 404s themselves; nothing else may fail
    assert [p for p in page.problems if "404" not in p] == []
    assert not live.outside
