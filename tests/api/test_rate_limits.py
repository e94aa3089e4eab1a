"""The API's rate limits, tried as an attacker would: guessing tokens, flooding with a token, flooding without one.

The limiter's clock is held still (one instant inside a minute's window), so what the tests see never depends on
how fast the machine sends the requests.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import django_ratelimit.core
import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings

from tests.api.conftest import API, World, bearer

NOW = 1_800_000_000.0
ATTACKER = "198.51.100.7"
NEIGHBOUR = "203.0.113.20"


@pytest.fixture(autouse=True)
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: NOW))


def call(token: str | None, address: str = ATTACKER, client: Client | None = None) -> HttpResponse:
    return (client or Client()).get(f"{API}/actions", REMOTE_ADDR=address, **bearer(token))


def assert_rate_limited(answer: HttpResponse, code: str) -> None:
    assert answer.status_code == 429
    body = answer.json()
    assert body["error"] == "rate_limited" and body["code"] == code
    assert "a minute" in body["detail"] and "try again in" in body["detail"]
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert f"{answer.headers['Retry-After']} seconds" in body["detail"]


def test_300_wrong_tokens_in_a_row_are_stopped_after_20_failures(world: World) -> None:
    statuses = [call(f"rly_guess{n:04d}").status_code for n in range(300)]
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429] * 280  # the 401s stop: no more guesses are checked this minute
    assert_rate_limited(call("rly_guess9999"), "too_many_failures")


def test_while_an_address_is_refused_even_a_valid_token_from_it_learns_nothing(world: World) -> None:
    token = world.team.member.token("read")
    for n in range(21):
        call(f"rly_guess{n}")
    # a right guess would answer like a wrong one: the address is refused before any token is checked
    assert_rate_limited(call(token), "too_many_failures")


def test_another_address_and_its_valid_token_are_unaffected_by_an_attack(world: World) -> None:
    token = world.team.member.token("read")
    for n in range(30):
        call(f"rly_guess{n}")
    assert call(token, NEIGHBOUR).status_code == 200
    assert call(None, NEIGHBOUR).status_code == 401  # still counted as its own, first failure
    assert call("rly_guess-again", NEIGHBOUR).status_code == 401


def test_the_schema_is_no_way_around_the_failure_limit(world: World) -> None:
    for _ in range(20):
        assert Client().get(f"{API}/openapi.json", REMOTE_ADDR=ATTACKER).status_code == 401
    assert_rate_limited(Client().get(f"{API}/openapi.json", REMOTE_ADDR=ATTACKER), "too_many_failures")


@override_settings(API_TOKEN_PER_MINUTE=5)
def test_a_token_within_its_limit_is_served_and_past_it_waits(world: World) -> None:
    token = world.team.member.token("read")
    assert [call(token).status_code for _ in range(5)] == [200] * 5
    assert_rate_limited(call(token), "token_limit")
    assert_rate_limited(call(token, NEIGHBOUR), "token_limit")  # counted per token, wherever it comes from
    assert call(world.team.member.token("read")).status_code == 200  # another token has its own count


@override_settings(API_TOKEN_PER_MINUTE=3)
def test_a_flood_of_one_wrong_token_is_limited_per_token_too(world: World) -> None:
    assert [call("rly_same-wrong-token").status_code for _ in range(3)] == [401] * 3
    assert_rate_limited(call("rly_same-wrong-token"), "token_limit")


@override_settings(API_ADDRESS_PER_MINUTE=4)
def test_requests_without_a_token_are_limited_per_address(world: World) -> None:
    dashboard = Client()
    dashboard.force_login(world.team.member.user)
    assert [call(None, client=dashboard).status_code for _ in range(4)] == [200] * 4
    assert_rate_limited(call(None, client=dashboard), "address_limit")
    assert call(world.team.member.token("read")).status_code == 200  # a token is counted on its own
    assert call(None, NEIGHBOUR, client=dashboard).status_code == 200


def test_pages_outside_the_api_are_not_counted(world: World) -> None:
    for n in range(21):
        call(f"rly_guess{n}")
    assert Client().get("/login/", REMOTE_ADDR=ATTACKER).status_code == 200


def test_the_counts_are_kept_in_the_database_every_server_process_shares(world: World, settings: Any) -> None:
    call("rly_guess")
    assert settings.RATELIMIT_USE_CACHE == "shared"
    assert settings.CACHES["shared"]["BACKEND"].endswith("DatabaseCache")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {settings.CACHES['shared']['LOCATION']}")
        assert cursor.fetchone()[0] >= 1
