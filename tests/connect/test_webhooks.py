"""Webhooks end to end: a move on the board reaches a real receiver once, signed; failures are retried with the
same id, logged, and stop where they should."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import Result
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referly.connect import services
from referly.connect.models import Delivery, DeliveryState, Subscription
from referly.connect.sending import deliver_webhooks
from referly.connect.signing import new_secret
from referly.referrals import services as referrals
from referly.referrals.models import Referral
from tests.connect.receiver import Receiver, receiving
from tests.web.conftest import Company, company, logged_in

pytestmark = pytest.mark.django_db
__all__ = ["company"]


class Clock:
    def __init__(self) -> None:
        self.at = timezone.now()

    def __call__(self) -> datetime:
        return self.at

    def wait(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture(autouse=True)
def private_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")  # the receivers live on 127.0.0.1


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def subscribe(
    receiver: Receiver, events: str = "referral.stage_changed", kind: str = "standard", **kw: Any
) -> Subscription:
    made = services.subscribe(receiver.url, services.parse_events(events), kind, kw.get("lang", "en"), timezone.now())
    receiver.secret = made.secret if kind == "standard" else None
    return made


def a_referral(company: Company) -> Referral:
    return referrals.create_from_action(company.mine[0].pk, None, timezone.now())


def test_a_move_on_the_board_reaches_the_receiver_once_signed(
    client: Client, company: Company, receiver: Receiver
) -> None:
    mine = a_referral(company)  # created before the subscription: not announced
    subscribe(receiver, "referral.created,referral.stage_changed")
    moved = logged_in(client, company.team.member).post(
        reverse("web:advance", args=[mine.pk]), {"stage": "requested", "expected_version": mine.version}
    )
    assert moved.status_code == 302
    first = deliver_webhooks(timezone.now)
    again = deliver_webhooks(timezone.now)
    assert (first["delivered"], again["delivered"]) == (1, 0)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.verified is not None and got.signed, "the reference package verifies the signature"
    assert got.verified["type"] == "referral.stage_changed" and got.verified["version"] == 1
    data = got.verified["data"]
    assert (data["referral_id"], data["from_stage"], data["stage"]) == (mine.pk, "identified", "requested")
    assert data["target_account"] == mine.target_account.name and data["owner"]["email"] == mine.owner.email
    assert got.headers["webhook-id"].startswith("msg_")


def test_a_forged_signature_fails_the_reference_check(company: Company, receiver: Receiver) -> None:
    subscribe(receiver)
    receiver.secret = new_secret()  # not the subscription's
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    deliver_webhooks(timezone.now)
    assert len(receiver.received) == 1 and receiver.received[0].verified is None and not receiver.received[0].signed


def test_a_receiver_down_three_tries_then_up_gets_it_once_more_with_the_same_id(
    company: Company, receiver: Receiver
) -> None:
    subscribe(receiver, "referral.stage_changed,referral.won")
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    clock = Clock()
    receiver.answers = [500, 503, 502]
    for _ in range(3):
        tally = deliver_webhooks(clock)
        assert tally["delivered"] == 0 and tally["retry"] == 1
        clock.wait(hours=5)  # past any wait of the backoff
    assert deliver_webhooks(clock)["delivered"] == 1
    assert len(receiver.received) == 4 and len(set(receiver.ids())) == 1
    assert all(r.signed for r in receiver.received), "each try signed anew, at its own time"
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED and delivery.tries == 4
    assert [t.status for t in delivery.log.all()] == [500, 503, 502, 204]


def test_the_log_command_shows_every_try(cli: Callable[..., Result], company: Company, receiver: Receiver) -> None:
    made = subscribe(receiver)
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    receiver.answers = [500]
    clock = Clock()
    deliver_webhooks(clock)
    clock.wait(minutes=5)
    deliver_webhooks(clock)
    out = cli("webhook", "log", str(made.pk), "--json")
    rows = json.loads(out.output)
    assert out.exit_code == 0 and [t["status"] for t in rows[0]["tries"]] == [500, 204]


def test_a_gone_receiver_disables_the_subscription(company: Company, receiver: Receiver) -> None:
    made = subscribe(receiver)
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    receiver.answers = [410]
    assert deliver_webhooks(timezone.now)["disabled"] == 1
    made.refresh_from_db()
    assert not made.active and "410" in made.disabled_reason
    referrals.advance(mine.pk, "introduced", actor=None, now=timezone.now(), consent=True)
    deliver_webhooks(timezone.now)
    assert len(receiver.received) == 1, "a disabled subscription gets nothing more"


def test_a_redirect_is_a_failed_try_never_followed(company: Company, receiver: Receiver) -> None:
    subscribe(receiver)
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    receiver.answers = [302]
    tally = deliver_webhooks(timezone.now)
    assert tally["retry"] == 1 and Delivery.objects.get().log.get().status == 302


def test_a_slow_receiver_times_out_and_is_tried_again(
    monkeypatch: pytest.MonkeyPatch, company: Company, receiver: Receiver
) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_TIMEOUT", "1")
    subscribe(receiver)
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    receiver.stall = 2.0
    tally = deliver_webhooks(timezone.now)
    attempt = Delivery.objects.get().log.get()
    assert tally["retry"] == 1 and attempt.status is None and "timed out" in attempt.error


def test_after_24_hours_of_failures_it_gives_up(company: Company, receiver: Receiver) -> None:
    subscribe(receiver)
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    receiver.answers = [500] * 100
    clock = Clock()
    outcomes: list[str] = []
    for _ in range(40):
        tally = deliver_webhooks(clock)
        outcomes += [k for k in ("retry", "gave_up") for _ in range(tally[k])]
        clock.wait(hours=1)
        if "gave_up" in outcomes:
            break
    delivery = Delivery.objects.get()
    assert outcomes[-1] == "gave_up" and delivery.state == DeliveryState.GAVE_UP
    last = delivery.log.order_by("at").last()
    assert last is not None and last.at - delivery.created_at <= timedelta(hours=24)


def test_a_sender_killed_mid_request_leaves_it_to_be_sent_again_with_the_same_id(
    company: Company, receiver: Receiver
) -> None:
    subscribe(receiver)
    mine = a_referral(company)
    referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
    clock = Clock()
    services.collect(clock())
    claimed = services.claim_due(clock())  # the worker dies here: its request never recorded
    assert len(claimed) == 1
    assert deliver_webhooks(clock)["delivered"] == 0, "leased to the dead sender for now"
    clock.wait(seconds=services.LEASE.total_seconds() + 1)
    assert deliver_webhooks(clock)["delivered"] == 1
    assert receiver.ids() == [claimed[0].headers["webhook-id"]]


def test_won_raises_its_own_event(company: Company, receiver: Receiver) -> None:
    subscribe(receiver, "referral.won")
    mine = a_referral(company)
    now = timezone.now()
    for stage in ("requested", "introduced", "meeting", "opportunity", "won"):
        referrals.advance(mine.pk, stage, actor=None, now=now, consent=stage == "introduced")
    deliver_webhooks(timezone.now)
    assert [r.verified["type"] for r in receiver.received] == ["referral.won"]


def test_a_slack_subscription_gets_the_documented_chat_message_in_its_language(company: Company) -> None:
    with receiving() as chat:
        subscribe(chat, kind="slack", lang="fr")
        mine = a_referral(company)
        referrals.advance(mine.pk, "requested", actor=None, now=timezone.now())
        deliver_webhooks(timezone.now)
    message = json.loads(chat.received[0].body)
    assert "webhook-signature" not in chat.received[0].headers
    assert set(message) == {"text", "blocks"}
    section, context = message["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert f"{mine.referrer_account.name} → {mine.target_account.name} : demandée" in section["text"]["text"]
    assert context == {"type": "context", "elements": [{"type": "mrkdwn", "text": "étape suivante : mise en relation"}]}


def test_private_addresses_are_refused_unless_allowed(
    monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]
) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "0")
    for url in ("http://127.0.0.1:9000/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]/x"):
        out = cli("webhook", "add", url, "--events", "referral.won")
        assert out.exit_code != 0 and "private, loopback or link-local" in out.output, url
    assert not Subscription.objects.exists()


def test_the_commands_add_list_test_and_remove(cli: Callable[..., Result], receiver: Receiver) -> None:
    added = cli("webhook", "add", receiver.url, "--events", "referral.won,referral.created")
    assert added.exit_code == 0 and "whsec_" in added.output
    made = Subscription.objects.get()
    listed = json.loads(cli("webhook", "list", "--json").output)
    assert listed == [
        {
            "id": made.pk,
            "url": receiver.url,
            "kind": "standard",
            "events": ["referral.won", "referral.created"],
            "language": "en",
            "active": True,
            "disabled_reason": None,
        }
    ]
    receiver.secret = made.secret
    tested = cli("webhook", "test", str(made.pk))
    assert tested.exit_code == 0 and "Delivered" in tested.output
    assert receiver.received[0].verified["type"] == "webhook.test"
    assert cli("webhook", "remove", str(made.pk)).exit_code == 0 and not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["add", "http://127.0.0.1:1/x", "--events", "referral.moved"], "Unknown event 'referral.moved'"),
        (["add", "ftp://example.com/x", "--events", "referral.won"], "is not an http:// or https:// URL"),
        (["remove", "999"], "No webhook 999"),
        (["redeliver", "999"], "No delivery 999"),
    ],
)
def test_bad_input_is_one_sentence_and_an_exit_code(cli: Callable[..., Result], args: list[str], words: str) -> None:
    out = cli("webhook", *args)
    assert out.exit_code != 0 and words in out.output and "Traceback" not in out.output


def test_asks_sent_and_answered_are_announced_once_each(company: Company, receiver: Receiver) -> None:
    from referly.referrals.ledger import record_ask, settle

    subscribe(receiver, "ask.sent,ask.replied")
    mine = a_referral(company)
    asked = record_ask(mine.referrer_contact_id, asked_by=mine.owner, now=timezone.now(), override_reason="test")
    deliver_webhooks(timezone.now)
    settle(asked.pk, "accepted", timezone.now())
    deliver_webhooks(timezone.now)
    deliver_webhooks(timezone.now)  # the answers are read again with a day's overlap: never sent twice
    bodies = [r.verified for r in receiver.received]
    assert [b["type"] for b in bodies] == ["ask.sent", "ask.replied"]
    assert bodies[1]["data"]["ask_id"] == asked.pk and bodies[1]["data"]["outcome"] == "accepted"
    assert bodies[0]["data"]["asked_by"] == mine.owner.email


def test_a_credit_change_and_a_scoring_run_are_announced(company: Company, receiver: Receiver) -> None:
    from django.db import transaction

    from referly.scoring.services import score_database

    subscribe(receiver, "credit.assigned,action.created")
    mine = a_referral(company)
    now = timezone.now()
    for stage in ("requested", "introduced", "meeting", "opportunity"):
        referrals.advance(mine.pk, stage, actor=None, now=now, consent=stage == "introduced")
    with transaction.atomic():
        run = score_database(None, [])
    deliver_webhooks(timezone.now)
    deliver_webhooks(timezone.now)
    mine.refresh_from_db()
    bodies = {r.verified["type"]: r.verified["data"] for r in receiver.received}
    assert len(receiver.received) == 2
    assert bodies["credit.assigned"]["referral_id"] == mine.pk
    assert bodies["credit.assigned"]["attribution"] == mine.attribution != "pending"
    assert bodies["action.created"]["run_id"] == run.pk
    assert bodies["action.created"]["actions"] == run.counts["actions"] > 0
    assert 0 < len(bodies["action.created"]["top"]) <= 20


def test_one_pass_sends_every_due_delivery_batch_after_batch(receiver: Receiver) -> None:
    made = subscribe(receiver)
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            subscription=made,
            event_type="referral.stage_changed",
            message_id=f"msg_many_{i}",
            payload={"type": "referral.stage_changed", "version": 1, "data": {"referral_id": i}},
            created_at=now,
            next_try_at=now,
        )
        for i in range(450)  # more than one claim's worth (200)
    )
    tally = deliver_webhooks(timezone.now)
    assert tally["delivered"] == 450
    assert sorted(receiver.ids()) == sorted(f"msg_many_{i}" for i in range(450))
    assert not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()
