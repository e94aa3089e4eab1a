"""Every visit, answer and refusal on the sponsor's page and the opt-in page reaches the trail, with the link as the
actor and the sponsor's address among its mentions; the person they recommend is never named."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from referly.audit.models import AuditEvent
from referly.portal import links
from referly.portal.models import OptIn, SponsorLink
from tests.audit.conftest import SPONSOR_EMAIL, Sponsor, events

pytestmark = pytest.mark.django_db
NEWCOMER = "nina.newcomb@newco.example"


def visit(path: str, **data: Any) -> Any:
    client = Client(REMOTE_ADDR="198.51.100.4")
    return client.post(path, data) if data else client.get(path)


def test_opening_the_sponsor_page_is_recorded_as_the_link_not_a_login(sponsor: Sponsor) -> None:
    assert visit(sponsor.page).status_code == 200
    [opened] = events("portal.opened")
    link = SponsorLink.objects.get()
    assert opened.actor is None and opened.actor_label == f"sponsor link #{link.pk}"
    assert opened.subject == "Jane Sponsor" and opened.mentions == SPONSOR_EMAIL and opened.ip == "198.51.100.4"


def test_an_answer_a_recommendation_and_an_opt_out_are_recorded(sponsor: Sponsor) -> None:
    target = sponsor.target
    assert visit(f"{sponsor.page}targets/{target.pk}/", answer="not_now").status_code == 302
    recommended = visit(f"{sponsor.page}recommend/", name="Nina Newcomb", email=NEWCOMER, company="Newco")
    assert recommended.status_code == 302
    assert visit(f"{sponsor.page}opt-out/", post="1").status_code == 200
    [answered] = events("portal.answered")
    assert answered.detail == {"account": target.pk, "answer": "not_now"}
    [made] = events("portal.recommended")
    assert made.detail == {"referral": OptIn.objects.get().referral_id}
    assert len(events("portal.opted_out")) == 1
    trail = " ".join(f"{e.actor_label} {e.subject} {e.detail} {e.mentions}" for e in AuditEvent.objects.all())
    assert "nina" not in trail.lower() and "newco" not in trail.lower(), "the recommended person is never named"


def test_each_refusal_says_why_in_the_trail_while_the_visitor_sees_the_same_page(sponsor: Sponsor) -> None:
    assert visit("/p/not-a-token/").status_code == 404
    SponsorLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert visit(sponsor.page).status_code == 404
    SponsorLink.objects.update(expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now())
    assert visit(sponsor.page).status_code == 404
    forged, expired, revoked = events("portal.refused")
    assert (forged.actor_label, forged.subject, forged.mentions) == ("unknown link", "forged or altered link", "")
    assert (expired.subject, revoked.subject) == ("expired", "revoked")
    assert expired.actor_label == f"sponsor link #{SponsorLink.objects.get().pk}" and expired.mentions == SPONSOR_EMAIL


def test_a_flood_of_posts_is_rate_limited_and_recorded(sponsor: Sponsor) -> None:
    statuses = [visit(f"{sponsor.page}targets/0/", answer="not_now").status_code for _ in range(22)]
    assert statuses[-1] == 429
    limited = events("portal.rate_limited")
    assert limited and limited[0].subject == "too many requests" and limited[0].mentions == SPONSOR_EMAIL


def _consent_link(sponsor: Sponsor) -> str:
    visit(f"{sponsor.page}recommend/", name="Nina Newcomb", email=NEWCOMER, company="Newco")
    request = OptIn.objects.get()
    token, request.nonce_digest = links.make_token(request.pk, links.OPT_IN_SALT)  # the link the mail would carry
    request.save(update_fields=["nonce_digest"])
    return f"/o/{token}/"


@pytest.mark.parametrize(("answer", "kind"), [("yes", "optin.accepted"), ("no", "optin.declined")])
def test_the_opt_in_page_records_the_visit_the_answer_and_a_spent_link(
    sponsor: Sponsor, answer: str, kind: str
) -> None:
    consent = _consent_link(sponsor)
    assert visit(consent).status_code == 200
    assert visit(consent, answer=answer).status_code == 200
    assert visit(consent).status_code == 404
    request = OptIn.objects.get()
    [opened] = events("optin.opened")
    [answered] = events(kind)
    [spent] = events("optin.refused")
    for event in (opened, answered, spent):
        assert event.actor_label == f"opt-in link #{request.pk}" and event.mentions == SPONSOR_EMAIL
    assert answered.subject == f"referral {request.referral_id}" and spent.subject == "already answered"
    trail = " ".join(f"{e.actor_label} {e.subject} {e.detail} {e.mentions}" for e in AuditEvent.objects.all())
    assert NEWCOMER not in trail


def test_an_expired_opt_in_link_is_refused_and_recorded(sponsor: Sponsor) -> None:
    consent = _consent_link(sponsor)
    OptIn.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert visit(consent).status_code == 404
    [refused] = events("optin.refused")
    assert refused.subject == "expired"
