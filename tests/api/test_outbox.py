"""The outbox and notifications through the API: send with an idempotency key (once, whatever the retries),
refusals with their reason, each caller's own view, and marking notifications read."""

from __future__ import annotations

import pytest
from django.utils import timezone

from referly.crm.models import Contact
from referly.notices.models import Notice
from referly.notices.services import notify
from referly.outbox.models import OutboxMessage
from referly.referrals.models import Referral
from tests.api.conftest import World, get, post

pytestmark = pytest.mark.django_db


def test_sending_twice_with_the_same_key_asks_once_and_answers_the_same(world: World) -> None:
    mo = world.team.member.token("write")
    body = {"action_id": world.action.pk, "subject": "A quick introduction?", "lang": "en"}
    first = post("/outbox", mo, body, key="send-1")
    again = post("/outbox", mo, body, key="send-1")
    assert first.status_code == again.status_code == 201, first.content
    assert first.json() == again.json()
    sent = first.json()
    assert (sent["state"], sent["subject"]) == ("queued", "A quick introduction?")
    assert sent["to_address"] == world.sponsor.email
    assert sent["changes"][0]["to_state"] == "queued" and "text edited" in sent["changes"][0]["note"]
    assert OutboxMessage.objects.count() == 1
    other = post("/outbox", mo, {**body, "subject": "Another"}, key="send-1")
    assert other.status_code == 409


def test_a_refused_send_answers_the_reason_and_writes_nothing(world: World) -> None:
    Contact.objects.filter(pk=world.sponsor.pk).update(do_not_contact=True)
    answer = post("/outbox", world.team.member.token("write"), {"referral_id": world.referral.pk})
    assert answer.status_code == 403
    assert "do-not-contact" in answer.json()["detail"] or "do-not-contact" in str(answer.json())
    assert not OutboxMessage.objects.exists()
    assert Referral.objects.get(pk=world.referral.pk).stage == "identified"


def test_each_caller_reads_the_messages_in_their_view(world: World) -> None:
    mo = world.team.member.token("write")
    sent = post("/outbox", mo, {"referral_id": world.referral.pk}).json()
    assert [m["id"] for m in get("/outbox", mo).json()["items"]] == [sent["id"]]
    assert get("/outbox", world.team.other.token("read")).json()["count"] == 0
    assert get(f"/outbox/{sent['id']}", world.team.other.token("read")).status_code == 404
    detail = get(f"/outbox/{sent['id']}", world.team.manager.token("read")).json()
    assert detail["referral_id"] == world.referral.pk and detail["text"]
    assert get("/outbox", mo, state="sent").json()["count"] == 0


def test_notifications_are_listed_and_marked_read_by_their_owner_only(world: World) -> None:
    mo_teammate = world.team.member.teammate
    assert mo_teammate is not None
    now = timezone.now()
    reply = notify(mo_teammate, "reply", "Sam replied", "/referrals/1/", "outbox:1", now)
    notify(mo_teammate, "action", "New top action", "/actions/1/send", "action:1:1", now)
    mo = world.team.member.token("write")
    listed = get("/notifications", mo).json()
    assert listed["count"] == 2 and {n["kind"] for n in listed["items"]} == {"reply", "action"}
    assert get("/notifications", world.team.other.token("write")).json()["count"] == 0
    read = post(f"/notifications/{reply.pk}/read", mo, {})
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert get("/notifications", mo, unread="true").json()["count"] == 1
    assert post(f"/notifications/{reply.pk}/read", world.team.member.token("read"), {}).status_code == 403
    assert post("/notifications/read", mo, {}).json() == {"marked": 1}
    assert not Notice.objects.filter(read_at__isnull=True).exists()
