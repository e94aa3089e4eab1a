"""Sending from the app: the Send form (the rendered script, editable), a refusal beside the form with the text
kept, the queued badge on Today, the outbox and each message's history, follow-ups and unknown messages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referly.crm.models import Contact
from referly.outbox.models import MessageKind, MessageState, OutboxMessage
from referly.referrals.models import Ask, Referral
from tests.web.conftest import Company, logged_in, text_of

pytestmark = pytest.mark.django_db


def field(html: str, name: str) -> str:
    found = re.search(rf'<input id="send-{name}" name="{name}" type="text" value="([^"]*)"', html) or re.search(
        rf'<textarea id="send-{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.S
    )
    assert found is not None, name
    return found[1]


def test_the_form_holds_the_rendered_script_in_each_language(client: Client, company: Company) -> None:
    action = company.mine[0]
    c = logged_in(client, company.team.member)
    english = c.get(reverse("web:send_action", args=[action.pk]), {"lang": "en"}).content.decode()
    french = c.get(reverse("web:send_action", args=[action.pk]), {"lang": "fr"}).content.decode()
    assert field(english, "subject") and field(french, "subject") != field(english, "subject")
    assert action.sponsor.first_name in field(english, "text")
    assert "Bonjour" in field(french, "text") and "Bonjour" not in field(english, "text")


def test_sending_queues_the_edited_ask_and_today_shows_it_queued(client: Client, company: Company) -> None:
    action = company.mine[0]
    c = logged_in(client, company.team.member)
    form = c.get(reverse("web:send_action", args=[action.pk])).content.decode()
    sent = c.post(
        reverse("web:send_action", args=[action.pk]),
        {"subject": "A quick introduction?", "text": field(form, "text"), "lang": "en", "channel": "email"},
    )
    assert sent.status_code == 302 and sent["Location"].endswith(f"#action-{action.pk}")

    message = OutboxMessage.objects.get()
    assert (message.state, message.subject, message.owner_id) == ("queued", "A quick introduction?", action.owner_id)
    assert message.to_address == action.sponsor.email
    referral = message.referral  # the demo may hold an older, closed referral of the same pair
    assert referral is not None
    assert (referral.referrer_contact_id, referral.target_account_id) == (action.sponsor_id, action.target_account_id)
    assert referral.stage == "requested" and Ask.objects.filter(referral=referral).count() == 1
    assert "text edited" in message.changes.get().note
    today = c.get(reverse("web:today")).content.decode()
    assert re.search(rf'id="send-state-{action.pk}" data-state="queued">Queued<', today)
    assert f'id="send-{action.pk}"' not in today  # asked already: no second Send


def test_a_refusal_is_shown_beside_the_form_and_nothing_typed_is_lost(client: Client, company: Company) -> None:
    action = company.mine[0]
    Contact.objects.filter(pk=action.sponsor_id).update(opted_out_of_asks=True)
    referrals = Referral.objects.count()
    c = logged_in(client, company.team.member)
    refused = c.post(
        reverse("web:send_action", args=[action.pk]),
        {"subject": "My own subject", "text": "My own words,\nkept.", "lang": "en", "channel": "email"},
    )
    assert refused.status_code == 403
    html = refused.content.decode()
    assert "opted out of asks" in text_of(html) and 'id="send-refusal"' in html
    assert field(html, "subject") == "My own subject" and field(html, "text") == "My own words,\nkept."
    assert not OutboxMessage.objects.exists() and Referral.objects.count() == referrals


def test_another_member_cannot_send_an_action_that_is_not_theirs(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.other)
    answer = c.post(reverse("web:send_action", args=[company.mine[0].pk]), {"subject": "x", "text": "y"})
    assert answer.status_code == 404 and not OutboxMessage.objects.exists()


def test_the_send_form_refuses_a_post_without_its_csrf_token(company: Company) -> None:
    c = logged_in(Client(enforce_csrf_checks=True), company.team.member)
    assert c.post(reverse("web:send_action", args=[company.mine[0].pk]), {"subject": "x"}).status_code == 403


def queued_on_referral(company: Company, **fields: object) -> OutboxMessage:
    c = logged_in(Client(), company.team.member)
    action = company.mine[1]
    c.post(reverse("web:send_action", args=[action.pk]), {"subject": "Hello?", "text": "Hi", "lang": "en"})
    message = OutboxMessage.objects.get(referral__referrer_contact=action.sponsor)
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)
    message.refresh_from_db()
    return message


def test_the_referral_page_lists_its_messages_and_the_outbox_its_history(client: Client, company: Company) -> None:
    message = queued_on_referral(company)
    c = logged_in(client, company.team.member)
    referral = c.get(reverse("web:referral", args=[message.referral_id])).content.decode()
    assert f'id="outbox-{message.pk}"' in referral and 'data-state="queued"' in referral
    assert 'id="referral-send"' not in referral  # requested already
    detail = c.get(reverse("web:outbox_message", args=[message.pk])).content.decode()
    assert message.message_id.strip("<>") in detail and "queued by" in detail
    listing = c.get(reverse("web:outbox")).content.decode()
    assert f'id="message-{message.pk}"' in listing
    olga = logged_in(Client(), company.team.other)
    assert olga.get(reverse("web:outbox_message", args=[message.pk])).status_code == 404
    assert f'id="message-{message.pk}"' not in olga.get(reverse("web:outbox")).content.decode()


def test_a_referral_not_asked_yet_is_sent_from_its_page(client: Client, company: Company) -> None:
    from referly.referrals import services

    referral = services.create_from_action(company.mine[0].pk, None, timezone.now())
    c = logged_in(client, company.team.member)
    assert 'id="referral-send"' in c.get(reverse("web:referral", args=[referral.pk])).content.decode()
    form = c.get(reverse("web:send_referral", args=[referral.pk])).content.decode()
    c.post(
        reverse("web:send_referral", args=[referral.pk]),
        {"subject": field(form, "subject"), "text": field(form, "text"), "lang": "en"},
    )
    message = OutboxMessage.objects.get(referral=referral)
    assert message.state == "queued" and "text edited" not in message.changes.get().note


def test_a_message_of_unknown_fate_is_settled_by_a_person(client: Client, company: Company) -> None:
    message = queued_on_referral(company, state=MessageState.UNKNOWN)
    c = logged_in(client, company.team.member)
    assert 'id="unknown-decision"' in c.get(reverse("web:outbox_message", args=[message.pk])).content.decode()
    c.post(reverse("web:outbox_resolve", args=[message.pk]), {"decision": "sent"})
    message.refresh_from_db()
    assert message.state == "sent" and message.sent_at is not None
    assert message.changes.filter(from_state="unknown", to_state="sent", note__contains="marked sent").exists()


def test_a_proposed_follow_up_is_approved_or_discarded_by_its_owner(client: Client, company: Company) -> None:
    ask = queued_on_referral(company, state=MessageState.SENT)
    follow_ups = [
        OutboxMessage.objects.create(
            kind=MessageKind.FOLLOW_UP,
            owner=ask.owner,
            referral=ask.referral,
            follow_up_of=ask,
            from_address=ask.from_address,
            to_address=ask.to_address,
            subject=f"Re: {ask.subject}",
            text="Just checking in",
            message_id=f"<follow-up-{n}@ourco.example>",
            created_at=timezone.now(),
        )
        for n in range(2)
    ]
    c = logged_in(client, company.team.member)
    today = c.get(reverse("web:today")).content.decode()
    assert f'id="follow-up-{follow_ups[0].pk}"' in today and f'id="follow-up-{follow_ups[1].pk}"' in today
    assert 'id="follow-up-decision"' in c.get(reverse("web:outbox_message", args=[follow_ups[0].pk])).content.decode()
    c.post(reverse("web:outbox_approve", args=[follow_ups[0].pk]))
    c.post(reverse("web:outbox_discard", args=[follow_ups[1].pk]))
    approved, discarded = (OutboxMessage.objects.get(pk=f.pk) for f in follow_ups)
    assert approved.approved_at is not None and approved.state == "queued"
    assert discarded.state == "cancelled"
    viewer = logged_in(Client(), company.team.viewer)
    assert viewer.post(reverse("web:outbox_approve", args=[follow_ups[0].pk])).status_code == 403


def test_a_subject_too_long_is_refused_beside_the_form_with_the_text_kept(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.member)
    refused = c.post(
        reverse("web:send_action", args=[company.mine[0].pk]),
        {"subject": "x" * 301, "text": "My own words.", "lang": "en", "channel": "email"},
    )
    html = refused.content.decode()
    assert refused.status_code == 422 and "The subject is 301 characters long: at most 300" in text_of(html)
    assert field(html, "text") == "My own words." and not OutboxMessage.objects.exists()


def test_only_a_waiting_follow_up_is_discarded_and_only_an_unknown_message_settled(
    client: Client, company: Company
) -> None:
    ask = queued_on_referral(company, state=MessageState.BOUNCED)
    c = logged_in(client, company.team.member)
    assert c.post(reverse("web:outbox_discard", args=[ask.pk])).status_code == 409
    assert c.post(reverse("web:outbox_resolve", args=[ask.pk]), {"decision": "queue"}).status_code == 409
    ask.refresh_from_db()
    assert ask.state == "bounced", "a bounced ask is never queued again by hand"
