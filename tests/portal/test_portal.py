"""The sponsor's page and the recommended person's consent, through the pages as a visitor sees them, with a
real SMTP server receiving the messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from click.testing import Result
from django.test import Client
from django.utils import timezone

from referly.crm.models import Contact
from referly.portal import links
from referly.portal.models import DeclinedAddress, OptIn, PathAnswer, SponsorLink
from referly.portal.queries import targets
from referly.portal.services import expire
from referly.referrals.models import Referral
from tests.mail_server import Inbox, smtp_server
from tests.web.conftest import Company, company

pytestmark = pytest.mark.django_db
__all__ = ["company"]
Hooks = Callable[..., Any]


@dataclass
class Portal:
    company: Company
    sponsor: Contact
    token: str
    inbox: Inbox

    @property
    def page(self) -> str:
        return f"/p/{self.token}/"


@pytest.fixture
def portal(company: Company, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    sponsor = company.mine[0].sponsor
    with smtp_server() as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url)
        monkeypatch.setenv("REFERLY_BASE_URL", "http://referly.test")
        _, url = links.create_sponsor_link(sponsor, 30, timezone.now(), company.team.member.teammate, "en")
        yield Portal(company, sponsor, url.rstrip("/").rsplit("/", 1)[1], inbox)


def visit(path: str, post: bool = False, **data: Any) -> Any:
    client = Client(enforce_csrf_checks=False)
    return client.post(path, data) if data or post else client.get(path)


def test_the_page_lists_targets_with_reasons_the_sponsor_knows_and_nothing_else(portal: Portal) -> None:
    page = visit(portal.page)
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    assert 'name="robots" content="noindex, nofollow"' in html
    offered = targets(portal.sponsor, "en")
    assert 1 <= len(offered) <= 5
    for target in offered:
        assert f'id="target-{target.account_id}"' in html and target.account_name in html
    assert any(t.reason and t.reason in html for t in offered)
    assert "strength" not in html.lower() and "score" not in html.lower()
    assert portal.company.mine[0].explanation not in html, "the team's own wording stays inside"


def test_i_can_introduce_you_makes_one_requested_portal_referral_even_on_a_double_click(portal: Portal) -> None:
    target = targets(portal.sponsor, "en")[0]
    before = set(Referral.objects.values_list("pk", flat=True))  # the demo may hold an older, closed one of the pair
    for _ in range(2):
        answered = visit(f"{portal.page}targets/{target.account_id}/", answer="introduce")
        assert answered.status_code == 302
    made = Referral.objects.filter(referrer_contact=portal.sponsor, target_account_id=target.account_id).exclude(
        pk__in=before
    )
    assert made.count() == 1
    referral = made.get()
    assert (referral.stage, referral.channel) == ("requested", "portal")
    assert PathAnswer.objects.get(contact=portal.sponsor, target_account_id=target.account_id).answer == "introduce"


def test_other_answers_are_kept_as_outcomes_of_the_path(portal: Portal) -> None:
    target = targets(portal.sponsor, "en")[0]
    visit(f"{portal.page}targets/{target.account_id}/", answer="not_well")
    assert PathAnswer.objects.get(contact=portal.sponsor).answer == "not_well"
    assert not Referral.objects.filter(referrer_contact=portal.sponsor, channel="portal").exists()


def test_a_recommendation_asks_consent_and_a_yes_introduces_and_tells_the_owner(
    portal: Portal, django_capture_on_commit_callbacks: Hooks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = visit(
            f"{portal.page}recommend/",
            name="Nina Newcomb",
            email="nina@newco.example",
            company="Newco",
            how_they_know="We ran a project together",
        )
    assert sent.status_code == 302
    request = OptIn.objects.get()
    assert request.sent_at is not None and request.send_error == ""
    [message] = portal.inbox.to("nina@newco.example")
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert portal.sponsor.name in body and "/o/" in body
    assert message["Reply-To"] == portal.company.team.member.teammate.email
    consent = "/o/" + body.split("/o/")[1].split("/")[0] + "/"
    assert "May we contact you?" in visit(consent).content.decode()
    assert Referral.objects.get(pk=request.referral_id).stage == "requested", "a GET changes nothing"
    with django_capture_on_commit_callbacks(execute=True):
        assert visit(consent, answer="yes").status_code == 200
    referral = Referral.objects.get(pk=request.referral_id)
    assert referral.stage == "introduced" and referral.consent_confirmed_at is not None
    assert referral.target_contact is not None and referral.target_contact.email == "nina@newco.example"
    request.refresh_from_db()
    assert request.email is None and request.confirmed_at is not None
    [notice] = portal.inbox.to(portal.company.team.member.teammate.email)
    assert "nina@newco.example" in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert visit(consent).status_code == 404, "answered: the link is spent"


def test_a_no_closes_the_referral_and_erases_the_address(
    portal: Portal, django_capture_on_commit_callbacks: Hooks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        visit(f"{portal.page}recommend/", name="Dan Decline", email="dan@elsewhere.example", company="Elsewhere")
    body = portal.inbox.to("dan@elsewhere.example")[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    consent = "/o/" + body.split("/o/")[1].split("/")[0] + "/"
    assert visit(consent, answer="no").status_code == 200
    request = OptIn.objects.get()
    assert Referral.objects.get(pk=request.referral_id).stage == "declined"
    assert (request.email, request.name, request.declined_at is not None) == (None, "", True)
    assert not Contact.objects.filter(email="dan@elsewhere.example").exists()
    assert DeclinedAddress.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = visit(f"{portal.page}recommend/", name="Dan D.", email="dan@elsewhere.example", company="Elsewhere")
    assert again.status_code == 302, "answered like a success: the sponsor does not learn they refused"
    assert OptIn.objects.count() == 1 and len(portal.inbox.to("dan@elsewhere.example")) == 1


def test_silence_for_14_days_closes_it_and_erases_the_address(
    portal: Portal, django_capture_on_commit_callbacks: Hooks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        visit(f"{portal.page}recommend/", name="Sam Silent", email="sam@quiet.example", company="Quiet")
    assert expire(timezone.now() + timedelta(days=13)) == 0
    assert expire(timezone.now() + timedelta(days=15)) == 1
    request = OptIn.objects.get()
    assert request.email is None and Referral.objects.get(pk=request.referral_id).stage == "no_response"


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("email", {"name": "X", "email": "not an address", "company": "Y"}),
        ("name", {"name": "", "email": "x@y.example", "company": "Y"}),
        ("note", {"name": "X", "email": "x@y.example", "company": "Y", "note": "n" * 2001}),
    ],
)
def test_a_bad_recommendation_is_shown_at_its_field_and_writes_nothing(
    portal: Portal, field: str, form: dict[str, str]
) -> None:
    answer = visit(f"{portal.page}recommend/", **form)
    html = answer.content.decode()
    assert answer.status_code == 422 and 'id="recommend-error"' in html
    marked = {"email": 'id="r-email"', "name": 'id="r-name"', "note": 'id="r-note"'}[field]
    assert 'aria-invalid="true"' in html[html.index(marked) :].split(">")[0]
    assert not OptIn.objects.exists()


def test_dont_ask_me_again_opts_out_everywhere_and_kills_the_link(portal: Portal) -> None:
    assert visit(f"{portal.page}opt-out/", post=True).status_code == 200
    portal.sponsor.refresh_from_db()
    assert portal.sponsor.opted_out_of_asks
    assert visit(portal.page).status_code == 404


def refusal(path: str) -> tuple[int, bytes]:
    answer = visit(path)
    return answer.status_code, answer.content


def test_forged_altered_expired_revoked_and_forgotten_links_are_refused_the_same_way(
    portal: Portal, cli: Callable[..., Result]
) -> None:
    same = refusal("/p/not-a-token/")
    assert same[0] == 404 and b"ask the person who sent it" in same[1].lower()
    altered = portal.token[:-2] + ("AA" if not portal.token.endswith("AA") else "BB")
    forged, _ = links.make_token(SponsorLink.objects.get().pk, "another-salt")
    assert refusal(f"/p/{altered}/") == same
    assert refusal(f"/p/{forged}/") == same
    SponsorLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refusal(portal.page) == same
    SponsorLink.objects.update(expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now())
    assert refusal(portal.page) == same
    SponsorLink.objects.update(revoked_at=None)
    assert visit(portal.page).status_code == 200
    assert cli("forget", str(portal.sponsor.email), "--yes").exit_code == 0
    assert refusal(portal.page) == same


def test_a_new_link_replaces_the_old_one(portal: Portal) -> None:
    links.create_sponsor_link(portal.sponsor, 30, timezone.now(), None, "en")
    assert visit(portal.page).status_code == 404


def test_rapid_posts_from_one_address_are_limited(portal: Portal) -> None:
    target = targets(portal.sponsor, "en")[0]
    statuses = [visit(f"{portal.page}targets/{target.account_id}/", answer="not_now").status_code for _ in range(100)]
    assert statuses[:20] == [302] * 20
    assert set(statuses[20:]) == {429}


def test_changing_any_id_reaches_nobody_elses_data(portal: Portal) -> None:
    """Every id a portal request carries: the link's row (inside the token) and the target account."""
    other_sponsor = portal.company.others[0].sponsor
    links.create_sponsor_link(other_sponsor, 30, timezone.now(), None, "en")
    mine = {t.account_id for t in targets(portal.sponsor, "en")}
    theirs = {t.account_id for t in targets(other_sponsor, "en")} - mine
    # another sponsor's link row, signed with our own key but without its nonce: refused
    other_row = SponsorLink.objects.get(contact=other_sponsor).pk
    swapped = links.signing.dumps({"i": other_row, "n": "guess"}, salt=links.SPONSOR_SALT)
    assert visit(f"/p/{swapped}/").status_code == 404
    # answering about accounts that are not this sponsor's targets, or no account at all
    from referly.crm.models import Account

    others = list(Account.objects.exclude(pk__in=mine | theirs).values_list("pk", flat=True)[:8])
    for account_id in [*list(theirs)[:8], *others, 0, 10**9]:  # 18 posts at most: under the rate limit
        answer = visit(f"{portal.page}targets/{account_id}/", answer="introduce")
        assert answer.status_code == 404, account_id
    assert not PathAnswer.objects.exists() and not Referral.objects.filter(channel="portal").exists()
    html = visit(portal.page).content.decode()
    assert other_sponsor.name not in html
    for referral in Referral.objects.exclude(referrer_contact=portal.sponsor)[:50]:
        assert f'id="referral-{referral.pk}"' not in html


def test_a_french_sponsor_gets_the_page_and_the_messages_in_french(
    portal: Portal, django_capture_on_commit_callbacks: Hooks
) -> None:
    _, url = links.create_sponsor_link(portal.sponsor, 30, timezone.now(), portal.company.team.member.teammate, "fr")
    page = url.removeprefix("http://referly.test")
    html = visit(page).content.decode()
    assert "Recommander quelqu’un d’autre" in html and 'lang="fr"' in html
    with django_capture_on_commit_callbacks(execute=True):
        visit(f"{page}recommend/", name="Léa Martin", email="lea@exemple.example", company="Exemple SA")
    [message] = portal.inbox.to("lea@exemple.example")
    assert "nous a suggéré de vous écrire" in str(message["Subject"])
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Pouvons-nous vous contacter ?" in body
    consent = "/o/" + body.split("/o/")[1].split("/")[0] + "/"
    assert "Pouvons-nous vous contacter ?" in visit(consent).content.decode()


def test_the_link_command_prints_a_working_link(portal: Portal, cli: Callable[..., Result]) -> None:
    out = cli("portal", "link", str(portal.sponsor.email), "--days", "7")
    assert out.exit_code == 0
    url = out.output.strip().splitlines()[-1]
    assert url.startswith("http://referly.test/p/")
    assert visit(url.removeprefix("http://referly.test")).status_code == 200
    assert visit(portal.page).status_code == 404, "one link per sponsor"
    bad = cli("portal", "link", "nobody@nowhere.example")
    assert bad.exit_code != 0 and "No contact with the e-mail" in bad.output


def test_the_owner_makes_copies_and_revokes_a_link_on_the_sponsors_page(portal: Portal) -> None:
    from django.urls import reverse

    from tests.web.conftest import logged_in

    owner = logged_in(Client(), portal.company.team.member)
    made = owner.post(reverse("web:sponsor_link", args=[portal.sponsor.pk]))
    assert made.status_code == 302
    page = owner.get(reverse("web:sponsors") + "?show=all&q=" + portal.sponsor.last_name).content.decode()
    field = f'id="sponsor-link-{portal.sponsor.pk}" value="'
    assert field in page and 'data-copy="sponsor-link-' in page
    url = page.split(field)[1].split('"')[0]
    assert visit(url.removeprefix("http://referly.test")).status_code == 200
    assert visit(portal.page).status_code == 404, "the earlier link stopped working"
    again = owner.get(reverse("web:sponsors") + "?show=all&q=" + portal.sponsor.last_name).content.decode()
    assert field not in again, "shown once"
    assert f'id="revoke-link-{portal.sponsor.pk}"' in again
    owner.post(reverse("web:sponsor_link_revoke", args=[portal.sponsor.pk]))
    assert visit(url.removeprefix("http://referly.test")).status_code == 404


def test_the_ask_email_carries_the_sponsor_link_when_made_for_an_action(
    portal: Portal, cli: Callable[..., Result]
) -> None:
    action = portal.company.mine[0]
    out = cli("portal", "link", "--action", str(action.pk), "--lang", "en")
    assert out.exit_code == 0, out.output
    url = next(line for line in out.output.splitlines() if line.startswith("http://referly.test/p/"))
    assert f"Or answer on your own page, in one click, and tell me whom else you know: {url}" in out.output
    assert visit(url.removeprefix("http://referly.test")).status_code == 200
    plain = cli("script", str(action.pk))
    assert "/p/" not in plain.output, "without a link the ask is as it was"
    french = cli("portal", "link", "--action", str(action.pk), "--lang", "fr").output
    assert "Vous pouvez aussi répondre en un clic sur votre page" in french


def test_a_consent_request_that_could_not_be_sent_is_shown_on_the_referral(
    portal: Portal, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Hooks
) -> None:
    from django.urls import reverse

    from tests.web.conftest import logged_in

    monkeypatch.setenv("REFERLY_SMTP_URL", "")
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            visit(f"{portal.page}recommend/", name="Una", email="una@nomail.example", company="Nomail").status_code
            == 302
        )
    request = OptIn.objects.get()
    assert "REFERLY_SMTP_URL" in request.send_error and request.sent_at is None
    owner = logged_in(Client(), portal.company.team.member)
    page = owner.get(reverse("web:referral", args=[request.referral_id])).content.decode()
    assert 'id="opt-in-state"' in page and "could not be sent" in page


def test_two_people_at_one_company_are_two_referrals_and_a_second_click_is_one(
    portal: Portal, django_capture_on_commit_callbacks: Hooks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("ann@twoco.example", "ann@twoco.example", "bob@twoco.example"):
            visit(f"{portal.page}recommend/", name=email.split("@")[0], email=email, company="Twoco")
    assert OptIn.objects.count() == 2
    assert {m["To"].addresses[0].addr_spec for m in portal.inbox.messages} == {"ann@twoco.example", "bob@twoco.example"}
