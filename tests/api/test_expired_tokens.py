"""Tokens that expire and tokens that are scoped, as a program calling the API meets them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from referly.access.models import ApiToken
from referly.access.services import issue_token
from tests.api.conftest import World, get, post

SIGNAL_ROWS = {"rows": [{"account": "client.example", "kind": "renewal", "occurred_on": "2026-09-01"}]}


def test_an_expired_token_is_refused_and_says_since_when(world: World) -> None:
    token, raw = issue_token(world.team.admin.user, "old sync", "read", timezone.now() - timedelta(days=91))
    answer = get("/actions", raw)
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"] == "not_authenticated" and body["code"] == "token_expired"
    assert body["detail"] == f"token expired on {token.expires_at:%Y-%m-%d}"
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert get("/actions", raw).status_code == 200  # the same token, its expiry moved: accepted


def test_a_token_that_never_expires_keeps_working_and_a_revoked_one_does_not(world: World) -> None:
    token, raw = issue_token(world.team.admin.user, "forever", "read", timezone.now() - timedelta(days=900), None)
    assert get("/actions", raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    refused = get("/actions", raw)
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"


def test_a_read_token_reads_but_never_writes_and_a_write_token_writes(world: World) -> None:
    read = world.team.admin.token("read")
    assert get("/signals", read).status_code == 200
    refused = post("/signals", read, SIGNAL_ROWS)
    assert refused.status_code == 403 and refused.json()["error"] == "not_permitted"
    assert post("/signals", world.team.admin.token("write"), SIGNAL_ROWS).status_code in (200, 201)
