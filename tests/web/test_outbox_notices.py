"""Notifications in the app (each sees only their own, a count in the navigation, mark read) and Settings → Mail
(my digest's hour, zone and language; a test message through a real SMTP server with the server's answer)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referly.notices.models import DigestChoice, Notice
from referly.notices.services import notify
from tests.mail_server import _free_port, smtp_server
from tests.web.conftest import Company, logged_in, text_of

pytestmark = pytest.mark.django_db


def told(company: Company) -> tuple[Notice, Notice, Notice]:
    mo, olga = company.team.member.teammate, company.team.other.teammate
    assert mo is not None and olga is not None
    now = timezone.now()
    return (
        notify(mo, "reply", "Jane Doe replied to your ask", "/outbox/1/", "outbox:1", now),
        notify(mo, "action", "New top action: ask Sam", f"/actions/{company.mine[0].pk}/send", "action:1:2", now),
        notify(olga, "stage", "Referral 9 moved to meeting", "/referrals/9/", "transition:9", now),
    )


def test_each_member_sees_only_their_notifications_and_the_unread_count(client: Client, company: Company) -> None:
    reply, action, olgas = told(company)
    page = logged_in(client, company.team.member).get(reverse("web:notices")).content.decode()
    assert f'id="notice-{reply.pk}"' in page and f'id="notice-{action.pk}"' in page
    assert f'id="notice-{olgas.pk}"' not in page
    assert re.search(r'id="nav-unread"[^>]*>2<', page)
    assert 'id="nav-unread"' in logged_in(Client(), company.team.other).get(reverse("web:today")).content.decode()
    assert 'id="nav-unread"' not in logged_in(Client(), company.team.admin).get(reverse("web:today")).content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client: Client, company: Company) -> None:
    reply, action, olgas = told(company)
    c = logged_in(client, company.team.member)
    opened = c.post(reverse("web:notice_read", args=[action.pk]), {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == f"/actions/{company.mine[0].pk}/send"
    assert Notice.objects.get(pk=action.pk).read_at is not None and Notice.objects.get(pk=reply.pk).read_at is None
    assert c.post(reverse("web:notice_read", args=[olgas.pk])).status_code == 404
    c.post(reverse("web:notices_read_all"))
    assert Notice.objects.get(pk=reply.pk).read_at is not None
    assert Notice.objects.get(pk=olgas.pk).read_at is None
    assert 'id="nav-unread"' not in c.get(reverse("web:notices")).content.decode()


def test_marking_read_needs_the_csrf_token(company: Company) -> None:
    reply, _action, _olgas = told(company)
    c = logged_in(Client(enforce_csrf_checks=True), company.team.member)
    assert c.post(reverse("web:notices_read_all")).status_code == 403
    assert Notice.objects.get(pk=reply.pk).read_at is None


def test_a_member_sets_their_digest_hour_zone_and_language(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.member)
    page = c.get(reverse("web:mail_settings")).content.decode()
    assert 'id="digest-enabled" name="enabled" type="checkbox" checked' in page and 'id="smtp"' not in page
    saved = c.post(reverse("web:digest_save"), {"hour": "7", "time_zone": "Europe/Paris", "language": "fr"})
    assert saved.status_code == 302
    choice = DigestChoice.objects.get(teammate=company.team.member.teammate)
    assert (choice.enabled, choice.hour, choice.time_zone, choice.language) == (False, 7, "Europe/Paris", "fr")
    wrong = c.post(reverse("web:digest_save"), {"hour": "7", "time_zone": "Mars/Olympus", "enabled": "on"})
    assert wrong.status_code == 422 and "Mars/Olympus is not a known time zone" in text_of(wrong.content.decode())


def test_the_test_message_reports_the_servers_answer_or_its_refusal(
    client: Client, company: Company, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = logged_in(client, company.team.admin)
    with smtp_server(tls_folder=tmp_path, users={"relay": "right"}) as inbox:
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url_for("relay"))
        monkeypatch.setenv("REFERLY_SMTP_CA_FILE", str(inbox.ca_file))
        answered = text_of(c.post(reverse("web:smtp_test")).content.decode())
        assert "Sent to ada.admin@northbeam.example. The server answered: 250" in answered
        (mail,) = inbox.to("ada.admin@northbeam.example")
        assert mail["Subject"] == "Referly: test message"
        monkeypatch.setenv("REFERLY_SMTP_URL", inbox.url_for("relay", "wrong"))
        refused = c.post(reverse("web:smtp_test"))
        assert refused.status_code == 502 and "535" in text_of(refused.content.decode())
    monkeypatch.setenv("REFERLY_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")
    down = text_of(c.post(reverse("web:smtp_test")).content.decode())
    assert "Cannot reach the SMTP server" in down
