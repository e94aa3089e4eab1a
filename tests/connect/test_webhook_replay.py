"""A delivery copied and sent again later: the reference verifier (`standardwebhooks`) refuses it past five
minutes, and within them the receiver recognises it by its ``webhook-id``, unique to each delivery."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo

import pytest
import standardwebhooks.webhooks
from django.utils import timezone

from referly.connect import services
from referly.connect.models import Delivery, Subscription
from referly.connect.sending import deliver_webhooks
from tests.connect.receiver import Received, Receiver, receiving

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")  # the receivers live on 127.0.0.1


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def subscribe(receiver: Receiver) -> Subscription:
    made = services.subscribe(receiver.url, ["referral.stage_changed"], "standard", "en", timezone.now())
    receiver.secret = made.secret
    return made


def verifier_clock_ahead(monkeypatch: pytest.MonkeyPatch, minutes: float) -> None:
    """The reference verifier reads the time ``minutes`` later than it is: the replay arrives that much later."""

    class Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Later:
            return super().now(tz) + timedelta(minutes=minutes)

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", Later)


def replay(receiver: Receiver, original: Received, **changed: str) -> Received:
    """The captured request sent again as it was (headers and body byte for byte), but for ``changed``."""
    headers = {k: v for k, v in original.headers.items() if k not in ("host", "content-length")} | changed
    request = urllib.request.Request(receiver.url, original.body.encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204
    return receiver.received[-1]


def test_a_delivery_replayed_ten_minutes_later_fails_the_reference_check(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    made = subscribe(receiver)
    services.queue_test(made.pk, timezone.now())
    assert deliver_webhooks(timezone.now)["delivered"] == 1
    [original] = receiver.received
    assert original.verified is not None, "the real delivery passes"

    verifier_clock_ahead(monkeypatch, 10)
    late = replay(receiver, original)
    assert late.signed, "the copy carries Referly's genuine signature..."
    assert late.verified is None, "...and is refused all the same: its timestamp is ten minutes old"

    refreshed = replay(receiver, original, **{"webhook-timestamp": str(int(timezone.now().timestamp()) + 600)})
    assert not refreshed.signed and refreshed.verified is None, "a fresh timestamp breaks the signature"


def test_within_five_minutes_a_replay_verifies_and_only_its_webhook_id_tells_it_apart(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    made = subscribe(receiver)
    services.queue_test(made.pk, timezone.now())
    deliver_webhooks(timezone.now)
    [original] = receiver.received
    verifier_clock_ahead(monkeypatch, 4)
    copy = replay(receiver, original)
    assert copy.verified is not None, "the verifier's window is five minutes: a receiver must dedupe in it"
    seen: set[str] = set()
    fresh = [r for r in receiver.received if not (r.headers["webhook-id"] in seen or seen.add(r.headers["webhook-id"]))]
    assert fresh == [original], "deduplicating on webhook-id keeps the first and drops the copy"


def test_each_delivery_has_its_own_webhook_id_and_keeps_it_on_every_try(receiver: Receiver) -> None:
    made = subscribe(receiver)
    start = timezone.now()
    for at in range(4):
        services.queue_test(made.pk, start + timedelta(milliseconds=at))
    receiver.answers = [500]  # the first request fails and is tried again later
    deliver_webhooks(timezone.now)
    later = timezone.now() + timedelta(hours=5)
    deliver_webhooks(lambda: later)
    ids = receiver.ids()
    assert len(ids) == 5 and all(r.signed for r in receiver.received), "each try signed, at its own time"
    assert len(set(ids)) == 4, "four deliveries, four ids; the retry repeats its delivery's id"
    assert sorted(set(ids)) == sorted(Delivery.objects.values_list("message_id", flat=True))
