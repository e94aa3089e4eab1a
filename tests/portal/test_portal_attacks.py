"""The pages a visitor reaches without a login, attacked: forms posted from another site (no CSRF token) are
refused and change nothing, and names chosen to run a script are shown as text under a strict policy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from referly.crm.models import Account, Contact, Employment
from referly.portal import links
from referly.portal.models import OptIn, PathAnswer
from referly.portal.queries import targets
from referly.referrals.models import Referral
from tests.web.conftest import Company, company

pytestmark = pytest.mark.django_db
__all__ = ["company"]

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
HOSTILE = (SCRIPT, IMAGE)


@dataclass
class Portal:
    sponsor: Contact
    page: str


@pytest.fixture
def portal(company: Company, monkeypatch: pytest.MonkeyPatch) -> Portal:
    monkeypatch.setenv("REFERLY_BASE_URL", "http://referly.test")
    sponsor = company.mine[0].sponsor
    _, url = links.create_sponsor_link(sponsor, 30, timezone.now(), company.team.member.teammate, "en")
    return Portal(sponsor, "/p/" + url.rstrip("/").rsplit("/", 1)[1] + "/")


def csrf_token(page: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found, "the page's forms carry a CSRF token"
    return found.group(1)


def consent_page(request: OptIn) -> str:
    """A fresh consent link for ``request`` (the one mailed is not kept anywhere)."""
    token, digest = links.make_token(request.pk, links.OPT_IN_SALT)
    OptIn.objects.filter(pk=request.pk).update(nonce_digest=digest)
    return f"/o/{token}/"


def recommended(portal: Portal, browser: Client, name: str, company_name: str) -> OptIn:
    token = csrf_token(browser.get(portal.page))
    form = {"name": name, "email": "nina@newco.example", "company": company_name, "csrfmiddlewaretoken": token}
    assert browser.post(f"{portal.page}recommend/", form).status_code == 302
    return OptIn.objects.get()


def what_changed() -> tuple[int, int, int, int, bool]:
    sponsor_opted_out = Contact.objects.filter(opted_out_of_asks=True).exists()
    return (
        PathAnswer.objects.count(),
        OptIn.objects.count(),
        Referral.objects.count(),
        OptIn.objects.exclude(confirmed_at=None).count(),
        sponsor_opted_out,
    )


def test_the_sponsors_forms_without_their_csrf_token_are_refused_and_change_nothing(portal: Portal) -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(portal.page)
    assert page.status_code == 200
    target = targets(portal.sponsor, "en")[0]
    forms = {
        f"{portal.page}targets/{target.account_id}/": {"answer": "introduce"},
        f"{portal.page}recommend/": {"name": "Nina Newcomb", "email": "nina@newco.example", "company": "Newco"},
        f"{portal.page}opt-out/": {},
    }
    before = what_changed()
    for path, form in forms.items():
        assert browser.post(path, form).status_code == 403, path
        assert Client(enforce_csrf_checks=True).post(path, form).status_code == 403, f"{path} with no cookie"
        forged = form | {"csrfmiddlewaretoken": "x" * 64}
        assert browser.post(path, forged).status_code == 403, f"{path} with a made-up token"
    assert what_changed() == before, "nothing answered, recommended or opted out"

    token = csrf_token(page)
    for path, form in forms.items():
        assert browser.post(path, form | {"csrfmiddlewaretoken": token}).status_code in (200, 302), path
    answered, asked, _, _, opted_out = what_changed()
    assert (answered, asked, opted_out) == (1, 1, True), "with the token each form does what it says"


def test_the_consent_form_without_its_csrf_token_is_refused_and_changes_nothing(portal: Portal) -> None:
    request = recommended(portal, Client(enforce_csrf_checks=True), "Nina Newcomb", "Newco")
    consent = consent_page(request)
    person = Client(enforce_csrf_checks=True)
    page = person.get(consent)
    assert page.status_code == 200
    before = what_changed()
    assert person.post(consent, {"answer": "yes"}).status_code == 403
    assert Client(enforce_csrf_checks=True).post(consent, {"answer": "no"}).status_code == 403
    assert what_changed() == before
    request.refresh_from_db()
    assert (request.confirmed_at, request.declined_at, request.email) == (None, None, "nina@newco.example")

    assert person.post(consent, {"answer": "yes", "csrfmiddlewaretoken": csrf_token(page)}).status_code == 200
    request.refresh_from_db()
    assert request.confirmed_at is not None


def only_escaped(html: str, *shown: str) -> None:
    for value in HOSTILE:
        assert value not in html, f"{value!r} reached the page as markup"
    for value in shown:
        assert escape(value) in html, f"{value!r} is not on the page as text"
    assert "<script" not in html.replace("<script src=", "")


def strict_policy(page: Any) -> None:
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_hostile_names_on_the_sponsors_page_are_shown_as_text(portal: Portal, company: Company) -> None:
    offered = targets(portal.sponsor, "en")
    Account.objects.filter(pk=offered[0].account_id).update(name=SCRIPT)
    Account.objects.filter(pk__in=[t.account_id for t in offered[1:]]).update(name=IMAGE)
    Contact.objects.filter(pk=portal.sponsor.pk).update(first_name=SCRIPT, last_name=IMAGE)
    Employment.objects.filter(contact=portal.sponsor).update(company_name=IMAGE)
    Referral.objects.filter(referrer_contact=portal.sponsor).update(target_account_id=offered[0].account_id)

    page = Client().get(portal.page)
    assert page.status_code == 200
    only_escaped(page.content.decode(), SCRIPT, IMAGE)
    strict_policy(page)

    browser = Client()
    refused = browser.post(f"{portal.page}recommend/", {"name": SCRIPT, "email": "not an address", "company": IMAGE})
    assert refused.status_code == 422, "what the sponsor typed comes back in the form, escaped"
    only_escaped(refused.content.decode(), SCRIPT, IMAGE)
    strict_policy(refused)


def test_hostile_names_on_the_consent_page_are_shown_as_text(portal: Portal) -> None:
    Contact.objects.filter(pk=portal.sponsor.pk).update(first_name=SCRIPT, last_name=IMAGE)
    Account.objects.filter(pk=portal.sponsor.account_id).update(name=IMAGE)
    request = recommended(portal, Client(enforce_csrf_checks=True), f"{SCRIPT} {IMAGE}", SCRIPT)
    page = Client().get(consent_page(request))
    assert page.status_code == 200
    html = page.content.decode()
    only_escaped(html, SCRIPT, IMAGE)
    assert html.count(escape(IMAGE)) >= 3, "the person's name, the sponsor's and the sponsor's company"
    strict_policy(page)
