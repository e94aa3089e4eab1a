"""Settings → Webhooks: an admin adds a receiver (secret shown once), sees refusals at their field, and the log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referly.connect.models import Delivery, Subscription
from referly.connect.sending import deliver_webhooks
from referly.referrals import services as referrals
from tests.connect.receiver import receiving
from tests.web.conftest import Company, company, logged_in

pytestmark = pytest.mark.django_db
__all__ = ["company"]


def test_an_admin_adds_a_webhook_sees_its_secret_once_and_its_deliveries(
    client: Client, company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")
    admin = logged_in(client, company.team.admin)
    with receiving() as receiver:
        added = admin.post(
            reverse("web:webhook_add"),
            {"url": receiver.url, "events": ["referral.stage_changed"], "kind": "standard", "language": "en"},
            follow=True,
        )
        made = Subscription.objects.get()
        assert made.secret in added.content.decode()
        again = admin.get(reverse("web:webhooks")).content.decode()
        assert made.secret not in again and f'id="subscription-{made.pk}"' in again
        receiver.secret = made.secret
        mine = referrals.create_from_action(company.mine[0].pk, None, timezone.now())
        referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
        deliver_webhooks(timezone.now)
    page = admin.get(reverse("web:webhooks")).content.decode()
    delivery = Delivery.objects.get()
    assert f'id="delivery-{delivery.pk}"' in page and delivery.message_id in page and "HTTP 204" in page
    assert receiver.received[0].verified is not None


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"url": "http://127.0.0.1:9/x", "events": ["referral.won"]}, "url"),
        ({"url": "notaurl", "events": ["referral.won"]}, "url"),
        ({"url": "https://hooks.example.com/x"}, "events"),
    ],
)
def test_a_refused_webhook_is_shown_at_its_field_in_english_and_french(
    client: Client, company: Company, monkeypatch: pytest.MonkeyPatch, form: dict[str, object], field: str
) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "0")
    admin = logged_in(client, company.team.admin)
    for language in ("en", "fr"):
        answer = admin.post(reverse("web:webhook_add"), form, HTTP_ACCEPT_LANGUAGE=language)
        html = answer.content.decode()
        assert answer.status_code == 422 and 'id="webhook-error"' in html
        marked = 'id="webhook-url" name="url"' if field == "url" else 'id="webhook-events"'
        assert marked in html and html.count('aria-invalid="true"') == 1
        assert html[html.index(marked) :].split(">")[0].count('aria-invalid="true"') == 1, (language, field)
    assert not Subscription.objects.exists()


def test_a_disabled_webhook_is_announced_to_admins_on_settings(client: Client, company: Company) -> None:
    Subscription.objects.create(
        url="https://hooks.example.com/x",
        events=["referral.won"],
        secret="whsec_",
        active=False,
        disabled_reason="the receiver answered 410 Gone",
        created_at=timezone.now(),
    )
    admin = logged_in(client, company.team.admin)
    english = admin.get(reverse("web:settings")).content.decode()
    french = admin.get(reverse("web:settings"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="webhooks-disabled"' in english and "1 webhook was disabled" in english
    assert "1 webhook a été désactivé" in french
    page = admin.get(reverse("web:webhooks")).content.decode()
    assert "the receiver answered 410 Gone" in page
