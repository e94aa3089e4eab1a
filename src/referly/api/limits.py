"""The API's rate limits: per token, per address without a token, and failed authentications per address.

Counted with django-ratelimit in the shared cache (a database table), so every server process shares the
counts. Windows are fixed minutes, each key's shifted by a stable offset, so ``Retry-After`` is the seconds
until the window of that key ends. A token is counted by the prefix of its SHA-256 digest, known or not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit.core import get_usage

from referly.kit.client import client_ip

API_PATH = "/api/"
MINUTE = 60


@dataclass(frozen=True)
class Limit:
    """One counter: its group, the Django setting of its requests per minute, and its refusal's code."""

    group: str
    setting: str
    code: str
    sentence: str  # formatted with {limit} and {seconds}

    def per_minute(self) -> int:
        limit: int = getattr(settings, self.setting)
        return limit


FAILURES = Limit(
    "api.failures",
    "API_FAILURES_PER_MINUTE",
    "too_many_failures",
    "Too many failed authentications from your address (at most {limit} a minute): "
    "try again in {seconds} seconds with a valid token",
)
PER_TOKEN = Limit(
    "api.token",
    "API_TOKEN_PER_MINUTE",
    "token_limit",
    "Too many requests with this token (at most {limit} a minute): try again in {seconds} seconds",
)
PER_ADDRESS = Limit(
    "api.address",
    "API_ADDRESS_PER_MINUTE",
    "address_limit",
    "Too many requests without a token from your address (at most {limit} a minute): try again in {seconds} seconds",
)


@dataclass(frozen=True)
class Refusal:
    limit: Limit
    retry_after: int

    def response(self) -> HttpResponse:
        detail = self.limit.sentence.format(limit=self.limit.per_minute(), seconds=self.retry_after)
        body = {"error": "rate_limited", "code": self.limit.code, "field": None, "detail": detail}
        answer = JsonResponse(body, status=429)
        answer.headers["Retry-After"] = str(self.retry_after)
        return answer


def bearer_token(request: HttpRequest) -> str | None:
    """The token of ``Authorization: Bearer TOKEN``, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_key(token: str) -> str:
    """What a token is counted by: the first 16 hex digits of its SHA-256 digest (the raw token is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def count(request: HttpRequest, limit: Limit, key: str, *, increment: bool) -> Refusal | None:
    """Counts this request against ``limit`` for ``key`` (or only looks): a refusal once over the limit."""
    rate = (limit.per_minute(), MINUTE)
    usage = get_usage(request, group=limit.group, key=lambda _group, _request: key, rate=rate, increment=increment)
    # None: limits switched off; a limit of 0 is the library's sign that the count could not be kept (the
    # database busy): the API stays open rather than refusing everyone.
    if usage is None or usage["limit"] == 0 or not usage["should_limit"]:
        return None
    return Refusal(limit, max(1, int(usage["time_left"])))


def refusal_before(request: HttpRequest, address: str) -> Refusal | None:
    """A refusal before the request runs: its address failed too often, or its token or address asked too often."""
    failing = count(request, FAILURES, address, increment=False)
    if failing is not None:
        return failing
    token = bearer_token(request)
    if token is not None:
        return count(request, PER_TOKEN, token_key(token), increment=True)
    return count(request, PER_ADDRESS, address, increment=True)


class ApiRateLimits:
    """Middleware: limits requests under /api/ and answers ``429`` with ``Retry-After`` in the API's error shape.

    A request answered ``401`` counts as a failed authentication of its address; past the limit the address
    is refused every API request until its minute ends, so a token cannot be guessed at full speed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PATH):
            return self.get_response(request)
        address = client_ip(request) or "unknown"
        refused = refusal_before(request, address)
        if refused is not None:
            return refused.response()
        response = self.get_response(request)
        if response.status_code == 401:
            failed = count(request, FAILURES, address, increment=True)
            if failed is not None:
                return failed.response()
        return response
