"""Sending an ask from the app as a new user would, in English and in French: Today → Send → edit the subject →
queued; the worker hands it to a real SMTP server (aiosmtpd on loopback) → sent; the sponsor replies → the
owner's digest carries the reply with a link, and the link opens the referral, which shows "replied".

The suite's live server sends no mail, so this module serves the same demo database a second time with
REFERLY_SMTP_URL pointing at the SMTP server and REFERLY_BASE_URL at itself. Screenshots: send-form, send-queued.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, LiveReferly, free_port, log_in, new_page, serving_again
from tests.mail_server import Inbox, smtp_server

# Run in the served app's environment, after the ask was queued: the message's facts; its owner gets a login
# (when the demo gave them none) and a digest due at any hour, in the language of the journey.
PREPARE_OWNER = """
import json, sys
from referly.database import open_database
open_database(migrate=False)
from django.db import transaction
from referly.access.services import create_user
from referly.notices.models import DigestChoice
from referly.outbox.models import OutboxMessage
message = OutboxMessage.objects.select_related("owner").get(referral__referrer_contact__email=sys.argv[1])
owner = message.owner
with transaction.atomic():
    if owner.user_id is None:
        create_user(owner.email, "member", password="referly-demo", teammate=owner.email)
    DigestChoice.objects.update_or_create(
        teammate=owner, defaults={"hour": 0, "time_zone": "UTC", "language": sys.argv[2], "last_sent_on": None}
    )
print(json.dumps({"id": message.pk, "referral": message.referral_id, "owner": owner.email,
                  "message_id": message.message_id, "to": message.to_address, "subject": message.subject}))
"""

# The sponsor's answer, as the mailbox sync hands it over; then the owner's digest may go again today.
REPLY = """
import sys
from email.message import EmailMessage
from referly.database import open_database
open_database(migrate=False)
from django.db import transaction
from django.utils import timezone
from referly.notices.models import DigestChoice
from referly.outbox.returns import apply_incoming
to, owner, message_id, subject, line = sys.argv[1:6]
reply = EmailMessage()
reply["From"], reply["To"], reply["Subject"] = to, owner, "Re: " + subject
reply["In-Reply-To"] = reply["References"] = message_id
reply["Message-ID"] = "<reply-" + message_id.strip("<>") + ">"
reply.set_content(line + "\\n\\nBest,\\nThe sponsor\\n")
with transaction.atomic():
    print(apply_incoming(reply.as_bytes(), owner, timezone.now()))
    DigestChoice.objects.filter(teammate__email=owner).update(last_sent_on=None)
"""


@dataclass
class Mailing:
    live: LiveReferly
    inbox: Inbox

    def python(self, code: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, *args], env=self.live.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def work_once(self) -> None:
        done = self.live.referly("worker", "--once")
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def mailing(live: LiveReferly, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailing]:
    cwd = tmp_path_factory.mktemp("serve-send")
    with smtp_server() as inbox:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **live.env,
            "REFERLY_SMTP_URL": inbox.url,
            "REFERLY_BASE_URL": url,
            "REFERLY_MAIL_FROM": "referly@northbeam.example",
            "REFERLY_SECRET_KEY": secrets.token_urlsafe(50),
        }
        with serving_again(env, cwd, port):
            yield Mailing(LiveReferly(url, env, live.manager, live.screenshots), inbox)


def submit(page: Any, button: Any) -> None:
    with page.expect_navigation() as went:
        button.click()
    status = went.value.status if went.value is not None else 0
    assert status < 400, f"the form was refused ({status}): {page.locator('body').inner_text()[:300]}"


def digest_link(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(rf"https?://\S+{re.escape(path)}", body)
    assert found, body
    return found[0]


@pytest.mark.parametrize(
    ("lang", "subject_word", "digest_subject"),
    [("en", "Introduction", "Referly: "), ("fr", "Présentation", "Referly : ")],
)
def test_an_ask_sent_from_today_leaves_comes_back_and_shows_in_the_digest(
    browser: Any, mailing: Mailing, lang: str, subject_word: str, digest_subject: str
) -> None:
    live = mailing.live
    page = new_page(browser, live, lang=lang)
    if lang == "en":
        log_in(page, live, live.manager)
    else:
        page.goto(f"{live.url}/login/")
        page.get_by_label("E-mail").fill(live.manager)
        page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
        submit(page, page.get_by_role("button", name="Se connecter"))
    page.goto(f"{live.url}/")
    send = page.locator("li.action a[id^='send-']").first
    action_id = (send.get_attribute("id") or "").removeprefix("send-")
    sponsor = page.locator(f"#action-{action_id} h2").inner_text()
    assert send.inner_text().strip() == ("Envoyer" if lang == "fr" else "Send")
    send.click()
    page.wait_for_load_state()
    heading = page.get_by_role("heading", level=1).inner_text().strip()
    assert heading == ("Envoyer la demande" if lang == "fr" else "Send the ask")

    # the form holds the rendered script in the page's language; the subject is edited
    assert page.locator("#send-language select").input_value() == lang
    body = page.locator("#send-text").input_value()
    assert len(body) > 80 and (("Bonjour" in body) == (lang == "fr")), body
    subject = f"{subject_word} {secrets.token_hex(3)}"
    page.locator("#send-subject").fill(subject)
    page.screenshot(path=str(live.screenshots / f"send-form-{lang}.png"))
    submit(page, page.locator("#send-submit"))
    assert page.locator(f"#send-state-{action_id}").get_attribute("data-state") == "queued", sponsor
    assert page.locator(f"#send-state-{action_id}").inner_text().strip() == ("En file" if lang == "fr" else "Queued")
    page.screenshot(path=str(live.screenshots / f"send-queued-{lang}.png"))

    sponsor_email = mailing.python(
        "import sys\nfrom referly.database import open_database\nopen_database(migrate=False)\n"
        "from referly.outbox.models import OutboxMessage\n"
        "print(OutboxMessage.objects.get(subject=sys.argv[1]).to_address)",
        subject,
    ).strip()
    sent = json.loads(mailing.python(PREPARE_OWNER, sponsor_email, lang))

    # the worker hands it over: the SMTP server holds it, from its owner, with its Message-ID
    mailing.work_once()
    (message,) = mailing.inbox.with_id(sent["message_id"])
    assert message["Subject"] == subject and sponsor_email in str(message["To"])
    assert sent["owner"] in str(message["From"]) + str(message.get("Reply-To", ""))
    page.goto(f"{live.url}/referrals/{sent['referral']}/")  # the worker's daily run may have scored again
    assert page.locator(f"#outbox-{sent['id']} [data-state]").get_attribute("data-state") == "sent"
    assert page.locator("#referral-stage").inner_text().strip()

    # the sponsor replies; the owner's digest carries it with a link that opens the referral
    line = "Avec plaisir, je fais le lien" if lang == "fr" else "Happy to introduce you"
    assert mailing.python(REPLY, sent["to"], sent["owner"], sent["message_id"], subject, line).startswith("reply")
    mailing.work_once()
    digests = [m for m in mailing.inbox.to(sent["owner"]) if str(m["Subject"]).startswith(digest_subject)]
    assert digests, [m["Subject"] for m in mailing.inbox.to(sent["owner"])]
    text = digests[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert line in text
    page.goto(digest_link(digests[-1], f"/referrals/{sent['referral']}/"))
    assert re.search(rf"/referrals/{sent['referral']}/$", page.url)
    assert page.locator(f"#outbox-{sent['id']} [data-state]").get_attribute("data-state") == "replied"
    assert not page.problems, page.problems
    assert not live.outside, live.outside
