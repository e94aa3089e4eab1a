"""Security a user can observe: headers on every answer, login lockout, cookies, the client address."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings

from referly.kit.client import client_ip
from tests.personas import PASSWORD


@pytest.mark.parametrize("path", ["/login/", "/api/v1/actions", "/api/v1/openapi.json"])
def test_every_answer_carries_the_security_headers(db: Any, path: str) -> None:
    answer = Client().get(path)
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_repeated_failed_logins_lock_the_account_out_even_with_the_right_password(team: Any) -> None:
    browser = Client()
    for _ in range(5):
        refused = browser.post("/login/", {"username": team.member.email, "password": "wrong"})
        assert refused.status_code in (200, 429)
    locked = browser.post("/login/", {"username": team.member.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert b"locked" in locked.content
    # someone else, from the same address, still logs in
    other = browser.post("/login/", {"username": team.other.email, "password": PASSWORD})
    assert other.status_code == 302


def test_a_good_login_gets_an_http_only_session_and_secure_cookies_over_https(team: Any) -> None:
    answer = Client().post("/login/", {"username": team.member.email, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.cookies["sessionid"]["httponly"]
    assert not answer.cookies["sessionid"]["secure"]  # plain HTTP on loopback, as `referly serve` runs
    with override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True):
        secure = Client().post("/login/", {"username": team.other.email, "password": PASSWORD})
        assert secure.cookies["sessionid"]["secure"]


def test_the_lockout_counts_the_address_the_proxy_saw() -> None:
    spoofed = RequestFactory().post("/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(spoofed) == "127.0.0.1"  # not behind the proxy: the peer, whatever the header says
    with override_settings(HTTPS=True):
        assert client_ip(spoofed) == "203.0.113.9"  # the address the proxy appended, not the claimed one
