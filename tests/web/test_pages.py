"""The read pages on the scored demo company: what each shows, in English and French, with nothing inline or remote."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from referly.crm.models import Account
from referly.reports.models import Review
from referly.scoring.models import SponsorScore
from tests.web.conftest import Company, logged_in, text_of

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
REMOTE = re.compile(r"""\b(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def pages_of(company: Company) -> list[str]:
    account = company.mine[0].target_account_id
    return [
        reverse("web:today"),
        reverse("web:today") + "?scope=everyone&lang=fr&channel=linkedin",
        reverse("web:board"),
        reverse("web:sponsors"),
        reverse("web:sponsors") + "?show=gated",
        reverse("web:accounts") + "?q=a",
        reverse("web:account", args=[account]),
        reverse("web:reports") + "?month=2026-10",
        reverse("web:reviews"),
        reverse("web:import"),
        reverse("web:settings"),
    ]


def test_no_page_has_inline_script_handlers_or_remote_resources(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.admin)
    pages = [(url, c.get(url)) for url in pages_of(company)] + [("login", Client().get(reverse("web:login")))]
    for url, page in pages:
        html = page.content.decode()
        assert page.status_code == 200, url
        assert not INLINE_SCRIPT.search(html), url
        assert not HANDLER.search(html), url
        assert not REMOTE.search(html), url


def test_french_pages_show_french_text(company: Company) -> None:
    c = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), company.team.member)
    today = c.get(reverse("web:today")).content.decode()
    assert 'lang="fr"' in today and "Aujourd’hui" in today and "Copier le script" in today
    board = text_of(c.get(reverse("web:board")).content.decode())
    assert "Demandée" in board and "Présentée" in board
    switched = logged_in(Client(), company.team.member)
    switched.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert "Se déconnecter" in switched.get(reverse("web:sponsors")).content.decode()


def test_sponsors_are_ranked_with_their_breakdown_and_gates(client: Client, company: Company) -> None:
    html = logged_in(client, company.team.viewer).get(reverse("web:sponsors")).content.decode()
    best = SponsorScore.objects.filter(run=company.run, gated=False).order_by("-score").first()
    assert best is not None and f'id="sponsor-{best.contact_id}"' in html
    assert "Score breakdown" in html and "Satisfaction" in html
    gated = logged_in(Client(), company.team.viewer).get(reverse("web:sponsors"), {"show": "gated"})
    assert "Do not ask:" in gated.content.decode()


def test_an_account_shows_fit_ties_signals_and_only_visible_referrals(client: Client, company: Company) -> None:
    from django.utils import timezone

    from referly.referrals import services

    theirs = services.create_from_action(company.others[0].pk, None, timezone.now())
    account = Account.objects.get(pk=theirs.target_account_id)
    member = logged_in(client, company.team.member).get(reverse("web:account", args=[account.pk])).content.decode()
    assert account.name in member and 'id="icp-fit"' in member and "Tier" in member
    assert f"/referrals/{theirs.pk}/" not in member, "a member does not see another member's referral"
    manager = logged_in(Client(), company.team.manager).get(reverse("web:account", args=[account.pk]))
    assert f"/referrals/{theirs.pk}/" not in manager.content.decode(), "Olga is not in Maya's team"
    admin = logged_in(Client(), company.team.admin).get(reverse("web:account", args=[account.pk]))
    assert f"/referrals/{theirs.pk}/" in admin.content.decode()
    found = logged_in(Client(), company.team.member).get(reverse("web:accounts"), {"q": account.name[:6]})
    assert account.name in found.content.decode()
    assert logged_in(Client(), company.team.member).get(reverse("web:account", args=[10**9])).status_code == 404


def test_the_report_keeps_measured_insufficient_and_scenario_apart(client: Client, company: Company) -> None:
    html = logged_in(client, company.team.member).get(reverse("web:reports"), {"month": "2026-10"}).content.decode()
    assert 'data-label="measured"' in html and 'data-label="insufficient"' in html
    assert 'id="report-scenarios"' in html and "<svg" in html
    assert "Computed live" in html
    bad = logged_in(Client(), company.team.member).get(reverse("web:reports"), {"month": "2026-13"})
    assert bad.status_code == 422


def test_a_manager_freezes_a_review_reads_it_and_exports_it(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.manager)
    frozen = c.post(reverse("web:freeze"), {"month": "2026-10", "decisions": "Ask renewals first\n\nThank faster"})
    assert frozen.status_code == 302
    review = Review.objects.get()
    assert review.decisions == ["Ask renewals first", "Thank faster"]
    assert review.created_by == company.team.manager.teammate
    page = c.get(frozen["Location"]).content.decode()
    assert "From the review of 2026-10" in page and "Ask renewals first" in page
    again = c.post(reverse("web:freeze"), {"month": "2026-10"})
    assert again.status_code == 409 and 'id="freeze-error"' in again.content.decode()
    exported = c.get(reverse("web:review_export", args=["2026-10", "html"]))
    assert exported.status_code == 200 and b"Referral review 2026-10" in exported.content
    assert c.get(reverse("web:review", args=["2025-01"])).status_code == 404
    not_over = c.post(reverse("web:freeze"), {"month": "2027-01"})
    assert not_over.status_code == 422 and Review.objects.count() == 1


@pytest.mark.slow
def test_a_review_exports_as_pdf(client: Client, company: Company) -> None:
    import shutil

    if shutil.which("chromium") is None:
        pytest.skip("headless Chromium is not installed")
    c = logged_in(client, company.team.admin)
    assert c.post(reverse("web:freeze"), {"month": "2026-10"}).status_code == 302
    pdf = c.get(reverse("web:review_export", args=["2026-10", "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_address_that_bounced_hard_is_shown_on_its_account(client: Client, company: Company) -> None:
    from django.utils import timezone

    from referly.outbox.models import InvalidAddress

    sponsor = company.mine[0].sponsor
    InvalidAddress.objects.create(address=sponsor.email.lower(), since=timezone.now(), reason="5.1.1 user unknown")
    c = logged_in(client, company.team.member)
    html = c.get(reverse("web:account", args=[sponsor.account_id])).content.decode()
    shown = text_of(html.split('id="bounced"')[1].split("</section>")[0])
    assert f"{sponsor.name} ({sponsor.email}): bounced on" in shown and "5.1.1 user unknown" in shown
    french = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), company.team.member)
    assert "aucune sollicitation" in french.get(reverse("web:account", args=[sponsor.account_id])).content.decode()
